"""Export jobs in a real Celery worker; downloads only for the job's project's leads and engineers."""

from __future__ import annotations

import datetime as dt
import hashlib
import html as markup
import io
import math
import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from annotate.models import Membership, Role
from exporter.models import ExportJob
from exporter.services import ExportError, ExportOptions, export_job_run
from tests.alerts import alerts
from tests.conftest import make_pairs, make_user
from tests.factories import judgments_as_the_source_chose


def field_errors(page: str) -> dict[str, str]:
    """The Exports page's error under each field it marks: {option: message}; each field marked
    aria-invalid and described by its message."""
    said = {
        name: markup.unescape(text)
        for name, text in re.findall(r'<p class="field-error" id="(\w+)-error">(.*?)</p>', page)
    }
    marked = re.findall(r'id="(\w+)"[^>]* aria-invalid="true" aria-describedby="(\w+)-error"', page)
    assert [(name, name) for name in said] == marked, (said, marked)
    return said


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def wait_done(job_id: int) -> ExportJob:
    for _ in range(600):
        job = ExportJob.objects.get(pk=job_id)
        if job.state in {"done", "failed"}:
            return job
        time.sleep(0.1)
    raise AssertionError("the export did not finish")


def test_an_export_job_runs_in_a_worker_and_only_its_project_may_download_it(
    live_worker, project, lead, engineer, annotator, outsider
):
    make_pairs(project, 12)
    judgments_as_the_source_chose(project, annotator)
    response = client_for(engineer).post("/api/projects/helpful/exports/", {"format": "preference"}, format="json")
    assert response.status_code == 202
    job = wait_done(response.json()["id"])
    assert job.state == "done", job.error
    assert job.counts["records"] == 12
    url = f"/api/projects/helpful/exports/{job.id}/download/"
    download = client_for(lead).get(url)
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == job.sha256 and len(body) == job.size
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert sorted(names) == ["README.md", "data.jsonl", "manifest.json"]
    assert client_for(annotator).get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 401
    stranger = make_user("stranger")
    Membership.objects.create(user=stranger, project=outsider.memberships.get().project, role=Role.ENGINEER)
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(stranger).get(f"/api/projects/helpful/exports/{job.id}/").status_code == 404
    page = APIClient()
    page.force_login(lead)
    assert page.get(f"/projects/helpful/exports/{job.id}/download/").status_code == 200
    page.force_login(annotator)
    assert page.get(f"/projects/helpful/exports/{job.id}/download/").status_code == 404


def test_a_failed_export_shows_its_error(live_worker, project, lead, annotator):
    make_pairs(project, 3)
    judgments_as_the_source_chose(project, annotator)
    response = client_for(lead).post(
        "/api/projects/helpful/exports/", {"format": "tokenized", "tokenizer": "no-such/tokenizer"}, format="json"
    )
    job = wait_done(response.json()["id"])
    assert job.state == "failed"
    assert job.error.startswith("The tokenizer 'no-such/tokenizer' could not be loaded: ")
    detail = client_for(lead).get(f"/api/projects/helpful/exports/{job.id}/").json()
    assert detail["state"] == "failed" and detail["error"] == job.error
    assert (
        client_for(lead).get(f"/api/projects/helpful/exports/{job.id}/download/").status_code == 409
    )  # no file: failed


@pytest.mark.django_db
def test_annotators_cannot_start_exports_and_bad_options_are_refused(project, lead, annotator):
    assert client_for(annotator).post("/api/projects/helpful/exports/", {}, format="json").status_code == 404
    bad = client_for(lead).post("/api/projects/helpful/exports/", {"format": "csv"}, format="json")
    assert bad.status_code == 400 and "format" in bad.json()
    path = client_for(lead).post("/api/projects/helpful/exports/", {"tokenizer": "/etc/passwd"}, format="json")
    assert path.status_code == 400
    # No bias report yet, so nobody is flagged: refused, rather than an export that excludes nobody.
    flagged = client_for(lead).post("/api/projects/helpful/exports/", {"exclude_flagged": True}, format="json")
    assert flagged.status_code == 400 and "needs a bias report" in flagged.json()["detail"]
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_the_export_list_pages_through_every_job_of_the_project_only(project, lead, engineer, annotator, outsider):
    # It showed the newest 100 and no way to the rest.
    ours = [ExportJob.objects.create(project=project, format="preference").pk for _ in range(103)]
    theirs = ExportJob.objects.create(project=outsider.memberships.get().project, format="preference")
    seen, url = [], "/api/projects/helpful/exports/"
    while url:
        body = client_for(engineer).get(url).json()
        assert len(body["results"]) <= 50
        seen += [job["id"] for job in body["results"]]
        url = body["next"]
    assert seen == ours[::-1] and theirs.pk not in seen
    assert client_for(annotator).get("/api/projects/helpful/exports/").status_code == 404
    assert client_for(outsider).get("/api/projects/helpful/exports/").status_code == 404
    assert client_for(None).get("/api/projects/helpful/exports/").status_code == 401


@pytest.mark.django_db
def test_a_misspelled_option_is_refused_naming_it_not_dropped(project, lead):
    # It was dropped: 202, and the job ran with min_agreement null, unfiltered (found by the export audit).
    response = client_for(lead).post(
        "/api/projects/helpful/exports/", {"min_agreeement": 0.9, "format": "preference"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["min_agreeement"] and "min_agreement" in response.json()["min_agreeement"][0]
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_exclude_paused_is_kept_with_the_job_for_the_worker(project, lead):
    response = client_for(lead).post("/api/projects/helpful/exports/", {"exclude_paused": True}, format="json")
    assert response.status_code == 202
    assert ExportJob.objects.get(pk=response.json()["id"]).options["exclude_paused"] is True
    assert ExportOptions.from_json(ExportJob.objects.get().options).exclude_paused is True


@pytest.mark.django_db
@pytest.mark.parametrize("tokenizer", ["..", "../private-tok", ".hidden/tok", "owner/../tok", "var/uploads", "tok"])
def test_a_tokenizer_that_could_name_a_server_path_is_refused(project, lead, tokenizer, tmp_path, monkeypatch):
    # "var/uploads" and "tok" exist relative to the server's working directory.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var" / "uploads").mkdir(parents=True)
    (tmp_path / "tok").mkdir()
    response = client_for(lead).post("/api/projects/helpful/exports/", {"tokenizer": tokenizer}, format="json")
    assert response.status_code == 400
    assert "Hugging Face Hub id" in response.json()["tokenizer"][0]
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_a_job_whose_tokenizer_names_a_directory_of_the_worker_fails(project, lead, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tok").mkdir()
    options = ExportOptions(format="tokenized", tokenizer="tok")
    job = ExportJob.objects.create(project=project, created_by=lead, format="tokenized", options=options.as_json())
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "failed"
    assert "names a path on the server" in job.error


@pytest.mark.django_db
def test_an_export_that_loads_no_tokenizer_does_not_check_the_default_one(project, lead, tmp_path, monkeypatch):
    # The default tokenizer, "gpt2", was checked for every format: a directory of that name where the
    # worker runs failed every export (found by the export audit).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gpt2").mkdir()
    response = client_for(lead).post("/api/projects/helpful/exports/", {"format": "preference"}, format="json")
    assert response.status_code == 202
    export_job_run(job_id=response.json()["id"])
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.state == "done", job.error
    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / job.file) as archive:
        assert sorted(archive.namelist()) == ["README.md", "data.jsonl", "manifest.json"]
        assert archive.testzip() is None
    assert hashlib.sha256((Path(settings.MEDIA_ROOT) / job.file).read_bytes()).hexdigest() == job.sha256
    tokenized = client_for(lead).post("/api/projects/helpful/exports/", {"format": "tokenized"}, format="json")
    assert tokenized.status_code == 400 and "names a path on the server" in tokenized.json()["tokenizer"][0]


def test_an_archive_entry_that_deflate_would_grow_past_the_zip64_limit_is_written(tmp_path, monkeypatch):
    # Random bytes do not compress: deflate makes them a little larger, so zipfile wants zip64 for an
    # entry within 5% of the limit (scaled down here from 4 GiB).
    from exporter.services import _archive

    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100_001)
    (tmp_path / "in").mkdir()
    data = os.urandom(100_000)
    (tmp_path / "in" / "data.bin").write_bytes(data)
    _archive(tmp_path / "in", tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.read("data.bin") == data


@pytest.mark.django_db
def test_the_export_page_starts_a_job_for_leads_and_engineers_only(client, project, lead, engineer, annotator):
    client.force_login(annotator)
    assert client.get("/projects/helpful/exports/").status_code == 404
    client.force_login(engineer)
    page = client.get("/projects/helpful/exports/")
    assert page.status_code == 200 and b"dawid-skene" in page.content
    response = client.post(
        "/projects/helpful/exports/",
        {
            "format": "conversational",
            "writer": "parquet",
            "aggregate": "dawid-skene",
            "include_gold": "on",
            "min_agreement": "0.7",
        },
    )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.format, job.state, job.created_by) == ("conversational", "pending", engineer)
    assert job.options["aggregate"] == "dawid-skene" and job.options["include_gold"] is True
    assert job.options["min_agreement"] == 0.7 and job.options["writer"] == "parquet"
    refused = client.post("/projects/helpful/exports/", {"format": "csv"})
    assert ExportJob.objects.count() == 1
    assert field_errors(refused.content.decode())["format"].startswith("Format must be one of ")


@pytest.mark.django_db
def test_the_same_export_sent_twice_at_once_from_the_page_starts_once(client, project, lead, engineer):
    # Found by the lead pages audit: a double click on "Start export" ran two identical exports.
    client.force_login(lead)
    form = {"format": "preference", "writer": "jsonl"}
    assert client.post("/projects/helpful/exports/", form).status_code == 302
    again = client.post("/projects/helpful/exports/", form, follow=True)
    job = ExportJob.objects.get()
    assert [str(m) for m in again.context["messages"]][-1] == (
        f"Export {job.pk}, the same, was started a moment ago; it appears below."
    )
    # Other options, or another person, are another export.
    assert client.post("/projects/helpful/exports/", form | {"writer": "parquet"}).status_code == 302
    client.force_login(engineer)
    assert client.post("/projects/helpful/exports/", form).status_code == 302
    assert ExportJob.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"min_agreement": "abc"}, "Min. agreement (0–1) must be a number, not 'abc'."),
        ({"min_judgments": "1e3"}, "Min. decisive judgments must be a whole number, not '1e3'."),
        (
            {"max_index_in_sitting": "2.5"},
            "Drop judgments after this index in a sitting must be a whole number, not '2.5'.",
        ),
        ({"format": "tokenized", "max_length": "lots"}, "Max. tokens per sequence must be a whole number, not 'lots'."),
    ],
)
def test_the_export_page_names_the_field_whose_number_it_cannot_read(client, project, lead, form, said):
    # Said "could not convert string to float: 'abc'", naming no field.
    client.force_login(lead)
    response = client.post("/projects/helpful/exports/", form)
    option = next(name for name in form if name != "format")
    assert field_errors(response.content.decode()) == {option: said}
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "error"),
    [("nan", "a finite number"), ("inf", "a finite number"), ("-inf", "a finite number"), ("-1", "at least 0")],
)
def test_the_export_page_refuses_a_sitting_limit_that_is_not_a_finite_duration(client, project, lead, value, error):
    client.force_login(lead)
    response = client.post("/projects/helpful/exports/", {"max_sitting_minutes": value})
    assert response.status_code == 200
    assert field_errors(response.content.decode()) == {
        "max_sitting_minutes": f"Drop judgments after this many minutes in a sitting must be {error}."
    }
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["max_sitting_minutes", "min_agreement", "max_similarity", "test_size"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_the_api_refuses_float_options_that_are_not_finite(project, lead, name, value):
    response = client_for(lead).post("/api/projects/helpful/exports/", {name: value}, format="json")
    assert response.status_code == 400 and name in response.json()
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    "name", ["min_agreement", "max_similarity", "max_response_similarity", "max_sitting_minutes", "test_size"]
)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_export_options_refuse_every_float_that_is_not_finite(name, value):
    # The CLI and the export page reach check() with no serializer in front of it.
    with pytest.raises(ExportError, match=f"{name} must be a finite number"):
        ExportOptions(**{name: value}).check()


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"format": "hh-rlhf", "with_metadata": True}, "hh-rlhf records carry no metadata columns"),
        ({"format": "tokenized", "with_metadata": True}, "tokenized records carry no metadata columns"),
        ({"format": "tokenized", "writer": "parquet"}, "writer 'parquet' does not apply"),
        ({"format": "tokenized", "writer": "hf"}, "writer 'hf' does not apply"),
        ({"min_judgments": 0}, "min_judgments must be at least 1"),
        ({"min_judgments": -1}, "min_judgments must be at least 1"),
        ({"max_index_in_sitting": 0}, "max_index_in_sitting must be at least 1"),
        (
            {"since": dt.datetime(2026, 11, 2, tzinfo=dt.UTC), "until": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)},
            "since must be before until",
        ),
        (
            {"since": dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "until": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)},
            "since must be before until",
        ),
        (
            {"per_judgment": True, "aggregate": "dawid-skene"},
            "^aggregate combines a pair's judgments, which per_judgment keeps apart; this export would not use it",
        ),
        ({"format": "hh-rlhf", "tokenizer": "other/tok"}, "^tokenizer applies to the tokenized format only"),
        ({"format": "preference", "max_length": 256}, "^max_length applies to the tokenized format only"),
        ({"writer": "parquet", "test_size": 0.2}, "^test_size splits train from test for writer hf only"),
        ({"format": "tokenized", "seed": 5}, "^seed splits train from test for writer hf only"),
        ({"format": "tokenized", "max_length": 10**12}, "^max_length must be between 8 and 8192 tokens"),
        ({"format": "tokenized", "max_length": 7}, "^max_length must be between 8 and 8192 tokens"),
    ],
)
def test_export_options_that_would_be_ignored_or_keep_nothing_are_refused(options, said):
    # Each was taken and exported as if it were not there (the manifest even recorded it), or with
    # nothing in it; the CLI and the export page reach check() with no serializer in front of it.
    with pytest.raises(ExportError, match=said):
        ExportOptions(**options).check()


@pytest.mark.parametrize(
    ("form", "dropped"),
    [
        ({"format": "tokenized", "writer": "parquet", "with_metadata": "on"}, {"writer", "with_metadata"}),
        ({"format": "hh-rlhf", "writer": "parquet", "with_metadata": "on"}, {"with_metadata"}),
    ],
    ids=["tokenized", "hh-rlhf"],
)
def test_the_export_page_drops_a_file_type_or_metadata_its_format_does_not_use(
    client, project, engineer, form, dropped
):
    # It refused them ("writer 'parquet' does not apply", "hh-rlhf records carry no metadata
    # columns") where the README says the page, showing every field at once, drops them.
    client.force_login(engineer)
    assert client.post("/projects/helpful/exports/", form).status_code == 302
    applied = ExportOptions.from_json(ExportJob.objects.get().options).applied()
    assert not dropped & set(applied)
    assert applied.get("writer") == (None if "writer" in dropped else "parquet")


def test_the_manifest_records_no_file_type_or_metadata_where_the_format_has_none() -> None:
    assert not {"writer", "with_metadata"} & set(ExportOptions(format="tokenized").applied())
    assert "with_metadata" not in ExportOptions(format="hh-rlhf").applied()
    assert {"writer", "with_metadata"} <= set(ExportOptions(format="preference").applied())


def test_the_export_page_takes_a_tokenizer_hub_id_and_a_max_length(client, project, engineer, tmp_path, monkeypatch):
    client.force_login(engineer)
    response = client.post(
        "/projects/helpful/exports/", {"format": "tokenized", "tokenizer": "openai-community/gpt2", "max_length": "256"}
    )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.options["tokenizer"], job.options["max_length"]) == ("openai-community/gpt2", 256)
    # As over the API: no path on the server, and a length in range.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secrets").mkdir()
    for form, message in [
        ({"tokenizer": "secrets"}, "names a path on the server"),
        ({"tokenizer": "/etc"}, "must be a Hugging Face Hub id"),
        ({"max_length": "100000"}, "Max. tokens per sequence must be between 8 and 8192 tokens."),
        ({"max_length": "0"}, "Max. tokens per sequence must be between 8 and 8192 tokens."),
    ]:
        refused = client.post("/projects/helpful/exports/", {"format": "tokenized", **form})
        (option,) = form
        assert message in field_errors(refused.content.decode())[option], form
    assert ExportJob.objects.count() == 1


@pytest.mark.django_db
def test_the_export_page_drops_the_fields_its_other_choices_leave_unused(client, project, engineer):
    # The page shows every field at once: a tokenizer length left from a tokenized export, or an
    # aggregation beside "one record per judgment", is not what the export is refused for.
    client.force_login(engineer)
    form = {"format": "preference", "per_judgment": "on", "aggregate": "dawid-skene", "max_length": "256"}
    form |= {"tokenizer": "openai-community/gpt2"}
    assert client.post("/projects/helpful/exports/", form).status_code == 302
    options = ExportOptions.from_json(ExportJob.objects.get().options)
    assert (options.aggregate, options.tokenizer, options.max_length) == ("majority", "gpt2", 512)
    assert options.per_judgment


@pytest.mark.django_db
def test_the_export_page_takes_the_time_window_the_source_and_the_split_as_the_api_does(
    client, project, lead, settings
):
    # The CLI and the API took since, until, source, test_size and seed; the page had no field for them.
    settings.TIME_ZONE = "Europe/Berlin"
    make_pairs(project, 2)
    client.force_login(lead)
    form = {"writer": "hf", "test_size": "0.25", "seed": "7", "source": " fixture "}
    form |= {"since": "2026-11-01T09:30", "until": "2026-11-02T00:00+00:00"}
    assert client.post("/projects/helpful/exports/", form).status_code == 302
    options = ExportOptions.from_json(ExportJob.objects.get().options)
    # A time with no zone of its own is the site's (09:30 in Berlin is 08:30 UTC); one with a zone keeps it.
    assert options.since == dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
    assert options.until == dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    assert (options.source, options.test_size, options.seed) == ("fixture", 0.25, 7)
    assert options.applied().keys() >= {"since", "until", "source", "test_size", "seed"}


@pytest.mark.django_db
def test_the_export_page_drops_the_split_unless_the_file_type_is_hf(client, project, lead):
    client.force_login(lead)
    assert (
        client.post("/projects/helpful/exports/", {"writer": "parquet", "test_size": "0.3", "seed": "5"}).status_code
        == 302
    )
    options = ExportOptions.from_json(ExportJob.objects.get().options)
    assert (options.test_size, options.seed) == (0.1, 0)
    assert not options.applied().keys() & {"test_size", "seed"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "said"),
    [
        (
            {"since": "yesterday"},
            "Answered at or after must be a date and time such as 2026-01-31T09:30, not 'yesterday'.",
        ),
        (
            {"until": "2026-02-30T10:00"},
            "Answered before must be a date and time such as 2026-01-31T09:30, not '2026-02-30T10:00'.",
        ),
        (
            {"since": "2026-11-02T00:00", "until": "2026-11-01T00:00"},
            "Answered at or after must be before “Answered before”.",
        ),
        ({"writer": "hf", "test_size": "1.5"}, "Test share must be between 0 and 1."),
        ({"writer": "hf", "seed": "x"}, "Seed of the split must be a whole number, not 'x'."),
        ({"source": "fixtrue"}, "No pair of this project comes from the source 'fixtrue'; its sources: 'fixture'."),
    ],
)
def test_the_export_page_refuses_a_time_window_split_or_source_it_cannot_use(client, project, lead, form, said):
    make_pairs(project, 2)
    client.force_login(lead)
    response = client.post("/projects/helpful/exports/", form)
    assert response.status_code == 200
    (said_there,) = field_errors(response.content.decode()).values()
    assert said_there == said
    assert not ExportJob.objects.exists()
    # What was typed comes back to be mended.
    for name, value in form.items():
        if name != "writer":
            assert f'id="{name}" name="{name}" value="{value}"' in response.content.decode(), name


@pytest.mark.django_db
def test_the_export_page_refuses_a_source_holding_a_nul_character(client, project, lead):
    # No source name holds one (PostgreSQL's text cannot): looked up there, it was a 500.
    make_pairs(project, 2)
    client.force_login(lead)
    response = client.post("/projects/helpful/exports/", {"source": "fix\x00ture"})
    assert response.status_code == 200
    assert field_errors(response.content.decode()) == {
        "source": "No pair of this project comes from the source 'fix\\x00ture'; its sources: 'fixture'."
    }
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_the_export_page_suggests_the_sources_the_project_imported(client, project, lead):
    from annotate.models import ImportJob

    for name, state, created in [
        ("chats.jsonl", "done", 10),
        ("Anthropic/hh-rlhf", "done", 3),
        ("all-duplicates.jsonl", "done", 0),  # added no pair: no source to export from
        ("broken.jsonl", "failed", 0),
    ]:
        ImportJob.objects.create(
            project=project, source="/srv/x", original_name=name, format="hh-rlhf", state=state, pairs_created=created
        )
    # Twice the same name: suggested once. Another project's import: not suggested.
    ImportJob.objects.create(
        project=project, source="/srv/y", original_name="chats.jsonl", format="hh-rlhf", state="done", pairs_created=1
    )
    from annotate.models import Project

    other = Project.objects.create(slug="other", name="Other")
    ImportJob.objects.create(
        project=other, source="/srv/z", original_name="secret.jsonl", format="hh-rlhf", state="done", pairs_created=5
    )
    client.force_login(lead)
    html = client.get("/projects/helpful/exports/").content.decode()
    assert '<datalist id="sources"><option value="Anthropic/hh-rlhf"><option value="chats.jsonl"></datalist>' in html
    assert 'name="source" value="" maxlength="300" list="sources">' in html


@pytest.mark.django_db
def test_an_export_job_from_a_source_no_pair_comes_from_is_refused_before_it_is_queued(project, lead):
    make_pairs(project, 2)
    response = client_for(lead).post("/api/projects/helpful/exports/", {"source": "fixtrue"}, format="json")
    assert response.status_code == 400
    assert "No pair of this project comes from the source 'fixtrue'; its sources: 'fixture'." in str(response.json())
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_a_refused_export_comes_back_with_the_options_as_they_were_typed(client, project, lead):
    client.force_login(lead)
    typed = {
        "format": "preference",
        "writer": "parquet",
        "aggregate": "dawid-skene",
        "include_probes": "on",  # without per_judgment: refused
        "include_gold": "on",
        "tokenizer": "openai-community/gpt2",
        "max_length": "256",
        "min_judgments": "2",
        "min_agreement": "0.66",
        "max_similarity": "0.9",
        "max_sitting_minutes": "30",
        "exclude_flagged": "on",
        "exclude_paused": "on",
    }
    response = client.post("/projects/helpful/exports/", typed)
    assert response.status_code == 200
    assert not ExportJob.objects.exists()
    html = response.content.decode()
    assert alerts(html) == ["Export not started: see the field marked below. Include swapped repeat probes"]
    assert field_errors(html) == {
        "include_probes": "Include swapped repeat probes needs “One record per judgment”: a swapped repeat is the "
        "same annotator's judgment of the same pair again, not another vote to aggregate."
    }
    assert '<option value="preference" selected>' in html
    assert '<option value="parquet" selected>' in html
    assert '<option value="dawid-skene" selected>' in html
    for name in ("include_probes", "include_gold", "exclude_flagged", "exclude_paused"):
        assert f'name="{name}" checked' in html, name
    assert 'name="per_judgment" checked' not in html and 'name="with_metadata" checked' not in html
    for name in ("tokenizer", "max_length", "min_judgments", "min_agreement", "max_similarity", "max_sitting_minutes"):
        assert f'id="{name}" name="{name}" value="{typed[name]}"' in html, name


@pytest.mark.django_db
def test_the_export_page_shows_an_export_that_kept_no_record_as_zero_records(client, project, lead):
    # Every pair filtered out: the job is done with 0 records, which must read "0", not a blank
    # cell that looks like a job still waiting for its figures.
    ExportJob.objects.create(
        project=project, format="preference", state="done", counts={"records": 0}, filter_effects={"min_agreement": 9}
    )
    ExportJob.objects.create(project=project, format="preference", state="pending")
    client.force_login(lead)
    html = client.get("/projects/helpful/exports/").content.decode()
    assert "<td>done</td>\n      <td>0</td>" in html
    assert "<td>pending</td>\n      <td></td>" in html


def test_the_recent_exports_tell_exports_of_one_format_apart(project, lead):
    """Found in a browser walkthrough: two preference exports (jsonl.gz, and hf per judgment) both read
    "preference", and every download link was named "zip"."""
    kinds = [
        ExportOptions(format="preference", writer="jsonl.gz"),
        ExportOptions(format="preference", writer="hf", per_judgment=True, with_metadata=True, test_size=0.2, seed=3),
        ExportOptions(format="tokenized", max_length=256),
    ]
    jobs = [
        ExportJob.objects.create(
            project=project,
            created_by=lead,
            format=o.format,
            options=o.as_json(),
            state="done",
            counts={"records": 1},
            file=f"exports/{project.id}/{o.format}.zip",
        )
        for o in kinds
    ]
    page = Client()
    page.force_login(lead)
    html = page.get("/projects/helpful/exports/").content.decode()
    for text in (
        "preference · jsonl.gz · majority",
        "preference · hf · test 0.2, seed 3 · per judgment · with metadata",
        "tokenized · gpt2, 256 tokens · majority",
    ):
        assert f"<td>{text}</td>" in html
    for job in jobs:
        assert f'Download<span class="visually-hidden"> export {job.id}</span> (zip)</a>' in html
    assert html.count('<span class="muted">by lead</span>') == 3


@pytest.mark.django_db(transaction=True)
def test_an_export_whose_worker_died_is_run_again_and_one_a_live_worker_runs_is_not(project, lead, settings, tmp_path):
    # Found by the job life cycle audit: the message of a worker killed mid-export came back to find the
    # job no longer pending, and the job stayed "running" until the stale sweep, hours later.
    from exporter.services import _EXPORT_JOB_LOCK
    from tests.conftest import advisory_lock_held_elsewhere

    settings.MEDIA_ROOT = str(tmp_path)
    options = ExportOptions(format="preference")
    job = ExportJob.objects.create(
        project=project, created_by=lead, format="preference", options=options.as_json(), state="running", attempts=1
    )
    # What the dead worker left: its work directory, half an archive.
    root = tmp_path / "exports" / str(project.pk)
    (root / f"job-{job.pk}").mkdir(parents=True)
    (root / f"job-{job.pk}" / "data.jsonl").write_text("half")
    (root / f"{project.slug}-export-{job.pk}.zip").write_bytes(b"PK half")
    with advisory_lock_held_elsewhere(_EXPORT_JOB_LOCK, job.pk):  # a live worker runs it: left alone
        assert export_job_run(job_id=job.pk) is None
    assert ExportJob.objects.get(pk=job.pk).attempts == 1
    finished = export_job_run(job_id=job.pk)
    assert (finished.state, finished.attempts) == ("done", 2), finished.error
    with zipfile.ZipFile(tmp_path / finished.file) as archive:
        assert archive.testzip() is None and "manifest.json" in archive.namelist()
    assert not (root / f"job-{job.pk}").exists()


@pytest.mark.django_db
def test_an_export_that_fails_while_zipping_leaves_no_half_archive(project, lead, settings, tmp_path, monkeypatch):
    # Found by the job life cycle audit (a disk that filled up): the half-written archive stayed, named
    # by no row.
    import exporter.services as services

    settings.MEDIA_ROOT = str(tmp_path)

    def disk_full(work, archive):
        archive.write_bytes(b"PK half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "_archive", disk_full)
    job = ExportJob.objects.create(
        project=project, created_by=lead, format="preference", options=ExportOptions(format="preference").as_json()
    )
    assert export_job_run(job_id=job.pk).state == "failed"
    assert list((tmp_path / "exports").rglob("*")) == [tmp_path / "exports" / str(project.pk)]


# A time the site's clocks skip, or show twice, on the nights they change (found by the time zone audit:
# each was read as one of its two offsets without a word; 02:30 in Berlin that March night as 03:30).
SKIPPED_OR_TWICE = [
    ("Europe/Berlin", "2026-03-29T02:30", "is no time in Europe/Berlin: its clocks skip it that night."),
    ("America/New_York", "2026-11-01T01:30", "comes twice in America/New_York: its clocks show it again that night."),
    ("Australia/Lord_Howe", "2026-10-04T02:15", "is no time in Australia/Lord_Howe"),
    ("Australia/Lord_Howe", "2026-04-05T01:45", "2026-04-05T01:45+11:00 (the first) or 2026-04-05T01:45+10:30."),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "value", "said"), SKIPPED_OR_TWICE)
def test_the_export_page_refuses_a_time_the_sites_clocks_skip_or_show_twice(
    client, project, lead, settings, zone, value, said
):
    settings.TIME_ZONE = zone
    client.force_login(lead)
    response = client.post("/projects/helpful/exports/", {"until": value})
    said_there = field_errors(response.content.decode())["until"]
    assert said_there.startswith(f"Answered before {value} ") and said in said_there
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "value", "said"), SKIPPED_OR_TWICE)
def test_the_api_refuses_a_time_the_sites_clocks_skip_or_show_twice(project, lead, settings, zone, value, said):
    settings.TIME_ZONE = zone
    response = client_for(lead).post("/api/projects/helpful/exports/", {"since": value}, format="json")
    assert response.status_code == 400 and said in response.json()["since"][0]
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_the_api_takes_a_late_time_without_a_zone_west_of_utc_as_the_page_does(client, project, lead, settings):
    # 9999-12-31T23:59:59 in New York is past the last day datetime holds in UTC: the API answered 500.
    settings.TIME_ZONE = "America/New_York"
    client.force_login(lead)
    assert client.post("/projects/helpful/exports/", {"until": "9999-12-31T23:59:59"}).status_code == 302
    response = client_for(lead).post("/api/projects/helpful/exports/", {"until": "9999-12-31T23:59:59"}, format="json")
    assert response.status_code == 202
    page, api = (ExportOptions.from_json(job.options).until for job in ExportJob.objects.order_by("id"))
    assert page == api == dt.datetime.fromisoformat("9999-12-31T23:59:59-05:00")


def test_an_export_of_another_project_is_not_found_under_a_project_one_may_export(
    transactional_db, project, lead, outsider, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    job = export_job_run(job_id=ExportJob.objects.create(project=project, format="hh-rlhf", options={}).pk)
    assert job.state == "done", job.error
    # The outsider leads "other": that project's addresses must not reach this project's export.
    for url in (f"/api/projects/other/exports/{job.id}/", f"/api/projects/other/exports/{job.id}/download/"):
        assert client_for(outsider).get(url).status_code == 404
    page = Client()
    page.force_login(outsider)
    assert page.get(f"/projects/other/exports/{job.id}/download/").status_code == 404
    assert client_for(lead).get(f"/api/projects/helpful/exports/{job.id}/").json()["id"] == job.id
    assert page.get(f"/projects/helpful/exports/{job.id}/download/").status_code == 404


@pytest.mark.django_db
def test_the_export_page_marks_every_refused_field_at_once_by_its_label_while_the_api_keeps_the_option_names(
    client, project, lead
):
    # Found by a walkthrough in Chromium: one error at a time, at the top of the page, in the names of the
    # command line ("min_agreement must be between 0 and 1"), and no field marked.
    client.force_login(lead)
    typed = {"min_agreement": "2", "max_similarity": "lots", "min_judgments": "0", "include_probes": "on"}
    page = client.post("/projects/helpful/exports/", typed).content.decode()
    assert field_errors(page) == {
        "include_probes": "Include swapped repeat probes needs “One record per judgment”: a swapped repeat is the "
        "same annotator's judgment of the same pair again, not another vote to aggregate.",
        "min_judgments": "Min. decisive judgments must be at least 1.",
        "min_agreement": "Min. agreement (0–1) must be between 0 and 1.",
        "max_similarity": "Max. transcript similarity (0–1) must be a number, not 'lots'.",
    }
    assert alerts(page) == [
        "Export not started: see the fields marked below. Include swapped repeat probes Min. decisive judgments "
        "Min. agreement (0–1) Max. transcript similarity (0–1)"
    ]
    assert '<a href="#min_agreement">Min. agreement (0–1)</a>' in page
    assert not ExportJob.objects.exists()
    api = client_for(lead).post("/api/projects/helpful/exports/", {"include_probes": True}, format="json")
    assert api.status_code == 400 and api.json()["detail"].startswith("include_probes needs per_judgment: ")
