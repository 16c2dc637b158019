"""Position bias: how often an annotator picks the response shown on the left.

Definitions
- Left-choice rate = left / (left + right). Ties and skips carry no side preference and are
  excluded (counted separately as `ties` and `skips`).
- Interval: Wilson score 95% (statsmodels `proportion_confint(method="wilson")`).
- Test: exact two-sided binomial test of H0: rate = 0.5 (scipy `binomtest`). The server
  randomizes which response is on the left, so an annotator without a side preference has rate
  0.5 whatever the content.
- Across annotators the p-values are adjusted by Benjamini-Hochberg (statsmodels `multipletests`,
  "fdr_bh"); an annotator is flagged when the adjusted p < `flag_alpha` (0.01 by default).
- By position in the sitting: the same rate in bins of `index_in_sitting` (1-based) and of
  minutes since the sitting started (`elapsed_in_sitting_ms`), half-open bins [low, high).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics.metrics.columns import (
    DECISIVE_SIDES,
    INDEX_EDGES,
    LEFT,
    MINUTE_EDGES,
    SKIP,
    TIE,
    assign_bins,
    decisive,
    minutes,
    require_columns,
)
from analytics.metrics.jsonable import to_jsonable
from analytics.metrics.proportions import adjusted_flags, proportion_summary, rates_by_bin, rates_by_group

FLAG_ALPHA = 0.01


def left_rate(sides: pd.Series) -> dict:
    """Left-choice rate of one series of sides ("left", "right", "tie", "skip"): the proportion
    summary of left among decisive sides with the exact binomial p against 0.5, plus the
    numbers of ties and skips that were excluded."""
    lefts = int((sides == LEFT).sum())
    n = int(sides.isin(DECISIVE_SIDES).sum())
    return proportion_summary(successes=lefts, n=n, null=0.5) | {
        "ties": int((sides == TIE).sum()),
        "skips": int((sides == SKIP).sum()),
    }


def position_bias(
    judgments: pd.DataFrame,
    *,
    flag_alpha: float = FLAG_ALPHA,
    index_edges: Sequence[float] = INDEX_EDGES,
    minute_edges: Sequence[float] = MINUTE_EDGES,
) -> dict:
    """Left-choice rates overall, per annotator (with BH-adjusted p and a flag) and by position in
    the sitting. Needs the judgment columns annotator, side, index_in_sitting, elapsed_in_sitting_ms.

    Returns {"overall": {"n", "successes", "rate", "ties", "skips"}, "per_annotator": [{"annotator",
    "n", "successes", "rate", "ci_low", "ci_high", "p_value", "p_adjusted", "flagged", "ties",
    "skips"}, ...], "by_index_in_sitting": [bin rows], "by_minutes_in_sitting": [bin rows],
    "flag_alpha"}; JSON-ready.
    """
    require_columns(judgments, ("annotator", "side", "index_in_sitting", "elapsed_in_sitting_ms"), table="judgment")
    sides = judgments["side"]
    picked_left = (sides == LEFT).astype(float).where(sides.isin(DECISIVE_SIDES))
    per_annotator = rates_by_group(judgments["annotator"], picked_left, key="annotator", null=0.5)
    others = pd.crosstab(judgments["annotator"], sides).reindex(columns=[TIE, SKIP], fill_value=0)
    for row in per_annotator:
        row["ties"], row["skips"] = (int(count) for count in others.loc[row["annotator"]])
    flags = adjusted_flags([row["p_value"] for row in per_annotator], flag_alpha)
    for row, (p_adjusted, flagged) in zip(per_annotator, flags, strict=True):
        row["p_adjusted"], row["flagged"] = p_adjusted, flagged
    chosen = decisive(judgments, ["index_in_sitting", "elapsed_in_sitting_ms"])
    picked_left = picked_left[chosen.index]
    return to_jsonable(
        {
            # Pooled over annotators, with no interval or test: one annotator's judgments are not
            # independent of each other (a single left-clicker moved the demo's pooled test).
            "overall": {
                key: value
                for key, value in left_rate(judgments["side"]).items()
                if key not in ("ci_low", "ci_high", "p_value")
            },
            "per_annotator": per_annotator,
            "by_index_in_sitting": rates_by_bin(
                picked_left, assign_bins(chosen["index_in_sitting"], index_edges), index_edges
            ),
            "by_minutes_in_sitting": rates_by_bin(
                picked_left, assign_bins(minutes(chosen["elapsed_in_sitting_ms"]), minute_edges), minute_edges
            ),
            "flag_alpha": flag_alpha,
        }
    )
