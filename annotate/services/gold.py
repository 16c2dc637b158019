"""Gold pairs: a lead marks a pair as gold with its known better response, or clears it, one pair
at a time or in bulk from the source's preference. Every change is kept in the audit log.

What a gold answer means to the rest of the app
- A pair with a gold answer leaves the k-queue (`annotating._pair_claim` skips it) and is served at
  the project's gold rate instead, to each annotator at most once, on either side.
- A gold judgment's `gold_correct` is fixed when it is written, against the answer of that moment
  (the pause rule reads it); the scorecards score gold judgments against the pair's current answer.
  Correcting an answer therefore corrects the scorecards, not pauses already made.
- A lease already out keeps its kind: a pair leased as an ordinary pair and then marked gold is
  still answered as an ordinary judgment, so its queue counters stay right.
- A pair's side counters count the leases and judgments of its kind now: a change of kind recounts
  them (`annotating.common.pairs_sides_recount`), so the sides of the queue judgments a pair collects
  after its gold answer is cleared are balanced among themselves, not against its gold judgments.

Audit rows: `AuditEvent.subject` is required and names a user, but these actions concern a pair,
not a member. The subject is the lead who acted, and the pair is named in the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef

from annotate.models import Assignment, AuditEvent, Pair, Project, Response
from annotate.services.annotating.common import pairs_sides_recount

GOLD_SET = "gold_set"
GOLD_CLEARED = "gold_cleared"
GOLD_FROM_SOURCE = "gold_from_source"
# "" clears the gold answer; the pair goes back to the k-queue.
GOLD_ANSWERS = (Response.A.value, Response.B.value, "")
# The largest LIMIT PostgreSQL takes (a bigint); a larger one is an error from the database.
LIMIT_MAX = 2**63 - 1
# Pairs made gold (and their sides recounted) per statement, in `pairs_gold_from_source`.
GOLD_BATCH = 10_000


@dataclass(frozen=True)
class GoldChange:
    """One pair's gold answer before and after the request, and the audit row written (None when the
    pair already had that answer and nothing changed)."""

    pair_id: int
    before: str
    after: str
    event: AuditEvent | None

    @property
    def changed(self) -> bool:
        return self.event is not None


def _answer_name(answer: str) -> str:
    return answer.upper() if answer else "none"


def pair_gold_set(*, project: Project, pair_id: int, answer: str, actor: AbstractBaseUser) -> GoldChange:
    """Set the gold answer of pair `pair_id` of `project` to "a" or "b", or clear it with "".

    Idempotent: setting the answer a pair already has writes nothing and returns `event=None`.
    Raises ValidationError for any other answer (before touching the database) and Pair.DoesNotExist
    when the pair is not in `project`."""
    if answer not in GOLD_ANSWERS:
        raise ValidationError('The gold answer must be "a", "b" or "" (not gold).', code="invalid_answer")
    with transaction.atomic():
        # The row lock makes the read and the write one step: two leads acting at once are
        # serialized, and each audit row states the answer its change really replaced.
        before = (
            Pair.objects.select_for_update()
            .filter(project=project, pk=pair_id)
            .values_list("gold_answer", flat=True)
            .first()
        )
        if before is None:
            raise Pair.DoesNotExist(f"No pair {pair_id} in project {project.slug}.")
        if before == answer:
            return GoldChange(pair_id=pair_id, before=before, after=answer, event=None)
        Pair.objects.filter(pk=pair_id).update(gold_answer=answer)
        if bool(before) != bool(answer):  # into or out of the k-queue: its sides count that kind's now
            pairs_sides_recount(Pair.objects.filter(pk=pair_id))
        if answer:
            action = GOLD_SET
            reason = f"pair {pair_id}: gold answer {_answer_name(answer)} (was {_answer_name(before)})"
        else:
            action = GOLD_CLEARED
            reason = f"pair {pair_id}: gold answer cleared (was {_answer_name(before)})"
        event = AuditEvent.objects.create(project=project, actor=actor, subject=actor, action=action, reason=reason)
    return GoldChange(pair_id=pair_id, before=before, after=answer, event=event)


def pairs_gold_from_source_candidates(*, project: Project):
    """The pairs `pairs_gold_from_source` would mark: not gold yet, with a source preference."""
    return Pair.objects.filter(project=project, gold_answer="", source_preference__in=[Response.A, Response.B])


def pairs_gold_from_source(*, project: Project, actor: AbstractBaseUser, limit: int | None = None) -> int:
    """Make gold, with the source's preference as the answer, the pairs of `project` that have one
    and are not gold yet; with `limit`, at most that many, taken in the queue's random order
    (`sort_key`) so that the gold set is a random sample of them. Pairs already gold keep their
    answer. Returns how many pairs were marked; writes one audit row when any were.

    Raises ValidationError when `limit` is given and is not an integer from 1 to LIMIT_MAX."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= LIMIT_MAX):
        raise ValidationError(f"The limit must be a whole number from 1 to {LIMIT_MAX:,}.", code="invalid_limit")
    candidates = pairs_gold_from_source_candidates(project=project)
    with transaction.atomic():
        chosen = (
            candidates
            if limit is None
            else candidates.filter(id__in=candidates.order_by("sort_key").values("id")[:limit])
        )
        # Locked in id order first, as every statement that takes several pairs takes them: updated in
        # the order the database read them, they deadlocked with a change of k (which locks them all).
        # A pair a lead made gold meanwhile is read again once its lock is free, and left out: it keeps
        # that lead's answer.
        locked = list(chosen.select_for_update(no_key=True).order_by("id").values_list("id", flat=True))
        # The locked pairs and no others: `chosen` again would run its LIMIT in a new snapshot and could
        # take a pair whose gold a lead cleared meanwhile, not locked, not recounted (found in review).
        # In batches: a statement takes at most 65,535 parameters (a large project's pairs at once were
        # a 500). Only pairs ever leased have sides to count again.
        marked = 0
        for start in range(0, len(locked), GOLD_BATCH):
            batch = Pair.objects.filter(pk__in=locked[start : start + GOLD_BATCH])
            marked += batch.update(gold_answer=F("source_preference"))
            pairs_sides_recount(batch.filter(Exists(Assignment.objects.filter(pair=OuterRef("pk")))))
        if marked:
            scope = f"at most {limit}" if limit is not None else "all"
            AuditEvent.objects.create(
                project=project,
                actor=actor,
                subject=actor,
                action=GOLD_FROM_SOURCE,
                reason=f"{marked} pair{'s' if marked != 1 else ''} made gold with the source preference ({scope} "
                "of the pairs with one that were not gold)",
            )
    return marked
