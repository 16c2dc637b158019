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


def test_the_sweeps_have_a_queue_of_their_own_that_every_stack_consumes():
    """Behind long jobs on the default queue the sweeps' messages expired unrun (found by the job life
    cycle audit): they go to `sweeps`, which a worker of its own takes in docker-compose, and which
    the main worker, and `make run`'s, take too (a sweep that no worker takes never runs)."""
    import re
    from pathlib import Path

    from config.celery import app

    root = Path(__file__).resolve().parent.parent
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert app.amqp.router.route({}, entry["task"])["queue"].name == "sweeps", entry["task"]
    assert app.amqp.router.route({}, "annotate.import_pairs")["queue"].name == "celery"
    compose = (root / "docker-compose.yml").read_text()
    queues = re.findall(r'"--queues=([a-z,]+)"', compose)
    assert sorted(queues) == ["celery,sweeps", "sweeps"]
    assert "--queues=celery,sweeps" in (root / "Makefile").read_text()


def test_a_periodic_message_expires_when_the_next_one_is_due():
    """With the worker down, beat keeps sending: each message must lapse instead of queueing up to be
    run back to back (1,440 sittings sweeps a day) when the worker returns."""
    from celery.beat import ScheduleEntry

    from config.celery import app

    for name, fields in settings.CELERY_BEAT_SCHEDULE.items():
        entry = ScheduleEntry(name=name, app=app, **fields)
        assert 0 < entry.options["expires"] <= entry.schedule.run_every.total_seconds(), name


class SentTask:
    """Stands for a Celery task: records the job ids sent."""

    name = "test.sent"

    def __init__(self) -> None:
        self.sent: list[int] = []

    def delay(self, job_id: int) -> None:
        self.sent.append(job_id)


def created(model, project, *, minutes_ago: float, state: str = JobState.PENDING):
    made = job(model, project, state=state, started_hours_ago=None)
    model.objects.filter(pk=made.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return made


@pytest.mark.parametrize("model", [ImportJob, ExportJob])
def test_pending_jobs_are_sent_again_after_ten_minutes_and_failed_after_six_hours(project, model):
    from annotate.services.jobs import jobs_fail_stale, jobs_requeue_pending

    fresh = created(model, project, minutes_ago=1)
    lost = created(model, project, minutes_ago=11)
    never = created(model, project, minutes_ago=7 * 60)
    done = created(model, project, minutes_ago=30, state=JobState.DONE)
    assert jobs_fail_stale(model=model) == 1
    task = SentTask()
    assert jobs_requeue_pending(model=model, task=task) == 1
    assert task.sent == [lost.pk]
    states = dict(model.objects.values_list("pk", "state"))
    assert [states[j.pk] for j in (fresh, lost, never, done)] == ["pending", "pending", "failed", "done"]
    never.refresh_from_db()
    assert never.error.startswith("No worker took this job in the 6 hours after it was started")


def test_the_sweeps_delete_the_files_no_waiting_or_running_job_needs(project, tmp_path, monkeypatch):
    # Found by the job life cycle audit: a job failed by the stale sweep kept its upload or its
    # export's work directory, and a half-written archive stayed for good.
    import os

    monkeypatch.setattr(settings, "PAIRWISE_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setattr(settings, "MEDIA_ROOT", str(tmp_path / "media"))
    uploads, exports = tmp_path / "uploads", tmp_path / "media" / "exports" / str(project.pk)
    uploads.mkdir()
    exports.mkdir(parents=True)
    two_hours_ago = (timezone.now() - dt.timedelta(hours=2)).timestamp()

    def made(path, *, old=True, directory=False):
        path.mkdir() if directory else path.write_bytes(b"x")
        if old:
            os.utime(path, (two_hours_ago, two_hours_ago))
        return path

    waiting = job(ImportJob, project, state=JobState.PENDING, started_hours_ago=None)
    ImportJob.objects.filter(pk=waiting.pk).update(source=str(made(uploads / "waiting.jsonl")))
    left = made(uploads / "left.jsonl")
    fresh = made(uploads / "fresh.jsonl", old=False)  # its job may not have committed yet
    running = job(ExportJob, project, state=JobState.RUNNING, started_hours_ago=1)
    ended = job(ExportJob, project, state=JobState.FAILED, started_hours_ago=2)
    done = job(ExportJob, project, state=JobState.DONE, started_hours_ago=2)
    kept_archive = made(exports / "p-export-1.zip")
    ExportJob.objects.filter(pk=done.pk).update(file=str(kept_archive.relative_to(tmp_path / "media")))
    made(exports / f"job-{running.pk}", directory=True)
    made(exports / f"job-{ended.pk}", directory=True)
    made(exports / "p-export-2.zip")  # half an archive, named by no row
    fail_stale_imports_task()
    fail_stale_exports()
    assert sorted(path.name for path in uploads.iterdir()) == ["fresh.jsonl", "waiting.jsonl"]
    assert sorted(path.name for path in exports.iterdir()) == [f"job-{running.pk}", "p-export-1.zip"]
    assert not left.exists() and fresh.exists()
