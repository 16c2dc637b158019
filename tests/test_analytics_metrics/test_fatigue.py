"""Fatigue curves, trend tests and speeding against hand-worked cases and scipy/statsmodels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import spearmanr

from analytics.metrics.fatigue import fatigue, fatigue_measures, speeding


def sitting(n: int, *, dwell: list[float] | None = None, sides: list[str] | None = None) -> pd.DataFrame:
    """One annotator's sitting of n answers, one a minute, on pairs 0..n-1."""
    return pd.DataFrame(
        {
            "annotator": "u",
            "pair_id": range(n),
            "side": sides or ["left", "right"] * (n // 2),
            "chosen_response": [
                "a" if s == "left" else "b" if s == "right" else "" for s in (sides or ["left", "right"] * (n // 2))
            ],
            "left_response": "a",
            "dwell_ms": dwell or [1000.0] * n,
            "index_in_sitting": range(1, n + 1),
            "elapsed_in_sitting_ms": [i * 60_000 for i in range(n)],
            "since_break_ms": [np.nan] * (n // 2) + [i * 60_000.0 for i in range(n - n // 2)],
        }
    )


def test_it_gives_the_median_dwell_and_left_rate_of_each_bin():
    judgments = sitting(12, dwell=[float(v) for v in range(100, 1300, 100)])
    report = fatigue(judgments)
    by_index = report["by_index_in_sitting"]
    assert by_index["bins"][:3] == ["[1, 6)", "[6, 11)", "[11, 21)"]
    assert by_index["median_dwell_ms"][:3] == [300.0, 800.0, 1150.0]
    assert [row["n"] for row in by_index["left"][:3]] == [5, 5, 2]
    assert by_index["left"][0]["successes"] == 3  # left, right, left, right, left
    assert report["before_first_break"] == 6
    assert sum(row["n"] for row in report["by_minutes_since_break"]["left"]) == 6


def test_its_dwell_trend_is_scipys_spearman():
    dwell = [5000.0, 4000.0, 4500.0, 3000.0, 2500.0, 2600.0, 2000.0, 1000.0]
    report = fatigue(sitting(8, dwell=dwell))
    expected = spearmanr(range(1, 9), dwell)
    assert report["trends"]["index"]["dwell_ms"]["rho"] == pytest.approx(expected.statistic, rel=1e-12)
    assert report["trends"]["index"]["dwell_ms"]["p_value"] == pytest.approx(expected.pvalue, rel=1e-12)


def test_its_left_rate_trend_is_the_statsmodels_logistic_slope():
    rng = np.random.default_rng(2)
    n = 400
    sides = np.where(rng.random(n) < np.linspace(0.3, 0.8, n), "left", "right").tolist()
    judgments = sitting(n, sides=sides)
    slope = fatigue(judgments)["trends"]["minutes"]["left"]["slope"]
    direct = sm.Logit((np.array(sides) == "left").astype(float), sm.add_constant(np.arange(n, dtype=float))).fit(disp=0)
    assert slope["estimate"] == pytest.approx(direct.params[1], rel=1e-8)
    assert slope["p_value"] == pytest.approx(direct.pvalues[1], rel=1e-6)


def test_it_prefers_gold_then_the_others_majority_then_the_source_as_quality():
    judgments = pd.concat([sitting(2), sitting(2).assign(annotator="v")], ignore_index=True)
    judgments["source_preference"] = ["b", "a", "a", "a"]
    judgments["gold_correct"] = [1.0, np.nan, np.nan, np.nan]
    measures = fatigue_measures(judgments)
    # u's first answer is scored by gold; every other answer matches the other annotator's.
    assert measures["quality"].tolist() == [1.0, 1.0, 1.0, 1.0]
    judgments["gold_correct"] = np.nan
    judgments.loc[3, "side"], judgments.loc[3, "chosen_response"] = "tie", ""
    measures = fatigue_measures(judgments)
    # Pair 1 now has one decisive answer: u's quality falls back on the source (a), and u chose b.
    assert measures["quality"].tolist()[1] == 0.0
    assert np.isnan(measures["quality"].tolist()[3])


def test_it_counts_answers_faster_than_reading_238_words_a_minute():
    pairs = pd.DataFrame(
        {"pair_id": [1, 2], "words_context": [200, 10], "words_response_a": [20, 5], "words_response_b": [18, 5]}
    )
    judgments = pd.DataFrame(
        {
            "annotator": ["u", "u", "v", "v", "v"],
            "pair_id": [1, 1, 1, 2, 3],  # pair 3 has no word counts
            "dwell_ms": [59_999.0, 60_000.0, np.nan, 1000.0, 1.0],
        }
    )
    report = speeding(judgments, pairs)
    # Pair 1 has 238 words: a floor of exactly one minute. Pair 2: 20 words, about 5 s.
    by_annotator = {row["annotator"]: row for row in report["per_annotator"]}
    assert by_annotator["u"] == {"annotator": "u", "n": 2, "speeding": 1, "share": 0.5}
    assert by_annotator["v"] == {"annotator": "v", "n": 1, "speeding": 1, "share": 1.0}
    assert report["overall"] == {"n": 3, "speeding": 2, "share": 2 / 3}


def test_it_does_not_test_an_annotator_with_too_few_answers():
    report = fatigue(sitting(6))
    row = report["per_annotator"][0]
    assert row["flagged"] is False and row["p_decline"] is None and row["reason"] is not None
    assert json.loads(json.dumps(report, allow_nan=False)) == report
