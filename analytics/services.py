"""Writes of the analytics app: per-pair text measures, and bias reports."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from analytics.models import BIAS_REPORT_FORMAT, BiasReport
from analytics.selectors import bias_report_live, judgment_frame, pair_frame
from annotate.models import JobState, Pair, Project
from annotate.services.jobs import (
    JOB_MAX_ATTEMPTS,
    advisory_held,
    job_claim,
    job_enqueue,
    job_error_internal,
    job_held,
    jobs_fail_stale,
    jobs_requeue_pending,
)

logger = logging.getLogger(__name__)
MEASURE_BATCH = 2_000
MEASURED_FIELDS = [
    "transcript_similarity",
    "response_similarity",
    "words_context",
    "words_response_a",
    "words_response_b",
    "words_transcript_a",
    "words_transcript_b",
]


# Key of the session-scoped advisory lock held while a project's pairs are measured.
_MEASURE_LOCK = 0x5057_4D46  # "PWMF"


def pair_measures_fill(*, project_id: int, batch: int = MEASURE_BATCH, wait: bool = True) -> int:
    """Compute and store the text measures of every pair of the project that has none yet; returns
    how many it measured.

    One process at a time per project: two at once each measured every pair, twice the work for
    nothing (found by the job life cycle audit: each import sends a fill, and a report or an export
    with a similarity filter fills too). A report or an export, which need the measures, wait for
    one already running (`wait`); the import's own fill gives way to it (wait=False)."""
    with advisory_held(key=_MEASURE_LOCK, object_id=project_id, wait=wait) as held:
        return _pair_measures_fill_held(project_id=project_id, batch=batch) if held else 0


def _pair_measures_fill_held(*, project_id: int, batch: int) -> int:
    from analytics.metrics import similarity  # heavy: imported by the worker, not by the web process

    done = 0
    while True:
        rows = list(
            Pair.objects.filter(project_id=project_id, transcript_similarity__isnull=True)
            .order_by("id")
            .values_list("id", "context", "response_a", "response_b", "source_preference")[:batch]
        )
        if not rows:
            return done
        measures = similarity.pair_text_measures_batch([texts for _, *texts in rows])
        updates = [Pair(id=pair_id, **values) for (pair_id, *_), values in zip(rows, measures, strict=True)]
        with transaction.atomic():
            Pair.objects.bulk_update(updates, MEASURED_FIELDS, batch_size=500)
        done += len(rows)


def bias_report_keep(*, project: Project, payload: dict, started_at: dt.datetime, duration_ms: int) -> BiasReport:
    """Keep a report computed outside the worker (`manage.py bias_report --save`) as the project's
    latest, as the worker's own computation leaves one: done, with its payload and timings."""
    return BiasReport.objects.create(
        project=project,
        state=JobState.DONE,
        payload=payload,
        judgments_seen=payload["n_judgments"],
        started_at=started_at,
        computed_at=timezone.now(),
        duration_ms=duration_ms,
    )


def bias_report_request(
    *, project: Project, user: AbstractBaseUser | None = None, parameters: dict | None = None
) -> tuple[BiasReport, bool]:
    """Ask for a report now: a new pending row whose task is enqueued after commit, or the
    computation already pending or running for the project (created=False)."""
    from analytics.tasks import compute_bias_report

    live = bias_report_live(project=project)
    if live is not None and not _report_abandoned(live):
        return live, False
    try:
        with transaction.atomic():
            report = BiasReport.objects.create(project=project, requested_by=user, parameters=parameters or {})
            transaction.on_commit(lambda: job_enqueue(task=compute_bias_report, job_id=report.id))
    except IntegrityError:  # another request created one between our check and insert
        return bias_report_live(project=project), False
    return report, True


def _report_abandoned(report: BiasReport) -> bool:
    """Whether a live report was abandoned by a worker that died whole (its message comes back only
    after the broker's visibility timeout, an hour), failed here so that a new one can be asked for:
    running, with its lock free. Every request returned the stuck row until then (found by the job
    life cycle audit). A worker takes the lock before it claims the row, and lets go after it has
    finished it. PostgreSQL only (SQLite has no such locks, and its solo worker no such death)."""
    if report.state != JobState.RUNNING or connection.vendor != "postgresql":
        return False
    with job_held(key=_REPORT_LOCK, job_id=report.id) as free:
        return free and bool(
            BiasReport.objects.filter(pk=report.id, state=JobState.RUNNING).update(
                state=JobState.FAILED, error="The worker computing this report stopped; a new one was asked for."
            )
        )


def bias_report_payload(*, project: Project) -> dict[str, Any]:
    """All figures of the report, JSON-ready, from columns of the database."""
    from analytics.metrics import agreement, careless, coverage, fatigue, length, position, quality, similarity
    from analytics.metrics.columns import SKIP
    from analytics.metrics.jsonable import to_jsonable

    everything = judgment_frame(project=project)
    # Swapped repeats measure annotators; counted with the pairs they would judge a pair twice.
    probes = everything["probe_of"].notna()
    judgments = everything[~probes] if probes.any() else everything
    pairs = pair_frame(project=project)
    measured = pairs.dropna(subset=["transcript_similarity"])
    # Judged: answered by someone (a skip is no answer about the pair).
    answered = judgments[judgments["side"] != SKIP] if len(judgments) else judgments
    judged = measured[measured["pair_id"].isin(answered["pair_id"])] if len(answered) else measured.iloc[0:0]
    return to_jsonable(
        {
            "format": BIAS_REPORT_FORMAT,
            "n_judgments": len(judgments),
            "n_probes": int(probes.sum()),
            "n_annotators": int(judgments["annotator"].nunique()) if len(judgments) else 0,
            "n_pairs": len(pairs),
            "n_pairs_measured": len(measured),
            "position": position.position_bias(judgments),
            "length": length.length_preference(judgments, measured),
            "similarity": {
                "all_pairs": similarity.similarity_buckets(measured["transcript_similarity"].tolist()),
                "judged_pairs": similarity.similarity_buckets(judged["transcript_similarity"].tolist()),
                "histogram": similarity.similarity_histogram(measured["transcript_similarity"].tolist()),
                "response_histogram": similarity.similarity_histogram(measured["response_similarity"].tolist()),
                "top_near_duplicates": similarity.top_near_duplicates(measured),
            },
            "fatigue": fatigue.fatigue(everything),
            "quality": quality.quality_by_annotator(everything),
            "speeding": fatigue.speeding(judgments, measured, factor=project.reading_factor),
            "agreement": agreement.agreement(judgments),
            "careless": careless.careless_answering(judgments),
            "coverage": coverage.coverage(pairs, judgments, k=project.judgments_per_pair),
        }
    )


# Key of the session-scoped advisory lock a worker holds while it computes a report (`job_held`).
_REPORT_LOCK = 0x5057_5250  # "PWRP"
# Workers that may die computing one report (`job_claim`).
REPORT_MAX_ATTEMPTS = JOB_MAX_ATTEMPTS


def bias_report_compute(*, report_id: int) -> BiasReport | None:
    """Claim the report row and compute it. A row already done is left alone (a redelivered task
    finds it done); a row left `running` by a worker that died is taken over, but not one a live
    worker is computing (a second message, as the sweep sends for a report pending too long, finds
    its lock held and does nothing). Returns None when the report was not ours to compute."""
    with job_held(key=_REPORT_LOCK, job_id=report_id) as held:
        return _bias_report_compute_held(report_id=report_id) if held else None


def _bias_report_compute_held(*, report_id: int) -> BiasReport | None:
    """bias_report_compute's work. Precondition: the report's lock is held (`job_held`)."""
    if not job_claim(model=BiasReport, job_id=report_id, what="report", max_attempts=REPORT_MAX_ATTEMPTS):
        return None
    report = BiasReport.objects.select_related("project").get(pk=report_id)
    started = time.monotonic()
    try:
        pair_measures_fill(project_id=report.project_id)
        payload = bias_report_payload(project=report.project)
    except Exception as error:
        logger.exception("bias report %s failed", report_id)
        BiasReport.objects.filter(pk=report_id).update(
            state=JobState.FAILED, error=job_error_internal(what="report", error=error)
        )
        raise
    BiasReport.objects.filter(pk=report_id, state=JobState.RUNNING).update(
        state=JobState.DONE,
        payload=payload,
        judgments_seen=payload["n_judgments"],
        computed_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    report.refresh_from_db()
    return report


# A report takes seconds (8 s for 160,800 judgments); one still pending or running after this never
# will be, and would stand in the way of every later report of its project (one live at a time).
REPORT_STALE_AFTER = dt.timedelta(hours=1)


def bias_reports_recover(*, now: dt.datetime | None = None) -> int:
    """Fail the reports no worker took, or whose worker died, REPORT_STALE_AFTER ago, and send again
    those still pending after REQUEUE_AFTER (their message was lost). Returns how many were failed."""
    from analytics.tasks import compute_bias_report

    now = now or timezone.now()
    failed = jobs_fail_stale(model=BiasReport, now=now, older_than=REPORT_STALE_AFTER)
    jobs_requeue_pending(model=BiasReport, task=compute_bias_report, now=now, stale_after=REPORT_STALE_AFTER)
    return failed


# Reports kept per project. Beat computes one every few minutes while a project is annotated, each with
# its whole payload, and kept them all: the dashboard reads the latest, and older ones are history
# nobody reads.
REPORTS_KEPT = 100


def bias_reports_prune(*, keep: int = REPORTS_KEPT) -> int:
    """Delete each project's reports but its newest `keep`, and never its latest done one (the
    dashboard's, and the one an export leaving out the flagged reads) nor one pending or running.
    Returns how many were deleted."""
    deleted = 0
    for project_id in BiasReport.objects.values_list("project_id", flat=True).distinct().order_by():
        reports = BiasReport.objects.filter(project_id=project_id)
        latest_done = (
            reports.filter(state=JobState.DONE).order_by("-computed_at", "-id").values_list("id", flat=True).first()
        )
        # A subquery, not a list of ids: a year of reports would pass a statement's 65,535 parameters.
        old = reports.order_by("-created_at", "-id").values("id")[keep:]
        deleted += (
            BiasReport.objects.filter(id__in=old)
            .exclude(id=latest_done)
            .exclude(state__in=[JobState.PENDING, JobState.RUNNING])
            .delete()[0]
        )
    return deleted


def bias_reports_schedule() -> int:
    """For beat: recover stuck reports and prune old ones, then request a report for each active
    project with judgments newer than its latest report, or whose latest report flags by an older
    version's rules (kept from before an upgrade). Returns how many were requested."""
    from analytics.selectors import bias_report_latest
    from annotate.models import Judgment

    bias_reports_recover()
    bias_reports_prune()
    requested = 0
    for project in Project.objects.filter(is_active=True):
        latest = bias_report_latest(project=project)
        newer = Judgment.objects.filter(project=project)
        if latest is not None:
            newer = newer.filter(answered_at__gt=latest.created_at)
        outdated = latest is not None and not latest.flags_current
        if (outdated or newer.exists()) and bias_report_request(project=project)[1]:
            requested += 1
    return requested
