"""A project takes at most MAX_WAITING_JOBS imports, and as many exports, waiting or running at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import ImportJob, JobState
from annotate.services.jobs import MAX_WAITING_JOBS
from exporter.models import ExportJob

pytestmark = pytest.mark.django_db


def fill(model, project, *, state: str = JobState.PENDING) -> list:
    fields = {"source": "x.jsonl", "format": "pairs"} if model is ImportJob else {"format": "hh-rlhf", "options": {}}
    return [model.objects.create(project=project, state=state, **fields) for _ in range(MAX_WAITING_JOBS)]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("pairs.jsonl", b'{"prompt": "p", "response_a": "a", "response_b": "b"}\n')


def test_an_import_past_the_waiting_limit_is_a_429_and_leaves_no_file(project, lead, upload_dir):
    waiting = fill(ImportJob, project)
    refused = api(lead).post("/api/projects/helpful/imports/", {"file": upload()}, format="multipart")
    assert refused.status_code == 429 and refused.json()["code"] == "busy"
    assert "already waiting or running" in refused.json()["detail"]
    assert ImportJob.objects.count() == MAX_WAITING_JOBS
    assert not upload_dir.exists() or not any(upload_dir.iterdir())
    ImportJob.objects.filter(pk=waiting[0].pk).update(state=JobState.DONE)
    accepted = api(lead).post("/api/projects/helpful/imports/", {"file": upload()}, format="multipart")
    assert accepted.status_code == 202


def test_the_import_page_says_why_an_import_was_not_started(project, lead, upload_dir):
    fill(ImportJob, project, state=JobState.RUNNING)
    client = Client()
    client.force_login(lead)
    page = client.post("/projects/helpful/imports/", {"file": upload(), "format": ""}, follow=True)
    (message,) = [str(m) for m in page.context["messages"]]
    assert message.startswith("Import not started: 5 import jobs")
    assert ImportJob.objects.count() == MAX_WAITING_JOBS


def test_an_export_past_the_waiting_limit_is_refused_on_the_api_and_the_page(project, engineer, other_project, lead):
    fill(ExportJob, project)
    refused = api(engineer).post("/api/projects/helpful/exports/", {"format": "preference"}, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "busy"
    client = Client()
    client.force_login(engineer)
    page = client.post("/projects/helpful/exports/", {"format": "preference"}, follow=True)
    (message,) = [str(m) for m in page.context["messages"]]
    assert message.startswith("Export not started: 5 export jobs")
    assert ExportJob.objects.count() == MAX_WAITING_JOBS


def test_jobs_older_than_the_stale_limit_and_other_projects_jobs_do_not_count(project, other_project, lead):
    lost = fill(ExportJob, project)
    ExportJob.objects.filter(pk__in=[job.pk for job in lost]).update(created_at=timezone.now() - dt.timedelta(hours=7))
    fill(ExportJob, other_project)
    response = api(lead).post("/api/projects/helpful/exports/", {"format": "preference"}, format="json")
    assert response.status_code == 202
