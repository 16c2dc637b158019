"""Reliability-weighted aggregation: Dawid–Skene (crowd-kit) over decisive votes. No Django.

Plain majority treats every annotator alike. Dawid–Skene estimates each annotator's confusion
matrix by EM and weighs their votes by it, so two reliable annotators outvote a random clicker
even on pairs where the clicker's vote ties or flips the count. Each pair's posterior probability
of its winner is the record's `confidence`.
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
    votes = [
        {"task": row[key], "worker": row["annotator_id"], "label": row["chosen_response"]}
        for row in rows
        if row["chosen_response"] in DECISIVE
    ]
    if not votes:
        return {}
    posterior = DawidSkene(n_iter=N_ITER).fit_predict_proba(pd.DataFrame(votes))
    for label in DECISIVE:
        if label not in posterior.columns:
            posterior[label] = 0.0
    outcome = {}
    for task, row in posterior[list(DECISIVE)].iterrows():
        if row["a"] != row["b"]:
            winner = "a" if row["a"] > row["b"] else "b"
            outcome[task] = (winner, float(row[winner]))
    return outcome
