"""The limits an answer meets, at their edges: a rationale just long enough, a gold accuracy at the
threshold, a lease at its expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotate.models import Judgment, Membership, Pair
from annotate.services.annotating import (
    AnnotationError,
    assignment_next,
    judgment_submit,
    sitting_activity_record,
    sitting_start,
)

pytestmark = pytest.mark.django_db


def test_a_rationale_of_exactly_the_minimum_is_enough(project, annotator, pairs):
    project.ask_rationale = True
    project.rationale_min_chars = 10
    project.save()
    sitting_start(project=project, annotator=annotator)
    assignment, _ = assignment_next(project=project, annotator=annotator)
    with pytest.raises(AnnotationError, match="at least 10 characters"):
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", rationale="Nine char")
    judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", rationale="Ten chars!")
    assert Judgment.objects.get().rationale == "Ten chars!"


def gold_first(project, *, golds: int, recent: int, min_accuracy: float) -> None:
    """Every draw gold while there are gold pairs (`golds`, answer "a"), one queue pair behind them (gold
    is served only while the queue has a pair for the annotator), and the pause rule over `recent`."""
    project.gold_rate = 1.0
    project.gold_recent = recent
    project.gold_min_accuracy = min_accuracy
    project.save()
    gold = Pair.objects.bulk_create(
        Pair(project=project, context=f"\n\nHuman: g{i}?", response_a=" A", response_b=" B", content_hash=f"g{i}")
        for i in range(golds)
    )
    Pair.objects.filter(pk__in=[p.pk for p in gold]).update(gold_answer="a")
    Pair.objects.create(project=project, context="\n\nHuman: q?", response_a=" a", response_b=" b", content_hash="q")


def test_a_gold_accuracy_at_the_threshold_does_not_pause(project, annotator):
    gold_first(project, golds=3, recent=2, min_accuracy=0.5)
    sitting_start(project=project, annotator=annotator)

    def answer(correct: bool) -> None:
        assignment, _ = assignment_next(project=project, annotator=annotator)
        assert assignment.is_gold
        right = "left" if assignment.left_response == "a" else "right"
        judgment_submit(
            assignment_id=assignment.id,
            annotator=annotator,
            side=right if correct else ("right" if right == "left" else "left"),
        )

    answer(correct=True)
    answer(correct=False)
    # One of the last two right: 50%, the threshold itself, which only an accuracy below it fails.
    assert Membership.objects.get(user=annotator).paused_at is None
    answer(correct=False)
    assert Membership.objects.get(user=annotator).paused_at is not None


def test_a_lease_is_no_longer_answerable_at_the_moment_it_expires(project, annotator, pairs):
    now = timezone.now()
    sitting_start(project=project, annotator=annotator, now=now)
    assignment, _ = assignment_next(project=project, annotator=annotator, now=now)
    # Word of other work keeps the sitting from going idle, and leaves this lease to run out.
    for minutes in (4, 8):
        sitting_activity_record(project=project, annotator=annotator, now=now + dt.timedelta(minutes=minutes))
    assert assignment.expires_at == now + dt.timedelta(minutes=10)
    # The sweep gives a lease back at its expiry (expires_at <= now): an answer then is refused alike.
    with pytest.raises(AnnotationError) as refused:
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", now=assignment.expires_at)
    assert refused.value.code == "lease_expired"
    assert not Judgment.objects.exists()


def test_a_dwell_is_allowed_one_second_past_the_time_the_pair_has_been_out_and_no_more(project, annotator, pairs):
    now = timezone.now()
    sitting_start(project=project, annotator=annotator, now=now)
    assignment, _ = assignment_next(project=project, annotator=annotator, now=now)
    answered = now + dt.timedelta(seconds=2)
    with pytest.raises(AnnotationError, match="dwell_ms 3001 is longer"):
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", dwell_ms=3_001, now=answered)
    judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", dwell_ms=3_000, now=answered)
    assert Judgment.objects.get().dwell_ms == 3_000


def test_a_tie_or_a_skip_on_a_gold_pair_is_not_scored(project, annotator):
    gold_first(project, golds=2, recent=1, min_accuracy=1.0)
    sitting_start(project=project, annotator=annotator)
    for side in ("tie", "skip"):
        assignment, _ = assignment_next(project=project, annotator=annotator)
        assert assignment.is_gold
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side=side)
    # Neither names a response to check against the gold answer: neither is scored, nor pauses anyone.
    assert list(Judgment.objects.order_by("id").values_list("side", "gold_correct")) == [
        ("tie", None),
        ("skip", None),
    ]
    assert Membership.objects.get(user=annotator).paused_at is None
