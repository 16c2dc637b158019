"""A job that fails on an internal error (a bug, an outage) shows its kind, not its text: the text
can carry the server's paths, hosts or SQL, and the lead who reads the job's row needs none of it."""

from __future__ import annotations

import pytest

from analytics import services as analytics_services
from analytics.models import BiasReport
from annotate.models import ImportJob, JobState
from annotate.services import imports
from exporter import services as exporter_services
from exporter.models import ExportJob

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
