"""Thin Celery tasks of the analytics app: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task

from analytics import services
from annotate.services.jobs import STALE_AFTER, job_time_limits


@shared_task(
    name="analytics.compute_bias_report",
    acks_late=True,
    reject_on_worker_lost=True,
    **job_time_limits(stale_after=services.REPORT_STALE_AFTER),
)
def compute_bias_report(report_id: int) -> None:
    services.bias_report_compute(report_id=report_id)


# Not sent again when its worker dies: each batch commits, so what was measured stays, and a batch that
# kills its worker (pairs of 100,000-character texts on a small machine) would otherwise kill every
# worker that took the message after it, for good. The next report measures what is left, and fails
# after REPORT_MAX_ATTEMPTS saying why.
@shared_task(
    name="analytics.fill_pair_measures",
    acks_late=True,
    reject_on_worker_lost=False,
    **job_time_limits(stale_after=STALE_AFTER),
)
def fill_pair_measures(project_id: int) -> None:
    # A fill already running for the project (another import's, a report's) measures these pairs too.
    services.pair_measures_fill(project_id=project_id, wait=False)


@shared_task(name="analytics.schedule_bias_reports")
def schedule_bias_reports() -> None:
    services.bias_reports_schedule()
