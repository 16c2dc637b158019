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
