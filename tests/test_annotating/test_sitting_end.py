"""Ending a sitting by hand: only the sitting the page means, and at a limit already passed, there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotate.models import AnnotationSession
from annotate.services.annotating import AnnotationError, sitting_end, sitting_start

pytestmark = pytest.mark.django_db


def test_a_page_left_on_an_ended_sitting_does_not_end_the_one_open_now(project, annotator, pairs):
    project.break_minutes = 0
    project.save()
    start = timezone.now()
    old, _ = sitting_start(project=project, annotator=annotator, now=start)
    sitting_end(project=project, annotator=annotator, sitting_id=old.id, now=start + dt.timedelta(minutes=1))
    new, _ = sitting_start(project=project, annotator=annotator, now=start + dt.timedelta(minutes=2))
    with pytest.raises(AnnotationError) as refused:
        sitting_end(project=project, annotator=annotator, sitting_id=old.id, now=start + dt.timedelta(minutes=3))
    assert refused.value.code == "sitting_ended" and refused.value.sitting.id == old.id
    assert AnnotationSession.objects.get(pk=new.pk).is_open


def test_ended_by_hand_after_its_idle_limit_a_sitting_ended_at_that_limit(project, annotator, pairs):
    start = timezone.now()
    sitting_start(project=project, annotator=annotator, now=start)
    ended = sitting_end(project=project, annotator=annotator, now=start + dt.timedelta(minutes=8))
    idle_end = start + dt.timedelta(minutes=project.idle_timeout_minutes)
    assert (ended.end_reason, ended.ended_at) == ("idle", idle_end)
    assert ended.break_until == idle_end + dt.timedelta(minutes=project.break_minutes)
