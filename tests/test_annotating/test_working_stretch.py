"""The working stretch behind `Judgment.since_break_ms`: the person's, across sittings and projects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotate.models import AnnotationSession, Membership, Project, Role
from annotate.services.annotating import REST_MINUTES, assignment_next, judgment_submit, sitting_end, sitting_start
from tests.conftest import make_pairs, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_projects():
    projects = [
        Project.objects.create(slug=slug, name=slug, sitting_minutes=25, break_minutes=0) for slug in ("x", "y")
    ]
    for project in projects:
        make_pairs(project, 8, prefix=project.slug)
    return projects


@pytest.fixture
def worker(two_projects):
    person = make_user("worker")
    for project in two_projects:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    return person


def work(project, person, clock, *, minutes: int, answers: int = 1) -> int:
    """Open (or keep) a sitting, answer `answers` pairs `minutes` apart; the last judgment's since_break_ms."""
    sitting_start(project=project, annotator=person)
    for _ in range(answers):
        assignment, _ = assignment_next(project=project, annotator=person)
        clock.advance(minutes=minutes)
        judgment = judgment_submit(assignment_id=assignment.id, annotator=person, side="left").judgment
    return judgment.since_break_ms


def test_a_short_pause_goes_on_with_the_stretch_and_a_rest_starts_another(two_projects, worker, clock):
    x, _ = two_projects
    assert work(x, worker, clock, minutes=4, answers=5) == 20 * 60_000
    sitting_end(project=x, annotator=worker)
    clock.advance(minutes=REST_MINUTES - 1)
    assert work(x, worker, clock, minutes=1) == (20 + REST_MINUTES - 1 + 1) * 60_000
    sitting_end(project=x, annotator=worker)
    clock.advance(minutes=REST_MINUTES)
    assert work(x, worker, clock, minutes=1) == 60_000


def test_switching_projects_without_a_rest_goes_on_with_the_stretch(two_projects, worker, clock):
    """Found in review: the stretch was per project, so a change of project read as a rest."""
    x, y = two_projects
    work(x, worker, clock, minutes=4, answers=5)
    sitting_end(project=x, annotator=worker)
    clock.advance(seconds=5)
    assert work(y, worker, clock, minutes=1) == (20 * 60 + 5 + 60) * 1000


def test_a_sitting_left_open_past_its_limits_ended_at_them(two_projects, worker, clock):
    """Found in review: a sitting of another project left open (the sweep had not closed it yet)
    counted as work under way, 20 hours on."""
    x, y = two_projects
    work(x, worker, clock, minutes=1)  # x's sitting stays open; its idle limit passes
    clock.advance(hours=20)
    assert work(y, worker, clock, minutes=1) == 60_000


def test_the_sitting_that_ended_last_decides_not_the_one_that_started_last(two_projects, worker, clock):
    """Found in review: the latest sitting by start (a short one in y, opened while x ran) decided,
    and read 7 minutes of work in x as a rest. Sittings in two projects at once are refused now; these
    two are from before that rule."""
    x, y = two_projects
    sitting_start(project=x, annotator=worker)
    clock.advance(minutes=1)
    now = timezone.now()
    AnnotationSession.objects.create(
        project=y,
        annotator=worker,
        started_at=now,
        deadline=now + dt.timedelta(minutes=25),
        item_limit=10,
        last_activity_at=now,
        ordinal_today=2,
        stretch_started_at=now,
    )
    sitting_end(project=y, annotator=worker)
    assert work(x, worker, clock, minutes=2, answers=3) == 7 * 60_000
    sitting_end(project=x, annotator=worker)
    clock.advance(seconds=30)
    assert work(y, worker, clock, minutes=1) == (7 * 60 + 30 + 60) * 1000


def test_the_idle_time_that_ended_a_sitting_is_rest_not_work(two_projects, worker, clock):
    """Found by the sitting lifecycle audit: a rest was counted from the end of a sitting that went idle,
    so the idle timeout's own minutes (no answer, no input: what ended it) counted as work, and an
    annotator back six minutes after their last answer went on with the stretch."""
    x, _ = two_projects  # no break: the rest is the annotator's own
    assert x.idle_timeout_minutes == REST_MINUTES == 5
    work(x, worker, clock, minutes=1)  # the last answer
    clock.advance(minutes=REST_MINUTES + 1)  # the sitting went idle 5 minutes after it, a minute ago
    assert work(x, worker, clock, minutes=1) == 60_000
    assert AnnotationSession.objects.filter(project=x).order_by("id").first().end_reason == "idle"
