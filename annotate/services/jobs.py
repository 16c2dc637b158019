"""Background jobs: how many may wait in a project; those whose message was lost, sent again, so that
no job stays "pending"; and those whose worker died, found by their age and failed, so that none stays
"running"."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from annotate.models import Job, JobState, Project

# Far longer than any import or export takes here (160,800 pairs import in seconds, a tokenized export
# of them in minutes); a job still running after this lost its worker.
STALE_AFTER = dt.timedelta(hours=6)
# A job still pending this long after it was recorded lost its message (the broker was down when it
# was sent, or lost it): the sweep sends it again.
REQUEUE_AFTER = dt.timedelta(minutes=10)

logger = logging.getLogger(__name__)

# Workers that may die running one job: reject_on_worker_lost sends a killed worker's message back, and
# the next worker takes the job over (`job_claim`); a job that kills every worker (out of memory) would
# otherwise be taken over forever.
JOB_MAX_ATTEMPTS = 3

# Imports, and exports, that may wait or run at once in one project: enough for any real work, and a
# bound on what a script (or a fuzzer: it queued 1,865 exports) can pile onto the workers.
MAX_WAITING_JOBS = 5


@contextmanager
def advisory_held(*, key: int, object_id: int, wait: bool = False) -> Iterator[bool]:
    """Whether this process holds the session advisory lock (`key`, `object_id`) for the block: True
    once it has it, False when another holds it (`wait`: wait for it instead). PostgreSQL releases
    the lock when its holder's connection ends, so a process that died leaves it free. SQLite (the
    demo's single solo worker) has no such locks: always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [key, object_id])
            held = True
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [key, object_id])
            held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [key, object_id])


def job_held(*, key: int, job_id: int):
    """Whether this worker may run the job: True while it holds the job's advisory lock (`key` names the
    kind of job), False when a live worker holds it; a worker that died leaves its job free to take
    over (`advisory_held`)."""
    return advisory_held(key=key, object_id=job_id)


def job_claim(*, model: type[models.Model], job_id: int, what: str, max_attempts: int = JOB_MAX_ATTEMPTS) -> bool:
    """Claim the job (a Job, or any row with its state, started_at and attempts, as a BiasReport) for
    this worker: one pending, or one left running by a worker that died (a killed worker's message
    comes back, and without this the job stayed "running" until the stale sweep, hours later, its
    upload on disk and its place among the project's waiting jobs taken: found by the job life cycle
    audit). A job that has stopped its workers `max_attempts` times is failed instead. Whether it is
    ours to run. Precondition: the job's lock is held (`job_held`), so a live worker's is never taken."""
    now = timezone.now()
    claimable = Q(state=JobState.PENDING) | Q(state=JobState.RUNNING, attempts__lt=max_attempts)
    if model.objects.filter(claimable, pk=job_id).update(
        state=JobState.RUNNING, started_at=now, attempts=F("attempts") + 1
    ):
        return True
    # Still running with its lock free: its last worker died too.
    finished = {"finished_at": now} if issubclass(model, Job) else {}
    model.objects.filter(pk=job_id, state=JobState.RUNNING).update(
        state=JobState.FAILED,
        error=f"The worker running this {what} stopped {max_attempts} times (out of memory?).",
        **finished,
    )
    return False


def job_time_limits(*, stale_after: dt.timedelta) -> dict[str, int]:
    """Celery's time limits for a job task whose row the sweep fails `stale_after` after it started: the
    worker stops the job first (a hung download or a runaway file would otherwise hold a worker slot
    for good), with a soft limit the job's own error handling turns into a failed row, and a hard
    limit five minutes later should the soft one not get through (prefork pools; solo and threads
    pools have no time limits)."""
    hard = int(stale_after.total_seconds()) - 300
    return {"soft_time_limit": hard - 300, "time_limit": hard}


def job_error_internal(*, what: str, error: BaseException) -> str:
    """The error a job's row shows for a failure that is not the user's to fix (a bug, an outage, its
    time limit): its kind, without its text, which can carry the server's paths, hosts or SQL; the
    worker's log has the whole traceback."""
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(error, SoftTimeLimitExceeded):
        return f"This {what} ran into its time limit and was stopped (the worker's log says after how long)."
    return f"An internal error ({type(error).__name__}) stopped this {what}; the worker's log has the details."


class JobsBusyError(Exception):
    """A project already has MAX_WAITING_JOBS jobs of this kind waiting or running."""


def jobs_waiting_check(*, model: type[Job], project: Project, now: dt.datetime | None = None) -> None:
    """Raise JobsBusyError if `project` has MAX_WAITING_JOBS jobs of `model` pending or running.

    Precondition: inside the transaction that creates the job. Locks the project's row FOR NO KEY
    UPDATE, so that two requests cannot both take the last place; that lock does not wait for an
    import's foreign-key checks or an annotator's lease, which take KEY SHARE. Jobs older than
    STALE_AFTER do not count: a running one has lost its worker, a pending one its message."""
    now = now or timezone.now()
    list(Project.objects.select_for_update(no_key=True).filter(pk=project.pk).values_list("pk", flat=True))
    waiting = model.objects.filter(
        project=project, state__in=[JobState.PENDING, JobState.RUNNING], created_at__gt=now - STALE_AFTER
    ).count()
    if waiting >= MAX_WAITING_JOBS:
        raise JobsBusyError(
            f"{waiting} {model._meta.verbose_name_plural} of this project are already waiting or running; "
            "start another when one has finished."
        )


def task_send(*, task, arg: int, recovery: str) -> None:
    """Send `task` with `arg` (after the row it names committed). A broker that cannot be reached is
    logged, with `recovery` (what sends the work again), not raised: the row is already recorded."""
    try:
        task.delay(arg)
    except (OperationalError, OSError) as error:
        logger.warning("could not send %s(%s); %s: %s", task.name, arg, recovery, error)


def job_enqueue(*, task, job_id: int) -> None:
    """Send `task` for job `job_id`; if the broker cannot be reached, `jobs_requeue_pending` sends it."""
    task_send(task=task, arg=job_id, recovery="the sweep sends it again")


def jobs_requeue_pending(
    *, model: type[models.Model], task, now: dt.datetime | None = None, stale_after: dt.timedelta = STALE_AFTER
) -> int:
    """Send again the jobs of `model` still pending REQUEUE_AFTER after they were recorded (but not
    `stale_after`, when `jobs_fail_stale` fails them); returns how many. A job whose first message
    was only slow still runs once: the worker claims it with a conditional update (pending → running)."""
    now = now or timezone.now()
    lost = list(
        model.objects.filter(
            state=JobState.PENDING, created_at__lt=now - REQUEUE_AFTER, created_at__gte=now - stale_after
        ).values_list("pk", flat=True)
    )
    for job_id in lost:
        job_enqueue(task=task, job_id=job_id)
    return len(lost)


def jobs_fail_stale(
    *, model: type[models.Model], now: dt.datetime | None = None, older_than: dt.timedelta = STALE_AFTER
) -> int:
    """Fail the jobs of `model` (a Job, or any row with its state, created_at and started_at, as a
    BiasReport) claimed more than `older_than` ago and never finished, and those never claimed that
    long after they were recorded; returns how many.

    A worker killed mid-job (out of memory, a deploy) leaves its job "running": the broker hands the
    message to another worker, but the job is no longer pending, so nobody claims it again. A job no
    worker took in all that time, though sent again every REQUEUE_AFTER, will not be taken. An import
    runs in one transaction, so a failed one wrote nothing and can simply be started again."""
    now = now or timezone.now()
    hours = older_than.total_seconds() / 3600
    span = f"{hours:g} hour{'' if hours == 1 else 's'}"
    finished = {"finished_at": now} if issubclass(model, Job) else {}
    died = model.objects.filter(state=JobState.RUNNING, started_at__lt=now - older_than).update(
        state=JobState.FAILED,
        error=f"The worker running this job stopped: no result {span} after it started. Start it again.",
        **finished,
    )
    never = model.objects.filter(state=JobState.PENDING, created_at__lt=now - older_than).update(
        state=JobState.FAILED,
        error=f"No worker took this job in the {span} after it was started: is a worker running? Start it again.",
        **finished,
    )
    return died + never
