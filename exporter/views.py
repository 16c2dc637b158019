"""The export page for leads and engineers, and the download behind a permission check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from annotate.hub import hub_id_check
from annotate.models import ImportJob, JobState
from annotate.selectors import project_get_for_user
from annotate.services.jobs import JobsBusyError
from exporter.models import ExportJob
from exporter.records import FORMAT_CONVERSATIONAL, FORMAT_PREFERENCE
from exporter.selectors import EXPORTERS, ExportExpired, export_archive_open, export_job_get
from exporter.services import (
    AGGREGATES,
    FORMATS,
    WRITERS,
    ExportError,
    ExportOptions,
    aware_in_site_zone,
    export_job_create,
)

# The page lists the newest exports; the API pages through them all.
JOBS_SHOWN = 50
# A form sent again this soon with the same options by the same person is the same export (a double
# click ran two identical exports, both counted among the project's waiting jobs: found by the lead
# pages audit). The API starts what it is asked to.
TWIN_WITHIN = dt.timedelta(seconds=30)


def _same_export_just_started(*, project, user, options: ExportOptions) -> ExportJob | None:
    """This person's export of the project with the same options, still waiting or running and started
    within TWIN_WITHIN, if there is one."""
    recent = ExportJob.objects.filter(
        project=project,
        created_by=user,
        state__in=[JobState.PENDING, JobState.RUNNING],
        created_at__gte=timezone.now() - TWIN_WITHIN,
    ).order_by("-created_at")
    wanted = options.as_json()
    return next((job for job in recent if job.options == wanted), None)


def export_summary(job: ExportJob) -> str:
    """What an export holds, in a few words, for the list of recent exports: its format, and of the
    options it used (`ExportOptions.applied`) those that make two exports of one format differ in
    kind; the filters have a column of their own."""
    try:
        applied = ExportOptions.from_json(job.options).applied() if job.options else None
    except (TypeError, ValueError):  # options an older version wrote
        applied = None
    if applied is None:
        return job.format
    words = [applied["format"]]
    if applied["format"] == "tokenized":
        words.append(f"{applied['tokenizer']}, {applied['max_length']} tokens")
    else:
        words.append(applied["writer"])
    if applied.get("writer") == "hf":
        words.append(f"test {applied['test_size']:g}, seed {applied['seed']}")
    words.append("per judgment" if applied["per_judgment"] else applied["aggregate"])
    if applied.get("with_metadata"):
        words.append("with metadata")
    return " · ".join(words)


def _number(form: QueryDict, name: str, cast: type[int] | type[float]) -> int | float | None:
    """The form's number `name` (None when left empty); a ValueError that names the field, not
    Python's "invalid literal for int() with base 10"."""
    value = (form.get(name) or "").strip()
    if not value:
        return None
    try:
        return cast(value)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise ValueError(f"{name} must be {kind}, not {value!r}.") from None


def _moment(form: QueryDict, name: str) -> dt.datetime | None:
    """The form's date and time `name` (None when left empty), in the site's time zone unless it
    names its own; a ValueError that names the field."""
    value = (form.get(name) or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:  # well formed, but no such day or hour
        moment = None
    if moment is None:
        raise ValueError(f"{name} must be a date and time such as 2026-01-31T09:30, not {value!r}.")
    return aware_in_site_zone(moment, name=name)


def _applicable(form: QueryDict) -> dict[str, Any]:
    """The form's fields that its other choices leave in force, where filled in (ExportOptions has the
    defaults). The page shows every field at once (the tokenizer's with any format, the aggregation
    beside "one record per judgment"), so one left as it was is dropped here, not refused as the CLI
    and the API refuse an option given for nothing; the manifest records only the options used."""
    given: dict[str, Any] = {}
    # The tokenized format writes its own files (no file type), and only the preference and
    # conversational records have metadata columns.
    if form.get("format") != "tokenized":
        given["writer"] = form.get("writer", "jsonl")
    if form.get("with_metadata") == "on" and form.get("format") in (FORMAT_PREFERENCE, FORMAT_CONVERSATIONAL):
        given["with_metadata"] = True
    if form.get("format") == "tokenized":
        if form.get("tokenizer"):
            given["tokenizer"] = hub_id_check(form["tokenizer"], what="The tokenizer")
        if (length := _number(form, "max_length", int)) is not None:
            given["max_length"] = length
    if form.get("per_judgment") != "on" and form.get("aggregate"):
        given["aggregate"] = form["aggregate"]
    if given.get("writer") == "hf":
        if (share := _number(form, "test_size", float)) is not None:
            given["test_size"] = share
        if (seed := _number(form, "seed", int)) is not None:
            given["seed"] = seed
    return given


@login_required
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    # The membership too (one query, as export_project_get's), for the page's project navigation.
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=EXPORTERS)
    # What the form shows: its defaults, or what was sent when the export was refused, so that a
    # lead corrects one option instead of typing them all again.
    defaults = ExportOptions()
    values = {
        "tokenizer": defaults.tokenizer,
        "max_length": str(defaults.max_length),
        "test_size": str(defaults.test_size),
        "seed": str(defaults.seed),
    }
    if request.method == "POST":
        form = request.POST
        try:
            options = ExportOptions(
                format=form.get("format", "hh-rlhf"),
                per_judgment=form.get("per_judgment") == "on",
                include_gold=form.get("include_gold") == "on",
                include_probes=form.get("include_probes") == "on",
                min_judgments=_number(form, "min_judgments", int),
                min_agreement=_number(form, "min_agreement", float),
                max_similarity=_number(form, "max_similarity", float),
                max_response_similarity=_number(form, "max_response_similarity", float),
                exclude_flagged=form.get("exclude_flagged") == "on",
                exclude_paused=form.get("exclude_paused") == "on",
                max_sitting_minutes=_number(form, "max_sitting_minutes", float),
                max_index_in_sitting=_number(form, "max_index_in_sitting", int),
                since=_moment(form, "since"),
                until=_moment(form, "until"),
                source=(form.get("source") or "").strip() or None,
                **_applicable(form),
            )
            twin = _same_export_just_started(project=project, user=request.user, options=options)
            if twin is not None:
                messages.info(request, f"Export {twin.pk}, the same, was started a moment ago; it appears below.")
                return redirect("exporter:exports", slug=project.slug)
            export_job_create(project=project, user=request.user, options=options)
        except (ExportError, JobsBusyError, ValueError) as error:  # a HubIdError is a ValueError
            messages.error(request, f"Export not started: {error}")
            values = form
        else:
            messages.success(request, "Export started; it appears below when it is ready.")
            return redirect("exporter:exports", slug=project.slug)
    jobs = list(ExportJob.objects.filter(project=project).select_related("created_by")[:JOBS_SHOWN])
    for job in jobs:
        job.summary = export_summary(job)
    running = any(job.state in {"pending", "running"} for job in jobs)
    return render(
        request,
        "exporter/exports.html",
        {
            "project": project,
            "membership": membership,
            "values": values,
            "jobs": jobs,
            "running": running,
            "formats": FORMATS,
            "writers": WRITERS,
            "aggregates": AGGREGATES,
            "sources": _sources_imported(project),
            "time_zone": timezone.get_current_timezone_name(),
            "jobs_shown": JOBS_SHOWN,
        },
    )


def _sources_imported(project) -> list[str]:
    """The sources of the project's imports from the web and the API that added pairs, as the
    source field's suggestions: reading the names off the pairs would scan them all. A source
    imported with the CLI is not among them; the export takes it all the same."""
    jobs = ImportJob.objects.filter(project=project, state=JobState.DONE, pairs_created__gt=0).exclude(original_name="")
    return list(jobs.order_by("original_name").values_list("original_name", flat=True).distinct()[:200])


@login_required
def export_download(request: HttpRequest, slug: str, job_id: int) -> FileResponse | HttpResponse:
    job = export_job_get(user=request.user, slug=slug, job_id=job_id)
    try:
        archive = export_archive_open(job=job)
    except ExportExpired as expired:
        # Gone, as the API says (410): the 404 page said there was nothing at the address, or nothing
        # the reader may see, to someone following a link kept from the page or passed on.
        context = {"project": job.project, "job": job, "message": str(expired)}
        return render(request, "exporter/export_expired.html", context, status=410)
    return FileResponse(archive, as_attachment=True, content_type="application/zip")


urlpatterns = [
    path("projects/<slug:slug>/exports/", export_page, name="exports"),
    path("projects/<slug:slug>/exports/<id:job_id>/download/", export_download, name="download"),
]
