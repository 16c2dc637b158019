"""A report whose message was lost, or whose worker died, no longer blocks its project's reports."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

import pytest
from django.utils import timezone

from analytics.models import BiasReport
from analytics.services import _REPORT_LOCK, bias_report_request, bias_reports_schedule
from analytics.tasks import compute_bias_report
from annotate.models import JobState
from tests.conftest import advisory_lock_held_elsewhere, make_pairs
from tests.factories import judgments_bulk

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """The report ids sent to the workers (none runs here)."""
    ids: list[int] = []
    monkeypatch.setattr(compute_bias_report, "delay", ids.append)
    return ids


def aged(report: BiasReport, *, minutes: float, state: str = JobState.PENDING) -> BiasReport:
    at = timezone.now() - dt.timedelta(minutes=minutes)
    BiasReport.objects.filter(pk=report.pk).update(created_at=at, started_at=at, state=state)
    return report


@pytest.mark.parametrize("state", [JobState.PENDING, JobState.RUNNING])
def test_a_report_stuck_for_an_hour_is_failed_and_the_next_one_is_asked_for(
    project, annotator, sent, state, django_capture_on_commit_callbacks
):
    make_pairs(project, 3)
    judgments_bulk(project, annotator, choose=lambda _pair_id, preference: preference or "a")
    stuck = aged(bias_report_request(project=project)[0], minutes=61, state=state)
    # While it stood, no other report of the project could be asked for (a running one: while a worker
    # holds it, as a live one does; see below for one whose worker died).
    held = advisory_lock_held_elsewhere(_REPORT_LOCK, stuck.pk) if state == JobState.RUNNING else nullcontext()
    with held:
        assert bias_report_request(project=project) == (stuck, False)
    with django_capture_on_commit_callbacks(execute=True):
        assert bias_reports_schedule() == 1
    stuck.refresh_from_db()
    assert stuck.state == JobState.FAILED and "1 hour" in stuck.error
    fresh = BiasReport.objects.get(state=JobState.PENDING)
    assert sent[-1] == fresh.pk


def test_a_report_whose_worker_died_whole_gives_way_to_the_next_one_asked_for(
    project, sent, django_capture_on_commit_callbacks
):
    # Found by the job life cycle audit: a worker killed whole (not one of its children) sends its
    # message back only after the broker's visibility timeout, and until then every request returned
    # the stuck "running" row. Its lock is free: no worker holds it.
    stuck = aged(bias_report_request(project=project)[0], minutes=2, state=JobState.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        fresh, created = bias_report_request(project=project)
    assert created and fresh.pk != stuck.pk and sent[-1] == fresh.pk
    stuck.refresh_from_db()
    assert stuck.state == JobState.FAILED and "stopped" in stuck.error
    # Its message, back later, computes nothing.
    from analytics.services import bias_report_compute

    assert bias_report_compute(report_id=stuck.pk) is None
    assert BiasReport.objects.get(pk=stuck.pk).state == JobState.FAILED


def test_a_report_pending_for_ten_minutes_is_sent_again(project, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lost = aged(bias_report_request(project=project)[0], minutes=11)
    recent = bias_report_request(project=project)[0]
    assert recent == lost
    bias_reports_schedule()
    assert sent == [lost.pk, lost.pk]  # when asked for, and again by the sweep
    lost.refresh_from_db()
    assert lost.state == JobState.PENDING


def test_beat_keeps_each_projects_newest_reports_and_its_latest_done_one(project, other_project, sent):
    # Every report beat computed was kept, a payload every few minutes for good (found by the scale audit).
    from analytics.services import bias_reports_prune

    now = timezone.now()

    def report(project, minutes_ago: int, state: str) -> int:
        at = now - dt.timedelta(minutes=minutes_ago)
        made = BiasReport.objects.create(project=project, payload={"n_judgments": 0})
        BiasReport.objects.filter(pk=made.pk).update(state=state, created_at=at, computed_at=at)
        return made.pk

    done = report(project, 100, JobState.DONE)  # the latest done: every newer one failed
    failed = [report(project, 90 - i, JobState.FAILED) for i in range(5)]
    theirs = [report(other_project, 50 - i, JobState.DONE) for i in range(3)]
    assert bias_reports_prune(keep=2) == 3 + 1
    assert set(BiasReport.objects.filter(project=project).values_list("id", flat=True)) == {done, *failed[-2:]}
    assert set(BiasReport.objects.filter(project=other_project).values_list("id", flat=True)) == set(theirs[-2:])
    assert bias_reports_prune(keep=2) == 0


def test_beat_recomputes_a_latest_report_of_an_older_version_without_new_judgments(
    project, sent, django_capture_on_commit_callbacks
):
    # Found by the operator's upgrade audit: beat asked only for projects with judgments newer than
    # their latest report, so a project idle since an upgrade kept the old version's flags for good.
    from analytics.services import bias_report_payload

    at = timezone.now() - dt.timedelta(minutes=30)
    current = BiasReport.objects.create(project=project, payload=bias_report_payload(project=project))
    BiasReport.objects.filter(pk=current.pk).update(state=JobState.DONE, created_at=at, computed_at=at)
    assert bias_reports_schedule() == 0 and sent == []
    old = BiasReport.objects.create(project=project, payload={"n_judgments": 0})
    BiasReport.objects.filter(pk=old.pk).update(state=JobState.DONE, created_at=at, computed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert bias_reports_schedule() == 1
    assert sent == [BiasReport.objects.get(state=JobState.PENDING).pk]
