"""Aggregation across a pair's judgments, and the per-judgment mode, against hand-worked cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exporter.aggregation import (
    PER_JUDGMENT_FIELDS,
    Vote,
    judgments_per_record,
    pairs_aggregate,
    votes_aggregate,
    votes_group,
)


def test_two_against_one_makes_a_majority_with_two_thirds_agreement():
    outcome = votes_aggregate(votes=[Vote("a"), Vote("a"), Vote("b")])
    assert outcome.winner == "a"
    assert (outcome.n_judgments, outcome.n_decisive) == (3, 3)
    assert outcome.agreement == pytest.approx(2 / 3)


def test_ties_and_skips_do_not_count_toward_the_majority():
    outcome = votes_aggregate(votes=[Vote("b"), Vote("", side="tie"), Vote("", side="skip")])
    assert outcome.winner == "b"
    assert (outcome.n_judgments, outcome.n_decisive) == (3, 1)
    assert outcome.agreement == 1.0


def test_an_even_split_of_decisive_votes_has_no_majority():
    outcome = votes_aggregate(votes=[Vote("a"), Vote("b"), Vote("", side="tie")])
    assert outcome.winner is None
    assert outcome.agreement is None
    assert outcome.n_decisive == 2


def test_only_ties_and_skips_have_no_majority():
    assert votes_aggregate(votes=[Vote("", side="tie"), Vote("", side="skip")]).winner is None
    assert votes_aggregate(votes=[]).winner is None


def test_position_dwell_and_strength_are_summarized_over_the_votes_that_have_them():
    votes = [
        {"chosen_response": "b", "side": "right", "left_response": "a", "dwell_ms": 1000, "strength": 2},
        {"chosen_response": "b", "side": "left", "left_response": "b", "dwell_ms": 3000, "strength": None},
        {"chosen_response": "a", "side": "left", "left_response": "a", "dwell_ms": None, "strength": 3},
        {"chosen_response": "a", "side": "right", "left_response": "b", "dwell_ms": 2000, "strength": 1},
        {"chosen_response": "b", "side": "right", "left_response": "a", "dwell_ms": 5000, "strength": None},
    ]
    outcome = votes_aggregate(votes=votes)
    assert outcome.winner == "b"
    assert outcome.agreement == pytest.approx(3 / 5)
    assert outcome.shown_left_counts == {"a": 3, "b": 2}
    # Median of 1000, 2000, 3000, 5000 (the None is not a measurement): (2000 + 3000) / 2.
    assert outcome.median_dwell_ms == 2500.0
    assert outcome.mean_strength == 2.0
    assert outcome.metadata() == {
        "n_judgments": 5,
        "n_decisive": 5,
        "agreement": pytest.approx(0.6),
        "shown_left_counts": {"a": 3, "b": 2},
        "median_dwell_ms": 2500.0,
        "mean_strength": 2.0,
    }


def test_metadata_types_are_fixed_so_every_record_has_one_schema():
    outcome = votes_aggregate(votes=[Vote("a", dwell_ms=1200)])
    assert isinstance(outcome.metadata()["median_dwell_ms"], float)
    assert votes_aggregate(votes=[Vote("a")]).metadata()["median_dwell_ms"] is None


def test_pairs_without_a_majority_are_left_out_and_counted_in_input_order():
    rows = [
        {"pair_id": 7, "chosen_response": "a"},
        {"pair_id": 3, "chosen_response": "a"},
        {"pair_id": 7, "chosen_response": "b"},
        {"pair_id": 5, "chosen_response": "", "side": "skip"},
        {"pair_id": 3, "chosen_response": "b"},
        {"pair_id": 3, "chosen_response": "b"},
        {"pair_id": 9, "chosen_response": "a"},
    ]
    grouped = votes_group(rows=rows)
    assert list(grouped) == [7, 3, 5, 9]
    aggregation = pairs_aggregate(votes_by_pair=grouped)
    assert {key: o.winner for key, o in aggregation.outcomes.items()} == {3: "b", 9: "a"}
    assert list(aggregation.outcomes) == [3, 9]
    assert aggregation.no_majority == [7, 5]
    assert aggregation.counts == {"pairs_in": 4, "pairs_without_majority": 2}


def test_per_judgment_mode_gives_one_record_per_decisive_judgment_with_its_metadata():
    served = datetime(2026, 11, 2, 9, 30, 0, tzinfo=UTC)
    answered = datetime(2026, 11, 2, 9, 30, 41, 500000, tzinfo=UTC)
    base = {
        "served_at": served,
        "answered_at": answered,
        "index_in_sitting": 12,
        "elapsed_in_sitting_ms": 600_000,
        "since_break_ms": 600_000,
        "sitting_ordinal_today": 2,
        "viewport_width": 1280,
        "viewport_height": None,
        "sitting_id": 4,
    }
    rows = [
        {
            **base,
            "judgment_id": 1,
            "pair_id": 10,
            "annotator_id": 1,
            "chosen_response": "a",
            "side": "left",
            "left_response": "a",
            "dwell_ms": 4100,
            "strength": 2,
        },
        {
            **base,
            "judgment_id": 2,
            "pair_id": 10,
            "annotator_id": 2,
            "chosen_response": "",
            "side": "tie",
            "left_response": "b",
            "dwell_ms": 900,
            "strength": None,
        },
        {
            **base,
            "judgment_id": 3,
            "pair_id": 11,
            "annotator_id": 1,
            "chosen_response": "b",
            "side": "left",
            "left_response": "b",
            "dwell_ms": 2500,
            "strength": None,
        },
        {
            **base,
            "judgment_id": 4,
            "pair_id": 11,
            "annotator_id": 2,
            "chosen_response": "",
            "side": "skip",
            "left_response": "a",
            "dwell_ms": None,
            "strength": None,
        },
        {
            **base,
            "judgment_id": 5,
            "pair_id": 11,
            "annotator_id": 3,
            "chosen_response": "",
            "side": "skip",
            "left_response": "b",
            "dwell_ms": None,
            "strength": None,
        },
    ]
    result = judgments_per_record(rows=rows)
    assert [(key, winner) for key, winner, _ in result.records] == [(10, "a"), (11, "b")]
    assert result.counts == {"judgments_in": 5, "ties_excluded": 1, "skips_excluded": 2}
    metadata = result.records[0][2]
    assert list(metadata) == list(PER_JUDGMENT_FIELDS)
    assert metadata["served_at"] == "2026-11-02T09:30:00+00:00"
    assert metadata["answered_at"] == "2026-11-02T09:30:41.500000+00:00"
    assert metadata["index_in_sitting"] == 12
    assert metadata["viewport_height"] is None
    assert (metadata["judgment_id"], metadata["side"], metadata["dwell_ms"], metadata["strength"]) == (
        1,
        "left",
        4100,
        2,
    )
