"""Logistic regressions (statsmodels) that either give numbers or say why they cannot."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from scipy.stats import norm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    DomainWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

MIN_ROWS = 20
SEPARATION_TOLERANCE = 1e-3


def fit_logit(
    outcome: pd.Series, predictors: pd.DataFrame, *, min_rows: int = MIN_ROWS, clusters: pd.Series | None = None
) -> dict:
    """Maximum-likelihood logistic regression of a 0/1 `outcome` on `predictors` plus an intercept
    named "intercept"; rows with a missing value are left out.

    Rows with equal predictors (and equal cluster) are first pooled into binomial counts
    (`fit_pooled_logit`): the likelihood, and so the estimates and standard errors, are those of
    `Logit` on the rows, at a fraction of the cost. With `clusters` (one label per row, such as the
    annotator), the standard errors are cluster-robust over them. See `fit_pooled_logit` for the result.
    """
    x = predictors.to_numpy(dtype=float)
    y = outcome.to_numpy(dtype=float)
    rows = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    x, y = pd.DataFrame(x[rows]), y[rows]
    cluster_codes = None if clusters is None else pd.factorize(pd.Series(clusters).to_numpy()[rows])[0]
    if len(y) == 0:
        return fit_pooled_logit(
            np.zeros(0), np.zeros(0), np.zeros((0, x.shape[1])), predictors.columns, clusters=cluster_codes
        )
    keys = x if cluster_codes is None else x.assign(cluster=cluster_codes)
    # Hash grouping: no sort, unlike numpy's row-wise unique (seconds on a million rows).
    group = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    successes = np.bincount(group, weights=y, minlength=len(first))
    trials = np.bincount(group, minlength=len(first)).astype(float)
    return fit_pooled_logit(
        successes,
        trials,
        x.to_numpy()[first],
        predictors.columns,
        min_rows=min_rows,
        clusters=None if cluster_codes is None else cluster_codes[first],
    )


def fit_pooled_logit(
    successes: np.ndarray,
    trials: np.ndarray,
    predictors: np.ndarray,
    names: Sequence[str],
    *,
    min_rows: int = MIN_ROWS,
    clusters: np.ndarray | None = None,
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

    With `clusters` (a label per row; each row's outcomes all in one cluster), the rows of a cluster
    are not taken as independent: standard errors are statsmodels' cluster-robust ones, and "z" and
    p come from Student's t with clusters − 1 degrees of freedom, as statsmodels does for few
    clusters; the result adds "clusters" (how many) and "inference" ("cluster-robust"). With no more
    clusters than coefficients, that covariance is singular: "se", "z" and "p_value" are then None,
    and "inference" says why.
    """
    n = int(trials.sum())
    result: dict = {"n": n, "coefficients": None, "dropped": [], "reason": None}
    if clusters is not None:
        result["clusters"] = len(np.unique(clusters))
        result["inference"] = "cluster-robust"
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
            model = sm.GLM(endog, design, family=sm.families.Binomial())
            clustered = clusters is not None and result["clusters"] > len(names)
            if clustered:
                fitted = model.fit(maxiter=100, cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
            else:
                fitted = model.fit(maxiter=100)
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
    tested = clusters is None or clustered
    if not tested:
        result["inference"] = f"no test: {result['clusters']} clusters, not more than the {len(names)} coefficients"
    result["coefficients"] = {
        name: {
            "estimate": float(fitted.params[column]),
            "se": float(fitted.bse[column]) if tested else None,
            "z": float(fitted.tvalues[column]) if tested else None,
            "p_value": float(fitted.pvalues[column]) if tested else None,
        }
        for column, name in enumerate(names)
    }
    return result


def fit_fixed_effects_logit(
    successes: np.ndarray,
    trials: np.ndarray,
    x: np.ndarray,
    groups: np.ndarray,
    *,
    min_rows: int = MIN_ROWS,
    max_iterations: int = 100,
    tolerance: float = 1e-10,
    no_group: str = "no group's outcome varies at two values of the predictor or more",
) -> dict:
    """Logistic regression of binomial counts on one predictor `x` with one intercept per group
    (`groups`: codes 0..G-1), fitted by Newton's method: its estimates and standard errors are those
    of statsmodels' `Logit` with one indicator per group (the tests compare them), without the
    indicator matrix, whose size is rows times groups (8 GB of floats for a million rows and a
    thousand sittings).
    The intercepts' block of the Hessian is diagonal, so each step solves for the slope through its
    Schur complement and then for each intercept, in time and memory linear in the rows.

    Groups whose outcome never varies, or whose `x` never varies, are left out first: an intercept
    alone fits them exactly (it would go to infinity), and they say nothing about the slope; when no
    group is left, the reason is `no_group` (in the caller's words for its groups).
    Returns {"n" (outcomes used), "groups" (kept), "slope" ({"estimate", "se", "z", "p_value"},
    p two-sided Wald) or None, "reason"}."""
    successes, trials, x = (np.asarray(a, dtype=float) for a in (successes, trials, x))
    groups = np.asarray(groups, dtype=np.int64)
    size = int(groups.max()) + 1 if len(groups) else 0
    group_n = np.bincount(groups, weights=trials, minlength=size)
    group_s = np.bincount(groups, weights=successes, minlength=size)
    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    np.minimum.at(low, groups, x)
    np.maximum.at(high, groups, x)
    informative = (group_s > 0) & (group_s < group_n) & (low < high)
    rows = informative[groups]
    kept = np.flatnonzero(informative)
    result: dict = {"n": int(trials[rows].sum()), "groups": len(kept), "slope": None, "reason": None}
    if trials.sum() < min_rows or (len(kept) and result["n"] < min_rows):
        result["reason"] = f"fewer than {min_rows} rows"
        return result
    if not len(kept):
        result["reason"] = no_group
        return result
    g = np.searchsorted(kept, groups[rows])
    s, n, x = successes[rows], trials[rows], x[rows]
    rate = group_s[kept] / group_n[kept]
    alpha, beta = np.log(rate / (1 - rate)), 0.0

    def log_likelihood(alpha: np.ndarray, beta: float) -> float:
        eta = alpha[g] + beta * x
        return float(np.sum(s * eta - n * np.logaddexp(0, eta)))

    def newton(alpha: np.ndarray, beta: float):
        """Fitted rates, residuals, the intercepts' gradient and Hessian diagonal, their cross terms
        with the slope, and the slope's Schur complement (its information, intercepts profiled out)."""
        p = expit(alpha[g] + beta * x)
        w, r = n * p * (1 - p), s - n * p
        h_aa = np.bincount(g, weights=w, minlength=len(kept))
        h_ab = np.bincount(g, weights=w * x, minlength=len(kept))
        g_a = np.bincount(g, weights=r, minlength=len(kept))
        return p, r, g_a, h_aa, h_ab, float(np.sum(w * x * x) - np.sum(h_ab * h_ab / h_aa))

    current = log_likelihood(alpha, beta)
    for _ in range(max_iterations):
        _, r, g_a, h_aa, h_ab, schur = newton(alpha, beta)
        if not np.isfinite(schur) or schur <= 0:
            result["reason"] = "perfect separation"
            return result
        d_beta = (float(np.sum(r * x)) - float(np.sum(h_ab * g_a / h_aa))) / schur
        d_alpha = (g_a - h_ab * d_beta) / h_aa
        step = 1.0
        while True:  # halve a step that lowers the likelihood (Newton's may overshoot far from the top)
            trial = log_likelihood(alpha + step * d_alpha, beta + step * d_beta)
            if trial >= current - 1e-12 or step < 1e-8:
                break
            step /= 2
        alpha, beta, previous, current = alpha + step * d_alpha, beta + step * d_beta, current, trial
        if abs(step * d_beta) < tolerance * (1 + abs(beta)) and abs(current - previous) < tolerance * (
            1 + abs(current)
        ):
            break
    else:
        result["reason"] = "the fit did not converge"
        return result
    p, _, _, _, _, schur = newton(alpha, beta)
    # Separated data drive the slope to infinity; the fit stops where the likelihood stops moving,
    # with fitted rates that reproduce the observed ones (all 0 or 1), as in `fit_pooled_logit`.
    if not np.isfinite(beta) or np.all(np.abs(p - s / n) < SEPARATION_TOLERANCE):
        result["reason"] = "perfect separation"
        return result
    se = 1 / np.sqrt(schur)
    z = beta / se
    result["slope"] = {"estimate": float(beta), "se": float(se), "z": float(z), "p_value": float(2 * norm.sf(abs(z)))}
    return result
