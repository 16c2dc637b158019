"""Logistic regressions (statsmodels) that either give numbers or say why they cannot."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    DomainWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

MIN_ROWS = 20
SEPARATION_TOLERANCE = 1e-3


def fit_logit(outcome: pd.Series, predictors: pd.DataFrame, *, min_rows: int = MIN_ROWS) -> dict:
    """Maximum-likelihood logistic regression of a 0/1 `outcome` on `predictors` plus an intercept
    named "intercept"; rows with a missing value are left out.

    Rows with equal predictors are first pooled into binomial counts (`fit_pooled_logit`): the
    likelihood, and so the estimates and standard errors, are those of `Logit` on the rows, at a
    fraction of the cost. See `fit_pooled_logit` for the result.
    """
    x = predictors.to_numpy(dtype=float)
    y = outcome.to_numpy(dtype=float)
    rows = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    x, y = pd.DataFrame(x[rows]), y[rows]
    if len(y) == 0:
        return fit_pooled_logit(np.zeros(0), np.zeros(0), np.zeros((0, x.shape[1])), predictors.columns)
    # Hash grouping: no sort, unlike numpy's row-wise unique (seconds on a million rows).
    group = x.groupby(list(x.columns), sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    successes = np.bincount(group, weights=y, minlength=len(first))
    trials = np.bincount(group, minlength=len(first)).astype(float)
    return fit_pooled_logit(successes, trials, x.to_numpy()[first], predictors.columns, min_rows=min_rows)


def fit_pooled_logit(
    successes: np.ndarray,
    trials: np.ndarray,
    predictors: np.ndarray,
    names: Sequence[str],
    *,
    min_rows: int = MIN_ROWS,
) -> dict:
    """Logistic regression on pooled rows: row i stands for `trials[i]` 0/1 outcomes of which
    `successes[i]` are 1, all with predictor values `predictors[i]` (columns named `names`); fitted
    as a binomial GLM with the logit link (statsmodels `GLM`, `families.Binomial`), plus an
    intercept named "intercept".

    Returns {"n" (outcomes), "coefficients": {name: {"estimate", "se", "z", "p_value"}},
    "dropped", "reason": None}; predictors without variation are dropped (they are collinear with
    the intercept) and listed in "dropped". Degenerate data gives "coefficients": None and a
    "reason": fewer than `min_rows` outcomes, an outcome that never varies, no predictor that
    varies, perfect separation, a singular design, or no convergence. p-values are two-sided Wald.
    """
    n = int(trials.sum())
    result: dict = {"n": n, "coefficients": None, "dropped": [], "reason": None}
    if n < min_rows:
        result["reason"] = f"fewer than {min_rows} rows"
        return result
    if successes.sum() in (0, n):
        result["reason"] = "the outcome never varies"
        return result
    varies = [bool(np.ptp(predictors[:, column]) > 0) for column in range(predictors.shape[1])]
    result["dropped"] = [name for name, kept in zip(names, varies, strict=True) if not kept]
    if not any(varies):
        result["reason"] = "no predictor varies"
        return result
    names = ["intercept"] + [name for name, kept in zip(names, varies, strict=True) if kept]
    design = np.column_stack([np.ones(len(trials)), predictors[:, varies]])
    try:
        # Separated data drive the coefficients to infinity: exp overflows on the way, harmlessly.
        with warnings.catch_warnings(), np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", DomainWarning)
            endog = np.column_stack([successes, trials - successes])
            fitted = sm.GLM(endog, design, family=sm.families.Binomial()).fit(maxiter=100)
            fitted_rates = fitted.predict()
    except (PerfectSeparationError, PerfectSeparationWarning):
        result["reason"] = "perfect separation"
        return result
    except np.linalg.LinAlgError:
        result["reason"] = "singular design"
        return result
    if not fitted.converged or not np.all(np.isfinite(fitted.bse)):
        # statsmodels does not always say so: fitted rates that reproduce the observed ones, all
        # 0 or 1, are the mark of (quasi-)complete separation.
        separated = np.all(np.abs(fitted_rates - successes / trials) < SEPARATION_TOLERANCE)
        result["reason"] = "perfect separation" if separated else "the fit did not converge"
        return result
    result["coefficients"] = {
        name: {
            "estimate": float(fitted.params[column]),
            "se": float(fitted.bse[column]),
            "z": float(fitted.tvalues[column]),
            "p_value": float(fitted.pvalues[column]),
        }
        for column, name in enumerate(names)
    }
    return result
