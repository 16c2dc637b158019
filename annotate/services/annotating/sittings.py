"""Sittings: start, end, limits enforced by the server clock, and the breaks between them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotate.models import (
    AnnotationSession,
    Assignment,
    AssignmentState,
    EndReason,
    Membership,
    Project,
    Role,
)
from annotate.services.annotating.common import (
    LEASE_ROW,
    REST_MINUTES,
    AnnotationError,
    _leases_released,
    _now,
    _pairs_lock,
    _pairs_release_leases,
)


def _sitting_close(
    *, sitting: AnnotationSession, reason: str, ended_at: dt.datetime, lock_pair_ids: Sequence[int] = ()
) -> None:
    """End an open sitting, start its break and release its unanswered leases. `lock_pair_ids`: pairs
    the caller will update next, locked here in id order together with the released leases' pairs.

    Precondition: inside a transaction holding the sitting's row lock."""
    project = sitting.project
    sitting.ended_at = ended_at
    sitting.end_reason = reason
    sitting.break_until = ended_at + dt.timedelta(minutes=project.break_minutes)
    sitting.save(update_fields=["ended_at", "end_reason", "break_until"])
    # SKIP LOCKED: a lease the expiry sweep holds is being given back by the sweep; waiting for it
    # would give it back twice (and could deadlock with the sweep's pair updates).
    live = list(
        Assignment.objects.select_for_update(skip_locked=True)
        .filter(sitting=sitting, state=AssignmentState.LEASED)
        .order_by("pk")
        .values_list(*LEASE_ROW)
    )
    release = _leases_released(live)
    _pairs_lock(pair_ids={pair_id for pair_id, _, _ in release} | set(lock_pair_ids))
    if live:
        Assignment.objects.filter(pk__in=[row[0] for row in live]).update(state=AssignmentState.RELEASED)
        _pairs_release_leases(leases=release)


def _paused_flag() -> Exists:
    """Whether a sitting's annotator is paused in its project, for `.annotate(annotator_paused=...)`
    on the query that locks the sitting: read in the same statement, after no other lock."""
    return Exists(
        Membership.objects.filter(
            project=OuterRef("project_id"), user=OuterRef("annotator_id"), paused_at__isnull=False
        )
    )


def _sitting_enforce_limits(*, sitting: AnnotationSession, now: dt.datetime) -> None:
    """Close the sitting if the server's clock says its time or idle limit has passed, or, read with
    its lock (`annotator_paused`, see `_paused_flag`), its annotator is paused: a pause that did not
    end it itself (one set in the admin, one from before pauses ended sittings, one that raced a
    start) ends it at its next request.

    Precondition: inside a transaction holding the sitting's row lock."""
    if not sitting.is_open:
        return
    end = sitting_end_effective(sitting)
    if now >= end:
        reason = EndReason.TIME if end == sitting.deadline else EndReason.IDLE
        _sitting_close(sitting=sitting, reason=reason, ended_at=end)
    elif getattr(sitting, "annotator_paused", False):
        _sitting_close(sitting=sitting, reason=EndReason.PAUSED, ended_at=now)


def _sitting_lock_latest(
    *, project: Project, annotator: AbstractBaseUser, paused_flag: bool = True
) -> AnnotationSession | None:
    """The annotator's latest sitting in the project, row-locked; with `annotator_paused` read in the
    same statement (`_paused_flag`) unless `paused_flag` is False (a caller that reads it after)."""
    sittings = (
        AnnotationSession.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(project=project, annotator=annotator)
    )
    if paused_flag:
        sittings = sittings.annotate(annotator_paused=_paused_flag())
    return sittings.order_by("-started_at", "-id").first()


def sitting_start(
    *, project: Project, annotator: AbstractBaseUser, now: dt.datetime | None = None
) -> tuple[AnnotationSession, bool]:
    """Open a sitting, or return the one already open (created=False). Refused to a paused annotator,
    in a closed (inactive) project, while the annotator has a sitting open in another project, and
    during a break, whichever project's sitting it follows: sittings and breaks are the person's."""
    sitting, created, refusal = _sitting_start_checked(project=project, annotator=annotator, now=_now(now), start=True)
    if refusal is not None:
        raise refusal
    return sitting, created


def sitting_start_refusal(
    *, project: Project, annotator: AbstractBaseUser, now: dt.datetime | None = None
) -> AnnotationError | None:
    """What `sitting_start` would refuse now, without starting one: None where it would open a sitting
    or return the open one. Like a start, it closes the sittings it finds past their limits. For a
    page that opens on the state a start would meet (a break or a sitting in another project)."""
    return _sitting_start_checked(project=project, annotator=annotator, now=_now(now), start=False)[2]


def _sitting_start_checked(
    *, project: Project, annotator: AbstractBaseUser, now: dt.datetime, start: bool
) -> tuple[AnnotationSession | None, bool, AnnotationError | None]:
    """(the open or, with `start`, new sitting; whether it is new; the refusal, if refused)."""
    if not project.is_active:
        # A lead closed the project (the admin's "is active"); a sitting already open runs to its end
        # (a pause, unlike this, ends it at once).
        return None, False, AnnotationError("This project is closed for annotation.", code="closed")
    # The refusal is made after the block, so that a sitting closed on the way stays closed.
    with transaction.atomic():
        # One start of the person's at a time, in any project: two at once (two tabs, two projects)
        # would each see no sitting open elsewhere and both open one.
        # FOR NO KEY UPDATE, not FOR UPDATE: a request holding one of their sittings (a next pair, an
        # answer, a pause) checks its new rows' foreign keys to this user at commit with FOR KEY SHARE,
        # which FOR UPDATE would block while this start waits for that sitting: a deadlock.
        list(get_user_model().objects.select_for_update(no_key=True).filter(pk=annotator.pk).values_list("pk"))
        latest = _sitting_lock_latest(project=project, annotator=annotator, paused_flag=False)
        # Read after the lock, in a statement of its own, so that a pause that came meanwhile counts: the
        # flag read in the locking statement is as of that statement's start when it waited for the
        # lock, so a pause holding the sitting left it closed as paused and the membership read as not
        # paused, and the start opened a sitting (found by the concurrency audit).
        paused = Membership.objects.filter(project=project, user=annotator, paused_at__isnull=False).exists()
        if latest is not None:
            # It also ends a sitting that a pause set another way left open.
            latest.annotator_paused = paused
            _sitting_enforce_limits(sitting=latest, now=now)
            if latest.is_open:
                return latest, False, None
        elsewhere = resting = None
        if not paused:
            elsewhere = _sitting_open_elsewhere(project=project, annotator=annotator, now=now)
            if elsewhere is None:
                resting = _break_running(annotator=annotator, project=project, now=now)
            if elsewhere is None and resting is None:
                if not start:
                    return None, False, None
                sitting, created = _sitting_open(project=project, annotator=annotator, now=now)
                return sitting, created, None
    return None, False, _start_refusal(project=project, paused=paused, elsewhere=elsewhere, resting=resting)


def _start_refusal(
    *,
    project: Project,
    paused: bool,
    elsewhere: AnnotationSession | None,
    resting: AnnotationSession | None,
) -> AnnotationError:
    """Why a start is refused: paused here, a sitting open in another project, or a break running."""
    if paused:
        return AnnotationError(
            "Your annotation in this project is paused for now; the project lead will be in touch. "
            "Thank you for your work so far.",
            code="paused",
        )
    if elsewhere is not None:
        return AnnotationError(
            f"You have a sitting open in {elsewhere.project.name}: one sitting at a time. End it there "
            "first; its break comes before the next sitting.",
            code="open_elsewhere",
            sitting=elsewhere,
        )
    if resting.project_id != project.id:
        return AnnotationError(
            f"You are on a break after your sitting in {resting.project.name}. The next sitting here can "
            "start when it ends.",
            code="on_break",
            sitting=resting,
            break_until=resting.break_end_here,
        )
    return AnnotationError(
        "You are on a break. The next sitting can start when it ends.",
        code="on_break",
        sitting=resting,
        break_until=resting.break_end_here,
    )


def _sitting_open_elsewhere(
    *, project: Project, annotator: AbstractBaseUser, now: dt.datetime
) -> AnnotationSession | None:
    """The annotator's sitting still open in another project, if any, after closing those whose limits
    have passed (which starts their break) and those in a project they no longer annotate (which the
    removal's own close, after its commit, may not have reached: there they could not end it). Locks
    them; precondition: inside a transaction holding the annotator's row lock (`sitting_start`), so
    that no other sitting of theirs opens meanwhile."""
    still_open = None
    annotates = Membership.objects.filter(
        project=OuterRef("project_id"), user=OuterRef("annotator_id"), role=Role.ANNOTATOR
    )
    for sitting in (
        AnnotationSession.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(annotator=annotator, ended_at__isnull=True)
        .exclude(project=project)
        .annotate(annotator_paused=_paused_flag(), annotator_member=Exists(annotates))
        .order_by("pk")
    ):
        _sitting_enforce_limits(sitting=sitting, now=now)
        if sitting.is_open and not sitting.annotator_member:
            _sitting_close(sitting=sitting, reason=EndReason.REMOVED, ended_at=now)
        if sitting.is_open:
            still_open = sitting
    return still_open


# How long, at most, a break after a sitting in one project holds in another, unless that project's own
# break is longer: a lead who gave their project a week's break, and added another project's annotator,
# kept them out of that project for the week after one sitting (found by the second security audit).
BREAK_ELSEWHERE_MAX = dt.timedelta(hours=1)


def break_end_here(*, sitting: AnnotationSession, project: Project) -> dt.datetime | None:
    """When the break after `sitting` ends for a start in `project`: its own end in its own project;
    in another, that end, but no later than the longer of BREAK_ELSEWHERE_MAX and `project`'s own
    break after the sitting ended."""
    if sitting.break_until is None or sitting.project_id == project.id or sitting.ended_at is None:
        return sitting.break_until
    most = max(BREAK_ELSEWHERE_MAX, dt.timedelta(minutes=project.break_minutes))
    return min(sitting.break_until, sitting.ended_at + most)


def _break_running(*, annotator: AbstractBaseUser, project: Project, now: dt.datetime) -> AnnotationSession | None:
    """The annotator's sitting, in any project, whose break runs longest past `now` for a start in
    `project` (`break_end_here`), if one runs, with that end as `break_end_here`: a break is the
    person's rest. Not only those started by `now`: a start that waited for the annotator's lock read
    its clock before the sitting that the lock's holder opened."""
    running = []
    for sitting in AnnotationSession.objects.select_related("project").filter(annotator=annotator, break_until__gt=now):
        sitting.break_end_here = break_end_here(sitting=sitting, project=project)
        if sitting.break_end_here > now:
            running.append(sitting)
    return max(running, key=lambda sitting: (sitting.break_end_here, sitting.id), default=None)


def sitting_end_effective(sitting: AnnotationSession) -> dt.datetime:
    """When a sitting ended, or ends if nothing more happens: an open one at its deadline or its idle
    limit, whichever comes first (the deadline on a tie), where `_sitting_enforce_limits` closes it."""
    if sitting.ended_at is not None:
        return sitting.ended_at
    return min(sitting.deadline, sitting.last_activity_at + sitting.idle_timeout)


def _work_last_ended(*, annotator: AbstractBaseUser) -> AnnotationSession | None:
    """The annotator's sitting, in any project, whose work ended last: the one that decides whether
    they rested. By end, not start: a sitting started later may have ended sooner. Read when a sitting
    opens, when none of theirs is open (`sitting_start` closes or refuses one open elsewhere)."""
    return (
        AnnotationSession.objects.filter(annotator=annotator, ended_at__isnull=False)
        .order_by("-ended_at", "-id")
        .only("ended_at", "end_reason", "last_activity_at", "stretch_started_at")
        .first()
    )


def _work_ended_at(sitting: AnnotationSession) -> dt.datetime:
    """When the annotator's work in an ended sitting stopped: at its end, or, for one that went idle, at
    the last answer or input that its idle timeout ran from. The timeout's minutes, without either, are
    what ended it: counted as work, an annotator back after a rest long enough went on with the stretch."""
    return sitting.last_activity_at if sitting.end_reason == EndReason.IDLE else sitting.ended_at


def _sitting_open(*, project: Project, annotator: AbstractBaseUser, now: dt.datetime) -> tuple[AnnotationSession, bool]:
    """(the new sitting, True), or (the open one, False) if one of this annotator's opened meanwhile.
    Precondition: inside a transaction holding the annotator's row lock and the lock on their latest
    sitting in the project, if any, with no sitting of theirs open and no break running."""
    # The working stretch is the person's, in whichever projects they worked (as their break is).
    previous = _work_last_ended(annotator=annotator)
    rest = dt.timedelta(minutes=max(REST_MINUTES, project.break_minutes))
    rested = previous is None or now - _work_ended_at(previous) >= rest
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    ordinal = AnnotationSession.objects.filter(annotator=annotator, started_at__gte=day_start).count() + 1
    try:
        with transaction.atomic():
            return AnnotationSession.objects.create(
                project=project,
                annotator=annotator,
                started_at=now,
                deadline=now + dt.timedelta(minutes=project.sitting_minutes),
                item_limit=project.sitting_items,
                idle_timeout_minutes=project.idle_timeout_minutes,
                last_activity_at=now,
                ordinal_today=ordinal,
                stretch_started_at=now if rested else previous.stretch_started_at,
            ), True
    except IntegrityError:
        # The one-open-sitting constraint refused ours: one opened meanwhile by a way round
        # `sitting_start`'s lock (which makes a double click or a second tab wait), and it is the sitting.
        opened = (
            AnnotationSession.objects.select_related("project")
            .filter(project=project, annotator=annotator, ended_at__isnull=True)
            .first()
        )
        if opened is None:
            raise
        return opened, False


def _sitting_end_now(*, sitting: AnnotationSession | None, reason: str, now: dt.datetime) -> bool:
    """End `sitting` (the annotator's latest in the project, or None) now, for `reason`, if it is
    open: no more pairs from it, its unanswered leases back to the pool. A limit that already passed
    is its true end instead (`_sitting_enforce_limits`). Whether it ended for `reason`.

    Precondition: inside a transaction holding the sitting's row lock (for a pause, taken before the
    annotator's membership: the order an answer that trips the gold rule takes them in)."""
    if sitting is None or not sitting.is_open:
        return False
    _sitting_enforce_limits(sitting=sitting, now=now)
    if sitting.is_open:
        _sitting_close(sitting=sitting, reason=reason, ended_at=now)
    return sitting.end_reason == reason


def sitting_end(
    *, project: Project, annotator: AbstractBaseUser, sitting_id: int | None = None, now: dt.datetime | None = None
) -> AnnotationSession:
    """End the annotator's open sitting by hand (or by a limit that already passed). `sitting_id`: the
    sitting the client means, refused (sitting_ended, with that sitting) when another is open now: a
    page left on a sitting since ended (in another browser, say) ended the one started after it."""
    now = _now(now)
    with transaction.atomic():
        sitting = _sitting_lock_latest(project=project, annotator=annotator)
        if sitting is None or not sitting.is_open:
            raise AnnotationError("There is no open sitting to end.", code="no_sitting", sitting=sitting)
        if sitting_id is not None and sitting.id != sitting_id:
            meant = AnnotationSession.objects.filter(id=sitting_id, project=project, annotator=annotator).first()
            raise AnnotationError(
                "This sitting had already ended; the one open now goes on.", code="sitting_ended", sitting=meant
            )
        _sitting_end_now(sitting=sitting, reason=EndReason.MANUAL, now=now)
        return sitting


def sitting_activity_record(
    *,
    project: Project,
    annotator: AbstractBaseUser,
    assignment_id: int | None = None,
    now: dt.datetime | None = None,
) -> AnnotationSession:
    """The annotator is at work in their open sitting without answering yet (reading a long pair,
    writing a rationale): its idle timeout runs from `now`, as from an answer, and the lease of the
    pair they are at work on (`assignment_id`, theirs, in this sitting, not yet run out) is renewed
    from `now`, as when it was served, so that it is not given to someone else under them. The
    sitting's own limits hold: one whose time or idle limit has already passed is closed instead, and
    returned closed. Raises AnnotationError ("no_sitting") when the annotator has no open sitting."""
    now = _now(now)
    with transaction.atomic():
        sitting = _sitting_lock_latest(project=project, annotator=annotator)
        if sitting is None or not sitting.is_open:
            raise AnnotationError("There is no open sitting.", code="no_sitting", sitting=sitting)
        _sitting_enforce_limits(sitting=sitting, now=now)
        if not sitting.is_open:
            return sitting
        if now > sitting.last_activity_at:
            sitting.last_activity_at = now
            sitting.save(update_fields=["last_activity_at"])
        if assignment_id is not None:
            # After the sitting's lock, as everywhere. A lease the expiry sweep holds, or has sent
            # back, is left to it: `expires_at__gt` is checked again once the row lock is had.
            Assignment.objects.filter(
                pk=assignment_id, sitting=sitting, state=AssignmentState.LEASED, expires_at__gt=now
            ).update(expires_at=now + sitting.lease)
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
    # Only the sittings past a limit, each by its own idle timeout (one query for the few timeouts in
    # use): taking the first `limit` sittings idle for a minute and then checking each, more than
    # `limit` annotators reading a long pair kept a stale sitting out of every sweep (found by the
    # sitting audit). Oldest first.
    open_sittings = AnnotationSession.objects.filter(ended_at__isnull=True).annotate(
        timeout=Coalesce("idle_timeout_minutes", "project__idle_timeout_minutes")
    )
    stale = Q(deadline__lte=now)
    for minutes in open_sittings.values_list("timeout", flat=True).distinct().order_by():
        stale |= Q(timeout=minutes, last_activity_at__lte=now - dt.timedelta(minutes=minutes))
    candidates = open_sittings.filter(stale).order_by("last_activity_at", "id")
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
