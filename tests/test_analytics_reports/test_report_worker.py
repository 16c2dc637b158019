"""The bias report runs in real Celery workers on Redis, and survives a worker killed mid-task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from analytics.models import BiasReport
from analytics.services import bias_report_request
from annotate.models import Pair
from annotate.services.imports import pairs_import
from tests.conftest import HH_RLHF_TEST
from tests.factories import judgments_as_the_source_chose

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, timeout: float = 120, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def test_a_requested_report_is_computed_by_a_worker(live_worker, project, lead, annotator):
    pairs_import(project=project, source=HH_RLHF_TEST)
    judgments_as_the_source_chose(project, annotator)
    report, created = bias_report_request(project=project, user=lead)
    again, created_again = bias_report_request(project=project, user=lead)
    assert (created, created_again, again.id) == (True, False, report.id)
    wait_for(lambda: BiasReport.objects.get(pk=report.id).state in {"done", "failed"}, step=0.2)
    report.refresh_from_db()
    assert report.state == "done", report.error
    assert report.payload["n_judgments"] == 2312
    assert report.duration_ms > 0
    assert BiasReport.objects.filter(project=project).count() == 1
    assert not Pair.objects.filter(project=project, transcript_similarity__isnull=True).exists()


def worker_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_report_leads_to_redelivery_and_one_finished_report(project, annotator, settings):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs REDIS_URL")
    pairs_import(project=project, source=HH_RLHF_TEST)
    judgments_as_the_source_chose(project, annotator)
    from config.celery import app

    app.control.purge()  # messages left by an earlier run name rows of another test database
    worker = _subprocess_worker(concurrency=1)
    try:
        wait_for(lambda: worker_children(worker.pid), timeout=60, step=0.1)
        report, _ = bias_report_request(project=project)
        wait_for(lambda: BiasReport.objects.get(pk=report.id).state == "running")
        # The child running it, read now: one read at the worker's start was once gone by then (a full
        # CI run: ProcessLookupError), as the pool had replaced it.
        os.kill(wait_for(lambda: worker_children(worker.pid), timeout=60, step=0.05)[0], signal.SIGKILL)
        wait_for(lambda: BiasReport.objects.get(pk=report.id).state in {"done", "failed"}, timeout=180, step=0.2)
    finally:
        output = _worker_stop(worker)
    report.refresh_from_db()
    assert report.state == "done", (report.error, output[-3000:])
    assert report.attempts == 2, output[-3000:]
    assert "WorkerLostError" in output or "Process" in output
    assert BiasReport.objects.filter(project=project).count() == 1
    assert report.payload["n_judgments"] == 2312


def _subprocess_worker(*, concurrency: int) -> subprocess.Popen:
    """A prefork worker in its own process, on this test's database (purge the queue first: messages
    left by an earlier run name rows of another test database)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{connection.settings_dict['USER']}@{connection.settings_dict['HOST']}:"
        f"{connection.settings_dict['PORT']}/{connection.settings_dict['NAME']}",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _worker_stop(worker: subprocess.Popen) -> str:
    worker.send_signal(signal.SIGTERM)
    try:
        return worker.communicate(timeout=60)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.communicate()[0].decode(errors="replace")


@pytest.mark.django_db(transaction=True)
def test_a_report_sent_twice_is_computed_once_by_two_free_workers(project, annotator, settings):
    """The sweep sends a report still pending after REQUEUE_AFTER again (its first message may only be
    slow, behind a long export); when both messages arrive, the second must not take over the report
    the first is computing."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs REDIS_URL")
    from analytics.tasks import compute_bias_report
    from config.celery import app

    pairs_import(project=project, source=HH_RLHF_TEST)
    judgments_as_the_source_chose(project, annotator)
    app.control.purge()
    report, _ = bias_report_request(project=project)
    compute_bias_report.delay(report.id)  # what jobs_requeue_pending sends
    worker = _subprocess_worker(concurrency=2)
    try:
        wait_for(lambda: BiasReport.objects.get(pk=report.id).state in {"done", "failed"}, timeout=180, step=0.2)
        time.sleep(5)  # let a second computation, if any, finish too
    finally:
        output = _worker_stop(worker)
    report.refresh_from_db()
    assert report.state == "done", (report.error, output[-3000:])
    assert report.attempts == 1, output[-3000:]


@pytest.mark.django_db(transaction=True)
def test_a_report_that_keeps_killing_its_worker_fails_instead_of_looping(project, annotator, settings):
    """reject_on_worker_lost sends the message of a killed worker's report back, and the next worker
    takes the report over: a report that kills every worker (out of memory) must end, not loop."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs REDIS_URL")
    from analytics.services import REPORT_MAX_ATTEMPTS
    from config.celery import app

    pairs_import(project=project, source=HH_RLHF_TEST)
    judgments_as_the_source_chose(project, annotator)
    app.control.purge()
    worker = _subprocess_worker(concurrency=1)
    try:
        wait_for(lambda: worker_children(worker.pid), timeout=60, step=0.1)
        report, _ = bias_report_request(project=project)
        for attempt in range(1, REPORT_MAX_ATTEMPTS + 1):
            wait_for(lambda a=attempt: BiasReport.objects.filter(pk=report.id, state="running", attempts=a).exists())
            os.kill(wait_for(lambda: worker_children(worker.pid), timeout=60, step=0.05)[0], signal.SIGKILL)
        wait_for(lambda: BiasReport.objects.get(pk=report.id).state in {"done", "failed"}, timeout=180, step=0.2)
    finally:
        output = _worker_stop(worker)
    report.refresh_from_db()
    assert (report.state, report.attempts) == ("failed", REPORT_MAX_ATTEMPTS), output[-3000:]
    assert f"stopped {REPORT_MAX_ATTEMPTS} times" in report.error
