"""The column contract of the judgment and pair tables (see the package docstring), and binning."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

LEFT, RIGHT, TIE, SKIP = "left", "right", "tie", "skip"
DECISIVE_SIDES = (LEFT, RIGHT)

JUDGMENT_COLUMNS = (
    "annotator",
    "pair_id",
    "side",
    "chosen_response",
    "left_response",
    "dwell_ms",
    "index_in_sitting",
    "elapsed_in_sitting_ms",
    "since_break_ms",
)
OPTIONAL_JUDGMENT_COLUMNS = ("source_preference", "gold_correct", "probe_consistent", "sitting_id")
PAIR_WORD_COLUMNS = (
    "words_context",
    "words_response_a",
    "words_response_b",
    "words_transcript_a",
    "words_transcript_b",
)

# Bins are half-open [low, high); the last one is open-ended.
INDEX_EDGES: tuple[float, ...] = (1, 6, 11, 21, 31, 41, np.inf)
MINUTE_EDGES: tuple[float, ...] = (0, 5, 10, 15, 20, 25, 30, np.inf)
SINCE_BREAK_MINUTE_EDGES: tuple[float, ...] = (0, 15, 30, 60, 120, np.inf)
MS_PER_MINUTE = 60_000


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, table: str) -> None:
    """Raise ValueError naming every column of `columns` that `frame` lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"the {table} table lacks column(s): {', '.join(missing)}")


def decisive(judgments: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The judgments that chose a side (left or right): ties and skips removed; only `columns`
    when given (selecting first spares copying the other columns of a large table)."""
    mask = judgments["side"].isin(DECISIVE_SIDES)
    return (judgments if columns is None else judgments[list(columns)])[mask]


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Labels of the half-open bins [edges[i], edges[i+1]), e.g. "[6, 11)"; the open-ended last
    bin reads "≥ 41"."""
    labels = []
    for low, high in itertools.pairwise(edges):
        labels.append(f"≥ {low:g}" if np.isinf(high) else f"[{low:g}, {high:g})")
    return labels


def assign_bins(values: pd.Series, edges: Sequence[float]) -> pd.Series:
    """The bin number (0-based, into `edges`) of each value, -1 for values outside or missing."""
    codes = pd.cut(values.astype(float), bins=list(edges), right=False, labels=False)
    return codes.fillna(-1).astype(int)


def minutes(milliseconds: pd.Series) -> pd.Series:
    """Milliseconds as float minutes (missing stays NaN)."""
    return milliseconds.astype(float) / MS_PER_MINUTE
