"""Jobs whose worker died are failed by a periodic task, instead of staying "running" for good."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from annotate.models import ImportJob, JobState
from annotate.tasks import fail_stale_imports_task
from exporter.models import ExportJob
from exporter.tasks import fail_stale_exports

pytestmark = pytest.mark.django_db


def job(model, project, *, state: str, started_hours_ago: float | None):
    started = None if started_hours_ago is None else timezone.now() - dt.timedelta(hours=started_hours_ago)
    fields = {"source": "x.jsonl", "format": "pairs"} if model is ImportJob else {"format": "hh-rlhf", "options": {}}
    return model.objects.create(project=project, state=state, started_at=started, **fields)


@pytest.mark.parametrize(("model", "task"), [(ImportJob, fail_stale_imports_task), (ExportJob, fail_stale_exports)])
def test_a_job_running_for_hours_is_failed_and_the_others_are_left_alone(project, model, task):
    lost = job(model, project, state=JobState.RUNNING, started_hours_ago=7)
    busy = job(model, project, state=JobState.RUNNING, started_hours_ago=1)
    waiting = job(model, project, state=JobState.PENDING, started_hours_ago=None)
    finished = job(model, project, state=JobState.DONE, started_hours_ago=8)
    task()
    states = dict(model.objects.values_list("pk", "state"))
    assert states == {
        lost.pk: JobState.FAILED,
        busy.pk: JobState.RUNNING,
        waiting.pk: JobState.PENDING,
        finished.pk: JobState.DONE,
    }
    lost.refresh_from_db()
    assert lost.error == "The worker running this job stopped: no result 6 hours after it started. Start it again."
    assert lost.finished_at is not None


def test_beat_runs_both_sweeps():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"annotate.fail_stale_imports", "exporter.fail_stale_exports"} <= tasks
