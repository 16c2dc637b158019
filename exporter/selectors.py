"""Reads of the exporter, with the access rule: leads and engineers of the job's project only."""

from __future__ import annotations

from pathlib import Path

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


def export_job_file(*, job: ExportJob) -> Path:
    if job.expired_at is not None and not job.file:
        raise Http404(export_expired_message(job))
    if job.state != JobState.DONE or not job.file:
        raise Http404("This export has no file.")
    path = (Path(settings.MEDIA_ROOT) / job.file).resolve()
    if not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()) or not path.is_file():
        raise Http404("The export's file is gone.")
    return path
