"""What the sitting, assignment and judgment services share: errors, constants, pair counters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, PositiveIntegerField, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.utils import timezone

from annotate.models import (
    AnnotationSession,
    Assignment,
    AssignmentState,
    Judgment,
    Pair,
    PairStatus,
    Project,
    Response,
    Side,
)

# A pause shorter than this (or than the project's break, if longer) does not count as rest, so the
# working stretch behind `Judgment.since_break_ms` goes on across sittings.
REST_MINUTES = 5
# Live leases one sitting may hold: the pair on screen and one prefetched.
MAX_LIVE_LEASES = 2
# Expired leases released per next-pair request; the periodic sweep catches up on any backlog.
EXPIRE_BATCH = 50
MAX_RATIONALE_CHARS = 5000


class AnnotationError(Exception):
    """A refused request, with a stable `code` for clients and the sitting it concerns, if any; for a
    start refused for a break ("on_break"), when that break ends for the project asked about."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        sitting: AnnotationSession | None = None,
        break_until: dt.datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.sitting = sitting
        self.break_until = break_until


@dataclass(frozen=True)
class SubmitResult:
    judgment: Judgment
    sitting: AnnotationSession
    created: bool


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _k_now() -> Subquery:
    """The k of the updated pair's project, read by the UPDATE itself rather than from a Project loaded
    earlier in the request: a lead may have changed it since. Use it only in a statement that runs
    once the pair's row lock is held, so that its snapshot includes any change of k whose
    `pair_statuses_refresh` held that lock."""
    return Subquery(Project.objects.filter(pk=OuterRef("project_id")).values("judgments_per_pair")[:1])


def _status_after(*, judgments, leases, k) -> Case:
    """The pair's queue status, as an SQL expression over its new judgment and lease counts."""
    total = judgments + leases
    return Case(
        When(GreaterThanOrEqual(total, k), then=Value(PairStatus.FULL)),
        When(GreaterThan(total, 0), then=Value(PairStatus.STARTED)),
        default=Value(PairStatus.FRESH),
    )


# The judgments a pair's side counters count: not skips.
COUNTED_SIDES = (Side.LEFT, Side.RIGHT, Side.TIE)
# Gold pairs and probes live outside the k-queue: their leases never touch a pair's lease count.
EXTRA_KIND = ("is_gold", "probe_of_id")
# The columns of a lease row that `_leases_released` reads: (id, pair_id, is_gold, probe_of_id, left_response).
LEASE_ROW = ("id", "pair_id", *EXTRA_KIND, "left_response")


def side_counter(left: str) -> str:
    """The pair's counter of the side shown on the left: `a_left_count` or `b_left_count`."""
    return "a_left_count" if left == Response.A else "b_left_count"


def _of_kind(*, gold: bool) -> Q:
    """The pair is (still) of the kind a lease was taken as: gold, or in the k-queue."""
    return ~Q(gold_answer="") if gold else Q(gold_answer="")


def side_given_back(left: str, *, gold: bool) -> dict:
    """The update that gives back the side a lease (`gold` or queue) showed on the left, for
    `Pair.objects.filter(pk=...).update(**...)`. A pair's side counters count the live leases and the
    judgments of its kind now only (`pairs_sides_recount`), so a lease taken as the other kind, before
    a lead set or cleared the pair's gold answer, gives nothing back. Read by the UPDATE itself, under
    the pair's lock, as the gold change that recounts takes it."""
    counter = side_counter(left)
    return {
        counter: Case(
            When(_of_kind(gold=gold), then=F(counter) - 1), default=F(counter), output_field=PositiveIntegerField()
        )
    }


def pairs_sides_recount(pairs: QuerySet[Pair]) -> None:
    """Set the side counters of `pairs` to their live leases and counted judgments (not skips, not
    probes) of each pair's kind now, gold or queue. A lead who sets or clears a gold answer changes a
    pair's kind; counted across both, the queue judgments a pair collects after its gold answer was
    cleared were balanced against its gold judgments, not among themselves (found by the concurrency
    audit). Precondition: inside a transaction holding the pairs' locks."""

    def shown(left: str, *, gold: bool):
        def rows(model, **where):
            counted = (
                model.objects.filter(pair=OuterRef("pk"), probe_of__isnull=True, is_gold=gold, left_response=left)
                .filter(**where)
                .order_by()
                .values("pair")
                .annotate(n=Count("*"))
                .values("n")
            )
            return Coalesce(Subquery(counted), 0)

        return rows(Assignment, state=AssignmentState.LEASED) + rows(Judgment, side__in=COUNTED_SIDES)

    for gold in (True, False):
        pairs.filter(_of_kind(gold=gold)).update(
            a_left_count=shown(Response.A, gold=gold), b_left_count=shown(Response.B, gold=gold)
        )


def _leases_released(rows: list[tuple]) -> list[tuple[int, str, bool]]:
    """(pair_id, left_response, in_queue) of the `LEASE_ROW` rows whose pair counts them: queue and
    gold leases (gold ones hold no place in the k-queue); probes count nowhere."""
    return [(pair_id, left, not is_gold) for _, pair_id, is_gold, probe_of, left in rows if probe_of is None]


def _pairs_lock(*, pair_ids) -> None:
    """Lock these pairs in id order, as every transaction that updates pairs does. A pair's update
    that reads k (`_k_now`) must come after its lock, in a later statement (see `pair_statuses_refresh`)."""
    if pair_ids:
        list(Pair.objects.select_for_update(no_key=True).filter(pk__in=pair_ids).order_by("pk").values_list("pk"))


def _pairs_release_leases(*, leases: list[tuple[int, str, bool]]) -> None:
    """Give back one lease per (pair_id, left_response, in_queue) from `_leases_released`. The side it
    showed on the left goes back too: a pair's side counters count its live leases and its judgments
    that count (not skips), so that the sides of the judgments a pair ends with are counterbalanced,
    not those of every lease it ever had. A queue lease also leaves the lease count. Precondition:
    inside a transaction holding the pairs' locks (`_pairs_lock`)."""
    for pair_id, left, in_queue in sorted(leases):
        changes = side_given_back(left, gold=not in_queue)
        if in_queue:
            changes["lease_count"] = F("lease_count") - 1
            changes["status"] = _status_after(judgments=F("judgment_count"), leases=F("lease_count") - 1, k=_k_now())
        Pair.objects.filter(pk=pair_id).update(**changes)
