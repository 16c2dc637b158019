"""The pooled logistic regression gives Logit's numbers, or says why it cannot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.metrics.regression import fit_logit


def test_pooling_equal_rows_gives_the_estimates_and_errors_of_logit_on_the_rows():
    rng = np.random.default_rng(4)
    index = rng.integers(1, 41, 5000).astype(float)
    late = (index > 20).astype(float)
    outcome = (rng.random(5000) < 1 / (1 + np.exp(-(1.5 - 0.04 * index + 0.3 * late)))).astype(float)
    fit = fit_logit(pd.Series(outcome), pd.DataFrame({"index": index, "late": late}))
    direct = sm.Logit(outcome, sm.add_constant(np.column_stack([index, late]))).fit(disp=0)
    for column, name in enumerate(["intercept", "index", "late"]):
        assert fit["coefficients"][name]["estimate"] == pytest.approx(direct.params[column], rel=1e-7)
        assert fit["coefficients"][name]["se"] == pytest.approx(direct.bse[column], rel=1e-7)
        assert fit["coefficients"][name]["p_value"] == pytest.approx(direct.pvalues[column], rel=1e-5)
    assert fit["n"] == 5000 and fit["reason"] is None


def test_it_leaves_out_rows_with_a_missing_value():
    outcome = pd.Series([1.0, 0.0, np.nan] * 20 + [1.0, 0.0, 0.0, 1.0])
    x = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 20 + [np.nan, 1.0, 2.0, 2.0]})
    assert fit_logit(outcome, x)["n"] == 43


@pytest.mark.parametrize(
    ("outcome", "x", "reason"),
    [
        ([1.0, 0.0] * 9, list(range(18)), "fewer than 20 rows"),
        ([1.0] * 30, list(range(30)), "the outcome never varies"),
        ([1.0, 0.0] * 15, [5.0] * 30, "no predictor varies"),
        ([0.0] * 15 + [1.0] * 15, list(range(30)), "perfect separation"),
    ],
)
def test_it_says_why_it_gives_no_coefficients(outcome, x, reason):
    fit = fit_logit(pd.Series(outcome, dtype=float), pd.DataFrame({"x": np.asarray(x, dtype=float)}))
    assert fit["coefficients"] is None
    assert fit["reason"] == reason


def groups_with_a_slope(rng: np.random.Generator, n_groups: int, slope: float):
    sizes = rng.integers(3, 40, n_groups)
    groups = np.repeat(np.arange(n_groups), sizes)
    x = np.concatenate([np.arange(size) for size in sizes]).astype(float)
    intercepts = rng.normal(0, 1, n_groups)
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-(intercepts[groups] + slope * x)))).astype(float)
    return groups, x, y


def test_the_fixed_effects_fit_is_statsmodels_logit_with_one_indicator_per_group():
    from analytics.metrics.regression import fit_fixed_effects_logit

    groups, x, y = groups_with_a_slope(np.random.default_rng(1), 60, -0.05)
    fit = fit_fixed_effects_logit(y, np.ones_like(y), x, groups)
    # statsmodels on the groups that say something: an outcome that varies (x varies in every group).
    sums, sizes = np.bincount(groups, weights=y), np.bincount(groups)
    kept = np.flatnonzero((sums > 0) & (sums < sizes))
    rows = np.isin(groups, kept)
    indicators = (groups[rows][:, None] == kept[None, 1:]).astype(float)
    direct = sm.Logit(y[rows], sm.add_constant(np.column_stack([x[rows], indicators]))).fit(disp=0, maxiter=200)
    assert fit["groups"] == len(kept) < 60 and fit["n"] == rows.sum()
    assert fit["slope"]["estimate"] == pytest.approx(direct.params[1], rel=1e-8)
    assert fit["slope"]["se"] == pytest.approx(direct.bse[1], rel=1e-6)
    assert fit["slope"]["p_value"] == pytest.approx(direct.pvalues[1], rel=1e-5)
    # Pooled binomial rows give the same fit as the rows one by one.
    cell = groups * 100 + x.astype(int)
    cells, where = np.unique(cell, return_inverse=True)
    pooled = fit_fixed_effects_logit(
        np.bincount(where, weights=y), np.bincount(where).astype(float), (cells % 100).astype(float), cells // 100
    )
    assert pooled["slope"]["estimate"] == pytest.approx(fit["slope"]["estimate"], rel=1e-9)


def test_the_fixed_effects_fit_scales_to_thousands_of_groups_and_says_why_it_cannot_fit():
    from analytics.metrics.regression import fit_fixed_effects_logit

    groups, x, y = groups_with_a_slope(np.random.default_rng(2), 5_000, 0.03)
    fit = fit_fixed_effects_logit(y, np.ones_like(y), x, groups)  # an indicator matrix: ~100,000 x 5,000
    assert fit["slope"]["estimate"] == pytest.approx(0.03, abs=0.01)
    none = fit_fixed_effects_logit(np.ones(50), np.ones(50), np.arange(50.0), np.zeros(50, dtype=int))
    assert none["slope"] is None and none["groups"] == 0
    assert none["reason"] == "no group's outcome varies at two values of the predictor or more"
    separated = fit_fixed_effects_logit(
        (np.arange(50) >= 25).astype(float), np.ones(50), np.arange(50.0), np.zeros(50, dtype=int)
    )
    assert separated["slope"] is None and separated["reason"] == "perfect separation"
