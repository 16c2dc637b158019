"""The lead's import page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotate.models import ImportJob, JobState
from tests.alerts import alerts

from .conftest import hh_row


def page_url() -> str:
    return reverse("annotate:imports", kwargs={"slug": "helpful"})


def test_the_page_shows_the_form_and_the_projects_jobs(lead, project) -> None:
    started = dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    ImportJob.objects.create(
        project=project,
        source="x",
        original_name="old.jsonl",
        format="hh-rlhf",
        state=JobState.DONE,
        pairs_created=12,
        started_at=started,
    )
    client = Client()
    client.force_login(lead)
    response = client.get(page_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="skip_invalid"' in html
    assert "old.jsonl" in html
    assert "<td>12</td>" in html
    # "Started" is when a worker took the job, not when it was asked for.
    assert "<td>2026-03-04 05:06 UTC</td>" in html  # in the site's zone, named
    assert 'http-equiv="refresh"' not in html
    ImportJob.objects.create(project=project, source="y", original_name="new.jsonl", state=JobState.PENDING)
    assert "<td>not yet</td>" in client.get(page_url()).content.decode()


def test_a_failed_jobs_error_is_shown_whole(lead, project) -> None:
    # It was cut at 200 characters, and with it the advice at the end of the importer's messages.
    error = (
        "notes-from-the-vendor.txt: no readable rows to tell the format from: row 1, field 'json': invalid JSON: "
        "Expecting value at character 1 of the line (read as JSONL: only a name ending in .csv or .csv.gz "
        "is read as CSV)"
    )
    assert len(error) > 200
    ImportJob.objects.create(
        project=project, source="x", original_name="notes-from-the-vendor.txt", state=JobState.FAILED, error=error
    )
    client = Client()
    client.force_login(lead)
    html = client.get(page_url()).content.decode()
    assert error.replace("'", "&#x27;") in html


def test_posting_a_file_creates_a_job_and_comes_back_refreshing(lead, project, upload_dir) -> None:
    client = Client()
    client.force_login(lead)
    body = "\n".join(json.dumps(hh_row(i)) for i in range(3)).encode()
    response = client.post(
        page_url(), {"file": SimpleUploadedFile("hh.jsonl.gz", body), "format": "hh-rlhf", "skip_invalid": "on"}
    )
    assert response.status_code == 302
    job = ImportJob.objects.get(project=project)
    assert (job.original_name, job.format, job.skip_invalid, job.state) == ("hh.jsonl.gz", "hh-rlhf", True, "pending")
    assert job.source.endswith(".jsonl.gz")
    html = client.get(page_url()).content.decode()
    assert 'http-equiv="refresh"' in html
    assert "hh.jsonl.gz" in html


def test_a_file_over_the_upload_limit_comes_back_with_a_form_error(lead, project, settings, upload_dir) -> None:
    settings.PAIRWISE_MAX_UPLOAD_MB = 2
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 3
    client = Client()
    client.force_login(lead)
    assert "At most 2 MiB; a .gz file at most 3 MiB once decompressed." in client.get(page_url()).content.decode()
    response = client.post(page_url(), {"file": SimpleUploadedFile("hh.jsonl", b"x" * (3 * 1024 * 1024))})
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["The file is over 2 MiB, the most an upload may be."]}
    assert not ImportJob.objects.exists()
    assert not upload_dir.exists()


def test_a_post_without_a_file_comes_back_with_the_error_read_out_in_an_alert(lead, project, upload_dir) -> None:
    client = Client()
    client.force_login(lead)
    response = client.post(page_url(), {"format": "hh-rlhf"})
    assert response.status_code == 200
    assert alerts(response.content.decode()) == ["This field is required."]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", ["annotator", "engineer", "outsider"])
def test_the_page_is_not_found_for_anyone_but_a_lead(role, request, upload_dir) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    assert client.get(page_url()).status_code == 404
    response = client.post(page_url(), {"file": SimpleUploadedFile("a.jsonl", b"{}")})
    assert response.status_code == 404
    assert not ImportJob.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(project) -> None:
    response = Client().get(page_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
