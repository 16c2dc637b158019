from __future__ import annotations

import datetime as dt

from django.utils import timezone

from annotate.models import AnnotationSession, Assignment, AssignmentState, Judgment, Pair


def judgments_as_the_source_chose(project, annotator, *, left_every: int = 2) -> int:
    """One judgment per pair, choosing the source's preference, written in bulk (the report is
    under test here, not the assignment path). Response A goes left on every `left_every`-th pair."""
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
    pairs = list(Pair.objects.filter(project=project).order_by("id").values_list("id", "source_preference"))
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
        side = "left" if assignment.left_response == preference else "right"
        judgments.append(
            Judgment(
                assignment=assignment,
                project=project,
                pair_id=pair_id,
                annotator=annotator,
                sitting=sitting,
                side=side,
                chosen_response=preference,
                left_response=assignment.left_response,
                served_at=now,
                answered_at=now,
                dwell_ms=20_000,
                index_in_sitting=i + 1,
                elapsed_in_sitting_ms=i * 1000,
                since_break_ms=i * 1000,
                sitting_ordinal_today=1,
            )
        )
    Judgment.objects.bulk_create(judgments, batch_size=2000)
    Pair.objects.filter(project=project).update(judgment_count=1)
    return len(judgments)
