"""Quality-control figures per annotator: gold accuracy, swapped-probe consistency, position lean,
speed. Pure functions over the judgment table (see the package docstring) with these columns:

    annotator, judgment_id, side, chosen_response, left_response, dwell_ms, fast (bool)
    is_gold (bool), gold_answer ("a"/"b" on gold pairs, "" elsewhere)
    probe_of (the original judgment's id on a swapped repeat, NaN elsewhere)

Definitions
- Gold accuracy: decisive answers on gold pairs that chose the gold answer / decisive gold answers,
  with a Wilson 95% interval; "recent" is the same over the annotator's last `recent` gold answers.
- Position lean from gold: a = P(left | gold answer shown left), b = P(left | gold answer shown right),
  lean = (a + b) / 2 − 0.5. An accurate annotator has a ≈ 1, b ≈ 0, lean ≈ 0; one who always
  clicks left has a = b = 1, lean = 0.5. It separates the position habit from the accuracy.
- Probe consistency: over couples (an original judgment and its swapped repeat, both decisive),
  the share where the same response was chosen both times, with a Wilson interval.
- Position lean from probes: within a couple each response is shown once on each side, so content
  cancels out: lean = (left picks over both judgments of all couples) / (2 × couples) − 0.5.
- Fast answers: judgments flagged `fast` at submit (under the reading floor), and their share of the
  answers (ties and decisive; a skip is no answer, and never fast).
- Lean from choices: left rate over all decisive judgments − 0.5 (confounded with content when
  positions are not balanced; the two leans above are not).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.columns import LEFT, SKIP, decisive
from analytics.metrics.jsonable import to_jsonable
from analytics.metrics.proportions import proportion_summary

RECENT_GOLD = 10


def probe_couples(judgments: pd.DataFrame) -> pd.DataFrame:
    """One row per swapped repeat whose original and repeat are both decisive: annotator,
    consistent (same response chosen twice) and left_picks (0, 1 or 2 over the two showings)."""
    chosen = decisive(judgments)
    probes = chosen[chosen["probe_of"].notna()]
    originals = chosen.set_index("judgment_id")
    probes = probes[probes["probe_of"].astype("int64").isin(originals.index)]
    original = originals.loc[probes["probe_of"].astype("int64")]
    return pd.DataFrame(
        {
            "annotator": probes["annotator"].to_numpy(),
            "consistent": (probes["chosen_response"].to_numpy() == original["chosen_response"].to_numpy()),
            "left_picks": (probes["side"].to_numpy() == LEFT).astype(int) + (original["side"].to_numpy() == LEFT),
        }
    )


def gold_figures(rows: pd.DataFrame, *, recent: int = RECENT_GOLD) -> dict:
    """Gold accuracy overall and over the last `recent` gold answers, and the lean from gold, for one
    annotator's judgments (ordered by judgment_id)."""
    gold = decisive(rows[rows["is_gold"] & (rows["gold_answer"] != "")]).sort_values("judgment_id")  # still gold
    correct = (gold["chosen_response"] == gold["gold_answer"]).to_numpy()
    picked_left = (gold["side"] == LEFT).to_numpy()
    gold_left = (gold["left_response"] == gold["gold_answer"]).to_numpy()
    a = picked_left[gold_left].mean() if gold_left.any() else np.nan
    b = picked_left[~gold_left].mean() if (~gold_left).any() else np.nan
    return {
        "accuracy": proportion_summary(successes=int(correct.sum()), n=len(correct)),
        "recent_accuracy": proportion_summary(successes=int(correct[-recent:].sum()), n=len(correct[-recent:])),
        "lean": (a + b) / 2 - 0.5 if not (np.isnan(a) or np.isnan(b)) else None,
        "left_when_gold_left": a,
        "left_when_gold_right": b,
    }


def probe_figures(couples: pd.DataFrame) -> dict:
    """Consistency and the content-free lean of one annotator's probe couples."""
    n = len(couples)
    return {
        "couples": n,
        "consistency": proportion_summary(successes=int(couples["consistent"].sum()), n=n),
        "lean": float(couples["left_picks"].sum()) / (2 * n) - 0.5 if n else None,
    }


def quality_by_annotator(judgments: pd.DataFrame, *, recent: int = RECENT_GOLD) -> list[dict]:
    """Per annotator: judgments, decisive, median dwell, fast answers, lean from choices, gold and
    probe figures (module docstring). JSON-ready."""
    couples = probe_couples(judgments)
    rows = []
    for annotator, own in judgments.groupby("annotator", sort=True):
        chosen = decisive(own)
        # A skip is no answer, and never fast: counted, it diluted the share (the dashboard's does not count it).
        answers = own["fast"][own["side"] != SKIP]
        dwell = own["dwell_ms"].dropna()
        rows.append(
            {
                "annotator": annotator,
                "judgments": len(own),
                "decisive": len(chosen),
                "median_dwell_ms": float(dwell.median()) if len(dwell) else None,
                "fast": int(own["fast"].sum()),
                "fast_share": float(answers.mean()) if len(answers) else None,
                "lean_from_choices": float((chosen["side"] == LEFT).mean() - 0.5) if len(chosen) else None,
                "gold": gold_figures(own, recent=recent),
                "probes": probe_figures(couples[couples["annotator"] == annotator]),
            }
        )
    return to_jsonable(rows)


def probe_consistency_column(judgments: pd.DataFrame) -> pd.Series:
    """The optional `probe_consistent` column of the judgment table: 1/0 on swapped repeats whose
    original and repeat are both decisive, NaN elsewhere (it feeds the fatigue curves)."""
    chosen = judgments.set_index("judgment_id")["chosen_response"]
    original = judgments["probe_of"].map(chosen)
    both = judgments["chosen_response"].isin(["a", "b"]) & original.isin(["a", "b"])
    return pd.Series(
        np.where(both, (judgments["chosen_response"] == original).astype(float), np.nan), index=judgments.index
    )


def gold_correct_column(judgments: pd.DataFrame) -> pd.Series:
    """The optional `gold_correct` column of the judgment table, scored against the pair's current gold
    answer as `gold_figures` and the scorecards score it: 1/0 on decisive gold judgments of pairs that
    still have a gold answer, NaN elsewhere. (The stored `Judgment.gold_correct` keeps the answer of
    the moment it was written, for the pause rule; a lead's correction must reach the report.)"""
    scored = (
        judgments["is_gold"].astype(bool)
        & (judgments["gold_answer"] != "")
        & judgments["chosen_response"].isin(["a", "b"])
    )
    correct = (judgments["chosen_response"] == judgments["gold_answer"]).astype(float)
    return pd.Series(np.where(scored, correct, np.nan), index=judgments.index)
