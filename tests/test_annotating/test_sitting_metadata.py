"""The sitting facts a judgment stores: its time in the sitting, apart from the working stretch; the
sitting's ordinal of the day, across projects; the streak of fast answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotate.models import AnnotationSession, Judgment, Membership, Pair, Project, Role
from annotate.services.annotating import (
    assignment_next,
    judgment_submit,
    sitting_activity_record,
    sitting_end,
    sitting_start,
)
from tests.conftest import make_pairs

pytestmark = pytest.mark.django_db


def answer(project, annotator, *, now, served=None, side="left", **extras) -> Judgment:
    """Lease the next pair at `served` (else `now`) and answer it at `now`."""
    assignment, _ = assignment_next(project=project, annotator=annotator, now=served or now)
    return judgment_submit(assignment_id=assignment.id, annotator=annotator, side=side, now=now, **extras).judgment


def streak(judgment: Judgment) -> int:
    return AnnotationSession.objects.get(pk=judgment.sitting_id).fast_streak


def test_time_in_the_sitting_runs_from_its_own_start_not_the_working_stretchs(project, annotator, pairs):
    project.break_minutes = 0
    project.save()
    start = timezone.now()
    sitting_start(project=project, annotator=annotator, now=start)
    answer(project, annotator, now=start + dt.timedelta(minutes=3))
    sitting_end(project=project, annotator=annotator, now=start + dt.timedelta(minutes=3))
    # Back after a minute: too short a pause to be a rest, so the working stretch goes on.
    again = start + dt.timedelta(minutes=4)
    sitting_start(project=project, annotator=annotator, now=again)
    second = answer(project, annotator, now=again + dt.timedelta(minutes=2))
    assert second.index_in_sitting == 1
    assert second.elapsed_in_sitting_ms == 2 * 60_000
    assert second.since_break_ms == 6 * 60_000


def test_the_ordinal_of_the_day_counts_the_sittings_in_every_project(project, annotator, pairs, settings):
    settings.TIME_ZONE = "UTC"
    elsewhere = Project.objects.create(slug="elsewhere", name="Elsewhere", break_minutes=0)
    make_pairs(elsewhere, 3, prefix="e")
    Membership.objects.create(user=annotator, project=elsewhere, role=Role.ANNOTATOR)
    project.break_minutes = 0
    project.save()
    start = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    ordinals = []
    for minutes, where in ((0, project), (10, elsewhere), (20, project)):
        now = start + dt.timedelta(minutes=minutes)
        sitting_start(project=where, annotator=annotator, now=now)
        ordinals.append(answer(where, annotator, now=now + dt.timedelta(minutes=1)).sitting_ordinal_today)
        sitting_end(project=where, annotator=annotator, now=now + dt.timedelta(minutes=1))
    assert ordinals == [1, 2, 3]


def test_an_answer_read_in_full_ends_a_streak_of_fast_ones(project, annotator, pairs):
    Pair.objects.filter(project=project).update(words_context=238, words_response_a=0, words_response_b=0)
    now = timezone.now()
    sitting_start(project=project, annotator=annotator, now=now)
    streaks = []
    for dwell_ms in (1_000, 1_000, 40_000, 1_000):
        served, now = now, now + dt.timedelta(milliseconds=dwell_ms)
        judgment = answer(project, annotator, served=served, now=now, dwell_ms=dwell_ms)
        streaks.append((judgment.fast, streak(judgment)))
    assert streaks == [(True, 1), (True, 2), (False, 0), (True, 1)]


def test_a_skip_is_never_fast(project, annotator, pairs):
    project.allow_skip = True
    project.save()
    now = timezone.now()
    sitting_start(project=project, annotator=annotator, now=now)
    skipped = answer(project, annotator, served=now, now=now + dt.timedelta(seconds=1), side="skip", dwell_ms=500)
    assert skipped.reading_floor_ms > 500
    assert skipped.fast is False
    assert streak(skipped) == 0


def test_a_pause_shorter_than_the_projects_own_break_is_no_rest(project, annotator, pairs):
    # A break of 10 minutes after a sitting elsewhere lets a sitting start here after it; this project's
    # own break is 30 minutes, and a pause shorter than that goes on with the working stretch.
    elsewhere = Project.objects.create(slug="elsewhere", name="Elsewhere", break_minutes=10)
    make_pairs(elsewhere, 3, prefix="e")
    Membership.objects.create(user=annotator, project=elsewhere, role=Role.ANNOTATOR)
    project.break_minutes = 30
    project.save()
    start = timezone.now()
    sitting_start(project=elsewhere, annotator=annotator, now=start)
    answer(elsewhere, annotator, now=start + dt.timedelta(minutes=2))
    sitting_end(project=elsewhere, annotator=annotator, now=start + dt.timedelta(minutes=2))
    again = start + dt.timedelta(minutes=17)
    sitting_start(project=project, annotator=annotator, now=again)
    judgment = answer(project, annotator, now=again + dt.timedelta(minutes=1))
    assert judgment.elapsed_in_sitting_ms == 60_000
    assert judgment.since_break_ms == 18 * 60_000


def test_word_of_activity_that_waited_behind_an_answer_does_not_move_the_idle_clock_back(project, annotator, pairs):
    start = timezone.now()
    sitting_start(project=project, annotator=annotator, now=start)
    answer(project, annotator, now=start + dt.timedelta(minutes=3))
    # Its clock read at the first minute, before the answer's: the idle timeout still runs from the answer.
    sitting = sitting_activity_record(project=project, annotator=annotator, now=start + dt.timedelta(minutes=1))
    assert sitting.last_activity_at == start + dt.timedelta(minutes=3)
    assert AnnotationSession.objects.get(pk=sitting.pk).last_activity_at == start + dt.timedelta(minutes=3)
