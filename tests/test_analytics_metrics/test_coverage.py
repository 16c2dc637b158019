"""Coverage figures on a hand-worked project."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.metrics.coverage import coverage

PAIRS = pd.DataFrame(
    {
        "pair_id": [1, 2, 3, 4],
        "source_name": ["hh", "hh", "upload.csv", ""],
        "source_preference": ["a", "b", "", ""],
        "words_context": [10, 60, 60, 900],
    }
)
JUDGMENTS = pd.DataFrame(
    {
        "pair_id": [1, 1, 1, 1, 2, 2, 3],
        "side": ["left", "right", "tie", "left", "skip", "left", "skip"],
    }
)


def test_it_counts_pairs_by_source_and_by_context_length():
    report = coverage(PAIRS, JUDGMENTS, k=3)
    assert report["by_source"] == [
        {"source": "", "pairs": 1, "with_preference": 0},
        {"source": "hh", "pairs": 2, "with_preference": 2},
        {"source": "upload.csv", "pairs": 1, "with_preference": 0},
    ]
    by_words = {row["bin"]: row["pairs"] for row in report["by_context_words"]}
    assert by_words == {"[0, 50)": 1, "[50, 100)": 2, "[100, 200)": 0, "[200, 400)": 0, "[400, 800)": 0, "≥ 800": 1}


def test_it_counts_judgments_per_pair_without_skips_and_progress_toward_k():
    report = coverage(PAIRS, JUDGMENTS, k=3)
    # Pair 1: 4 (ties count), pair 2: 1, pair 3: 0 (a skip), pair 4: 0.
    assert report["judgments_per_pair"] == [
        {"judgments": 0, "pairs": 2},
        {"judgments": 1, "pairs": 1},
        {"judgments": 4, "pairs": 1},
    ]
    assert report["progress"] == {
        "k": 3,
        "complete_pairs": 1,
        "complete_share": 0.25,
        "collected": 4,
        "wanted": 12,
        "collected_share": 4 / 12,
    }
    assert (report["judgments"], report["skips"]) == (7, 2)


def test_it_refuses_a_k_below_one():
    with pytest.raises(ValueError, match="k must be"):
        coverage(PAIRS, JUDGMENTS, k=0)
