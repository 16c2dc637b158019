"""Background jobs whose worker died: found by their age and failed, so that no job stays "running"."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from annotate.models import Job, JobState

# Far longer than any import or export takes here (160,800 pairs import in seconds, a tokenized export
# of them in minutes); a job still running after this lost its worker.
STALE_AFTER = dt.timedelta(hours=6)


def jobs_fail_stale(*, model: type[Job], now: dt.datetime | None = None, older_than: dt.timedelta = STALE_AFTER) -> int:
    """Fail the jobs of `model` claimed more than `older_than` ago and never finished; returns how many.

    A worker killed mid-job (out of memory, a deploy) leaves its job "running": the broker hands the
    message to another worker, but the job is no longer pending, so nobody claims it again. An import
    runs in one transaction, so a failed one wrote nothing and can simply be started again."""
    now = now or timezone.now()
    return model.objects.filter(state=JobState.RUNNING, started_at__lt=now - older_than).update(
        state=JobState.FAILED,
        error=(
            "The worker running this job stopped: no result "
            f"{older_than.total_seconds() / 3600:g} hours after it started. Start it again."
        ),
        finished_at=now,
    )
