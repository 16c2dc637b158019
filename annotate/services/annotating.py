"""Sittings, assignment of pairs and judgments: the writes behind the annotator's page and API.

Lock order, everywhere: the sitting row, then assignment rows, then pair rows (by id). Every write
here runs inside `transaction.atomic()`; a caller sees its result only after the commit.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.expressions import Case, When
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.utils import timezone

from annotate.models import (
    AnnotationSession,
    Assignment,
    AssignmentState,
    AuditEvent,
    EndReason,
    Judgment,
    Membership,
    Pair,
    PairStatus,
    Project,
    Response,
    Safety,
    Side,
    Strength,
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
    """A refused request, with a stable `code` for clients and the sitting it concerns, if any."""

    def __init__(self, message: str, *, code: str, sitting: AnnotationSession | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.sitting = sitting


@dataclass(frozen=True)
class SubmitResult:
    judgment: Judgment
    sitting: AnnotationSession
    created: bool


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _status_after(*, judgments, leases, k: int) -> Case:
    """The pair's queue status, as an SQL expression over its new judgment and lease counts."""
    total = judgments + leases
    return Case(
        When(GreaterThanOrEqual(total, k), then=Value(PairStatus.FULL)),
        When(GreaterThan(total, 0), then=Value(PairStatus.STARTED)),
        default=Value(PairStatus.FRESH),
    )


# Gold pairs and probes live outside the k-queue: their leases never touch a pair's lease count.
EXTRA_KIND = ("is_gold", "probe_of_id")


def _queue_pair_ids(rows: list[tuple]) -> list[int]:
    """The pair ids of (id, pair_id, is_gold, probe_of_id) lease rows that hold a place in the queue."""
    return [pair_id for _, pair_id, is_gold, probe_of in rows if not is_gold and probe_of is None]


def _pairs_release_leases(*, pair_ids: list[int], k: int) -> None:
    """Give one lease back per listed pair id (an id may repeat). Precondition: inside a transaction."""
    for pair_id in sorted(pair_ids):
        Pair.objects.filter(pk=pair_id).update(
            lease_count=F("lease_count") - 1,
            status=_status_after(judgments=F("judgment_count"), leases=F("lease_count") - 1, k=k),
        )


# Sittings ---------------------------------------------------------------------------------------


def _sitting_close(*, sitting: AnnotationSession, reason: str, ended_at: dt.datetime) -> None:
    """End an open sitting, start its break and release its unanswered leases.

    Precondition: inside a transaction holding the sitting's row lock."""
    project = sitting.project
    sitting.ended_at = ended_at
    sitting.end_reason = reason
    sitting.break_until = ended_at + dt.timedelta(minutes=project.break_minutes)
    sitting.save(update_fields=["ended_at", "end_reason", "break_until"])
    live = list(
        Assignment.objects.filter(sitting=sitting, state=AssignmentState.LEASED).values_list(
            "id", "pair_id", *EXTRA_KIND
        )
    )
    if live:
        Assignment.objects.filter(pk__in=[row[0] for row in live]).update(state=AssignmentState.RELEASED)
        _pairs_release_leases(pair_ids=_queue_pair_ids(live), k=project.judgments_per_pair)


def _sitting_enforce_limits(*, sitting: AnnotationSession, now: dt.datetime) -> None:
    """Close the sitting if the server's clock says its time or idle limit has passed.

    Precondition: inside a transaction holding the sitting's row lock."""
    if not sitting.is_open:
        return
    idle_end = sitting.last_activity_at + dt.timedelta(minutes=sitting.project.idle_timeout_minutes)
    if now >= sitting.deadline and sitting.deadline <= idle_end:
        _sitting_close(sitting=sitting, reason=EndReason.TIME, ended_at=sitting.deadline)
    elif now >= idle_end:
        _sitting_close(sitting=sitting, reason=EndReason.IDLE, ended_at=idle_end)


def _sitting_lock_latest(*, project: Project, annotator: AbstractBaseUser) -> AnnotationSession | None:
    return (
        AnnotationSession.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(project=project, annotator=annotator)
        .order_by("-started_at", "-id")
        .first()
    )


def sitting_start(
    *, project: Project, annotator: AbstractBaseUser, now: dt.datetime | None = None
) -> tuple[AnnotationSession, bool]:
    """Open a sitting, or return the one already open (created=False). Refused during a break."""
    now = _now(now)
    paused = Membership.objects.filter(project=project, user=annotator, paused_at__isnull=False).first()
    if paused is not None:
        raise AnnotationError(
            "Your annotation in this project is paused for now; the project lead will be in touch. "
            "Thank you for your work so far.",
            code="paused",
        )
    # Refusals are raised after the block, so that a sitting closed on the way stays closed.
    with transaction.atomic():
        latest = _sitting_lock_latest(project=project, annotator=annotator)
        if latest is not None:
            _sitting_enforce_limits(sitting=latest, now=now)
            if latest.is_open:
                return latest, False
            on_break = latest.break_until is not None and latest.break_until > now
        if latest is None or not on_break:
            return _sitting_open(project=project, annotator=annotator, latest=latest, now=now), True
    raise AnnotationError(
        "You are on a break. The next sitting can start when it ends.", code="on_break", sitting=latest
    )


def _sitting_open(
    *, project: Project, annotator: AbstractBaseUser, latest: AnnotationSession | None, now: dt.datetime
) -> AnnotationSession:
    """Precondition: inside a transaction holding the lock on the annotator's latest sitting."""
    rest = dt.timedelta(minutes=max(REST_MINUTES, project.break_minutes))
    rested = latest is None or latest.ended_at is None or now - latest.ended_at >= rest
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    ordinal = AnnotationSession.objects.filter(annotator=annotator, started_at__gte=day_start).count() + 1
    return AnnotationSession.objects.create(
        project=project,
        annotator=annotator,
        started_at=now,
        deadline=now + dt.timedelta(minutes=project.sitting_minutes),
        item_limit=project.sitting_items,
        last_activity_at=now,
        ordinal_today=ordinal,
        stretch_started_at=now if rested else latest.stretch_started_at,
    )


def sitting_end(*, project: Project, annotator: AbstractBaseUser, now: dt.datetime | None = None) -> AnnotationSession:
    """End the annotator's open sitting by hand (or by a limit that already passed)."""
    now = _now(now)
    with transaction.atomic():
        sitting = _sitting_lock_latest(project=project, annotator=annotator)
        if sitting is None or not sitting.is_open:
            raise AnnotationError("There is no open sitting to end.", code="no_sitting", sitting=sitting)
        _sitting_enforce_limits(sitting=sitting, now=now)  # a limit that passed is the true end
        if sitting.is_open:
            _sitting_close(sitting=sitting, reason=EndReason.MANUAL, ended_at=now)
        return sitting


def sitting_refresh(
    *, project: Project, annotator: AbstractBaseUser, now: dt.datetime | None = None
) -> AnnotationSession | None:
    """The annotator's latest sitting, closed first if a time or idle limit has passed, so that
    reads report the server's view of it."""
    now = _now(now)
    with transaction.atomic():
        sitting = _sitting_lock_latest(project=project, annotator=annotator)
        if sitting is not None:
            _sitting_enforce_limits(sitting=sitting, now=now)
        return sitting


def sittings_close_stale(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Close open sittings whose time or idle limit has passed (periodic sweep). Returns how many."""
    now = _now(now)
    closed = 0
    candidates = AnnotationSession.objects.filter(ended_at__isnull=True).filter(
        Q(deadline__lte=now) | Q(last_activity_at__lte=now - dt.timedelta(minutes=1))
    )
    for sitting_id in candidates.values_list("id", flat=True)[:limit]:
        with transaction.atomic():
            sitting = (
                AnnotationSession.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("project")
                .filter(pk=sitting_id, ended_at__isnull=True)
                .first()
            )
            if sitting is None:
                continue
            _sitting_enforce_limits(sitting=sitting, now=now)
            closed += not sitting.is_open
    return closed


# Assignment -------------------------------------------------------------------------------------


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
        .values_list("id", "pair_id", *EXTRA_KIND)[:limit]
    )
    if expired:
        Assignment.objects.filter(pk__in=[row[0] for row in expired]).update(state=AssignmentState.EXPIRED)
        _pairs_release_leases(pair_ids=_queue_pair_ids(expired), k=project.judgments_per_pair)
    return len(expired)


def _choose_left(*, a_left: int, b_left: int) -> str:
    """Counterbalance: the response shown left less often so far goes left; a coin decides ties."""
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
    """A gold pair this annotator has not seen (gold pairs are not capped by k)."""
    seen = Assignment.objects.filter(pair=OuterRef("pk"), annotator=annotator)
    return (
        Pair.objects.select_for_update(skip_locked=True)
        .filter(project=project)
        .exclude(gold_answer="")
        .filter(~Exists(seen))
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
        _leases_expire(project=project, now=now, limit=EXPIRE_BATCH)
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
    expires = now + dt.timedelta(minutes=project.lease_minutes)
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
            return _leased(assignment, sitting, now)
    gold = draw >= 1 - project.gold_rate and _gold_claim(project=project, annotator=annotator)
    claimed = gold or _pair_claim(project=project, annotator=annotator)
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
    counter = "a_left_count" if left == Response.A else "b_left_count"
    if gold:
        Pair.objects.filter(pk=claimed.id).update(**{counter: F(counter) + 1})
    else:
        Pair.objects.filter(pk=claimed.id).update(
            lease_count=F("lease_count") + 1,
            **{counter: F(counter) + 1},
            status=PairStatus.FULL
            if claimed.judgment_count + claimed.lease_count + 1 >= project.judgments_per_pair
            else PairStatus.STARTED,
        )
    return _leased(assignment, sitting, now)


def _leased(assignment: Assignment, sitting: AnnotationSession, now: dt.datetime):
    sitting.last_activity_at = now
    sitting.save(update_fields=["last_activity_at"])
    return assignment, sitting


# Judgments --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the client sends besides the assignment: a side and, where the project asks, more."""

    side: str
    strength: int | None = None
    rationale: str = ""
    criteria: dict[str, str] | None = None
    safety: str = ""
    dwell_ms: int | None = None
    viewport_width: int | None = None
    viewport_height: int | None = None


def _invalid(message: str) -> AnnotationError:
    return AnnotationError(message, code="invalid")


def _validate_answer(*, project: Project, answer: Answer) -> None:
    """Each extra is accepted only where the project switches it on, and then required (a skip
    needs none of them; a tie needs no strength)."""
    allowed = {Side.LEFT, Side.RIGHT} | ({Side.TIE} if project.allow_tie else set())
    allowed |= {Side.SKIP} if project.allow_skip else set()
    if answer.side not in allowed:
        raise AnnotationError(f"side must be one of {', '.join(sorted(allowed))} in this project.", code="invalid_side")
    answering = answer.side != Side.SKIP
    decisive = answer.side in (Side.LEFT, Side.RIGHT)
    if answer.strength is not None and (not project.ask_strength or answer.strength not in Strength.values):
        raise _invalid("strength must be 1 to 4, and only where the project asks for it.")
    if project.ask_strength and decisive and answer.strength is None:
        raise _invalid("This project asks how much better the chosen response is (strength 1 to 4).")
    if answer.rationale and (not project.ask_rationale or len(answer.rationale) > MAX_RATIONALE_CHARS):
        raise _invalid(
            f"A rationale is accepted only where the project asks for it, up to {MAX_RATIONALE_CHARS} characters."
        )
    if project.ask_rationale and answering and len(answer.rationale.strip()) < project.rationale_min_chars:
        raise _invalid(f"Please explain your choice in at least {project.rationale_min_chars} characters.")
    criteria = answer.criteria or {}
    if criteria and not project.criteria:
        raise _invalid("This project does not ask for criteria.")
    if project.criteria and answering:
        wanted = set(project.criteria)
        if set(criteria) != wanted or not set(criteria.values()) <= {Side.LEFT, Side.RIGHT, Side.TIE}:
            raise _invalid(f"Give left, right or tie for each criterion: {', '.join(project.criteria)}.")
    if answer.safety and (not project.ask_safety or answer.safety not in Safety.values):
        raise _invalid(f"safety must be one of {', '.join(Safety.values)}, and only where the project asks for it.")
    if project.ask_safety and answering and not answer.safety:
        raise _invalid("This project asks for a safety label.")


READING_WPM = 238


def reading_floor_ms(*, pair: Pair, factor: float) -> int:
    """The fastest plausible answer: the words of the context and both responses read at 238 words
    per minute, times the project's factor."""
    words = len(pair.context.split()) + len(pair.response_a.split()) + len(pair.response_b.split())
    return int(words / READING_WPM * 60_000 * factor)


def _gold_pause_check(*, project: Project, annotator_id: int, now: dt.datetime) -> None:
    """Pause the annotator when their recent gold accuracy falls below the project's threshold.

    Precondition: inside the transaction that wrote a gold judgment."""
    gold = Judgment.objects.filter(project=project, annotator_id=annotator_id, gold_correct__isnull=False)
    resumed_at = (
        Membership.objects.filter(project=project, user_id=annotator_id).values_list("resumed_at", flat=True).first()
    )
    if resumed_at is not None:
        # A lead's resume starts a fresh window: the answers before it were already acted on.
        gold = gold.filter(answered_at__gt=resumed_at)
    recent = list(gold.order_by("-id").values_list("gold_correct", flat=True)[: project.gold_recent])
    if not recent or len(recent) < project.gold_recent:
        return
    accuracy = sum(recent) / len(recent)
    if accuracy >= project.gold_min_accuracy:
        return
    reason = (
        f"Gold accuracy {accuracy:.0%} over the last {len(recent)} gold pairs "
        f"(threshold {project.gold_min_accuracy:.0%})."
    )
    if Membership.objects.filter(project=project, user_id=annotator_id, paused_at__isnull=True).update(
        paused_at=now, paused_reason=reason
    ):
        AuditEvent.objects.create(project=project, actor=None, subject_id=annotator_id, action="paused", reason=reason)


def judgment_submit(
    *,
    assignment_id: int,
    annotator: AbstractBaseUser,
    side: str,
    now: dt.datetime | None = None,
    **extras,
) -> SubmitResult:
    """Record the annotator's answer to one assignment, written once.

    The chosen response is derived here from the stored left side; the client only sends a side.
    A repeated submit returns the stored judgment (created=False) and writes nothing. Raises
    Assignment.DoesNotExist for someone else's assignment, AnnotationError when the lease or the
    sitting is no longer live."""
    now = _now(now)
    with transaction.atomic():
        # Ownership first, without locks; then the locks in the global order: sitting, assignment.
        sitting_id = Assignment.objects.values_list("sitting_id", flat=True).get(pk=assignment_id, annotator=annotator)
        sitting = AnnotationSession.objects.select_for_update(of=("self",)).select_related("project").get(pk=sitting_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        existing = Judgment.objects.filter(assignment=assignment).first()
        if existing is not None:
            return SubmitResult(judgment=existing, sitting=sitting, created=False)
        answer = Answer(side=side, **extras)
        _validate_answer(project=sitting.project, answer=answer)
        _sitting_enforce_limits(sitting=sitting, now=now)
        if not sitting.is_open:
            refusal = AnnotationError(
                "This sitting has ended; the answer was not recorded.", code="sitting_ended", sitting=sitting
            )
        elif assignment.state != AssignmentState.LEASED:
            refusal = AnnotationError("This pair is no longer yours to answer.", code=assignment.state, sitting=sitting)
        elif assignment.expires_at <= now:
            refusal = AnnotationError(
                "This pair's lease has expired; the answer was not recorded.", code="lease_expired", sitting=sitting
            )
        else:
            judgment = _judgment_record(assignment=assignment, sitting=sitting, answer=answer, now=now)
            return SubmitResult(judgment=judgment, sitting=sitting, created=True)
    # Raised after the block, so that a sitting closed by a limit stays closed.
    raise refusal


def _judgment_record(
    *, assignment: Assignment, sitting: AnnotationSession, answer: Answer, now: dt.datetime
) -> Judgment:
    """Write the judgment and move the counters. Precondition: inside a transaction holding the
    sitting's and the live assignment's row locks."""
    project = sitting.project
    pair = Pair.objects.only("context", "response_a", "response_b", "gold_answer").get(pk=assignment.pair_id)
    side = answer.side
    chosen = {Side.LEFT: assignment.left_response, Side.RIGHT: assignment.right_response}.get(side, "")
    index = sitting.items_done + 1
    floor = reading_floor_ms(pair=pair, factor=project.reading_factor)
    dwell = answer.dwell_ms if answer.dwell_ms is not None else int((now - assignment.served_at).total_seconds() * 1000)
    judgment = Judgment.objects.create(
        assignment=assignment,
        project=project,
        pair_id=assignment.pair_id,
        annotator_id=assignment.annotator_id,
        sitting=sitting,
        side=side,
        chosen_response=chosen,
        strength=answer.strength if side in (Side.LEFT, Side.RIGHT) else None,
        rationale=answer.rationale,
        criteria=answer.criteria or {},
        safety=answer.safety,
        left_response=assignment.left_response,
        served_at=assignment.served_at,
        answered_at=now,
        dwell_ms=answer.dwell_ms,
        index_in_sitting=index,
        elapsed_in_sitting_ms=int((now - sitting.started_at).total_seconds() * 1000),
        since_break_ms=int((now - sitting.stretch_started_at).total_seconds() * 1000),
        sitting_ordinal_today=sitting.ordinal_today,
        viewport_width=answer.viewport_width,
        viewport_height=answer.viewport_height,
        is_gold=assignment.is_gold,
        gold_correct=(chosen == pair.gold_answer) if assignment.is_gold and chosen else None,
        probe_of_id=assignment.probe_of_id,
        reading_floor_ms=floor,
        fast=side != Side.SKIP and dwell < floor,
    )
    Assignment.objects.filter(pk=assignment.pk).update(state=AssignmentState.ANSWERED)
    if not assignment.is_gold and assignment.probe_of_id is None:
        counted = 0 if side == Side.SKIP else 1
        Pair.objects.filter(pk=assignment.pair_id).update(
            lease_count=F("lease_count") - 1,
            judgment_count=F("judgment_count") + counted,
            status=_status_after(
                judgments=F("judgment_count") + counted, leases=F("lease_count") - 1, k=project.judgments_per_pair
            ),
        )
    elif judgment.gold_correct is not None:
        _gold_pause_check(project=project, annotator_id=assignment.annotator_id, now=now)
    sitting.items_done = index
    sitting.last_activity_at = now
    sitting.save(update_fields=["items_done", "last_activity_at"])
    if sitting.items_done >= sitting.item_limit:
        _sitting_close(sitting=sitting, reason=EndReason.ITEMS, ended_at=now)
    return judgment


def fast_streak(*, sitting: AnnotationSession, limit: int = 5) -> int:
    """How many of the sitting's latest answers in a row were faster than the reading floor."""
    streak = 0
    for fast in Judgment.objects.filter(sitting=sitting).order_by("-id").values_list("fast", flat=True)[:limit]:
        if not fast:
            break
        streak += 1
    return streak
