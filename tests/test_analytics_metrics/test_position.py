"""Position bias against hand-worked figures and the libraries it wraps."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from scipy.stats import binomtest, norm
from statsmodels.stats.multitest import multipletests

from analytics.metrics.position import left_rate, position_bias
from analytics.metrics.proportions import benjamini_hochberg, proportion_summary


def judgments_of(rows: list[tuple[object, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["annotator", "side", "index_in_sitting", "elapsed_in_sitting_ms"])


def test_it_counts_left_among_decisive_answers_and_leaves_out_ties_and_skips():
    sides = pd.Series(["left"] * 7 + ["right"] * 3 + ["tie", "skip", "skip"])
    summary = left_rate(sides)
    assert (summary["n"], summary["successes"], summary["rate"]) == (10, 7, 0.7)
    assert (summary["ties"], summary["skips"]) == (1, 2)
    # Exact two-sided binomial: 2 * P(X >= 7 | n=10, p=1/2) = 2 * (120 + 45 + 10 + 1) / 1024.
    assert summary["p_value"] == pytest.approx(352 / 1024, rel=1e-12)


def test_its_wilson_interval_is_the_textbook_formula():
    successes, n = 7, 10
    z = norm.ppf(0.975)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    summary = proportion_summary(successes=successes, n=n)
    assert summary["ci_low"] == pytest.approx(centre - half, rel=1e-12)
    assert summary["ci_high"] == pytest.approx(centre + half, rel=1e-12)


def test_it_reports_nothing_rather_than_zero_when_nothing_was_decided():
    summary = left_rate(pd.Series(["tie", "skip"]))
    assert summary["n"] == 0
    assert summary["rate"] is None and summary["p_value"] is None and summary["ci_low"] is None


def test_its_benjamini_hochberg_matches_the_hand_worked_and_the_library_values():
    p_values = [0.01, 0.04, 0.03, 0.5]
    adjusted = benjamini_hochberg(p_values)
    assert adjusted == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5], rel=1e-12)
    assert adjusted == list(multipletests(p_values, method="fdr_bh")[1])


def test_its_benjamini_hochberg_leaves_untestable_annotators_out_of_the_count():
    assert benjamini_hochberg([None, 0.02, None, 0.01]) == [None, 0.02, None, 0.02]


def test_it_flags_an_annotator_whose_adjusted_p_is_below_the_threshold_and_not_the_others():
    rows = [("lefty", "left", 1, 0)] * 60 + [("lefty", "right", 1, 0)] * 10
    rows += [("fair", side, 1, 0) for side in ["left", "right"] * 35]
    report = position_bias(judgments_of(rows))
    by_name = {row["annotator"]: row for row in report["per_annotator"]}
    raw = binomtest(60, 70, 0.5).pvalue
    assert by_name["lefty"]["p_value"] == pytest.approx(raw, rel=1e-12)
    assert by_name["lefty"]["p_adjusted"] == pytest.approx(min(1.0, raw * 2), rel=1e-12)
    assert by_name["lefty"]["flagged"] is True
    assert by_name["fair"]["flagged"] is False
    assert report["overall"] == {"n": 140, "successes": 95, "rate": 95 / 140, "ties": 0, "skips": 0}


def test_it_bins_left_rates_by_index_and_by_minutes_in_the_sitting():
    rows = [("x", "left" if i <= 5 else "right", i, (i - 1) * 60_000) for i in range(1, 13)]
    rows.append(("x", "tie", 13, 12 * 60_000))
    report = position_bias(judgments_of(rows))
    by_index = {row["bin"]: (row["n"], row["successes"]) for row in report["by_index_in_sitting"]}
    assert by_index["[1, 6)"] == (5, 5)
    assert by_index["[6, 11)"] == (5, 0)
    assert by_index["[11, 21)"] == (2, 0)
    assert by_index["≥ 41"] == (0, 0)
    by_minutes = {row["bin"]: row["n"] for row in report["by_minutes_in_sitting"]}
    # Minutes 0..11: [0, 5) holds 0-4, [5, 10) holds 5-9, [10, 15) holds 10-11 (the tie is left out).
    assert (by_minutes["[0, 5)"], by_minutes["[5, 10)"], by_minutes["[10, 15)"]) == (5, 5, 2)


def test_its_report_is_plain_json():
    rows = [("x", "left", 1, 0), ("x", "tie", 2, 1000)]
    report = position_bias(judgments_of(rows))
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_it_refuses_a_table_without_the_columns_it_needs():
    with pytest.raises(ValueError, match="index_in_sitting"):
        position_bias(pd.DataFrame({"annotator": [1], "side": ["left"], "elapsed_in_sitting_ms": [0]}))
