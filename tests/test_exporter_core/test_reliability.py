"""Dawid–Skene aggregation: which response is stored as `a` (the source's chosen one, on import)
must not weigh in the outcome."""

from __future__ import annotations

import random

import pytest

from exporter.reliability import dawid_skene_aggregate

SWAP = {"a": "b", "b": "a"}


def skewed_votes() -> list[dict]:
    """50 pairs, 45 of them won by `a` (as an import orders them), judged by three reliable
    annotators and three random clickers; pair "X" judged by the clickers alone, all for `b`."""
    truth = {j: "a" if j % 10 else "b" for j in range(50)}
    rows = []
    for j in range(50):
        rows += [{"pair_id": j, "annotator_id": f"good{i}", "chosen_response": truth[j]} for i in range(3)]
        coin = random.Random(j)
        rows += [{"pair_id": j, "annotator_id": f"click{i}", "chosen_response": coin.choice("ab")} for i in range(3)]
    rows += [{"pair_id": "X", "annotator_id": f"click{i}", "chosen_response": "b"} for i in range(3)]
    return rows


def test_relabelling_a_pair_swaps_its_winner_and_keeps_its_confidence():
    rows = skewed_votes()
    relabelled = {j for j in range(50) if j % 2}
    mirrored = [
        row | {"chosen_response": SWAP[row["chosen_response"]]} if row["pair_id"] in relabelled else row for row in rows
    ]
    outcome, mirrored_outcome = dawid_skene_aggregate(rows=rows), dawid_skene_aggregate(rows=mirrored)
    assert outcome.keys() == mirrored_outcome.keys() and len(outcome) == 51
    for pair, (winner, confidence) in outcome.items():
        expected = SWAP[winner] if pair in relabelled else winner
        assert mirrored_outcome[pair] == (expected, pytest.approx(confidence, abs=1e-6)), pair


def test_the_orientation_of_the_import_does_not_outvote_the_annotators():
    outcome = dawid_skene_aggregate(rows=skewed_votes())
    # The reliable annotators decide their pairs, the 5 won by b included.
    assert all(outcome[j][0] == ("a" if j % 10 else "b") for j in range(50))
    # Random clickers carry next to nothing: their pair is no better than a coin either way, not
    # the 0.9 for `a` that the share of pairs won by `a` made it when the labels were fit as stored.
    assert outcome["X"][1] < 0.6
