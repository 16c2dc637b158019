"""The import API: who may start and see imports, and what a started import records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from annotate.models import ImportJob, JobState
from annotate.services.imports import import_job_run
from tests.conftest import client_for

from .conftest import pairs_row

URL = "/api/projects/helpful/imports/"


def upload(name: str = "pairs.jsonl", rows: int = 2) -> SimpleUploadedFile:
    body = "\n".join(json.dumps(pairs_row(i)) for i in range(rows)).encode()
    return SimpleUploadedFile(name, body, content_type="application/octet-stream")


def test_a_lead_starts_an_upload_import_and_gets_202_with_a_pending_job(
    lead, project, upload_dir, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(lead).post(URL, {"file": upload(), "skip_invalid": "true"}, format="multipart")
    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["source_name"], body["format"], body["skip_invalid"]) == (
        "pending",
        "pairs.jsonl",
        "",
        True,
    )
    job = ImportJob.objects.get(pk=body["id"])
    saved = Path(job.source)
    assert saved.parent == upload_dir
    assert saved.name.endswith(".jsonl")
    assert saved.read_bytes().count(b"\n") == 1
    assert (job.project, job.created_by) == (project, lead)
    assert len(callbacks) == 1  # the task is enqueued once the job row commits


def test_a_lead_starts_a_dataset_import_with_json(lead, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(lead).post(
            URL, {"format": "hf", "dataset": "Anthropic/hh-rlhf", "split": "test"}, format="json"
        )
    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.source, job.format, job.split, job.state) == ("Anthropic/hh-rlhf", "hf", "test", JobState.PENDING)
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"format": "hf"}, "json"),
        ({"dataset": "Anthropic/hh-rlhf"}, "json"),
        ({"format": "csv-ish", "dataset": "x"}, "json"),
        ({"format": "hf"}, "file"),
        # Accepted with 202, then the job failed: the importer refuses a split for a file.
        ({"split": "test"}, "file"),
    ],
    ids=["hf without dataset", "dataset without hf", "unknown format", "file with format hf", "file with a split"],
)
def test_an_incomplete_request_is_refused_with_400_and_no_job(lead, payload, kind, upload_dir) -> None:
    if kind == "file":
        response = client_for(lead).post(URL, payload | {"file": upload()}, format="multipart")
    else:
        response = client_for(lead).post(URL, payload, format="json")
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_a_misspelled_field_is_refused_naming_it(lead, upload_dir) -> None:
    response = client_for(lead).post(URL, {"file": upload(), "skip_invalids": "true"}, format="multipart")
    assert response.status_code == 400 and list(response.json()) == ["skip_invalids"]
    assert not ImportJob.objects.exists()


def test_a_file_over_the_upload_limit_is_refused_with_400_and_nothing_stored(lead, settings, upload_dir) -> None:
    settings.PAIRWISE_MAX_UPLOAD_MB = 1
    too_big = SimpleUploadedFile("big.jsonl", b"x" * (1024 * 1024 + 1))
    response = client_for(lead).post(URL, {"file": too_big}, format="multipart")
    assert response.status_code == 400
    assert response.json()["file"] == ["The file is over 1 MiB, the most an upload may be."]
    assert not ImportJob.objects.exists()
    assert not upload_dir.exists()

    at_limit = SimpleUploadedFile("big.jsonl", b"x" * (1024 * 1024))
    assert client_for(lead).post(URL, {"file": at_limit}, format="multipart").status_code == 202


def test_a_lead_lists_and_reads_the_projects_jobs(lead, project, other_project) -> None:
    first = ImportJob.objects.create(project=project, source="a", original_name="a.jsonl", format="pairs")
    second = ImportJob.objects.create(
        project=project, source="b", original_name="b.jsonl", format="", state=JobState.DONE, pairs_created=5
    )
    theirs = ImportJob.objects.create(project=other_project, source="c", format="pairs")
    client = client_for(lead)
    listed = client.get(URL)
    assert listed.status_code == 200
    assert listed.json() == {"next": None, "previous": None, "results": listed.json()["results"]}
    assert [j["id"] for j in listed.json()["results"]] == [second.pk, first.pk]
    assert "errors" not in listed.json()["results"][0]  # a job's own answer has them (up to 1,000)
    assert theirs.pk not in [j["id"] for j in listed.json()["results"]]
    one = client.get(f"{URL}{second.pk}/")
    assert one.status_code == 200
    assert (one.json()["state"], one.json()["pairs_created"], one.json()["errors"]) == ("done", 5, [])


def test_the_list_comes_a_page_at_a_time_newest_first_and_reaches_every_job(lead, project) -> None:
    jobs = [ImportJob.objects.create(project=project, source=str(i), format="pairs").pk for i in range(7)]
    client = client_for(lead)
    seen, url, pages = [], f"{URL}?page_size=3", 0
    while url:
        body = client.get(url).json()
        seen += [j["id"] for j in body["results"]]
        url, pages = body["next"], pages + 1
        # A job started while the client pages does not move the pages after the cursor.
        if pages == 1:
            ImportJob.objects.create(project=project, source="late", format="pairs")
    assert (seen, pages) == (jobs[::-1], 3)
    ImportJob.objects.bulk_create([ImportJob(project=project, source="many", format="pairs") for _ in range(200)])
    assert len(client.get(f"{URL}?page_size=1000").json()["results"]) == 200  # at most 200 a page
    assert len(client.get(URL).json()["results"]) == 50


def test_a_lead_of_another_project_can_neither_see_nor_import(outsider, project, upload_dir) -> None:
    job = ImportJob.objects.create(project=project, source="a", format="pairs")
    client = client_for(outsider)
    assert client.get(URL).status_code == 404
    assert client.get(f"{URL}{job.pk}/").status_code == 404
    assert client.post(URL, {"file": upload()}, format="multipart").status_code == 404
    assert ImportJob.objects.count() == 1


def test_a_job_of_another_project_is_not_found_under_this_one(lead, outsider, other_project) -> None:
    theirs = ImportJob.objects.create(project=other_project, source="a", format="pairs")
    assert client_for(lead).get(f"{URL}{theirs.pk}/").status_code == 404
    assert client_for(outsider).get(f"/api/projects/other/imports/{theirs.pk}/").status_code == 200


@pytest.mark.parametrize("role", ["annotator", "engineer"])
def test_members_who_are_not_leads_are_forbidden(role, request, project, upload_dir) -> None:
    user = request.getfixturevalue(role)
    job = ImportJob.objects.create(project=project, source="a", format="pairs")
    client = client_for(user)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{job.pk}/").status_code == 403
    assert client.post(URL, {"file": upload()}, format="multipart").status_code == 403
    assert ImportJob.objects.count() == 1
    assert not upload_dir.exists()


def test_anonymous_requests_are_refused_as_not_logged_in(project, upload_dir) -> None:
    client = client_for(None)
    assert client.get(URL).status_code == 401
    assert client.get(URL)["WWW-Authenticate"] == "Token"
    assert client.post(URL, {"file": upload()}, format="multipart").status_code == 401
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "dataset",
    ["{uploads}", "/etc", "../shared", "./uploads", "uploads", "owner/../uploads", "owner/name/extra", "-x/y"],
)
def test_a_dataset_that_could_name_a_server_path_is_refused_with_400(
    outsider, lead, dataset, upload_dir, tmp_path, monkeypatch
) -> None:
    # Another project's upload waits in the upload directory; "uploads" exists relative to the
    # server's working directory. Neither may be read as a dataset.
    client_for(lead).post(URL, {"file": upload()}, format="multipart")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "uploads").mkdir(exist_ok=True)
    response = client_for(outsider).post(
        "/api/projects/other/imports/",
        {"format": "hf", "dataset": dataset.format(uploads=upload_dir)},
        format="json",
    )
    assert response.status_code == 400
    assert "Hugging Face Hub id" in response.json()["dataset"][0]
    assert not ImportJob.objects.filter(project__slug="other").exists()


def test_a_job_whose_dataset_names_a_server_directory_fails_without_reading_it(other_project, upload_dir) -> None:
    upload_dir.mkdir()
    (upload_dir / "secret.jsonl").write_text(json.dumps(pairs_row(0)) + "\n")
    job = ImportJob.objects.create(project=other_project, source=str(upload_dir), format="hf")
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "Hugging Face Hub id" in job.error
    assert not other_project.pairs.exists()


@pytest.mark.parametrize(
    ("builder", "waiting"),
    [("json", "waiting.jsonl"), ("csv", "waiting.csv")],
)
def test_a_job_whose_dataset_names_a_builder_of_the_datasets_library_fails_without_reading_the_server_files(
    other_project, outsider, upload_dir, tmp_path, monkeypatch, builder, waiting
) -> None:
    # "json" passes as a Hub id, but load_dataset takes it for its own JSON builder, which with no
    # data files reads every file under the working directory: here the worker's working directory
    # holds the upload directory, where another project's upload waits for its worker.
    monkeypatch.chdir(tmp_path)
    assert upload_dir == tmp_path / "uploads"
    upload_dir.mkdir()
    rows = {"waiting.jsonl": json.dumps(pairs_row(0)) + "\n", "waiting.csv": "prompt,response_a,response_b\nq,a,b\n"}
    (upload_dir / waiting).write_text(rows[waiting])

    response = client_for(outsider).post(
        "/api/projects/other/imports/", {"format": "hf", "dataset": builder}, format="json"
    )
    assert response.status_code == 202
    import_job_run(job_id=response.json()["id"])

    job = ImportJob.objects.get(pk=response.json()["id"])
    assert not other_project.pairs.exists()
    assert job.state == JobState.FAILED
    assert "Hugging Face Hub id" in job.error


@pytest.mark.parametrize("name", ["gpt2\n", "owner/name\n", "owner/name\nmore"])
def test_a_hub_id_is_matched_whole_not_up_to_a_line_break(name) -> None:
    from annotate.hub import HubIdError, hub_id_check

    # The pattern ended in "$", which also matches before a final "\n".
    with pytest.raises(HubIdError):
        hub_id_check(name, what="The dataset")
    assert hub_id_check(name.split("\n")[0], what="The dataset") == name.split("\n")[0]


def test_the_schema_describes_the_upload_as_a_file_not_a_url(lead) -> None:
    """Found by the API audit: `file` was `format: uri`, so a client generated from the schema sent
    a URL string and was refused with "The submitted data was not a file"."""
    schema = yaml.safe_load(client_for(lead).get("/api/schema/").content)
    upload_field = schema["components"]["schemas"]["ImportStartInput"]["properties"]["file"]
    assert upload_field == {"type": "string", "format": "binary"}
    refused = client_for(lead).post(URL, {"file": "https://example.org/pairs.jsonl"}, format="json")
    assert refused.status_code == 400  # what a URL gets: the schema no longer invites one
