"""An export's archive lives as long as its row: deleting the row (in the admin, or with its project)
deletes the file, once the deletion commits."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction

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
