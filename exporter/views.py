"""The export page for leads and engineers, and the download behind a permission check."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
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


# Each option as the page's label names it (its words before any bracket, or with the range where
# that is the point), for its error messages there: the API and the command line name the options as
# ExportOptions does, and the page named them so too ("min_agreement must be between 0 and 1").
LABELS = {
    "format": "Format",
    "writer": "File type",
    "aggregate": "Aggregation",
    "per_judgment": "One record per judgment",
    "include_probes": "Include swapped repeat probes",
    "with_metadata": "Metadata columns",
    "tokenizer": "Tokenizer",
    "max_length": "Max. tokens per sequence",
    "test_size": "Test share",
    "seed": "Seed of the split",
    "min_judgments": "Min. decisive judgments",
    "min_agreement": "Min. agreement (0–1)",
    "max_similarity": "Max. transcript similarity (0–1)",
    "max_response_similarity": "Max. response similarity (0–1)",
    "max_sitting_minutes": "Drop judgments after this many minutes in a sitting",
    "max_index_in_sitting": "Drop judgments after this index in a sitting",
    "since": "Answered at or after",
    "until": "Answered before",
    "source": "Only pairs from this source",
    "exclude_flagged": "Leave out annotators flagged by the latest bias report",
}
# Option names inside a message: those with an underscore, and the two bounds of time ("source",
# "format" or "seed" are words of the messages too, and are replaced only where they open one).
_NAME_INSIDE = re.compile(r"\b(?:" + "|".join(name for name in LABELS if "_" in name) + r"|since|until)\b")


def said_on_the_page(message: str, option: str) -> str:
    """An error about `option` as the page says it: the option it opens with, and any other option it
    names, by its label on the page."""
    if message.startswith(f"{option} "):
        message = LABELS[option] + message[len(option) :]
    return _NAME_INSIDE.sub(lambda name: f"“{LABELS[name[0]]}”", message)


class _FormReader:
    """Reads the form's fields one at a time, keeping the error of each field it cannot read (by its
    option) instead of stopping at the first, so that the page marks them all at once."""

    def __init__(self, form: QueryDict) -> None:
        self.form = form
        self.errors: dict[str, str] = {}

    def read(self, option: str, how: Callable[[], Any]) -> Any:
        try:
            return how()
        except ValueError as error:  # a HubIdError is a ValueError
            self.errors.setdefault(option, str(error))
            return None

    def number(self, name: str, cast: type[int] | type[float]) -> int | float | None:
        return self.read(name, lambda: _number(self.form, name, cast))

    def moment(self, name: str) -> dt.datetime | None:
        return self.read(name, lambda: _moment(self.form, name))


def _applicable(form: QueryDict, reader: _FormReader) -> dict[str, Any]:
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
            tokenizer = reader.read("tokenizer", lambda: hub_id_check(form["tokenizer"], what="The tokenizer"))
            if tokenizer is not None:
                given["tokenizer"] = tokenizer
        if (length := reader.number("max_length", int)) is not None:
            given["max_length"] = length
    if form.get("per_judgment") != "on" and form.get("aggregate"):
        given["aggregate"] = form["aggregate"]
    if given.get("writer") == "hf":
        if (share := reader.number("test_size", float)) is not None:
            given["test_size"] = share
        if (seed := reader.number("seed", int)) is not None:
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
    errors: dict[str, str] = {}  # by option, as the page says them, each at its field
    if request.method == "POST":
        form = request.POST
        reader = _FormReader(form)
        options = ExportOptions(
            format=form.get("format", "hh-rlhf"),
            per_judgment=form.get("per_judgment") == "on",
            include_gold=form.get("include_gold") == "on",
            include_probes=form.get("include_probes") == "on",
            min_judgments=reader.number("min_judgments", int),
            min_agreement=reader.number("min_agreement", float),
            max_similarity=reader.number("max_similarity", float),
            max_response_similarity=reader.number("max_response_similarity", float),
            exclude_flagged=form.get("exclude_flagged") == "on",
            exclude_paused=form.get("exclude_paused") == "on",
            max_sitting_minutes=reader.number("max_sitting_minutes", float),
            max_index_in_sitting=reader.number("max_index_in_sitting", int),
            since=reader.moment("since"),
            until=reader.moment("until"),
            source=(form.get("source") or "").strip() or None,
            **_applicable(form, reader),
        )
        refused = reader.errors
        for problem in options.problems():  # the first of each option's, after what could not be read
            refused.setdefault(problem.option or "", str(problem))
        if not refused:
            twin = _same_export_just_started(project=project, user=request.user, options=options)
            if twin is not None:
                messages.info(request, f"Export {twin.pk}, the same, was started a moment ago; it appears below.")
                return redirect("exporter:exports", slug=project.slug)
            try:
                export_job_create(project=project, user=request.user, options=options)
            except ExportError as error:  # the project's part: a source it has not, no report to flag by
                refused[error.option or ""] = str(error)
            except JobsBusyError as error:
                messages.error(request, f"Export not started: {error}")
            else:
                messages.success(request, "Export started; it appears below when it is ready.")
                return redirect("exporter:exports", slug=project.slug)
        values = form
        # In the page's order (LABELS'), whatever order they were found in.
        errors = {option: said_on_the_page(refused[option], option) for option in LABELS if option in refused}
        for said in (said for option, said in refused.items() if option not in LABELS):
            messages.error(request, f"Export not started: {said}")
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
            "errors": errors,
            "refused": [(option, LABELS[option]) for option in errors],
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
