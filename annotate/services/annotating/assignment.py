"""Assignment: the next pair for an annotator (queue, gold, probes), leases and their expiry."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q

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
from annotate.services.annotating.common import (
    EXPIRE_BATCH,
    LEASE_ROW,
    MAX_LIVE_LEASES,
    AnnotationError,
    _k_now,
    _leases_released,
    _now,
    _pairs_lock,
    _pairs_release_leases,
    _status_after,
    side_counter,
)
from annotate.services.annotating.sittings import _sitting_enforce_limits, _sitting_lock_latest


def leases_expire(*, project: Project, now: dt.datetime | None = None, limit: int = EXPIRE_BATCH) -> int:
    """Send leases past their expiry back to the pool (periodic sweep). Returns how many."""
    with transaction.atomic():
        return _leases_expire(project=project, now=_now(now), limit=limit)


def _leases_expire(*, project: Project, now: dt.datetime, limit: int) -> int:
    """Precondition: inside a transaction. Locks with SKIP LOCKED, so it never waits on a submit."""
    expired = list(
        Assignment.objects.select_for_update(skip_locked=True)
        .filter(project=project, state=AssignmentState.LEASED, expires_at__lte=now)
        .order_by("expires_at")
        .values_list(*LEASE_ROW)[:limit]
    )
    if expired:
        Assignment.objects.filter(pk__in=[row[0] for row in expired]).update(state=AssignmentState.EXPIRED)
        release = _leases_released(expired)
        _pairs_lock(pair_ids={pair_id for pair_id, _, _ in release})
        _pairs_release_leases(leases=release)
    return len(expired)


def _pairs_lock_all(*, project: Project) -> None:
    """Lock every pair of the project, in id order, without bringing their ids into Python (a project
    may hold millions). SQLite has one writer at a time, so nothing is in flight there to wait for."""
    if connection.vendor != "postgresql":
        return
    pairs = connection.ops.quote_name(Pair._meta.db_table)  # a table name, not input
    locking = f"SELECT 1 FROM {pairs} WHERE project_id = %s ORDER BY id FOR NO KEY UPDATE"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({locking}) AS locked", [project.pk])  # noqa: S608


def pair_statuses_refresh(*, project: Project) -> int:
    """Recompute the queue status of the project's pairs from their counters and the project's k,
    after a lead changed k: lowered, pairs that now have k judgments leave the queue; raised, full
    pairs come back. Returns how many pairs changed. Precondition: inside the transaction that saved
    the new k, and `project` holds it.

    Every pair of the project is locked first, in id order. That waits for the claims, answers and
    releases already updating a pair with the old k; those that come later lock their pair before
    the update that reads k (`common._k_now`), so they read the new one. Without the locks, a pair
    updated meanwhile kept its status under the old k: full below the new k, or open at it."""
    _pairs_lock_all(project=project)
    status = _status_after(judgments=F("judgment_count"), leases=F("lease_count"), k=project.judgments_per_pair)
    return Pair.objects.filter(project=project).exclude(status=status).update(status=status)


def _choose_left(*, a_left: int, b_left: int) -> str:
    """Counterbalance: the response that the pair's live leases and counted judgments show on the left
    less often goes left (`common._pairs_release_leases`); a coin decides ties."""
    if a_left != b_left:
        return Response.A if a_left < b_left else Response.B
    return random.choice((Response.A, Response.B))


def _pair_claim(*, project: Project, annotator: AbstractBaseUser) -> Pair | None:
    """Lock the next pair for this annotator: open (fewer than k judgments + live leases), never
    given to them before, started pairs first, then by the random sort key. One statement using the
    partial index `pair_queue`; `SKIP LOCKED` lets concurrent requests take different rows."""
    seen = Assignment.objects.filter(pair=OuterRef("pk"), annotator=annotator)
    return (
        Pair.objects.select_for_update(skip_locked=True)
        .filter(project=project, status__lt=PairStatus.FULL, gold_answer="")
        .filter(~Exists(seen))
        .order_by("-status", "sort_key")
        .first()
    )


def _gold_claim(*, project: Project, annotator: AbstractBaseUser) -> Pair | None:
    """A gold pair this annotator has not seen (gold pairs are not capped by k), while the queue has a
    pair for them too, or the project none at all (a test of gold pairs only). Served once the queue had
    none, a pair that came after "no pair is available" was gold every time, and the annotator knew
    which answers were checked (found by the gaming audit)."""
    seen = Assignment.objects.filter(pair=OuterRef("pk"), annotator=annotator)
    queue = Pair.objects.filter(project=project, gold_answer="")
    open_for_them = queue.filter(status__lt=PairStatus.FULL).filter(~Exists(seen))
    # In the claim's own statement (the review: checked apart, it cost one or two statements more).
    return (
        Pair.objects.select_for_update(skip_locked=True)
        .filter(project=project)
        .exclude(gold_answer="")
        .filter(~Exists(seen))
        .filter(Q(Exists(open_for_them)) | ~Exists(queue))
        .order_by("sort_key")
        .first()
    )


def _probe_original(*, project: Project, annotator: AbstractBaseUser) -> Judgment | None:
    """A decisive, not yet probed judgment of this annotator with at least `probe_min_gap` of their
    judgments after it, chosen at random among the oldest few."""
    gap = max(project.probe_min_gap, 1)
    mine = Judgment.objects.filter(project=project, annotator=annotator)
    cutoff = mine.order_by("-id").values_list("id", flat=True)[gap - 1 : gap].first()
    if cutoff is None:
        return None
    candidates = list(
        mine.filter(
            id__lt=cutoff,
            side__in=[Side.LEFT, Side.RIGHT],
            is_gold=False,
            probe_of__isnull=True,
            probe_assignment__isnull=True,
        ).order_by("id")[:20]
    )
    return random.choice(candidates) if candidates else None


def assignment_next(
    *,
    project: Project,
    annotator: AbstractBaseUser,
    exclude: tuple[int, ...] | list[int] = (),
    now: dt.datetime | None = None,
) -> tuple[Assignment | None, AnnotationSession]:
    """The pair to show next in the annotator's open sitting.

    Returns the oldest live lease of the sitting not in `exclude` (a reloaded page gets its pair
    back), else leases a new pair, at most MAX_LIVE_LEASES at once and never past the item limit.
    Returns (None, sitting) when no pair is available. Raises AnnotationError without an open sitting.
    """
    now = _now(now)
    with transaction.atomic():
        sitting = _sitting_lock_latest(project=project, annotator=annotator)
        if sitting is None:
            raise AnnotationError("Start a sitting first.", code="no_sitting")
        _sitting_enforce_limits(sitting=sitting, now=now)
        if sitting.is_open:
            return _assignment_lease(project=project, annotator=annotator, sitting=sitting, exclude=exclude, now=now)
    # Raised after the block, so that a sitting closed by a limit stays closed.
    raise AnnotationError("This sitting has ended.", code="sitting_ended", sitting=sitting)


def _assignment_lease(
    *,
    project: Project,
    annotator: AbstractBaseUser,
    sitting: AnnotationSession,
    exclude: tuple[int, ...] | list[int],
    now: dt.datetime,
) -> tuple[Assignment | None, AnnotationSession]:
    """Precondition: inside a transaction holding the open sitting's row lock."""
    live = list(
        Assignment.objects.select_related("pair")
        .filter(sitting=sitting, state=AssignmentState.LEASED, expires_at__gt=now)
        .order_by("served_at", "id")
    )
    for assignment in live:
        if assignment.id not in exclude:
            return assignment, sitting
    if len(live) >= MAX_LIVE_LEASES or sitting.items_done + len(live) >= sitting.item_limit:
        return None, sitting
    expires = now + sitting.lease
    draw = random.random()
    if draw < project.probe_rate:
        original = _probe_original(project=project, annotator=annotator)
        if original is not None:
            # The same pair again, sides swapped; recorded as a probe and never counted toward k.
            assignment = Assignment.objects.create(
                project=project,
                pair_id=original.pair_id,
                annotator=annotator,
                sitting=sitting,
                left_response=Response.B if original.left_response == Response.A else Response.A,
                served_at=now,
                expires_at=expires,
                probe_of=original,
            )
            return assignment, sitting
    gold = draw >= 1 - project.gold_rate and _gold_claim(project=project, annotator=annotator)
    claimed = gold or _pair_claim(project=project, annotator=annotator)
    if claimed is None and _leases_expire(project=project, now=now, limit=EXPIRE_BATCH):
        # Expired leases go back to the pool here when nothing else is left, and every minute by the
        # periodic sweep otherwise; the hot path does not look for them on every request.
        claimed = _pair_claim(project=project, annotator=annotator)
    if claimed is None:
        return None, sitting
    left = _choose_left(a_left=claimed.a_left_count, b_left=claimed.b_left_count)
    assignment = Assignment.objects.create(
        project=project,
        pair=claimed,
        annotator=annotator,
        sitting=sitting,
        left_response=left,
        served_at=now,
        expires_at=expires,
        is_gold=bool(gold),
    )
    counter = side_counter(left)
    if gold:
        Pair.objects.filter(pk=claimed.id).update(**{counter: F(counter) + 1})
    else:
        # The claim holds the pair's lock; k is read by the update, not from `project` (see `_k_now`).
        Pair.objects.filter(pk=claimed.id).update(
            lease_count=F("lease_count") + 1,
            **{counter: F(counter) + 1},
            status=_status_after(judgments=F("judgment_count"), leases=F("lease_count") + 1, k=_k_now()),
        )
    return assignment, sitting
