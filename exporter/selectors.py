"""Reads of the exporter, with the access rule: leads and engineers of the job's project only."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from annotate.models import JobState, Project, Role
from annotate.selectors import project_get_for_user
from annotate.templatetags.site_times import site_time
from exporter.models import ExportJob

EXPORTERS = (Role.LEAD, Role.ENGINEER)


def export_project_get(*, user: AbstractBaseUser, slug: str) -> Project:
    project, _ = project_get_for_user(user=user, slug=slug, roles=EXPORTERS)
    return project


def export_job_get(*, user: AbstractBaseUser, slug: str, job_id: int) -> ExportJob:
    """Fetch-and-authorize: the job, if it belongs to that project and the user exports there; else 404."""
    project = export_project_get(user=user, slug=slug)
    job = ExportJob.objects.filter(project=project, pk=job_id).first()
    if job is None:
        raise Http404("No such export.")
    return job


def export_expired_message(job: ExportJob) -> str:
    # The days from the row, not today's setting: changed since (to 0, kept for good), it misstated them.
    kept = (job.expired_at - job.finished_at).days if job.finished_at else None
    return (
        f"This export's archive was deleted on {site_time(job.expired_at)}"
        + (f", {kept} days after the export finished" if kept is not None else "")
        + ": run the export again."
    )


class ExportExpired(Exception):
    """The export's archive was deleted for age (`exports_expire`): 410, with `export_expired_message`."""

    def __init__(self, job: ExportJob) -> None:
        super().__init__(export_expired_message(job))
        self.job = job


def export_archive_open(*, job: ExportJob) -> BinaryIO:
    """The archive of a finished export, opened for reading. Raises ExportExpired where the sweep deleted
    it for age, also between the read of `job` and this open (the row is read again then: that answered
    a 404 "gone", or a 500 where the file went between the check and the open); Http404 where there is
    no file to give."""
    media = Path(settings.MEDIA_ROOT).resolve()
    if job.expired_at is None and job.state == JobState.DONE and job.file:
        path = (media / job.file).resolve()
        if not path.is_relative_to(media):
            raise Http404("This export has no file.")
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError):
            job.refresh_from_db()
            if job.expired_at is None:
                raise Http404("The export's file is gone.") from None
    if job.expired_at is not None:
        raise ExportExpired(job)
    raise Http404("This export has no file.")
