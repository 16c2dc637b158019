"""A job that fails on an internal error (a bug, an outage) shows its kind, not its text: the text
can carry the server's paths, hosts or SQL, and the lead who reads the job's row needs none of it."""

from __future__ import annotations

import pytest

from analytics import services as analytics_services
from analytics.models import BiasReport
from analytics.services import REPORT_STALE_AFTER
from analytics.tasks import compute_bias_report
from annotate.models import ImportJob, JobState
from annotate.services import imports
from annotate.services.jobs import STALE_AFTER
from annotate.tasks import import_pairs_task
from exporter import services as exporter_services
from exporter.models import ExportJob
from exporter.tasks import run_export
from tests.conftest import HH_RLHF_TEST

pytestmark = pytest.mark.django_db

LEAK = "could not connect to server at db.internal:5432 as pairwise with password hunter2"


def outage(*args, **kwargs):
    raise ConnectionError(LEAK)


def test_an_import_that_fails_on_an_internal_error_shows_its_kind_not_its_text(project, monkeypatch):
    monkeypatch.setattr(imports, "pairs_import", outage)
    job = ImportJob.objects.create(project=project, source="Anthropic/hh-rlhf", format="hf")
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "An internal error (ConnectionError) stopped this import; the worker's log has the details."


def test_an_export_that_fails_on_an_internal_error_shows_its_kind_not_its_text(
    project, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(exporter_services, "export_write", outage)
    job = ExportJob.objects.create(project=project, format="hh-rlhf", options={})
    exporter_services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "An internal error (ConnectionError) stopped this export; the worker's log has the details."


def test_an_export_whose_tokenizer_is_not_a_hub_id_says_so(project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = ExportJob.objects.create(
        project=project, format="tokenized", options={"format": "tokenized", "tokenizer": str(tmp_path)}
    )
    exporter_services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "must be a Hugging Face Hub id" in job.error  # the engineer's to fix, so shown


def test_a_report_that_fails_on_an_internal_error_shows_its_kind_not_its_text(project, monkeypatch):
    monkeypatch.setattr(analytics_services, "bias_report_payload", outage)
    report = BiasReport.objects.create(project=project)
    with pytest.raises(ConnectionError):
        analytics_services.bias_report_compute(report_id=report.pk)
    report.refresh_from_db()
    assert report.state == JobState.FAILED
    assert report.error == "An internal error (ConnectionError) stopped this report; the worker's log has the details."


def test_an_import_stopped_at_its_time_limit_says_so_and_writes_nothing(project, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    for name in ("_postgres_insert", "_batched_insert"):

        def hung(*args, real=getattr(imports, name), **kwargs):
            real(*args, **kwargs)  # the rows are written, in the import's one transaction...
            raise SoftTimeLimitExceeded()  # ...when the worker's soft limit strikes

        monkeypatch.setattr(imports, name, hung)
    job = ImportJob.objects.create(project=project, source=str(HH_RLHF_TEST), format="hh-rlhf")
    imports.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "This import ran into its time limit and was stopped (the worker's log says after how long)."
    assert not project.pairs.exists()


@pytest.mark.parametrize(
    ("task", "stale_after"),
    [
        (import_pairs_task, STALE_AFTER),
        (run_export, STALE_AFTER),
        (compute_bias_report, REPORT_STALE_AFTER),
    ],
)
def test_a_job_task_is_stopped_by_its_worker_before_the_sweep_would_fail_its_row(task, stale_after):
    assert 0 < task.soft_time_limit < task.time_limit < stale_after.total_seconds()


def test_measuring_pairs_is_not_sent_again_when_its_worker_dies_and_has_a_time_limit():
    from analytics.tasks import fill_pair_measures

    assert fill_pair_measures.acks_late and not fill_pair_measures.reject_on_worker_lost
    assert 0 < fill_pair_measures.soft_time_limit < fill_pair_measures.time_limit < STALE_AFTER.total_seconds()


def test_sending_a_job_to_a_redis_that_never_answers_gives_up_instead_of_hanging(settings, caplog):
    # Found by the job life cycle audit: a Redis that took connections and never answered held the
    # web request that queued a job for good. The row is committed first;
    # the sweep sends the job again.
    import socket
    import threading

    from celery import Celery

    from annotate.services.jobs import task_send

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs the Redis broker's settings")
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    app = Celery("silent", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"

    def noop(job_id: int) -> None:
        pass

    app.task(name="silent.noop", ignore_result=True, shared=False)(noop)
    app.finalize()
    task = app.tasks["silent.noop"]
    sender = threading.Thread(
        target=lambda: task_send(task=task, arg=1, recovery="the sweep sends it again"), daemon=True
    )
    sender.start()
    sender.join(timeout=60)  # not a speed check: a send that blocked for good never ends
    listener.close()
    assert not sender.is_alive()
    assert "could not send silent.noop(1); the sweep sends it again" in caplog.text
