from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from annotate.models import AnnotationSession, Assignment, AssignmentState, Judgment, Pair


def judgments_as_the_source_chose(project, annotator, *, left_every: int = 2) -> int:
    """One judgment per pair, choosing the source's preference, written in bulk (reports and
    exports are under test, not the assignment path). Response A goes left on every
    `left_every`-th pair."""
    return judgments_bulk(project, annotator, choose=lambda pair_id, preference: preference, left_every=left_every)


def judgments_bulk(project, annotator, *, choose, left_every: int = 2, pair_ids=None, minutes_apart: float = 1 / 60):
    """One judgment per pair by `annotator`, choosing `choose(pair_id, source_preference)` ("a", "b",
    "tie" or "skip"), written in bulk in one ended sitting, `minutes_apart` between answers."""
    now = timezone.now()
    sitting = AnnotationSession.objects.create(
        project=project,
        annotator=annotator,
        started_at=now - dt.timedelta(minutes=30),
        deadline=now,
        item_limit=100_000,
        last_activity_at=now,
        ordinal_today=1,
        stretch_started_at=now - dt.timedelta(minutes=30),
        ended_at=now,
        end_reason="manual",
    )
    pairs = Pair.objects.filter(project=project).order_by("id")
    if pair_ids is not None:
        pairs = pairs.filter(id__in=pair_ids)
    pairs = list(pairs.values_list("id", "source_preference"))
    assignments = Assignment.objects.bulk_create(
        Assignment(
            project=project,
            pair_id=pair_id,
            annotator=annotator,
            sitting=sitting,
            left_response="a" if i % left_every == 0 else "b",
            state=AssignmentState.ANSWERED,
            served_at=now,
            expires_at=now,
        )
        for i, (pair_id, _) in enumerate(pairs)
    )
    judgments = []
    for i, (assignment, (pair_id, preference)) in enumerate(zip(assignments, pairs, strict=True)):
        chosen = choose(pair_id, preference)
        if chosen in ("tie", "skip"):
            side, chosen = chosen, ""
        else:
            side = "left" if assignment.left_response == chosen else "right"
        elapsed = int(i * minutes_apart * 60_000)
        judgments.append(
            Judgment(
                assignment=assignment,
                project=project,
                pair_id=pair_id,
                annotator=annotator,
                sitting=sitting,
                side=side,
                chosen_response=chosen,
                left_response=assignment.left_response,
                served_at=now,
                answered_at=now,
                dwell_ms=20_000,
                index_in_sitting=i + 1,
                elapsed_in_sitting_ms=elapsed,
                since_break_ms=elapsed,
                sitting_ordinal_today=1,
            )
        )
    Judgment.objects.bulk_create(judgments, batch_size=2000)
    counted = [judgment.pair_id for judgment in judgments if judgment.side != "skip"]  # one per pair here
    Pair.objects.filter(id__in=counted).update(judgment_count=F("judgment_count") + 1)
    return len(judgments)


def judgments_rewrite(judgments, **fields) -> int:
    """Set `fields` on `judgments` (a queryset) as if they had been written that way: test set-up
    only. The database refuses every edit of a judgment (migration 0005's trigger), so the trigger is
    lifted for this one update, inside the test's transaction, and put back."""
    from django.db import connection

    name = "judgment_written_once"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table with deferred foreign-key checks pending cannot be altered: run them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE annotate_judgment DISABLE TRIGGER {name}")
            updated = judgments.update(**fields)
            cursor.execute(f"ALTER TABLE annotate_judgment ENABLE TRIGGER {name}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
            (trigger,) = cursor.fetchone()
            cursor.execute(f"DROP TRIGGER {name}")
            updated = judgments.update(**fields)
            cursor.execute(trigger)
    return updated
