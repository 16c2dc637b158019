"""Careless answering: an annotator who agrees with the others' majority less often than the rest do.

A random clicker answers without reading: its picks follow neither position (half left), nor length,
nor a decline within sittings, so the position, length and fatigue flags pass it by, and it stayed in
exports that left out the flagged. What gives it away is content: it agrees with what the others
chose at chance.

Measure
- Per annotator, on decisive judgments (ties and skips say nothing of content; swapped repeats left
  out, as in the position section and the leave-one-out majority itself): agreement with the
  leave-one-out majority of the *other* annotators' decisive votes on the same pair
  (`agreement.loo_majority_agreement`); judgments whose pair has no such majority (no other vote, or
  the others split evenly) are not counted.
- Gold accuracy does not enter. Gold pairs are few (a tenth of the pairs at most, often none), have a
  yardstick of their own with its own base rate (a careful annotator's gold accuracy is not their
  agreement with a majority, which errs too: pooled, an annotator served more gold would look better
  for it), and the gold rule already pauses an annotator whose recent gold accuracy falls below the
  lead's threshold. The others' majority exists wherever a pair has two judgments or more, in every
  project, gold or not; a gold pair's judgments count here like any pair's.

Test
- One-sided Fisher's exact test (scipy `fisher_exact`, alternative="less") of the 2×2 table
  [this annotator's agreeing, disagreeing; the other annotators' pooled agreeing, disagreeing]:
  H1 "this annotator agrees with the others' majority less often than the rest of the annotators do".
- Benjamini–Hochberg across the annotators tested (`proportions.adjusted_flags`); flagged when the
  adjusted p < `flag_alpha` (0.01, as for position, length and fatigue) AND the annotator's rate is
  nearer chance than the rest's: below the midpoint of `CHANCE` (50%: a pick made without reading
  matches any majority half the time) and the rest's rate. With hundreds of judgments each, the test
  alone flagged an honest but noisier annotator (80% accuracy among four at 90%, 500 pairs each: 10
  of 10 synthetic runs, `python -m bench.careless_margin`), whose judgments are still mostly right
  and worth training on: "careless" and `--exclude-flagged` are for answers that carry little of the
  content, not for the least good
  of good annotators. The midpoint (70% beside a rest at 90%) leaves that annotator out and still
  takes in one at chance.

Guards (no test, p None with a "reason", shown as a dash)
- Fewer than `MIN_JUDGMENTS` (20) of the annotator's judgments have a majority to compare with.
- Fewer than `MIN_PEERS` (2) other annotators with `MIN_JUDGMENTS` such judgments each. With two
  annotators, each one's majority is the other's vote: they agree with each other exactly as often,
  the same count for both, and no test can say which of them is careless. With one other annotator of
  any weight beside a few answers of others, "the rest" would be that one person's habit.
- The others' judgments on the pairs this annotator judged move with this annotator's own (a pair
  whose votes split lowers both sides' agreement; with k = 2 the two outcomes are the same), which
  makes the test conservative rather than liberal. The pooled counts weigh each other annotator by
  their judgments (where one of them holds most, the rest's rate is mostly theirs), and the test
  takes them as independent, whatever the spread between the others: with hundreds of judgments
  each, it finds an honest but noisier annotator significantly below the rest (one at 80% accuracy
  among four at 90%, 500 pairs each: in 10 of 10 seeds; 100 pairs each: 3 of 10; `bench.careless_margin`), which the
  nearer-chance rule then leaves unflagged; the pages show the rates beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

from analytics.metrics.agreement import loo_majority_agreement
from analytics.metrics.columns import require_columns
from analytics.metrics.jsonable import to_jsonable
from analytics.metrics.proportions import adjusted_flags

FLAG_ALPHA = 0.01
# The agreement of picks made without reading with any majority of two responses.
CHANCE = 0.5
MIN_JUDGMENTS = 20
MIN_PEERS = 2
TOO_FEW_JUDGMENTS = f"fewer than {MIN_JUDGMENTS} judgments on pairs with a majority of others to compare with"
TOO_FEW_PEERS = (
    f"fewer than {MIN_PEERS} other annotators with {MIN_JUDGMENTS} such judgments each: with one, each agrees "
    "with the other as often as the other agrees with them, and no test can tell which one is careless"
)


def majority_agreement_counts(judgments: pd.DataFrame) -> pd.DataFrame:
    """Per annotator (every annotator of `judgments`, sorted): "n", judgments with a leave-one-out
    majority of others (decisive, swapped repeats left out), and "agreed", those that match it."""
    require_columns(judgments, ("annotator", "pair_id", "side", "chosen_response"), table="judgment")
    first = judgments["probe_of"].isna() if "probe_of" in judgments.columns else pd.Series(True, index=judgments.index)
    loo = loo_majority_agreement(judgments[first]).dropna()
    grouped = loo.groupby(judgments.loc[loo.index, "annotator"]).agg(["count", "sum"])
    grouped = grouped.reindex(pd.Index(judgments["annotator"].unique()).sort_values(), fill_value=0)
    return pd.DataFrame(
        {"n": grouped["count"].astype(np.int64), "agreed": grouped["sum"].round().astype(np.int64)},
        index=grouped.index,
    )


def careless_flags(judgments: pd.DataFrame, *, flag_alpha: float = FLAG_ALPHA) -> list[dict]:
    """Per annotator (sorted): {"annotator", "n", "agreed", "rate", "others_n", "others_agreed",
    "others_rate" (the other annotators' pooled counts), "p_value" (one-sided Fisher, module docstring),
    "p_adjusted" (Benjamini–Hochberg across those tested), "flagged" (adjusted p below `flag_alpha` and
    the rate below `nearer_chance_below` the rest's), "reason" (why no test, else None)}."""
    counts = majority_agreement_counts(judgments)
    total_n, total_agreed = int(counts["n"].sum()), int(counts["agreed"].sum())
    measured = counts["n"] >= MIN_JUDGMENTS
    rows = []
    for annotator, n, agreed in zip(counts.index, counts["n"].tolist(), counts["agreed"].tolist(), strict=True):
        others_n, others_agreed = total_n - n, total_agreed - agreed
        peers = int(measured.sum()) - bool(n >= MIN_JUDGMENTS)
        reason = TOO_FEW_JUDGMENTS if n < MIN_JUDGMENTS else TOO_FEW_PEERS if peers < MIN_PEERS else None
        p_value = None
        if reason is None:
            table = [[agreed, n - agreed], [others_agreed, others_n - others_agreed]]
            p_value = float(fisher_exact(table, alternative="less").pvalue)
        rows.append(
            {
                "annotator": annotator,
                "n": n,
                "agreed": agreed,
                "rate": agreed / n if n else None,
                "others_n": others_n,
                "others_agreed": others_agreed,
                "others_rate": others_agreed / others_n if others_n else None,
                "p_value": p_value,
                "reason": reason,
            }
        )
    flags = adjusted_flags([row["p_value"] for row in rows], flag_alpha)
    for row, (p_adjusted, flagged) in zip(rows, flags, strict=True):
        row["p_adjusted"] = p_adjusted
        row["flagged"] = bool(flagged and row["rate"] < nearer_chance_below(row["others_rate"]))
    return rows


def nearer_chance_below(others_rate: float) -> float:
    """The rate below which an annotator is nearer chance than the rest (module docstring)."""
    return (CHANCE + others_rate) / 2


def careless_answering(judgments: pd.DataFrame, *, flag_alpha: float = FLAG_ALPHA) -> dict:
    """The report's section: {"per_annotator": `careless_flags` rows, "flag_alpha", "min_judgments",
    "min_peers"}; JSON-ready."""
    return to_jsonable(
        {
            "per_annotator": careless_flags(judgments, flag_alpha=flag_alpha),
            "flag_alpha": flag_alpha,
            "min_judgments": MIN_JUDGMENTS,
            "min_peers": MIN_PEERS,
        }
    )
