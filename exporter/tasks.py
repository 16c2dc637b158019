"""Thin Celery tasks of the exporter: ids in, a service call."""

from __future__ import annotations

from celery import shared_task

from annotate.services.jobs import STALE_AFTER, job_time_limits
from exporter import services


@shared_task(
    name="exporter.run_export", acks_late=True, reject_on_worker_lost=True, **job_time_limits(stale_after=STALE_AFTER)
)
def run_export(job_id: int) -> None:
    services.export_job_run(job_id=job_id)


@shared_task(name="exporter.fail_stale_exports", ignore_result=True)
def fail_stale_exports() -> None:
    """Periodic: fail the exports whose worker died, so that none stays "running", send again those
    whose message was lost, so that none stays "pending", delete the files none of them needs, and
    the archives older than PAIRWISE_EXPORT_KEEP_DAYS."""
    from annotate.services.jobs import jobs_fail_stale, jobs_requeue_pending
    from exporter.models import ExportJob

    jobs_fail_stale(model=ExportJob)
    jobs_requeue_pending(model=ExportJob, task=run_export)
    services.exports_prune()
    services.exports_expire()
