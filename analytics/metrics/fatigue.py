"""Fatigue: does speed, side preference or quality change as a sitting goes on?

Per judgment:
- position in the sitting: `index_in_sitting` (1-based); minutes in the sitting
  (`elapsed_in_sitting_ms` floored to whole seconds, / 60 000); minutes since the working stretch
  began, i.e. the first sitting or the last rest (`since_break_ms`, likewise; where it is missing, as
  in data from elsewhere, those judgments are counted apart as `before_first_break`);
- dwell: `dwell_ms` (missing values left out);
- left: 1 if the left side was picked, 0 if the right (decisive judgments only, swapped repeats
  left out as in the position section);
- loo_majority: agreement with the other annotators' majority (`agreement.loo_majority_agreement`);
- source: agreement with the source's preference (`agreement.source_agreement`; swapped repeats
  left out, as for left and loo_majority);
- gold, probe: the optional 0/1 columns `gold_correct` and `probe_consistent`, when present;
- quality, the outcome of the per-annotator flag: gold when known, else probe consistency on a
  swapped repeat, else loo_majority when defined, else source.

Figures: for each bin (half-open [low, high)) the median dwell and the rate of each 0/1 measure
with its Wilson interval. The curves pool all annotators, so who answers at which point of their
sittings shapes them (a random clicker whose quick answers all fall in the first minutes lowers
those minutes' agreement); the trend tests do not:

Trend tests against index and minutes in the sitting, within sittings: a logistic regression
(`regression.fit_fixed_effects_logit`, log-odds per item or per minute) with one intercept per
sitting (fixed effects; per annotator for judgments without a sitting), over whole items or whole
minutes, for each 0/1 measure and for dwell as "slower than the sitting's median dwell". A pooled
fit (and the pooled Spearman's rho for dwell it replaced) reversed the planted trends of a
simulated project (Simpson's paradox); one intercept per annotator was not enough either, since a
sitting ends at its item or its time limit: late items come only from quick sittings and late
minutes only from slow ones. Only sittings whose answers vary and that reach two points or more of
the axis say anything within sittings; the others are left out, and `sittings` counts those kept.
With a few dozen answers per sitting the fixed-effects estimate is slightly inflated (the
incidental-parameter bias of fixed-effects logit, of order 1/n per sitting). For dwell, the minutes
are those at which the pair was shown (minutes at the answer less its dwell): at the answer, a slow
answer is later by its own slowness.

Flag: per annotator, the logistic slope of quality on minutes in the sitting, within sittings as the
trend tests are, and within the yardstick each answer's quality was read from: one intercept per
(sitting, yardstick). One-sided p of a decline (Wald), Benjamini-Hochberg across annotators; flagged
when adjusted p < `flag_alpha`. A pooled fit (one intercept per annotator) flagged an annotator whose
quick sittings were careful and slow ones sloppy, steady within each; and a swapped repeat comes at
least `probe_min_gap` items after its first answer, so probe consistency, whose base rate is not
the majority's (0 for an always-left clicker, whose majority agreement is about a half), is read
late in a sitting more often than early: pooled, the change of yardstick passed for a decline.

Speeding: a judgment is faster than reading when dwell_ms < reading floor =
(words_context + words_response_a + words_response_b) / 238 words per minute, in ms, times the
project's reading factor (the floor of the submit's `fast` flag); one sent without a dwell_ms, by
the submit's `fast` flag, where the frame has it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.metrics.agreement import loo_majority_agreement, source_agreement
from analytics.metrics.columns import (
    DECISIVE_SIDES,
    INDEX_EDGES,
    LEFT,
    MINUTE_EDGES,
    MS_PER_MINUTE,
    SINCE_BREAK_MINUTE_EDGES,
    SKIP,
    assign_bins,
    bin_labels,
    minutes,
    require_columns,
)
from analytics.metrics.jsonable import to_jsonable
from analytics.metrics.proportions import adjusted_flags, rates_by_bin
from analytics.metrics.regression import fit_fixed_effects_logit

FLAG_ALPHA = 0.01
READING_WPM = 238
BINARY_MEASURES = ("left", "loo_majority", "source", "gold", "probe")
# Quality is the first of these that an answer has.
QUALITY_YARDSTICKS = ("gold", "probe", "loo_majority", "source")
# The axes of the trend tests, the two the dashboard shows. Not minutes since the break, which no
# page shows (its curves stay).
TREND_AXES = ("index", "minutes")


def fatigue_measures(judgments: pd.DataFrame) -> pd.DataFrame:
    """The per-judgment table of the module docstring: index, minutes, since_break_minutes, dwell_ms,
    left, loo_majority, source, gold, probe, quality (0/1 or NaN), indexed like `judgments`."""
    require_columns(
        judgments,
        ("annotator", "pair_id", "side", "chosen_response", "dwell_ms", "index_in_sitting", "elapsed_in_sitting_ms"),
        table="judgment",
    )
    # Swapped repeats (probes) measure consistency only: in a leave-one-out majority an annotator's
    # repeat would vote beside their own first answer, and the position section leaves them out too.
    first = judgments["probe_of"].isna() if "probe_of" in judgments.columns else pd.Series(True, index=judgments.index)
    decisive = judgments["side"].isin(DECISIVE_SIDES) & first
    missing = pd.Series(np.nan, index=judgments.index)
    measures = pd.DataFrame(
        {
            "annotator": judgments["annotator"],
            # The trend tests' groups: the sitting, where known (data from elsewhere may lack it).
            "sitting": judgments["sitting_id"] if "sitting_id" in judgments.columns else missing,
            "index": judgments["index_in_sitting"].astype(float),
            # Whole seconds (floored, so no answer changes minute bin): the trend fits pool equal
            # values, and a sitting has a few thousand seconds but millions of milliseconds.
            "minutes": minutes(judgments["elapsed_in_sitting_ms"] // 1000 * 1000),
            "since_break_minutes": minutes(judgments["since_break_ms"] // 1000 * 1000)
            if "since_break_ms" in judgments.columns
            else missing,
            "dwell_ms": judgments["dwell_ms"].astype(float),
            "left": (judgments["side"] == LEFT).astype(float).where(decisive),
            "loo_majority": loo_majority_agreement(judgments[first]).reindex(judgments.index),
            "source": source_agreement(judgments).where(first),
            "gold": judgments["gold_correct"].astype(float) if "gold_correct" in judgments.columns else missing,
            "probe": judgments["probe_consistent"].astype(float)
            if "probe_consistent" in judgments.columns
            else missing,
        }
    )
    measures["quality"] = (
        measures["gold"].fillna(measures["probe"]).fillna(measures["loo_majority"]).fillna(measures["source"])
    )
    # Which of them it is, by its place in QUALITY_YARDSTICKS (-1: none): the flag compares like with like.
    yardstick = pd.Series(-1, index=judgments.index, dtype=np.int64)
    for code, measure in reversed(list(enumerate(QUALITY_YARDSTICKS))):
        yardstick[measures[measure].notna()] = code
    measures["quality_yardstick"] = yardstick
    return measures


def _by_bins(measures: pd.DataFrame, axis: str, edges: Sequence[float]) -> dict:
    codes = assign_bins(measures[axis], edges)
    dwell = measures["dwell_ms"][codes >= 0].groupby(codes[codes >= 0]).median()
    return {
        "bins": bin_labels(edges),
        "median_dwell_ms": [dwell.get(number) for number in range(len(edges) - 1)],
        **{measure: rates_by_bin(measures[measure], codes, edges) for measure in BINARY_MEASURES},
    }


def within_sitting_slope(groups: np.ndarray, axis: pd.Series, outcome: pd.Series) -> dict:
    """The logistic slope of the 0/1 `outcome` on `axis` (floored to whole units) with one intercept
    per group (`groups`: codes, one per sitting), by `regression.fit_fixed_effects_logit`: {"n"
    (outcomes used), "sittings" (kept), "slope" ({"estimate", "se", "z", "p_value"} or None),
    "reason"}. Rows missing the axis or the outcome are left out, and so are sittings whose outcome
    never varies or that stay at one point of the axis. The rows go as they are: a sitting's answers
    rarely share an item or a minute, so pooling equal ones would save little."""
    x, y = np.floor(axis.to_numpy(dtype=float)), outcome.to_numpy(dtype=float)
    rows = ~np.isnan(x) & ~np.isnan(y)
    fit = fit_fixed_effects_logit(
        y[rows],
        np.ones(int(rows.sum())),
        x[rows],
        groups[rows],
        no_group="no sitting's answers vary at two points of it or more",
    )
    return {"n": fit["n"], "sittings": fit["groups"], "slope": fit["slope"], "reason": fit["reason"]}


def _sitting_groups(measures: pd.DataFrame) -> np.ndarray:
    """One code per sitting (per annotator where the sitting is not known), numbered from 0."""
    sitting = measures["sitting"].to_numpy(dtype=float)
    known = ~np.isnan(sitting)
    groups = np.empty(len(measures), dtype=np.int64)
    groups[known], sittings = pd.factorize(sitting[known])
    if not known.all():  # codes after the sittings' (numbers, not strings: a million rows)
        groups[~known] = len(sittings) + pd.factorize(measures["annotator"].to_numpy()[~known])[0]
    return groups


def _trends(measures: pd.DataFrame) -> dict:
    # One group per sitting (per annotator where the sitting is not known): comparing each sitting
    # with itself, neither who answers when nor which sittings run long passes for a trend.
    groups = _sitting_groups(measures)
    # Dwell as "slower than the sitting's median", against the minutes at which the pair was shown.
    median = measures["dwell_ms"].groupby(groups).transform("median")
    slower = (measures["dwell_ms"] > median).astype(float).where(measures["dwell_ms"].notna())
    shown = {
        "index": measures["index"],
        "minutes": (measures["minutes"] - measures["dwell_ms"] / MS_PER_MINUTE).clip(lower=0),
    }
    return {
        axis: {"dwell_ms": within_sitting_slope(groups, shown[axis], slower)}
        | {measure: within_sitting_slope(groups, measures[axis], measures[measure]) for measure in BINARY_MEASURES}
        for axis in TREND_AXES
    }


def _one_sided_decline(slope: dict | None) -> float | None:
    # Wald two-sided p halved toward a negative slope: H1 is "quality falls with time".
    if slope is None:
        return None
    return slope["p_value"] / 2 if slope["estimate"] < 0 else 1 - slope["p_value"] / 2


def quality_decline_flags(measures: pd.DataFrame, *, flag_alpha: float = FLAG_ALPHA) -> list[dict]:
    """Per annotator: n with a quality value, quality rate, slope of quality per minute in the sitting
    (log-odds) within sittings and yardsticks (module docstring), with "sittings", the (sitting,
    yardstick) groups whose answers say anything of it; one-sided p of a decline, BH-adjusted p across
    annotators, flagged."""
    observed = measures["quality"].notna().to_numpy()
    table = pd.DataFrame(
        {
            "annotator": measures["annotator"].to_numpy()[observed],
            "group": pd.factorize(
                pd.MultiIndex.from_arrays([_sitting_groups(measures), measures["quality_yardstick"].to_numpy()])
            )[0][observed],
            "minutes": measures["minutes"].to_numpy(dtype=float)[observed],
            "quality": measures["quality"].to_numpy(dtype=float)[observed],
        }
    )
    # Pool equal (group, minute) rows once; a group holds one annotator's answers.
    pooled = table.groupby(["annotator", "group", "minutes"], sort=True)["quality"].agg(["sum", "count"]).reset_index()
    by_annotator = dict(tuple(pooled.groupby("annotator", sort=False)))
    rows = []
    for annotator in sorted(measures["annotator"].unique()):
        mine = by_annotator.get(annotator, pooled.iloc[:0])
        fit = fit_fixed_effects_logit(
            mine["sum"].to_numpy(dtype=float),
            mine["count"].to_numpy(dtype=float),
            mine["minutes"].to_numpy(dtype=float),
            pd.factorize(mine["group"])[0],
            no_group="no sitting's answers vary in quality at two points in time or more",
        )
        slope = fit["slope"]
        n, successes = int(mine["count"].sum()), float(mine["sum"].sum())
        rows.append(
            {
                "annotator": annotator,
                "n": n,
                "quality": successes / n if n else None,
                "sittings": fit["groups"],
                "slope_per_minute": slope["estimate"] if slope else None,
                "p_decline": _one_sided_decline(slope),
                "reason": fit["reason"],
            }
        )
    flags = adjusted_flags([row["p_decline"] for row in rows], flag_alpha)
    for row, (p_adjusted, flagged) in zip(rows, flags, strict=True):
        row["p_adjusted"], row["flagged"] = p_adjusted, flagged
    return rows


def speeding(judgments: pd.DataFrame, pairs: pd.DataFrame, *, wpm: float = READING_WPM, factor: float = 1.0) -> dict:
    """Judgments answered faster than the reading floor (module docstring) times `factor` (the
    project's reading factor, as the submit's `fast` flag uses it), overall and per annotator:
    {"n" (judgments with a dwell on a pair with word counts), "speeding", "share"}; "wpm" is the
    reading speed that floor stands for, `wpm / factor` (None for a factor of 0, which makes no
    answer fast). Skips are not answers and do not count, as the submit's flag does not count them:
    they did, so the dashboard's figure and the scorecards' "Fast answers" differed by the quick skips."""
    if factor < 0:
        raise ValueError("factor must not be negative")
    require_columns(judgments, ("annotator", "pair_id", "side", "dwell_ms"), table="judgment")
    require_columns(pairs, ("pair_id", "words_context", "words_response_a", "words_response_b"), table="pair")
    words = pairs["words_context"] + pairs["words_response_a"] + pairs["words_response_b"]
    floor_ms = pd.Series((words / wpm * MS_PER_MINUTE * factor).to_numpy(), index=pairs["pair_id"].to_numpy())
    floors = floor_ms.reindex(judgments["pair_id"]).to_numpy(dtype=float)
    dwell = judgments["dwell_ms"].to_numpy(dtype=float)
    # Without a dwell or the pair's word counts there is nothing to compare.
    known = ~np.isnan(dwell) & ~np.isnan(floors)
    fast = dwell < floors
    if "fast" in judgments.columns:
        # A client that sends no dwell is timed by the submit itself, in its `fast` flag: left out, a
        # script that never sent one never showed here as faster than reading (found by the gaming audit).
        untimed = np.isnan(dwell) & judgments["fast"].notna().to_numpy()
        fast = np.where(untimed, judgments["fast"].fillna(False).to_numpy(dtype=bool), fast)
        known |= untimed
    known &= (judgments["side"] != SKIP).to_numpy()
    table = pd.DataFrame({"annotator": judgments["annotator"].to_numpy()[known], "fast": fast[known]})

    def summary(rows: pd.DataFrame) -> dict:
        n, count = len(rows), int(rows["fast"].sum())
        return {"n": n, "speeding": count, "share": count / n if n else None}

    return to_jsonable(
        {
            "wpm": wpm / factor if factor else None,
            "overall": summary(table),
            "per_annotator": [{"annotator": a} | summary(g) for a, g in table.groupby("annotator", sort=True)],
        }
    )


def fatigue(
    judgments: pd.DataFrame,
    *,
    flag_alpha: float = FLAG_ALPHA,
    index_edges: Sequence[float] = INDEX_EDGES,
    minute_edges: Sequence[float] = MINUTE_EDGES,
    since_break_edges: Sequence[float] = SINCE_BREAK_MINUTE_EDGES,
) -> dict:
    """Fatigue curves by index, minutes in sitting and minutes since the last break, trend tests,
    and per-annotator quality-decline flags; JSON-ready (see the module docstring)."""
    measures = fatigue_measures(judgments)
    return to_jsonable(
        {
            "by_index_in_sitting": _by_bins(measures, "index", index_edges),
            "by_minutes_in_sitting": _by_bins(measures, "minutes", minute_edges),
            "by_minutes_since_break": _by_bins(measures, "since_break_minutes", since_break_edges),
            "before_first_break": int(measures["since_break_minutes"].isna().sum()),
            "trends": _trends(measures),
            "per_annotator": quality_decline_flags(measures, flag_alpha=flag_alpha),
            "flag_alpha": flag_alpha,
        }
    )
