"""The project lead's quality dashboard (HTML): the latest bias report as tables and charts.

Leads and engineers read it; only leads ask for a recompute. Annotators of the project, outsiders
and unknown projects are all a 404 (`project_get_for_user`), so nobody learns what they may not see.

The figures come from the stored report payload (`analytics.services.bias_report_payload`); the
page adds only cheap reads of its own: the annotators' names, the live and the last computation,
and judgments per day (one GROUP BY on the (project, answered_at) index). The tables carry every
number a chart shows, so they are the charts' text alternative; the charts are drawn in the browser
by the vendored Chart.js from JSON embedded with `json_script`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from analytics.dashboard_tables import (
    THROUGHPUT_DAYS,
    agreement_tables,
    annotator_table,
    bins_table,
    charts,
    coverage_tables,
    fatigue_table,
    length_effect_text,
    length_flag_cell,
    length_tables,
    position_table,
    regression_table,
    similarity_tables,
    trend_table,
)
from analytics.models import BiasReport
from analytics.presentation import (
    DASH,
    Table,
    ago,
    careless_flag,
    careless_p,
    fatigue_flag,
    flag_cell,
    interval,
    num,
    p_text,
    pct,
    per_annotator_rows,
    position_flag,
    rate,
    usernames,
)
from analytics.selectors import bias_report_latest, bias_report_live, local_midnight
from analytics.services import bias_report_request
from annotate.models import JobState, Judgment, Membership, Project, Role
from annotate.selectors import project_get_for_user
from annotate.services.annotating import REST_MINUTES

READERS = (Role.LEAD, Role.ENGINEER)


def _project_for_reader(request: HttpRequest, slug: str) -> tuple[Project, Membership]:
    return project_get_for_user(user=request.user, slug=slug, roles=READERS)


def judgments_per_day(*, project: Project, days: int = THROUGHPUT_DAYS, now: dt.datetime | None = None) -> list[dict]:
    """Judgments answered per day (in the site's time zone) over the last `days` days, from the first
    day with any to today, days without judgments as 0. One aggregate query on the
    (project, answered_at) index (a bound on the column itself: `answered_at__date` was a cast of every
    row, a scan of all the project's judgments); no rows are loaded."""
    today = timezone.localdate(now or timezone.now())
    since = today - dt.timedelta(days=days - 1)
    counted = dict(
        Judgment.objects.filter(project=project, answered_at__gte=local_midnight(since))
        .annotate(day=TruncDate("answered_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    if not counted:
        return []
    first = min(counted)
    return [
        {"day": (first + dt.timedelta(days=i)).isoformat(), "judgments": counted.get(first + dt.timedelta(days=i), 0)}
        for i in range((today - first).days + 1)
    ]


def _careless_alpha(payload: dict) -> float:
    """The careless-answering flag's level in `payload` (a report from before the flag has none: 0.01,
    the level of every flag)."""
    return (payload.get("careless") or {}).get("flag_alpha", 0.01)


def _last_attempt(project: Project) -> BiasReport | None:
    return BiasReport.objects.filter(project=project).only("id", "state", "error", "created_at").first()


def _report_context(project: Project, membership: Membership) -> dict:
    """What both pages show about the report: the latest done one, the live one, a recent failure."""
    report = bias_report_latest(project=project)
    live = bias_report_live(project=project)
    last = _last_attempt(project)
    failed = last if last is not None and last.state == JobState.FAILED else None
    return {
        "project": project,
        "membership": membership,
        "is_lead": membership.role == Role.LEAD,
        "report": report,
        "live": live,
        "failed": failed,
        "duration_s": None if report is None or report.duration_ms is None else report.duration_ms / 1000,
        "computed_ago": ago(report.computed_at) if report is not None and report.computed_at else "",
        "state_url": reverse("analytics_api:bias-report-state", kwargs={"slug": project.slug, "report_id": live.id})
        if live
        else "",
    }


# Views. --------------------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """The quality dashboard of one project, for its leads and engineers."""
    project, membership = _project_for_reader(request, slug)
    context = _report_context(project, membership)
    throughput = judgments_per_day(project=project)
    report = context["report"]
    payload = report.payload if report is not None else None
    if payload and payload.get("n_judgments") == 0 and not payload.get("n_probes"):
        # A report of no judgments: one line saying when figures come, not every chart and table empty.
        context |= {"no_judgments": True, "recompute_minutes": max(1, round(settings.BIAS_REPORT_EVERY_SECONDS / 60))}
    elif payload:
        per_annotator = per_annotator_rows(payload)
        names = usernames(list(per_annotator))
        position = payload.get("position", {})
        context |= {
            "payload": payload,
            "annotators": annotator_table(project, per_annotator, names),
            "coverage_tables": coverage_tables(payload.get("coverage", {}), throughput),
            "position_table": position_table(per_annotator, names, position.get("overall") or {}),
            "position_bins": [
                bins_table("Left rate by index in sitting", position.get("by_index_in_sitting", [])),
                bins_table("Left rate by minutes in sitting", position.get("by_minutes_in_sitting", [])),
            ],
            "length_tables": length_tables(payload.get("length", {}), per_annotator, names),
            "regression": payload.get("length", {}).get("length_controlled") or {},
            "regression_table": regression_table(payload.get("length", {}).get("length_controlled") or {}),
            "similarity_tables": similarity_tables(payload.get("similarity", {}), project, request.user),
            "fatigue_tables": [
                fatigue_table(
                    "Fatigue by index in sitting",
                    payload.get("fatigue", {}).get("by_index_in_sitting", {}),
                    "Index in sitting",
                ),
                fatigue_table(
                    "Fatigue by minutes in sitting",
                    payload.get("fatigue", {}).get("by_minutes_in_sitting", {}),
                    "Minutes in sitting",
                ),
                fatigue_table(
                    # Not "since the last break": a break between sittings shorter than the rest ends no
                    # stretch (a project's 3-minute break left the minutes running on from the sitting before).
                    f"Fatigue by minutes since the working stretch began: the first sitting after a rest of at "
                    f"least {REST_MINUTES} minutes, or of the project's break if longer",
                    payload.get("fatigue", {}).get("by_minutes_since_break", {}),
                    "Minutes in the working stretch",
                ),
                trend_table(payload.get("fatigue", {}).get("trends", {})),
            ],
            "speeding": payload.get("speeding", {}),
            "agreement_tables": agreement_tables(
                payload.get("agreement", {}),
                per_annotator,
                names,
                careless_alpha=_careless_alpha(payload),
            ),
            "charts": charts(payload, per_annotator, names, throughput),
        }
    return render(request, "analytics/dashboard.html", context)


@login_required
@require_POST
def recompute(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask for a new report now (leads only); while one is pending or running, nothing new is made."""
    project, membership = _project_for_reader(request, slug)
    if membership.role != Role.LEAD:
        raise PermissionDenied("Only project leads can ask for a report.")
    _, created = bias_report_request(project=project, user=request.user)
    if created:
        messages.success(request, "A new report was requested; this page reloads when it is ready.")
    else:
        messages.info(request, "A report is already being computed; this page reloads when it is ready.")
    return redirect("analytics:dashboard", slug=project.slug)


def _reading_floor_label(wpm: float | None) -> str:
    """The summary row's label, worded as the dashboard words it."""
    if not wpm:
        return "Faster than reading (no reading floor: the project's reading factor is 0)"
    return f"Faster than reading (under {wpm:,.0f} words per minute)"


@login_required
def annotator(request: HttpRequest, slug: str, annotator_id: int) -> HttpResponse:
    """One annotator's rows of the latest report. The id must be an annotator of the project: a
    member with the annotator role, or a former one whose judgments are in the project."""
    project, membership = _project_for_reader(request, slug)
    is_annotator = (
        Membership.objects.filter(project=project, user_id=annotator_id, role=Role.ANNOTATOR).exists()
        or Judgment.objects.filter(project=project, annotator_id=annotator_id).exists()
    )
    person = get_user_model().objects.filter(pk=annotator_id).first() if is_annotator else None
    if person is None:
        raise Http404("No such annotator in this project.")
    context = _report_context(project, membership) | {"person": person}
    report = context["report"]
    rows = per_annotator_rows(report.payload).get(person.pk) if report is not None and report.payload else None
    if rows:
        names = {person.pk: person.get_username()}
        only = {person.pk: rows}
        position, fatigue = rows.get("position") or {}, rows.get("fatigue") or {}
        speeding = rows.get("speeding") or {}
        summary = Table("Quality of this annotator", ["Figure", "Value"])
        summary.add("Left rate", rate(position))
        summary.add("95% interval of the left rate", interval(position))
        summary.add("Adjusted p (position)", p_text(position.get("p_adjusted")))
        summary.add("Position bias", flag_cell(position_flag(position)))
        model = (rows.get("length") or {}).get("model") or {}
        summary.add(
            "Length effect, position and content held apart (log-odds)",
            length_effect_text(model),
        )
        summary.add("Adjusted p (length)", p_text(model.get("p_adjusted")))
        summary.add("Length bias", length_flag_cell(rows.get("length")))
        summary.add(
            "Quality (gold, else probe consistency, else the others' majority, else the source)",
            pct(fatigue.get("quality")),
        )
        slope = fatigue.get("slope_per_minute")
        summary.add(
            "Quality slope per minute in sitting (log-odds)",
            num(slope, 3) if slope is not None else (fatigue.get("reason") or DASH),
        )
        summary.add("Adjusted p of a decline", p_text(fatigue.get("p_adjusted")))
        summary.add("Quality drops late", flag_cell(fatigue_flag(fatigue)))
        careless = rows.get("careless") or {}
        summary.add(
            "Agreement with the others' majority, and the rest's (pooled)",
            f"{pct(careless.get('rate'))} vs {pct(careless.get('others_rate'))}",
        )
        summary.add(
            "Adjusted p (careless answering)",
            careless_p(careless, "p_adjusted"),
        )
        summary.add("Careless answering", flag_cell(careless_flag(careless)))
        summary.add(
            _reading_floor_label((report.payload.get("speeding") or {}).get("wpm")),
            rate({"rate": speeding.get("share"), "successes": speeding.get("speeding"), "n": speeding.get("n")}),
        )
        context |= {
            "rows": rows,
            "summary_table": summary,
            "position_table": position_table(only, names, {}),
            "length_tables": length_tables(
                {"overall": rows.get("length") or {}},
                only,
                names,
                whose=f"{person.get_username()}'s decisive judgments",
            ),
            "agreement_table": agreement_tables({}, only, names, careless_alpha=_careless_alpha(report.payload))[1],
        }
    return render(request, "analytics/annotator.html", context)


urlpatterns = [
    path("projects/<slug:slug>/dashboard/", dashboard, name="dashboard"),
    path("projects/<slug:slug>/dashboard/recompute/", recompute, name="recompute"),
    path("projects/<slug:slug>/dashboard/annotators/<id:annotator_id>/", annotator, name="annotator"),
]
