"""Reliability-weighted aggregation: Dawid–Skene (crowd-kit) over decisive votes. No Django.

Plain majority treats every annotator alike. Dawid–Skene estimates each annotator's confusion
matrix by EM and weighs their votes by it, so two reliable annotators outvote a random clicker
even on pairs where the clicker's vote ties or flips the count. Each pair's posterior probability
of its winner is the record's `confidence`.

Which response is `a` means nothing to the annotators (they see left and right, drawn by the
server), but it is not random: an import stores the source's chosen response as `a`. Fit on the
labels as stored, the model learned that prior (a large P(a) wherever annotators mostly agree
with the source) and let it outvote
unanimous annotators, putting the source's label back into data collected to replace it. So the
model is fit on every pair in both orientations (a second task with `a` and `b` swapped): the
prior is one half, each annotator's errors are the same whichever response is `a`, and relabelling
any pair swaps its winner and keeps its confidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from crowdkit.aggregation import DawidSkene

DECISIVE = ("a", "b")
N_ITER = 100


def dawid_skene_aggregate(*, rows: Iterable[Mapping[str, Any]], key: str = "pair_id") -> dict[Any, tuple[str, float]]:
    """{pair: (winner "a"/"b", posterior of the winner)} over the decisive votes in `rows` (mappings
    with `key`, "annotator_id" and "chosen_response"). Pairs without a decisive vote are absent.
    Exact ties of the posterior (e.g. one vote each from identical annotators) have no winner."""
    swapped = {"a": "b", "b": "a"}
    votes = []
    for row in rows:
        if row["chosen_response"] in DECISIVE:
            label = row["chosen_response"]
            votes.append({"task": (row[key], False), "worker": row["annotator_id"], "label": label})
            votes.append({"task": (row[key], True), "worker": row["annotator_id"], "label": swapped[label]})
    if not votes:
        return {}
    posterior = DawidSkene(n_iter=N_ITER).fit_predict_proba(pd.DataFrame(votes))
    outcome = {}
    for (task, mirrored), row in posterior[list(DECISIVE)].iterrows():
        if mirrored:
            continue
        if row["a"] != row["b"]:
            winner = "a" if row["a"] > row["b"] else "b"
            outcome[task] = (winner, float(row[winner]))
    return outcome
