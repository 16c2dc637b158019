"""Celery tasks of the annotate app: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from annotate.services.imports import import_job_run
from annotate.services.jobs import STALE_AFTER, job_time_limits


@shared_task(name="annotate.import_pairs", ignore_result=True, **job_time_limits(stale_after=STALE_AFTER))
def import_pairs_task(job_id: int) -> None:
    """Run ImportJob `job_id`. Never retried on an error (the job ends failed); a message that comes
    back because its worker died runs the job again (`import_job_run`)."""
    import_job_run(job_id=job_id)


@shared_task(name="annotate.close_stale_sittings", ignore_result=True)
def close_stale_sittings_task() -> None:
    """Periodic: close sittings past their time or idle limit and send their leases back, so that
    pairs held by annotators who walked away return to the pool even if nobody asks for them."""
    from django.db.models import Exists, OuterRef

    from annotate.models import AnnotationSession, Project
    from annotate.services.annotating import leases_expire, sittings_close_stale

    sittings_close_stale()
    # Leases live only in open sittings (a sitting's end releases its own), which a closed project
    # may still have: they run to their end.
    open_sitting = AnnotationSession.objects.filter(project=OuterRef("pk"), ended_at__isnull=True)
    for project in Project.objects.filter(Exists(open_sitting)).only("id", "judgments_per_pair"):
        leases_expire(project=project)


@shared_task(name="annotate.fail_stale_imports", ignore_result=True)
def fail_stale_imports_task() -> None:
    """Periodic: fail the imports whose worker died, so that none stays "running", send again those
    whose message was lost, so that none stays "pending", and delete the uploads none of them needs."""
    from annotate.models import ImportJob
    from annotate.services.imports import uploads_prune
    from annotate.services.jobs import jobs_fail_stale, jobs_requeue_pending

    jobs_fail_stale(model=ImportJob)
    jobs_requeue_pending(model=ImportJob, task=import_pairs_task)
    uploads_prune()
