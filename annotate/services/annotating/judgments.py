"""Judgments: validation of an answer, the write-once record, gold checks and speeding."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery

from annotate.models import (
    AnnotationSession,
    Assignment,
    AssignmentState,
    AuditEvent,
    EndReason,
    Judgment,
    Membership,
    Pair,
    Project,
    Role,
    Safety,
    Side,
    Strength,
)
from annotate.services.annotating.common import (
    MAX_RATIONALE_CHARS,
    AnnotationError,
    SubmitResult,
    _k_now,
    _now,
    _pairs_lock,
    _status_after,
    side_given_back,
)
from annotate.services.annotating.sittings import _paused_flag, _sitting_close, _sitting_enforce_limits


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


# Allowance for a client's visible-time measure over the server's served → answered interval: timer
# granularity and clock rates, never a whole reading.
DWELL_SLACK_MS = 1000


def _out_ms(*, assignment: Assignment, now: dt.datetime) -> int:
    """Milliseconds since the server served the assignment."""
    return int((now - assignment.served_at).total_seconds() * 1000)


def _shown_ms(*, assignment: Assignment, sitting: AnnotationSession, now: dt.datetime) -> int:
    """Milliseconds the pair can have been on screen: since it was served, or since the sitting's answer
    before it (`last_answered_at`, annotated on the sitting), if later. The page leases the next pair
    while one is on screen and shows it once that one is answered: counted from its lease, a client
    claimed the time it waited unseen, and answered two pairs at once with neither under the reading
    floor (found by the gaming audit)."""
    before = sitting.last_answered_at
    shown_from = max(assignment.served_at, before) if before is not None else assignment.served_at
    return max(0, int((now - shown_from).total_seconds() * 1000))


def _last_answered_at() -> Subquery:
    """The time of a sitting's latest answer, for `.annotate(last_answered_at=...)` on the statement
    that locks it (no statement more)."""
    answers = Judgment.objects.filter(sitting=OuterRef("pk")).order_by("-answered_at")
    return Subquery(answers.values("answered_at")[:1])


_SPACES = re.compile(r"\s+")


def rationale_length(text: str) -> int:
    """The characters of a rationale that count toward the project's minimum: without control and
    format characters (zero-width spaces, direction marks: invisible, 25 of them met a minimum of 25),
    and with each run of white space as one (found by the gaming audit). The page counts the same way."""
    visible = _SPACES.sub(" ", "".join(ch for ch in text if unicodedata.category(ch) != "Cf"))
    # Controls after the white space: a line break (one too) parts two words.
    return len("".join(ch for ch in visible if unicodedata.category(ch) != "Cc").strip())


def _invalid(message: str) -> AnnotationError:
    return AnnotationError(message, code="invalid")


def _validate_answer(*, project: Project, answer: Answer) -> None:
    """Each extra is accepted only where the project switches it on, and then required (a skip
    needs none of them; a tie needs no strength, and no safety label names its chosen response)."""
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
    if project.ask_rationale and answering and rationale_length(answer.rationale) < project.rationale_min_chars:
        raise _invalid(f"Please explain your choice in at least {project.rationale_min_chars} characters.")
    criteria = answer.criteria or {}
    if criteria and not project.criteria:
        raise _invalid("This project does not ask for criteria.")
    # Checked for skips too: the keys are free text until here, and they are stored with the
    # judgment (a NUL or an unpaired surrogate in one was a 500 from PostgreSQL's jsonb).
    if not set(criteria) <= set(project.criteria):
        raise _invalid(f"Give left, right or tie for these criteria only: {', '.join(project.criteria)}.")
    if project.criteria and answering:
        wanted = set(project.criteria)
        if set(criteria) != wanted or not set(criteria.values()) <= {Side.LEFT, Side.RIGHT, Side.TIE}:
            raise _invalid(f"Give left, right or tie for each criterion: {', '.join(project.criteria)}.")
    if answer.safety and (not project.ask_safety or answer.safety not in Safety.values):
        raise _invalid(f"safety must be one of {', '.join(Safety.values)}, and only where the project asks for it.")
    if project.ask_safety and answering and not answer.safety:
        raise _invalid("This project asks for a safety label.")
    if answer.side == Side.TIE and answer.safety == Safety.CHOSEN_SAFE:
        raise _invalid("A tie has no chosen response: its safety label is both_safe or both_unsafe.")


READING_WPM = 238


# What a submit reads of the assignment and its pair (not the texts: the stored word counts do).
ASSIGNMENT_FIELDS = (
    "id",
    "pair_id",
    "annotator_id",
    "left_response",
    "state",
    "served_at",
    "expires_at",
    "is_gold",
    "probe_of_id",
)
PAIR_FIELDS = ("gold_answer", "words_context", "words_response_a", "words_response_b")


def reading_floor_ms(*, pair: Pair, factor: float) -> int:
    """The fastest plausible answer: the words of the context and both responses read at 238 words
    per minute, times the project's factor. Uses the word counts stored on the pair when they are
    there (computed after import), else counts them (`len(text.split())`)."""
    stored = (pair.words_context, pair.words_response_a, pair.words_response_b)
    if None in stored:
        pair = Pair.objects.only("context", "response_a", "response_b").get(pk=pair.pk)
        stored = (len(pair.context.split()), len(pair.response_a.split()), len(pair.response_b.split()))
    return int(sum(stored) / READING_WPM * 60_000 * factor)


def _gold_pause_check(*, project: Project, annotator_id: int, now: dt.datetime) -> bool:
    """Pause the annotator when their recent gold accuracy falls below the project's threshold;
    whether this paused them.

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
        return False
    accuracy = sum(recent) / len(recent)
    if accuracy >= project.gold_min_accuracy:
        return False
    reason = (
        f"Gold accuracy {accuracy:.0%} over the last {len(recent)} gold pairs "
        f"(threshold {project.gold_min_accuracy:.0%})."
    )
    if Membership.objects.filter(project=project, user_id=annotator_id, paused_at__isnull=True).update(
        paused_at=now, paused_reason=reason
    ):
        AuditEvent.objects.create(project=project, actor=None, subject_id=annotator_id, action="paused", reason=reason)
        return True
    return False


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
        # Ownership and the sitting's lock in one statement; then the assignment's: the global order.
        # Only while they annotate the project: a lead who removes an annotator, or gives them
        # another role, ends their right to answer the leases they still hold.
        annotating = Membership.objects.filter(project=OuterRef("project"), user=annotator, role=Role.ANNOTATOR)
        sitting = (
            AnnotationSession.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(Exists(annotating), assignments__id=assignment_id, assignments__annotator=annotator)
            .annotate(annotator_paused=_paused_flag(), last_answered_at=_last_answered_at())
            .first()
        )
        if sitting is None:
            raise Assignment.DoesNotExist(f"No assignment {assignment_id} of an annotator of its project.")
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("pair")
            .only(*ASSIGNMENT_FIELDS, *(f"pair__{name}" for name in PAIR_FIELDS))
            .get(pk=assignment_id)
        )
        if assignment.state == AssignmentState.ANSWERED:
            existing = Judgment.objects.filter(assignment=assignment).first()
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
        elif (
            answer.dwell_ms is not None
            and answer.dwell_ms > (out_ms := _out_ms(assignment=assignment, now=now)) + DWELL_SLACK_MS
        ):
            # The page shows a pair only after the server served it, so an honest dwell never exceeds
            # the time since; a longer one would hide a fast answer from the reading floor.
            refusal = _invalid(
                f"dwell_ms {answer.dwell_ms} is longer than this pair has been out ({out_ms} ms on the server's clock)."
            )
        else:
            judgment = _judgment_record(assignment=assignment, sitting=sitting, answer=answer, now=now)
            return SubmitResult(judgment=judgment, sitting=sitting, created=True)
    # Raised after the block, so that a sitting closed by a limit stays closed.
    raise refusal


def _other_leases_renew(*, sitting: AnnotationSession, answered_id: int, now: dt.datetime) -> None:
    """The sitting's other live leases (the pair the page prefetched, which it shows as this answer
    goes) run from this answer, as from their serving. They ran from the prefetch: a careful reader
    who took most of a lease over one pair had the next one's answer refused as run out, with no input
    missed (found by the annotator page audit). One run out already stays so (the page does not show
    it), and one the expiry sweep holds is left to it (SKIP LOCKED: no wait, hence no lock cycle with
    its pair locks; this runs before this answer's own pair locks). Precondition: inside the
    submit's transaction, holding the sitting's row lock."""
    held = (
        Assignment.objects.select_for_update(skip_locked=True)
        .filter(sitting=sitting, state=AssignmentState.LEASED, expires_at__gt=now)
        .exclude(pk=answered_id)
        .values("pk")
    )
    Assignment.objects.filter(pk__in=held).update(expires_at=now + sitting.lease)


def _judgment_record(
    *, assignment: Assignment, sitting: AnnotationSession, answer: Answer, now: dt.datetime
) -> Judgment:
    """Write the judgment and move the counters. Precondition: inside a transaction holding the
    sitting's and the live assignment's row locks."""
    project = sitting.project
    pair = assignment.pair
    side = answer.side
    chosen = {Side.LEFT: assignment.left_response, Side.RIGHT: assignment.right_response}.get(side, "")
    index = sitting.items_done + 1
    floor = reading_floor_ms(pair=pair, factor=project.reading_factor)
    # Nor does the page show it before the sitting's answer before it: a dwell longer than the time since
    # is cut to it (with the slack), not refused, since a second tab may honestly have shown the pair
    # earlier, and a refusal would leave it unanswerable there.
    shown_ms = _shown_ms(assignment=assignment, sitting=sitting, now=now)
    dwell_ms = None if answer.dwell_ms is None else min(answer.dwell_ms, shown_ms + DWELL_SLACK_MS)
    dwell = dwell_ms if dwell_ms is not None else shown_ms
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
        dwell_ms=dwell_ms,
        index_in_sitting=index,
        elapsed_in_sitting_ms=int((now - sitting.started_at).total_seconds() * 1000),
        since_break_ms=int((now - sitting.stretch_started_at).total_seconds() * 1000),
        sitting_ordinal_today=sitting.ordinal_today,
        viewport_width=answer.viewport_width,
        viewport_height=answer.viewport_height,
        is_gold=assignment.is_gold,
        # A pair whose gold answer a lead cleared meanwhile scores nothing.
        gold_correct=(chosen == pair.gold_answer) if assignment.is_gold and chosen and pair.gold_answer else None,
        probe_of_id=assignment.probe_of_id,
        reading_floor_ms=floor,
        fast=side != Side.SKIP and dwell < floor,
    )
    Assignment.objects.filter(pk=assignment.pk).update(state=AssignmentState.ANSWERED)
    in_queue = not assignment.is_gold and assignment.probe_of_id is None
    sitting.items_done = index
    # Never back: `now` is read before the locks, and a request that waited for this sitting behind a
    # later one would have moved the idle clock back by its wait.
    sitting.last_activity_at = max(sitting.last_activity_at, now)
    sitting.fast_streak = sitting.fast_streak + 1 if judgment.fast else 0
    sitting.save(update_fields=["items_done", "last_activity_at", "fast_streak"])
    # This pair is locked before its counters move (the update reads k): by the close, in id order
    # with the pairs it releases, when this answer ends the sitting.
    gold_skipped = assignment.is_gold and side == Side.SKIP
    answered = [assignment.pair_id] if in_queue or gold_skipped else []
    # A scored gold answer may pause its annotator (never one in the queue or a skip: `answered` is then
    # empty).
    paused = judgment.gold_correct is not None and _gold_pause_check(
        project=project, annotator_id=assignment.annotator_id, now=now
    )
    if paused:
        # Paused by this answer, their sitting's last or not: it ends as paused, as a lead's pause ends
        # it, so that the page says so rather than count down a break to a sitting that would be refused.
        _sitting_close(sitting=sitting, reason=EndReason.PAUSED, ended_at=now)
    elif sitting.items_done >= sitting.item_limit:
        _sitting_close(sitting=sitting, reason=EndReason.ITEMS, ended_at=now, lock_pair_ids=answered)
    else:
        _other_leases_renew(sitting=sitting, answered_id=assignment.pk, now=now)
        _pairs_lock(pair_ids=answered)
    # A skip gives back the side its lease showed on the left, as a released lease does: the side
    # counters count live leases and judgments that count (`common._pairs_release_leases`).
    side_back = side_given_back(assignment.left_response, gold=assignment.is_gold) if side == Side.SKIP else {}
    if in_queue:
        counted = 0 if side == Side.SKIP else 1
        Pair.objects.filter(pk=assignment.pair_id).update(
            lease_count=F("lease_count") - 1,
            judgment_count=F("judgment_count") + counted,
            **side_back,
            status=_status_after(judgments=F("judgment_count") + counted, leases=F("lease_count") - 1, k=_k_now()),
        )
    elif gold_skipped:
        Pair.objects.filter(pk=assignment.pair_id).update(**side_back)
    return judgment
