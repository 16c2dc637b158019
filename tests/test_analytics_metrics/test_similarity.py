"""Similarity measures: identical to difflib, the response-only measure, and why the notebook's misleads."""

from __future__ import annotations

import difflib
import json

import pandas as pd
import pytest
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from analytics.metrics.similarity import (
    pair_text_measures,
    pair_text_measures_batch,
    response_similarity,
    similarity_buckets,
    similarity_histogram,
    top_near_duplicates,
    transcript,
    transcript_similarity,
)

# Rows of harmless-base-test.jsonl.gz (0-based) that show the two flaws of the notebook's measure.
AUTOJUNK_ROW = 263
CONTEXT_INFLATED_ROW = 67


def test_its_transcript_similarity_is_bit_identical_to_difflib_on_every_real_row(hh_rows):
    ours = [transcript_similarity(row["chosen"], row["rejected"]) for row in hh_rows]
    notebook = [difflib.SequenceMatcher(None, row["chosen"], row["rejected"]).ratio() for row in hh_rows]
    assert ours == notebook


def test_its_transcripts_rebuild_the_source_rows_byte_for_byte(hh_rows, hh_triples):
    for row, (context, chosen, rejected) in zip(hh_rows, hh_triples, strict=True):
        assert transcript(context, chosen) == row["chosen"]
        assert transcript(context, rejected) == row["rejected"]


def test_difflibs_autojunk_changes_the_notebooks_value_on_a_real_long_pair(hh_rows):
    row = hh_rows[AUTOJUNK_ROW]
    assert len(row["rejected"]) >= 200  # autojunk only acts on a second sequence of 200+ characters
    default = difflib.SequenceMatcher(None, row["chosen"], row["rejected"]).ratio()
    without_junk = difflib.SequenceMatcher(None, row["chosen"], row["rejected"], autojunk=False).ratio()
    assert transcript_similarity(row["chosen"], row["rejected"]) == default
    # Popular characters (space, common letters) cannot anchor a match: half the matches are lost.
    assert without_junk - default > 0.2


def test_the_shared_context_makes_different_answers_look_like_near_duplicates(hh_rows, hh_triples):
    row, (_, chosen, rejected) = hh_rows[CONTEXT_INFLATED_ROW], hh_triples[CONTEXT_INFLATED_ROW]
    assert transcript_similarity(row["chosen"], row["rejected"]) > 0.9
    assert response_similarity(chosen, rejected) < 0.4


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("kitten", "sitting", 2 * 4 / 13),  # LCS "ittn"
        ("abc", "abd", 2 * 2 / 6),
        ("same", "same", 1.0),
        ("", "", 1.0),
        ("abc", "", 0.0),
    ],
)
def test_its_response_similarity_is_twice_the_common_subsequence_over_the_lengths(a, b, expected):
    assert response_similarity(a, b) == pytest.approx(expected, rel=1e-12)


def test_its_response_similarity_is_rapidfuzz_normalized_indel_and_fuzz_ratio(hh_triples):
    for _, a, b in hh_triples[:300]:
        assert response_similarity(a, b) == Indel.normalized_similarity(a, b)
        assert response_similarity(a, b) == pytest.approx(fuzz.ratio(a, b) / 100, abs=1e-12)
        assert response_similarity(a, b) == response_similarity(b, a)


def test_it_measures_a_pair_once_with_word_counts_of_every_part():
    measures = pair_text_measures("\n\nHuman: two words", " one", " one two three")
    assert measures["words_context"] == 3
    assert (measures["words_response_a"], measures["words_response_b"]) == (1, 3)
    # "Assistant:" is a word of the transcript, as the notebook counts.
    assert (measures["words_transcript_a"], measures["words_transcript_b"]) == (5, 7)
    assert (
        measures["transcript_similarity"]
        == difflib.SequenceMatcher(
            None, "\n\nHuman: two words\n\nAssistant: one", "\n\nHuman: two words\n\nAssistant: one two three"
        ).ratio()
    )


def test_the_transcript_ratio_takes_the_sources_chosen_first(hh_triples):
    # difflib's autojunk reads only the second sequence, so ratio(A, B) is not ratio(B, A); for a pair
    # whose source preferred B it was stored A first (found by the statistics audit).
    asymmetric = [
        (c, a, b)
        for c, a, b in hh_triples[:200]
        if difflib.SequenceMatcher(None, transcript(c, a), transcript(c, b)).ratio()
        != difflib.SequenceMatcher(None, transcript(c, b), transcript(c, a)).ratio()
    ]
    assert len(asymmetric) >= 5
    for context, a, b in asymmetric[:5]:
        chosen_b = difflib.SequenceMatcher(None, transcript(context, b), transcript(context, a))
        chosen_a = difflib.SequenceMatcher(None, transcript(context, a), transcript(context, b))
        assert pair_text_measures(context, a, b, "b")["transcript_similarity"] == chosen_b.ratio()
        assert pair_text_measures(context, a, b, "a")["transcript_similarity"] == chosen_a.ratio()
        assert pair_text_measures(context, a, b)["transcript_similarity"] == chosen_a.ratio()  # no preference
        assert pair_text_measures_batch([(context, a, b, "b")]) == [pair_text_measures(context, a, b, "b")]


def test_its_batch_in_several_processes_equals_one_at_a_time(hh_triples):
    triples = hh_triples[:600]
    assert pair_text_measures_batch(triples, workers=2) == [pair_text_measures(*triple) for triple in triples]


def test_it_puts_ratios_in_the_notebooks_buckets_at_the_exact_boundaries():
    summary = similarity_buckets([0.0, 0.7, 0.7000001, 0.9, 0.9000001, 1.0])
    assert (summary["low"], summary["medium"], summary["high"]) == (2, 2, 2)
    assert summary["mean"] == pytest.approx((0.7 + 0.7000001 + 0.9 + 0.9000001 + 1.0) / 6, rel=1e-15)
    assert summary["high_share"] == 2 / 6
    assert json.loads(json.dumps(summary)) == summary


def test_it_gives_no_mean_for_no_pairs():
    summary = similarity_buckets([])
    assert summary["n"] == 0 and summary["mean"] is None and summary["high_share"] is None


def test_its_histogram_counts_every_ratio_once_and_puts_one_in_the_last_bin():
    histogram = similarity_histogram([0.0, 0.05, 0.5, 0.99, 1.0], bins=10)
    assert sum(row["count"] for row in histogram) == 5
    assert histogram[0]["count"] == 2 and histogram[5]["count"] == 1 and histogram[-1]["count"] == 2


def test_it_lists_the_most_similar_pairs_first():
    pairs = pd.DataFrame(
        {"pair_id": [1, 2, 3], "transcript_similarity": [0.99, 0.5, 0.8], "response_similarity": [0.2, 0.95, 0.95]}
    )
    assert [row["pair_id"] for row in top_near_duplicates(pairs, limit=2)] == [2, 3]
    assert [row["pair_id"] for row in top_near_duplicates(pairs, by="transcript_similarity")] == [1, 3, 2]
