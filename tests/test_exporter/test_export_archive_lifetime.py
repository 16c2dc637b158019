"""An export's archive lives as long as its row: deleting the row (in the admin, or with its project)
deletes the file, once the deletion commits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from exporter.models import ExportJob
from exporter.services import export_job_run
from tests.conftest import make_pairs


class RolledBack(Exception):
    pass


@pytest.fixture
def archive(transactional_db, project, settings, tmp_path):
    """A finished export's job and its archive on disk (of no records: a project with judgments cannot
    be deleted, they are protected)."""
    settings.MEDIA_ROOT = tmp_path
    make_pairs(project, 3)
    job = export_job_run(job_id=ExportJob.objects.create(project=project, format="hh-rlhf", options={}).pk)
    path = Path(settings.MEDIA_ROOT) / job.file
    assert path.is_file()
    return job, path


def test_deleting_an_export_deletes_its_archive(archive):
    job, path = archive
    job.delete()
    assert not path.exists()


def test_deleting_a_project_deletes_its_exports_archives(archive, project):
    _, path = archive
    project.delete()
    assert not path.exists()


def test_a_deletion_rolled_back_keeps_the_archive(archive):
    job, path = archive
    job_id = job.pk
    with pytest.raises(RolledBack), transaction.atomic():
        job.delete()
        raise RolledBack
    assert path.is_file() and ExportJob.objects.filter(pk=job_id).exists()


def test_an_export_whose_row_is_deleted_while_it_runs_leaves_no_archive(
    transactional_db, project, settings, tmp_path, monkeypatch
):
    """The row is deleted (in the admin) while the worker writes: the archive the worker then makes
    has no row to find it by, and no row whose deletion would remove it."""
    from exporter import services

    settings.MEDIA_ROOT = tmp_path
    make_pairs(project, 3)
    job = ExportJob.objects.create(project=project, format="hh-rlhf", options={})
    real = services.export_write

    def write_while_deleted(**kwargs):
        ExportJob.objects.filter(pk=job.pk).delete()
        return real(**kwargs)

    monkeypatch.setattr(services, "export_write", write_while_deleted)
    assert services.export_job_run(job_id=job.pk) is None
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    assert [path for path in Path(tmp_path).rglob("*") if path.is_file()] == []


def test_a_job_that_fails_after_its_row_was_deleted_ends_quietly(
    transactional_db, project, settings, tmp_path, monkeypatch
):
    from exporter import services

    settings.MEDIA_ROOT = tmp_path
    job = ExportJob.objects.create(project=project, format="hh-rlhf", options={})

    def deleted_then_failed(**kwargs):
        ExportJob.objects.filter(pk=job.pk).delete()
        raise OSError("No space left on device")

    monkeypatch.setattr(services, "export_write", deleted_then_failed)
    assert services.export_job_run(job_id=job.pk) is None  # not DoesNotExist out of the task


def test_archives_older_than_the_keep_days_are_deleted_and_their_rows_say_so(archive, settings):
    """Exports are full copies of a project's judgments: before, every archive stayed on disk for good."""
    from exporter.tasks import fail_stale_exports

    settings.PAIRWISE_EXPORT_KEEP_DAYS = 30
    old, old_path = archive
    recent = export_job_run(job_id=ExportJob.objects.create(project=old.project, format="hh-rlhf", options={}).pk)
    recent_path = Path(settings.MEDIA_ROOT) / recent.file
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=30, minutes=1))
    ExportJob.objects.filter(pk=recent.pk).update(finished_at=timezone.now() - dt.timedelta(days=29, hours=23))
    assert old.expires_at is not None  # as the page and the API show it beforehand
    fail_stale_exports()  # the sweep beat runs
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old_path.exists() and old.file == "" and old.expired_at is not None and old.expires_at is None
    assert old.state == "done" and old.sha256  # the row, its counts and digest stay
    assert recent_path.is_file() and recent.file and recent.expired_at is None
    assert recent.expires_at == recent.finished_at + dt.timedelta(days=30)


def test_no_archive_expires_where_the_keep_days_are_zero(archive, settings):
    from exporter.services import exports_expire

    settings.PAIRWISE_EXPORT_KEEP_DAYS = 0
    job, path = archive
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=3650))
    assert exports_expire() == 0
    job.refresh_from_db()
    assert path.is_file() and job.file and job.expires_at is None


def test_an_expired_archive_is_a_410_over_the_api_and_said_on_the_exports_page(archive, settings, engineer):
    from rest_framework.test import APIClient

    from exporter.services import exports_expire

    job, _ = archive
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=31))
    assert exports_expire() == 1
    client = APIClient()
    client.force_login(engineer)
    slug = job.project.slug
    gone = client.get(f"/api/projects/{slug}/exports/{job.pk}/download/")
    assert gone.status_code == 410
    assert gone.json()["code"] == "expired" and "run the export again" in gone.json()["detail"]
    detail = client.get(f"/api/projects/{slug}/exports/{job.pk}/").json()
    assert detail["expired_at"] and detail["expires_at"] is None
    page = client.get(f"/projects/{slug}/exports/")
    assert "Expired" in page.content.decode() and f"/exports/{job.pk}/download/" not in page.content.decode()


def test_a_download_link_of_an_expired_archive_says_it_expired_not_that_nothing_is_there(archive, engineer, client):
    """A link kept from the exports page, or passed on, answered the generic "nothing at this address, or
    nothing you may see" page: the reader could not tell an expired archive from a wrong link."""
    from exporter.services import exports_expire

    job, _ = archive
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=31))
    assert exports_expire() == 1
    client.force_login(engineer)
    response = client.get(f"/projects/{job.project.slug}/exports/{job.pk}/download/")
    assert response.status_code == 410
    page = response.content.decode()
    assert "archive was deleted on" in page and "run the export again" in page
    assert f'href="/projects/{job.project.slug}/exports/"' in page


def test_an_expired_archives_message_gives_the_days_it_was_kept_then_not_todays_setting(archive, settings, engineer):
    """The message read the keep days from today's settings: set to 0 (kept for good) after an archive
    expired, it said "archives are kept 0 days"."""
    from rest_framework.test import APIClient

    from exporter.services import exports_expire

    settings.PAIRWISE_EXPORT_KEEP_DAYS = 30
    job, _ = archive
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=31))
    assert exports_expire() == 1
    settings.PAIRWISE_EXPORT_KEEP_DAYS = 0
    client = APIClient()
    client.force_login(engineer)
    gone = client.get(f"/api/projects/{job.project.slug}/exports/{job.pk}/download/")
    assert gone.status_code == 410
    detail = gone.json()["detail"]
    assert "0 days" not in detail and "31 days after the export finished" in detail, detail


def test_a_download_that_meets_the_expiry_sweep_between_its_read_and_its_open_is_told_it_expired(archive):
    """The sweep may expire the archive after a download read its row and before it opens the file: that
    answered 404 "gone" (or a 500, the file going between the check and the open), not 410."""
    from exporter.selectors import ExportExpired, export_archive_open
    from exporter.services import exports_expire

    job, path = archive
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=31))
    read_before = ExportJob.objects.get(pk=job.pk)  # as the download read it
    assert exports_expire() == 1 and not path.exists()
    with pytest.raises(ExportExpired, match="run the export again"):
        export_archive_open(job=read_before)
    # A file gone for another reason (deleted by hand) stays a 404.
    from django.conf import settings
    from django.http import Http404

    other = export_job_run(job_id=ExportJob.objects.create(project=job.project, format="hh-rlhf", options={}).pk)
    (Path(settings.MEDIA_ROOT) / other.file).unlink()
    with pytest.raises(Http404, match="gone"):
        export_archive_open(job=other)
