"""From judgments to one outcome per pair (or one record per judgment). Pure: no Django, no I/O.

A *vote* is one judgment reduced to what aggregation needs: `chosen_response` ('a', 'b', or '' for a
tie or a skip), `side` ('left', 'right', 'tie', 'skip'), `left_response` ('a' or 'b', the response
shown on the left), `dwell_ms` and `strength` (None when not measured / not asked). Votes may be given
as `Vote`s or as any mappings with those keys, e.g. rows of
``Judgment.objects.values("pair_id", "chosen_response", "side", "left_response", "dwell_ms", "strength")``.

Definitions:

- decisive vote: one with `chosen_response` 'a' or 'b'; ties and skips are not decisive.
- winner: the response with strictly more decisive votes than the other. Equal counts, including
  zero decisive votes, mean no majority: the pair is left out of the export and counted.
- `n_judgments`: all votes given for the pair (decisive or not); `n_decisive`: the decisive ones.
- `agreement`: the winner's decisive votes / `n_decisive` (in (0.5, 1]).
- `shown_left_counts`: {"a": votes that showed response a on the left, "b": … b …}, over all votes.
- `median_dwell_ms`: median of the votes' `dwell_ms` that are not None (None if there are none).
- `mean_strength`: mean of the votes' `strength` that are not None (None if there are none).
"""

from __future__ import annotations

import statistics
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)

DECISIVE = ("a", "b")
# The judgment columns a per-judgment record carries: who, where in the sitting, how tired, how long.
PER_JUDGMENT_FIELDS = (
    "judgment_id",
    "annotator_id",
    "sitting_id",
    "side",
    "left_response",
    "strength",
    "dwell_ms",
    "served_at",
    "answered_at",
    "index_in_sitting",
    "elapsed_in_sitting_ms",
    "since_break_ms",
    "sitting_ordinal_today",
    "viewport_width",
    "viewport_height",
)


@dataclass(frozen=True, slots=True)
class Vote:
    chosen_response: str
    side: str = ""
    left_response: str = ""
    dwell_ms: int | None = None
    strength: int | None = None

    @classmethod
    def of(cls, vote: Vote | Mapping[str, Any]) -> Vote:
        """A Vote from a Vote or a mapping holding at least `chosen_response`."""
        if isinstance(vote, Vote):
            return vote
        return cls(
            chosen_response=vote["chosen_response"] or "",
            side=vote.get("side") or "",
            left_response=vote.get("left_response") or "",
            dwell_ms=vote.get("dwell_ms"),
            strength=vote.get("strength"),
        )


@dataclass(frozen=True, slots=True)
class PairOutcome:
    """The aggregate of one pair's votes; `winner` is None when there is no majority."""

    winner: str | None
    n_judgments: int
    n_decisive: int
    agreement: float | None
    shown_left_counts: dict[str, int]
    median_dwell_ms: float | None
    mean_strength: float | None

    def metadata(self) -> dict[str, Any]:
        """The record's metadata columns, in a fixed order and with fixed types (floats stay floats
        even when whole), so that JSON, Parquet and `datasets` all infer one schema."""
        return {
            "n_judgments": self.n_judgments,
            "n_decisive": self.n_decisive,
            "agreement": self.agreement,
            "shown_left_counts": dict(self.shown_left_counts),
            "median_dwell_ms": self.median_dwell_ms,
            "mean_strength": self.mean_strength,
        }


@dataclass(slots=True)
class Aggregation(Generic[K]):
    """Outcomes of the pairs that have a winner, in input order, and the pairs left out."""

    outcomes: dict[K, PairOutcome] = field(default_factory=dict)
    no_majority: list[K] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"pairs_in": len(self.outcomes) + len(self.no_majority), "pairs_without_majority": len(self.no_majority)}


def votes_aggregate(*, votes: Iterable[Vote | Mapping[str, Any]]) -> PairOutcome:
    """Aggregate one pair's votes by the definitions in this module's docstring."""
    votes = [Vote.of(vote) for vote in votes]
    count_a = sum(1 for vote in votes if vote.chosen_response == "a")
    count_b = sum(1 for vote in votes if vote.chosen_response == "b")
    n_decisive = count_a + count_b
    winner = "a" if count_a > count_b else "b" if count_b > count_a else None
    dwells = [vote.dwell_ms for vote in votes if vote.dwell_ms is not None]
    strengths = [vote.strength for vote in votes if vote.strength is not None]
    return PairOutcome(
        winner=winner,
        n_judgments=len(votes),
        n_decisive=n_decisive,
        agreement=max(count_a, count_b) / n_decisive if winner else None,
        shown_left_counts={
            "a": sum(1 for vote in votes if vote.left_response == "a"),
            "b": sum(1 for vote in votes if vote.left_response == "b"),
        },
        median_dwell_ms=float(statistics.median(dwells)) if dwells else None,
        mean_strength=statistics.fmean(strengths) if strengths else None,
    )


def pairs_aggregate(*, votes_by_pair: Mapping[K, Sequence[Vote | Mapping[str, Any]]]) -> Aggregation[K]:
    """Aggregate every pair; pairs without a majority go to `no_majority` (their count is what the
    manifest reports). Keys are whatever identifies a pair for the caller (its id, usually)."""
    result: Aggregation[K] = Aggregation()
    for key, votes in votes_by_pair.items():
        outcome = votes_aggregate(votes=votes)
        if outcome.winner is None:
            result.no_majority.append(key)
        else:
            result.outcomes[key] = outcome
    return result


def votes_group(*, rows: Iterable[Mapping[str, Any]], key: str = "pair_id") -> dict[Any, list[Mapping[str, Any]]]:
    """Group judgment rows by `key`, keeping the rows' order; feed the result to `pairs_aggregate`."""
    grouped: dict[Any, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _json_value(value: Any) -> Any:
    # Datetimes become ISO 8601 strings: JSON has no time type, and the string is the same every run.
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def judgment_metadata(*, row: Mapping[str, Any], fields: Sequence[str] = PER_JUDGMENT_FIELDS) -> dict[str, Any]:
    """The per-judgment metadata columns of `row`, in `fields` order; missing fields are None so every
    record has the same columns; datetimes as ISO 8601 strings."""
    return {name: _json_value(row.get(name)) for name in fields}


@dataclass(slots=True)
class PerJudgment(Generic[K]):
    """Per-judgment mode: `records` holds (key, winner, metadata) for each decisive judgment, in input
    order; ties and skips cannot name a chosen response, so they are left out and counted."""

    records: list[tuple[K, str, dict[str, Any]]] = field(default_factory=list)
    ties: int = 0
    skips: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "judgments_in": len(self.records) + self.ties + self.skips,
            "ties_excluded": self.ties,
            "skips_excluded": self.skips,
        }


def judgments_per_record(
    *, rows: Iterable[Mapping[str, Any]], key: str = "pair_id", fields: Sequence[str] = PER_JUDGMENT_FIELDS
) -> PerJudgment[Any]:
    """One record per decisive judgment: (row[key], the chosen response 'a'/'b', `judgment_metadata`).
    A non-decisive row counts as a skip when its `side` is 'skip', otherwise as a tie."""
    result: PerJudgment[Any] = PerJudgment()
    for row in rows:
        chosen = row["chosen_response"] or ""
        if chosen in DECISIVE:
            result.records.append((row[key], chosen, judgment_metadata(row=row, fields=fields)))
        elif row.get("side") == "skip":
            result.skips += 1
        else:
            result.ties += 1
    return result
