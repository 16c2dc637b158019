"""A proportion with its Wilson interval and exact binomial test: the unit of most figures here."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from analytics.metrics.columns import bin_labels

CONFIDENCE = 0.95


def proportion_summary(*, successes: int, n: int, null: float | None = None) -> dict:
    """`successes / n` with its Wilson 95% interval, and when `null` is given the exact two-sided
    binomial p-value of H0: rate == null (scipy `binomtest`).

    With n == 0 the rate, interval and p are None (nothing was observed).
    """
    successes, n = int(successes), int(n)
    if n == 0:
        summary = {"n": 0, "successes": 0, "rate": None, "ci_low": None, "ci_high": None}
        if null is not None:
            summary["p_value"] = None
        return summary
    low, high = proportion_confint(successes, n, alpha=1 - CONFIDENCE, method="wilson")
    summary = {"n": n, "successes": successes, "rate": successes / n, "ci_low": float(low), "ci_high": float(high)}
    if null is not None:
        summary["p_value"] = float(binomtest(successes, n, null, alternative="two-sided").pvalue)
    return summary


def proportion_rows(successes: Sequence[int], n: Sequence[int], *, null: float | None = None) -> list[dict]:
    """`proportion_summary` of many proportions at once (the Wilson intervals computed together)."""
    successes_array, n_array = np.asarray(successes, dtype=np.int64), np.asarray(n, dtype=np.int64)
    observed = n_array > 0
    low, high = np.full(len(n_array), np.nan), np.full(len(n_array), np.nan)
    if observed.any():
        low[observed], high[observed] = proportion_confint(
            successes_array[observed], n_array[observed], alpha=1 - CONFIDENCE, method="wilson"
        )
    rows = []
    for k, total, lower, upper in zip(successes_array.tolist(), n_array.tolist(), low, high, strict=True):
        if total == 0:
            rows.append(proportion_summary(successes=0, n=0, null=null))
            continue
        row = {"n": total, "successes": k, "rate": k / total, "ci_low": float(lower), "ci_high": float(upper)}
        if null is not None:
            row["p_value"] = float(binomtest(k, total, null, alternative="two-sided").pvalue)
        rows.append(row)
    return rows


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (statsmodels `multipletests`, method "fdr_bh").

    None entries (no test was possible) stay None and do not count toward the number of tests.
    """
    present = [i for i, p in enumerate(p_values) if p is not None]
    adjusted: list[float | None] = [None] * len(p_values)
    if present:
        _, corrected, _, _ = multipletests(np.array([p_values[i] for i in present], dtype=float), method="fdr_bh")
        for i, value in zip(present, corrected, strict=True):
            adjusted[i] = float(value)
    return adjusted


def adjusted_flags(p_values: Sequence[float | None], alpha: float) -> list[tuple[float | None, bool]]:
    """For each test, its p adjusted across all of them (`benjamini_hochberg`) and whether that falls
    below `alpha`: the rule of every per-annotator flag. A test that could not be made is not flagged."""
    return [(p, p is not None and p < alpha) for p in benjamini_hochberg(p_values)]


def rates_by_bin(outcome: pd.Series, codes: pd.Series, edges: Sequence[float]) -> list[dict]:
    """For each bin of `edges`, the rate of a 0/1 `outcome` (NaN = not observed) with its Wilson
    interval; `codes` is the bin number of each row (from `columns.assign_bins`, -1 = no bin)."""
    observed = outcome.notna() & (codes >= 0)
    grouped = outcome[observed].astype(float).groupby(codes[observed]).agg(["sum", "count"])
    grouped = grouped.reindex(range(len(edges) - 1), fill_value=0)
    summaries = proportion_rows(grouped["sum"].astype(np.int64), grouped["count"].astype(np.int64))
    return [
        {"bin": label, "low": edges[number], "high": edges[number + 1]} | summary
        for number, (label, summary) in enumerate(zip(bin_labels(edges), summaries, strict=True))
    ]


def rates_by_group(groups: pd.Series, outcome: pd.Series, *, key: str, null: float | None = None) -> list[dict]:
    """For each value of `groups` (sorted), the rate of a 0/1 `outcome` (NaN = not observed), as
    `{key: group} | proportion_summary(...)`; groups with no observed outcome get n = 0."""
    observed = outcome.notna()
    grouped = outcome[observed].astype(float).groupby(groups[observed]).agg(["sum", "count"])
    grouped = grouped.reindex(pd.Index(groups.unique()).sort_values(), fill_value=0)
    summaries = proportion_rows(grouped["sum"].astype(np.int64), grouped["count"].astype(np.int64), null=null)
    return [{key: group} | summary for group, summary in zip(grouped.index, summaries, strict=True)]
