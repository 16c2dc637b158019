"""The seed notebook's figures on all 2,312 rows of harmless-base-test, from its own definitions,
equal the report's figures for the same pairs when the annotator chose as the source did."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.metrics.length import analyze_preference_lengths, length_preference
from analytics.metrics.similarity import similarity_buckets
from bench.notebook import analyze_preference_dataset, check_similarity

ROWS = 2312


@pytest.fixture(scope="module")
def source_following_judgments(hh_pairs) -> pd.DataFrame:
    """One annotator who chose as the source did on every pair, sides randomized by the 'server'."""
    left = np.random.default_rng(0).choice(np.array(["a", "b"]), size=len(hh_pairs))
    return pd.DataFrame(
        {
            "annotator": "as-source",
            "pair_id": hh_pairs["pair_id"],
            "side": np.where(left == "a", "left", "right"),
            "chosen_response": "a",
            "left_response": left,
        }
    )


def test_the_shared_file_has_all_its_rows(hh_rows):
    assert len(hh_rows) == ROWS


def test_our_length_figures_on_full_transcripts_are_the_notebooks_exactly(
    hh_rows, hh_pairs, source_following_judgments
):
    notebook = analyze_preference_dataset(hh_rows)
    report = length_preference(source_following_judgments, hh_pairs)
    assert report["overall"]["transcripts"] == notebook
    assert report["per_annotator"][0]["transcripts"] == notebook
    assert analyze_preference_lengths([r["chosen"] for r in hh_rows], [r["rejected"] for r in hh_rows]) == notebook


def test_our_length_figures_on_final_responses_are_the_notebooks_definitions_on_the_responses(
    hh_triples, hh_pairs, source_following_judgments
):
    rows = [{"chosen": chosen, "rejected": rejected} for _, chosen, rejected in hh_triples]
    report = length_preference(source_following_judgments, hh_pairs)
    assert report["overall"]["responses"] == analyze_preference_dataset(rows)


def test_our_similarity_buckets_and_mean_are_the_notebooks_exactly(hh_rows, hh_pairs):
    notebook = check_similarity(hh_rows)
    ours = similarity_buckets(hh_pairs["transcript_similarity"].tolist())
    assert {key: ours[key] for key in notebook} == notebook
