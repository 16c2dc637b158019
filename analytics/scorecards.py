"""Annotator scorecards for a project's leads (HTML): a sortable table with one row per annotator
member, one card per annotator, and the lead's pause and resume actions.

Who may see what: leads and engineers read both pages; only leads pause and resume (engineers get
a 403 on the actions). Annotators of the project, outsiders and unknown projects are a 404
(`project_get_for_user`), and so is a card for a user who is not an annotator member.

Where the figures come from
- Live, from the database at each request: judgments, quality figures (gold accuracy, probe
  consistency, leans, median dwell, fast answers) from `analytics.metrics.quality.quality_by_annotator`
  over the judgment table, hours spent in sittings, judgments per day, paused status, audit events.
  "Judgments" count every answer, gold pairs and swapped repeats included.
- From the latest bias report (its time is shown): agreement with the others' leave-one-out
  majority and the position, length, fatigue and careless-answering flags, which need the whole project's statistics
  (Benjamini-Hochberg across annotators) and are not worth recomputing per page view.

Definitions
- Hours in sittings = Σ over the annotator's sittings of (ended_at, or last activity while open)
  − started_at; throughput = judgments / hours in sittings.
- Leans are P(left) − 0.5 (0: no habit, +0.5: always left, −0.5: always right); see
  `analytics.metrics.quality` for the three kinds (from choices, from probes, from gold).
- Trend: judgments answered per day (site time zone) over the last TREND_DAYS days, from one
  GROUP BY (annotator, day) on the (project, answered_at) index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from analytics.presentation import (
    DASH,
    Cell,
    Table,
    ago,
    careless_flag,
    fatigue_flag,
    flag_cell,
    interval,
    length_flag,
    num,
    pct,
    per_annotator_rows,
    position_flag,
    rate,
    seconds,
)
from analytics.selectors import bias_report_latest, judgment_frame, local_midnight
from annotate.models import AnnotationSession, AuditEvent, Judgment, Membership, Project, Role
from annotate.selectors import project_get_for_user
from annotate.services.members import REASON_MAX_CHARS, membership_pause, membership_resume
from annotate.templatetags.site_times import site_time

if TYPE_CHECKING:
    import pandas as pd

READERS = (Role.LEAD, Role.ENGINEER)
TREND_DAYS = 14
# The columns `quality_by_annotator` reads, under the names of the judgment table's contract.
QUALITY_COLUMNS = (
    "annotator",
    "judgment_id",
    "side",
    "chosen_response",
    "left_response",
    "dwell_ms",
    "fast",
    "is_gold",
    "gold_answer",
    "probe_of",
)
SPARK_BAR, SPARK_GAP, SPARK_HEIGHT = 5, 1, 20


# Reads. --------------------------------------------------------------------------------------------


def quality_frame(*, project: Project, annotator_id: int | None = None) -> pd.DataFrame:
    """The judgment table of the project, or of one annotator in it, with only the columns the
    quality figures read, so that a single card does not load the whole project."""
    return judgment_frame(project=project, annotator_id=annotator_id, columns=QUALITY_COLUMNS)


def sitting_hours(*, project: Project, annotator_id: int | None = None) -> dict[int, tuple[int, float]]:
    """Per annotator: (sittings, hours in sittings), where a sitting lasts from its start to its end,
    or to its last activity while open. One aggregate query."""
    spent = ExpressionWrapper(Coalesce("ended_at", "last_activity_at") - F("started_at"), output_field=DurationField())
    sittings = AnnotationSession.objects.filter(project=project)
    if annotator_id is not None:
        sittings = sittings.filter(annotator_id=annotator_id)
    totals = (
        sittings.values("annotator_id")
        .annotate(n=Count("id"), spent=Sum(spent))
        .values_list("annotator_id", "n", "spent")
    )
    return {annotator: (n, (total or dt.timedelta()).total_seconds() / 3600) for annotator, n, total in totals}


def judgments_by_day(
    *, project: Project, days: int = TREND_DAYS, now: dt.datetime | None = None, annotator_id: int | None = None
) -> tuple[list[dt.date], dict[int, list[int]]]:
    """The last `days` days (site time zone, oldest first, today last) and, per annotator with any
    judgment in them, the judgments answered on each day. One GROUP BY (annotator, day)."""
    today = timezone.localdate(now or timezone.now())
    day_list = [today - dt.timedelta(days=days - 1 - i) for i in range(days)]
    judgments = Judgment.objects.filter(project=project, answered_at__gte=local_midnight(day_list[0]))
    if annotator_id is not None:
        judgments = judgments.filter(annotator_id=annotator_id)
    counted = (
        judgments.annotate(day=TruncDate("answered_at"))
        .values("annotator_id", "day")
        .annotate(n=Count("id"))
        .values_list("annotator_id", "day", "n")
    )
    position = {day: i for i, day in enumerate(day_list)}
    per_annotator: dict[int, list[int]] = {}
    for annotator, day, n in counted:
        if day in position:
            per_annotator.setdefault(annotator, [0] * days)[position[day]] = n
    return day_list, per_annotator


# One annotator's figures. ---------------------------------------------------------------------------


@dataclass
class Scorecard:
    """Everything the pages show of one annotator member, or of a former one whose judgments are in
    the project (`former`, with an unsaved membership). `quality` is that annotator's row of
    `quality_by_annotator` (None without judgments); `report` their rows of the latest report's
    sections, keyed by section (empty without a report or without judgments in it)."""

    membership: Membership
    quality: dict | None
    sittings: int
    hours: float
    days: list[dt.date]
    per_day: list[int]
    report: dict[str, dict] = field(default_factory=dict)

    @property
    def former(self) -> bool:
        return self.membership.pk is None

    @property
    def user(self):
        return self.membership.user

    @property
    def judgments(self) -> int:
        return self.quality["judgments"] if self.quality else 0

    @property
    def per_hour(self) -> float | None:
        return self.judgments / self.hours if self.hours > 0 else None

    @property
    def gold(self) -> dict:
        return (self.quality or {}).get("gold") or {}

    @property
    def probes(self) -> dict:
        return (self.quality or {}).get("probes") or {}

    @property
    def agreement(self) -> dict:
        return (self.report.get("agreement") or {}).get("loo_majority") or {}

    @property
    def position_flag(self) -> bool | None:
        return position_flag(self.report.get("position"))

    @property
    def length_flag(self) -> bool | None:
        return length_flag(self.report.get("length"))

    @property
    def fatigue_flag(self) -> bool | None:
        return fatigue_flag(self.report.get("fatigue"))

    @property
    def careless_flag(self) -> bool | None:
        return careless_flag(self.report.get("careless"))

    @property
    def sparkline(self) -> dict:
        """Bars of an inline SVG of judgments per day, with its text alternative."""
        top = max(self.per_day, default=0) or 1
        bars = []
        for i, n in enumerate(self.per_day):
            height = round(n / top * (SPARK_HEIGHT - 1)) + 1 if n else 0
            bars.append({"x": i * (SPARK_BAR + SPARK_GAP), "y": SPARK_HEIGHT - height, "height": height})
        label = ", ".join(f"{day:%b} {day.day}: {n}" for day, n in zip(self.days, self.per_day, strict=True))
        return {
            "bars": bars,
            "width": len(self.per_day) * (SPARK_BAR + SPARK_GAP),
            "height": SPARK_HEIGHT,
            "bar": SPARK_BAR,
            "label": f"Judgments per day, last {len(self.per_day)} days: {label}",
            "total": sum(self.per_day),
        }


def scorecards_build(
    *, project: Project, memberships: list[Membership], payload: dict | None, now: dt.datetime | None = None
) -> list[Scorecard]:
    """The scorecards of `memberships` (annotator members of `project`), with `payload` the latest
    bias report's (or None). For a single membership only that annotator's rows are read."""
    one = memberships[0].user_id if len(memberships) == 1 else None
    frame = quality_frame(project=project, annotator_id=one)
    recent = max(project.gold_recent, 1)  # the pause rule's window
    from analytics.metrics.quality import quality_by_annotator  # pandas and scipy: loaded on use

    quality = {int(row["annotator"]): row for row in quality_by_annotator(frame, recent=recent)} if len(frame) else {}
    hours = sitting_hours(project=project, annotator_id=one)
    days, per_day = judgments_by_day(project=project, now=now, annotator_id=one)
    from_report = per_annotator_rows(payload) if payload else {}
    return [
        Scorecard(
            membership=membership,
            quality=quality.get(membership.user_id),
            sittings=hours.get(membership.user_id, (0, 0.0))[0],
            hours=hours.get(membership.user_id, (0, 0.0))[1],
            days=days,
            per_day=per_day.get(membership.user_id, [0] * len(days)),
            report=from_report.get(membership.user_id, {}),
        )
        for membership in memberships
    ]


# Formatting. ---------------------------------------------------------------------------------------


def _lean(value: float | None) -> str:
    """A signed lean, with a true minus sign."""
    return DASH if value is None else f"{value:+.2f}".replace("-", "\u2212")


def _sort(value: float | int | None) -> str:
    """A cell's sort key for scorecards.js: a plain number, or empty (sorted last) when undefined."""
    return "" if value is None else repr(float(value))


@dataclass
class SortCell:
    """A cell of the sortable table: its text, an optional second line, and its sort key."""

    text: str
    sort: str = ""
    detail: str = ""
    href: str = ""
    flag: bool = False
    spark: dict | None = None


SCORECARD_COLUMNS = (
    ("Annotator", "text"),
    ("Status", "text"),
    ("Judgments", "number"),
    ("Per hour in sittings", "number"),
    ("Median dwell", "number"),
    ("Fast answers", "number"),
    ("Gold accuracy (95% interval)", "number"),
    ("Recent gold accuracy", "number"),
    ("Probe consistency (95% interval)", "number"),
    ("Lean from choices", "number"),
    ("Lean from probes", "number"),
    ("Lean from gold", "number"),
    ("Agreement with others (report)", "number"),
    ("Position flag (report)", "number"),
    ("Length flag (report)", "number"),
    ("Fatigue flag (report)", "number"),
    ("Careless flag (report)", "number"),
    (f"Last {TREND_DAYS} days", "number"),
)


def _flag_cell(flagged: bool | None) -> SortCell:
    if flagged is None:
        return SortCell(DASH)
    return SortCell("flagged", sort="1", flag=True) if flagged else SortCell("no", sort="0")


def _proportion_cell(summary: dict) -> SortCell:
    value = summary.get("rate")
    return SortCell(rate(summary), sort=_sort(value), detail=interval(summary) if value is not None else "")


def scorecard_row(project: Project, card: Scorecard) -> list[SortCell]:
    """One row of the table, in the order of SCORECARD_COLUMNS."""
    quality, membership = card.quality or {}, card.membership
    paused = membership.paused_at is not None
    fast_share = quality.get("fast_share")
    return [
        SortCell(
            card.user.get_username(),
            sort=card.user.get_username().lower(),
            href=reverse("analytics:scorecard", kwargs={"slug": project.slug, "user_id": card.user.pk}),
        ),
        SortCell("former", sort="former")
        if card.former
        else SortCell("paused", sort="paused", flag=True)
        if paused
        else SortCell("active", sort="active"),
        SortCell(num(card.judgments), sort=_sort(card.judgments)),
        SortCell(num(card.per_hour, 1), sort=_sort(card.per_hour), detail=f"{card.hours:.2f} h"),
        SortCell(seconds(quality.get("median_dwell_ms")), sort=_sort(quality.get("median_dwell_ms"))),
        SortCell(
            f"{quality.get('fast', 0)} ({pct(fast_share)})" if quality else DASH,
            sort=_sort(fast_share),
        ),
        _proportion_cell(card.gold.get("accuracy") or {}),
        _proportion_cell(card.gold.get("recent_accuracy") or {}),
        _proportion_cell(card.probes.get("consistency") or {}),
        SortCell(_lean(quality.get("lean_from_choices")), sort=_sort(quality.get("lean_from_choices"))),
        SortCell(_lean(card.probes.get("lean")), sort=_sort(card.probes.get("lean"))),
        SortCell(_lean(card.gold.get("lean")), sort=_sort(card.gold.get("lean"))),
        _proportion_cell(card.agreement),
        _flag_cell(card.position_flag),
        _flag_cell(card.length_flag),
        _flag_cell(card.fatigue_flag),
        _flag_cell(card.careless_flag),
        SortCell(str(card.sparkline["total"]), sort=_sort(card.sparkline["total"]), spark=card.sparkline),
    ]


def scorecard_table(card: Scorecard, project: Project) -> Table:
    """The card's figures as a Figure / Value table (`analytics/_table.html`)."""
    quality, gold, probes = card.quality or {}, card.gold, card.probes
    membership = card.membership
    table = Table(f"Figures of {card.user.get_username()}", ["Figure", "Value"])
    if card.former:
        table.add("Status", "no longer an annotator of the project (their judgments stay in it)")
    elif membership.paused_at is not None:
        table.add("Status", Cell(f"paused since {site_time(membership.paused_at)}", flag=True))
        table.add("Reason for the pause", membership.paused_reason or DASH)
    else:
        table.add("Status", "active")
    table.add("Judgments (gold pairs and swapped repeats included)", num(card.judgments))
    table.add("Decisive judgments (left or right)", num(quality.get("decisive")))
    table.add("Sittings", num(card.sittings))
    table.add("Hours in sittings", f"{card.hours:.2f} h")
    table.add("Throughput per hour in sittings", num(card.per_hour, 1))
    table.add("Median visible dwell", seconds(quality.get("median_dwell_ms")))
    table.add(
        "Fast answers (under the reading-time floor)",
        f"{quality.get('fast', 0)} ({pct(quality.get('fast_share'))})" if quality else DASH,
    )
    accuracy, recent = gold.get("accuracy") or {}, gold.get("recent_accuracy") or {}
    table.add("Gold accuracy", rate(accuracy))
    table.add("95% interval of gold accuracy", interval(accuracy))
    table.add(f"Recent gold accuracy (last {max(project.gold_recent, 1)} gold answers)", rate(recent))
    table.add(
        f"Pause threshold of recent gold accuracy (over the last {project.gold_recent} gold answers; "
        "the rule waits until there are that many since the last resume)",
        pct(project.gold_min_accuracy),
    )
    table.add("Probe consistency (same response chosen both times)", rate(probes.get("consistency")))
    table.add("95% interval of probe consistency", interval(probes.get("consistency") or {}))
    table.add("Lean from choices (left rate − 0.5)", _lean(quality.get("lean_from_choices")))
    table.add(f"Lean from probes ({num(probes.get('couples'))} couples, content-free)", _lean(probes.get("lean")))
    table.add(
        "Lean from gold ((P(left | gold left) + P(left | gold right)) / 2 − 0.5)",
        _lean(gold.get("lean")),
    )
    table.add(
        "Left when the gold answer is left / right",
        f"{pct(gold.get('left_when_gold_left'))} / {pct(gold.get('left_when_gold_right'))}",
    )
    table.add("Agreement with the others' majority (report)", rate(card.agreement))
    table.add("95% interval of the agreement (report)", interval(card.agreement))
    position = card.report.get("position") or {}
    table.add("Left rate (report)", rate(position))
    table.add("Position flag (report)", _flag_or_dash(card.position_flag))
    table.add(
        "Length flag: prefers longer or shorter, position and content apart (report)", _flag_or_dash(card.length_flag)
    )
    table.add("Fatigue flag: quality drops late in sittings (report)", _flag_or_dash(card.fatigue_flag))
    table.add(
        "Careless flag: agrees with the others' majority less often than the rest do, nearer chance (report)",
        _flag_or_dash(card.careless_flag),
    )
    return table


def _flag_or_dash(flagged: bool | None) -> Cell | str:
    return DASH if flagged is None else flag_cell(flagged)


def trend_table(card: Scorecard) -> Table:
    table = Table(f"Judgments per day, last {TREND_DAYS} days (live count)", ["Day", "Judgments"])
    for day, n in zip(reversed(card.days), reversed(card.per_day), strict=True):
        table.add(day.isoformat(), num(n))
    return table


def audit_table(*, project: Project, subject_id: int) -> Table:
    table = Table(
        "Audit log: pauses, resumptions, additions and removals, newest first", ["When", "Action", "By", "Reason"]
    )
    events = AuditEvent.objects.filter(project=project, subject_id=subject_id).select_related("actor")
    for event in events.order_by("-created_at", "-id"):
        by = event.actor.get_username() if event.actor is not None else "automatic (gold accuracy rule)"
        table.add(site_time(event.created_at), event.action, by, event.reason or DASH)
    return table


# Views. --------------------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=REASON_MAX_CHARS, strip=True, widget=forms.Textarea(attrs={"rows": 3}))


def _report_facts(project: Project) -> dict:
    report = bias_report_latest(project=project)
    return {
        "report": report,
        "computed_ago": ago(report.computed_at) if report is not None and report.computed_at else "",
    }


def _annotator_membership(project: Project, user_id: int) -> Membership:
    """The annotator's membership; for a former annotator whose judgments are in the project (removed,
    or now in another role), an unsaved one, as the dashboard's annotator page also shows them."""
    membership = (
        Membership.objects.select_related("user").filter(project=project, user_id=user_id, role=Role.ANNOTATOR).first()
    )
    if membership is not None:
        return membership
    former = get_user_model().objects.filter(pk=user_id, judgments__project=project).distinct().first()
    if former is None:
        raise Http404("No such annotator in this project.")
    return Membership(project=project, user=former, role=Role.ANNOTATOR)


def _former_annotators(project: Project, members: list[Membership]) -> list[Membership]:
    """Unsaved memberships of the people whose judgments are in the project but who are no annotator
    member of it now: their cards stay, as their judgments stay in its reports and exports."""
    current = {membership.user_id for membership in members}
    ids = set(Judgment.objects.filter(project=project).values_list("annotator_id", flat=True).distinct()) - current
    return [
        Membership(project=project, user=user, role=Role.ANNOTATOR)
        for user in get_user_model().objects.filter(pk__in=ids)
    ]


@login_required
def scorecards(request: HttpRequest, slug: str) -> HttpResponse:
    """The sortable table of the project's annotator members, for its leads and engineers."""
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=READERS)
    facts = _report_facts(project)
    memberships = list(Membership.objects.filter(project=project, role=Role.ANNOTATOR).select_related("user"))
    memberships += _former_annotators(project, memberships)
    # By name, as the database's collation orders them (case aside), members and former ones together.
    memberships.sort(key=lambda membership: (membership.user.get_username().casefold(), membership.user.get_username()))
    payload = facts["report"].payload if facts["report"] is not None else None
    cards = scorecards_build(project=project, memberships=memberships, payload=payload) if memberships else []
    context = facts | {
        "project": project,
        "membership": membership,
        "is_lead": membership.role == Role.LEAD,
        "columns": SCORECARD_COLUMNS,
        "rows": [scorecard_row(project, card) for card in cards],
        "trend_days": TREND_DAYS,
    }
    return render(request, "analytics/scorecards.html", context)


def _card_page(
    request: HttpRequest, project: Project, reader: Membership, subject: Membership, form: ReasonForm | None = None
) -> HttpResponse:
    facts = _report_facts(project)
    payload = facts["report"].payload if facts["report"] is not None else None
    card = scorecards_build(project=project, memberships=[subject], payload=payload)[0]
    context = facts | {
        "project": project,
        "is_lead": reader.role == Role.LEAD,
        "person": subject.user,
        "card": card,
        "figures": scorecard_table(card, project),
        "trend": trend_table(card),
        "audit": audit_table(project=project, subject_id=subject.user_id),
        "form": form or ReasonForm(),
        "reason_max": REASON_MAX_CHARS,
    }
    return render(request, "analytics/scorecard.html", context, status=400 if form is not None else 200)


@login_required
def scorecard(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """One annotator's card: figures, trend, audit log and, for leads, pause or resume."""
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=READERS)
    return _card_page(request, project, membership, _annotator_membership(project, user_id))


NO_ANNOTATOR = "That person is no annotator of this project (any more); nothing to pause or resume."


def _membership_action(request: HttpRequest, slug: str, user_id: int, *, pause: bool) -> HttpResponse:
    """Pause or resume (leads only) with a required reason, then back to the card with a message;
    a missing reason shows the card again with the error (400)."""
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=READERS)
    if membership.role != Role.LEAD:
        raise PermissionDenied("Only project leads can pause or resume annotators.")
    try:
        subject = _annotator_membership(project, user_id)
    except Http404:
        # Removed since the card was opened, with no judgment to keep a card for.
        messages.info(request, NO_ANNOTATOR)
        return redirect("analytics:scorecards", slug=project.slug)
    if subject.pk is None:
        # Removed since the card was opened (or a former annotator's card): nothing to pause.
        name = subject.user.get_username()
        messages.info(request, f"{name} is no longer an annotator of this project; nothing to pause or resume.")
        return redirect("analytics:scorecard", slug=project.slug, user_id=subject.user_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _card_page(request, project, membership, subject, form)
    service = membership_pause if pause else membership_resume
    try:
        change = service(project=project, user=subject.user, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        form.add_error("reason", error)
        return _card_page(request, project, membership, subject, form)
    except Membership.DoesNotExist:
        # Removed (on the Members page, or in the admin) since the card was read above.
        messages.info(request, NO_ANNOTATOR)
        return redirect("analytics:scorecards", slug=project.slug)
    name = subject.user.get_username()
    if change.changed and pause and change.sitting_ended:
        messages.success(
            request,
            f"{name} is paused: the sitting they had open has ended (its unanswered pairs went back to the "
            "pool), and they cannot start another until resumed.",
        )
    elif change.changed and pause:
        messages.success(request, f"{name} is paused: they cannot start new sittings until resumed.")
    elif change.changed:
        messages.success(request, f"{name} can start sittings again.")
    elif change.sitting_ended:
        messages.info(request, f"{name} was already paused; the sitting they still had open has now ended.")
    else:
        messages.info(request, f"{name} was already {'paused' if pause else 'active'}; nothing changed.")
    return redirect("analytics:scorecard", slug=project.slug, user_id=subject.user_id)


@login_required
@require_POST
def scorecard_pause(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    return _membership_action(request, slug, user_id, pause=True)


@login_required
@require_POST
def scorecard_resume(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    return _membership_action(request, slug, user_id, pause=False)


urlpatterns = [
    path("projects/<slug:slug>/scorecards/", scorecards, name="scorecards"),
    path("projects/<slug:slug>/scorecards/<id:user_id>/", scorecard, name="scorecard"),
    path("projects/<slug:slug>/scorecards/<id:user_id>/pause/", scorecard_pause, name="scorecard_pause"),
    path("projects/<slug:slug>/scorecards/<id:user_id>/resume/", scorecard_resume, name="scorecard_resume"),
]
