"""Imports started from the API run in a real Celery worker on Redis."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import ImportJob, JobState, Pair
from annotate.services.imports import _IMPORT_JOB_LOCK, ERRORS_KEPT, import_job_run
from annotate.services.jobs import JOB_MAX_ATTEMPTS
from tests.conftest import advisory_lock_held_elsewhere

from .conftest import gzip_damaged, gzip_past_one_mib, hh_row, past_the_gzip_limit

pytestmark = pytest.mark.worker

URL = "/api/projects/helpful/imports/"


def job_finished(job_id: int) -> ImportJob:
    """The job once the worker has finished it (polls; the test's timeout bounds the wait)."""
    while True:
        job = ImportJob.objects.get(pk=job_id)
        if job.state in (JobState.DONE, JobState.FAILED):
            return job
        time.sleep(0.1)


def start(lead, lines: list[str], **fields) -> int:
    client = APIClient()
    client.force_login(lead)
    file = SimpleUploadedFile("hh.jsonl", "\n".join(lines).encode())
    response = client.post(URL, {"file": file, **fields}, format="multipart")
    assert response.status_code == 202
    return response.json()["id"]


def test_an_api_import_ends_done_with_the_right_counts(live_worker, lead, project, upload_dir) -> None:
    lines = [json.dumps(hh_row(i)) for i in (0, 1, 2, 1)]
    job = job_finished(start(lead, lines))
    assert (job.state, job.format, job.error) == (JobState.DONE, "hh-rlhf", "")
    assert (job.rows_read, job.pairs_created, job.duplicates_skipped, job.invalid_rows) == (4, 3, 1, 0)
    assert job.started_at is not None and job.finished_at is not None
    assert Pair.objects.filter(project=project).count() == 3
    assert set(Pair.objects.values_list("source_name", flat=True)) == {"hh.jsonl"}
    assert list(upload_dir.iterdir()) == []  # the uploaded file is deleted once imported


def test_an_api_import_of_bad_rows_ends_failed_with_the_errors_and_writes_nothing(
    live_worker, lead, project, upload_dir
) -> None:
    lines = [json.dumps(hh_row(0)), json.dumps({"chosen": "x"}), json.dumps(hh_row(2))]
    job = job_finished(start(lead, lines))
    assert job.state == JobState.FAILED
    assert job.errors == [{"row": 2, "field": "rejected", "message": "missing"}]
    assert "row 2, field 'rejected': missing" in job.error
    assert (job.rows_read, job.pairs_created, job.invalid_rows) == (3, 0, 1)
    assert job.format == "hh-rlhf"  # detected, and shown, though the job failed
    assert not Pair.objects.filter(project=project).exists()


def test_an_api_import_with_skip_invalid_ends_done_and_lists_the_bad_rows(live_worker, lead, project, upload_dir):
    lines = [json.dumps(hh_row(0)), "{", json.dumps(hh_row(2))]
    job = job_finished(start(lead, lines, skip_invalid="true"))
    assert (job.state, job.pairs_created, job.invalid_rows) == (JobState.DONE, 2, 1)
    assert [(e["row"], e["field"]) for e in job.errors] == [(2, "json")]


def test_an_api_import_of_a_truncated_gzip_file_ends_failed_with_the_reason(live_worker, lead, project, upload_dir):
    client = APIClient()
    client.force_login(lead)
    body = gzip_damaged("".join(json.dumps(hh_row(i)) + "\n" for i in range(3000)).encode(), "truncated")
    response = client.post(URL, {"file": SimpleUploadedFile("hh.jsonl.gz", body)}, format="multipart")
    job = job_finished(response.json()["id"])
    assert job.state == JobState.FAILED
    assert job.error.startswith("hh.jsonl.gz: corrupt or truncated gzip data after row")
    assert not Pair.objects.filter(project=project).exists()


def test_a_dataset_that_cannot_be_loaded_ends_failed_with_the_reason(live_worker, lead, project) -> None:
    client = APIClient()
    client.force_login(lead)
    missing = "no-such-owner/no-such-dataset"  # the Hub is out of reach here, as for a typo'd id
    response = client.post(URL, {"format": "hf", "dataset": missing}, format="json")
    assert response.status_code == 202
    job = job_finished(response.json()["id"])
    assert job.state == JobState.FAILED
    assert "no-such-dataset" in job.error


def test_a_job_a_live_worker_runs_is_not_run_again(transactional_db, project) -> None:
    job = ImportJob.objects.create(
        project=project, source="/nowhere.jsonl", format="pairs", state=JobState.RUNNING, attempts=1
    )
    with advisory_lock_held_elsewhere(_IMPORT_JOB_LOCK, job.pk):  # the worker running it
        assert import_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.error, job.finished_at, job.attempts) == (JobState.RUNNING, "", None, 1)


def test_a_job_whose_worker_died_is_run_again_and_its_upload_then_deleted(
    transactional_db, project, tmp_path, settings
):
    # Found by the job life cycle audit: a worker killed mid-import left its job "running" for the six
    # hours until the stale sweep (its message came back, to find the job no longer pending), its upload
    # on disk, and its place among the project's waiting imports taken.
    settings.PAIRWISE_UPLOAD_DIR = str(tmp_path)
    upload = tmp_path / "abc.jsonl"
    upload.write_text("\n".join(json.dumps(hh_row(i)) for i in range(3)) + "\n")
    job = ImportJob.objects.create(
        project=project, source=str(upload), format="hh-rlhf", state=JobState.RUNNING, attempts=1
    )
    finished = import_job_run(job_id=job.pk)  # the message given back, in another worker
    assert (finished.state, finished.pairs_created, finished.attempts) == (JobState.DONE, 3, 2), finished.error
    assert not upload.exists()


def test_a_job_that_stopped_its_worker_three_times_fails_and_its_upload_goes(
    transactional_db, project, tmp_path, settings
):
    settings.PAIRWISE_UPLOAD_DIR = str(tmp_path)
    upload = tmp_path / "abc.jsonl"
    upload.write_text(json.dumps(hh_row(0)) + "\n")
    job = ImportJob.objects.create(
        project=project, source=str(upload), format="hh-rlhf", state=JobState.RUNNING, attempts=JOB_MAX_ATTEMPTS
    )
    assert import_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.state == JobState.FAILED and f"stopped {JOB_MAX_ATTEMPTS} times" in job.error
    assert job.finished_at is not None and not upload.exists()
    assert not Pair.objects.exists()


def test_a_worker_that_dies_as_it_finishes_an_import_leaves_the_job_finished(
    transactional_db, project, tmp_path, settings, monkeypatch
):
    # Found by the review of this change: the upload was deleted before the job's end was written, so
    # a worker that died in between left a job to take over whose file was gone ("failed", its pairs in).
    import annotate.services.imports as imports

    settings.PAIRWISE_UPLOAD_DIR = str(tmp_path)
    upload = tmp_path / "abc.jsonl"
    upload.write_text(json.dumps(hh_row(0)) + "\n")
    job = ImportJob.objects.create(project=project, source=str(upload), format="hh-rlhf")

    def death(source: str) -> None:
        raise KeyboardInterrupt  # the worker killed as it deletes the file

    monkeypatch.setattr(imports, "_upload_discard", death)
    with pytest.raises(KeyboardInterrupt):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.pairs_created) == (JobState.DONE, 1)
    assert upload.exists()  # the sweep deletes it: no waiting or running job names it


def test_a_job_deleted_while_it_ran_stays_deleted(transactional_db, project, tmp_path, settings, monkeypatch):
    # Found by the job life cycle audit: the job's save at its end inserted the deleted row again.
    import annotate.services.imports as imports

    settings.PAIRWISE_UPLOAD_DIR = str(tmp_path)
    upload = tmp_path / "abc.jsonl"
    upload.write_text(json.dumps(hh_row(0)) + "\n")
    job = ImportJob.objects.create(project=project, source=str(upload), format="hh-rlhf")
    real = imports.pairs_import

    def deleted_meanwhile(**kwargs):
        ImportJob.objects.filter(pk=job.pk).delete()  # in the admin, while the worker imports
        return real(**kwargs)

    monkeypatch.setattr(imports, "pairs_import", deleted_meanwhile)
    assert import_job_run(job_id=job.pk) is None
    assert not ImportJob.objects.exists() and not upload.exists()


def test_an_import_whose_message_was_lost_runs_when_the_sweep_sends_it_again(
    live_worker, lead, project, upload_dir, monkeypatch
) -> None:
    from kombu.exceptions import OperationalError

    from annotate.tasks import fail_stale_imports_task, import_pairs_task

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    with monkeypatch.context() as broken:
        broken.setattr(import_pairs_task, "delay", broker_down)
        job_id = start(lead, [json.dumps(hh_row(i)) for i in range(3)])  # still a 202: the job is recorded
    assert ImportJob.objects.get(pk=job_id).state == JobState.PENDING
    fail_stale_imports_task()  # too soon: a message may only be slow
    time.sleep(1)
    assert ImportJob.objects.get(pk=job_id).state == JobState.PENDING
    ImportJob.objects.filter(pk=job_id).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    fail_stale_imports_task()
    job = job_finished(job_id)
    assert (job.state, job.pairs_created) == (JobState.DONE, 3)


def test_a_job_of_many_bad_rows_counts_them_all_and_keeps_the_first_errors(transactional_db, project, upload_dir):
    upload_dir.mkdir()
    source = upload_dir / "bomb.jsonl.gz"
    source.write_bytes(gzip.compress(b'{"prompt": "p", "chosen": "c", "rejected": ""}\n' * (ERRORS_KEPT * 3)))
    job = ImportJob.objects.create(project=project, source=str(source), format="preference", original_name="b.gz")

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.rows_read, job.invalid_rows) == (JobState.FAILED, ERRORS_KEPT * 3, ERRORS_KEPT * 3)
    assert len(job.errors) == ERRORS_KEPT
    assert job.error.startswith(f"{ERRORS_KEPT * 3} invalid row(s), nothing imported")


def test_a_job_whose_gzip_file_decompresses_past_the_limit_ends_failed_with_the_reason(
    transactional_db, project, upload_dir, settings
) -> None:
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 1
    upload_dir.mkdir()
    source = gzip_past_one_mib(upload_dir / "f3a1.jsonl.gz")
    job = ImportJob.objects.create(project=project, source=str(source), original_name="pairs.jsonl.gz")

    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert re.match(past_the_gzip_limit("pairs.jsonl.gz"), job.error)
    assert not Pair.objects.filter(project=project).exists()
    assert not source.exists()  # the upload is deleted, as after any finished job


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_runs_again_and_ends_done_once(project, settings) -> None:
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs REDIS_URL")
    import os
    import signal

    from annotate.tasks import import_pairs_task
    from config.celery import app
    from tests.conftest import HH_RLHF_TEST
    from tests.test_analytics_reports.test_report_worker import (
        _subprocess_worker,
        _worker_stop,
        wait_for,
        worker_children,
    )

    app.control.purge()  # messages left by an earlier run name rows of another test database
    worker = _subprocess_worker(concurrency=1)
    try:
        wait_for(lambda: worker_children(worker.pid), timeout=60, step=0.1)
        job = ImportJob.objects.create(project=project, source=str(HH_RLHF_TEST), format="hh-rlhf")
        import_pairs_task.delay(job.pk)
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == JobState.RUNNING, step=0.01)
        # The child running it, read now (one read at the worker's start may have been replaced since).
        os.kill(worker_children(worker.pid)[0], signal.SIGKILL)
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).state in {"done", "failed"}, timeout=180, step=0.2)
    finally:
        output = _worker_stop(worker)
    job.refresh_from_db()
    assert (job.state, job.pairs_created, job.attempts) == (JobState.DONE, 2312, 2), (job.error, output[-3000:])
    assert Pair.objects.filter(project=project).count() == 2312
