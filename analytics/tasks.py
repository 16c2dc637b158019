"""Thin Celery tasks of the analytics app: ids in, a service call, nothing else."""

from __future__ import annotations

from celery import shared_task

from analytics import services
from annotate.services.jobs import job_time_limits


@shared_task(
    name="analytics.compute_bias_report",
    acks_late=True,
    reject_on_worker_lost=True,
    **job_time_limits(stale_after=services.REPORT_STALE_AFTER),
)
def compute_bias_report(report_id: int) -> None:
    services.bias_report_compute(report_id=report_id)


@shared_task(name="analytics.fill_pair_measures", acks_late=True, reject_on_worker_lost=True)
def fill_pair_measures(project_id: int) -> None:
    services.pair_measures_fill(project_id=project_id)


@shared_task(name="analytics.schedule_bias_reports")
def schedule_bias_reports() -> None:
    services.bias_reports_schedule()
