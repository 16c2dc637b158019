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
from dataclasses import dataclass, field
from typing import Any

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
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from analytics.models import BiasReport
from analytics.selectors import bias_report_latest, bias_report_live
from analytics.services import bias_report_request
from annotate.models import JobState, Judgment, Membership, Project, Role
from annotate.selectors import project_get_for_user

READERS = (Role.LEAD, Role.ENGINEER)
THROUGHPUT_DAYS = 30
DASH = "—"
EN_DASH = "\u2013"  # between the ends of a range
# The payload's names for the 0/1 measures of the fatigue curves, as the page calls them.
FATIGUE_MEASURES = {
    "left": "Left rate",
    "loo_majority": "Agreement with the others' majority",
    "source": "Agreement with the source",
    "gold": "Gold accuracy",
    "probe": "Probe consistency",
}
LENGTH_FIGURES = (
    ("n", "Decisive judgments"),
    ("chosen_mean", "Chosen: mean words"),
    ("chosen_median", "Chosen: median words"),
    ("rejected_mean", "Rejected: mean words"),
    ("rejected_median", "Rejected: median words"),
    ("chosen_longer_share", "Chosen longer"),
    ("chosen_shorter_share", "Chosen shorter"),
    ("same_share", "Same length"),
    ("verdict", "Verdict"),
)
LENGTH_TERMS = {
    "intercept": "Position (intercept: log-odds of picking left at equal length)",
    "length_difference": "Length (normalized left minus right words of the responses)",
    "a_on_left": "Content (response A shown on the left)",
}


# Formatting: the payload holds None where a figure is undefined; the page shows a dash. --------


def _pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return DASH
    return f"{value:,.0f}" if isinstance(value, int) else f"{value:,.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _interval(summary: dict) -> str:
    if summary.get("ci_low") is None:
        return DASH
    return f"{_pct(summary['ci_low'])} {EN_DASH} {_pct(summary['ci_high'])}"


def _rate(summary: dict | None) -> str:
    """A proportion summary as "rate (successes / n)"."""
    if not summary or summary.get("rate") is None:
        return DASH
    return f"{_pct(summary['rate'])} ({summary['successes']} / {summary['n']})"


def _ago(moment: dt.datetime) -> str:
    """How long ago `moment` was, e.g. "3 minutes ago"; "less than a minute ago" under a minute, where
    `timesince` alone would say "0 minutes"."""
    if timezone.now() - moment < dt.timedelta(minutes=1):
        return "less than a minute ago"
    return f"{timesince(moment)} ago"


def _seconds(milliseconds: float | None) -> str:
    return DASH if milliseconds is None else f"{milliseconds / 1000:.1f} s"


# Tables: the template draws any of these the same way (caption, column headers, row headers). ----


@dataclass
class Cell:
    text: str
    href: str = ""
    flag: bool = False


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def add(self, *cells: Cell | str) -> None:
        self.rows.append([cell if isinstance(cell, Cell) else Cell(str(cell)) for cell in cells])


def _flag(flagged: bool | None) -> Cell:
    return Cell("flagged", flag=True) if flagged else Cell("no")


# Cheap reads of the page's own. -------------------------------------------------------------------


def _project_for_reader(request: HttpRequest, slug: str) -> tuple[Project, Membership]:
    return project_get_for_user(user=request.user, slug=slug, roles=READERS)


def judgments_per_day(*, project: Project, days: int = THROUGHPUT_DAYS, now: dt.datetime | None = None) -> list[dict]:
    """Judgments answered per day (in the site's time zone) over the last `days` days, from the first
    day with any to today, days without judgments as 0. One aggregate query on the
    (project, answered_at) index; no rows are loaded."""
    today = timezone.localdate(now or timezone.now())
    since = today - dt.timedelta(days=days - 1)
    counted = dict(
        Judgment.objects.filter(project=project, answered_at__date__gte=since)
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


def _usernames(ids: list[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(id__in=ids).values_list("id", "username")
    return {user_id: username for user_id, username in users}


def _last_attempt(project: Project) -> BiasReport | None:
    return BiasReport.objects.filter(project=project).only("id", "state", "error", "created_at").first()


# The payload, arranged for the page. -------------------------------------------------------------


def _per_annotator(payload: dict) -> dict[int, dict[str, dict]]:
    """Each annotator's rows of the payload's sections, keyed by annotator id then section."""
    sections = {
        "position": payload.get("position", {}).get("per_annotator", []),
        "length": payload.get("length", {}).get("per_annotator", []),
        "fatigue": payload.get("fatigue", {}).get("per_annotator", []),
        "agreement": payload.get("agreement", {}).get("per_annotator", []),
        "speeding": payload.get("speeding", {}).get("per_annotator", []),
    }
    rows: dict[int, dict[str, dict]] = {}
    for section, entries in sections.items():
        for entry in entries:
            rows.setdefault(int(entry["annotator"]), {})[section] = entry
    return rows


def _annotator_table(project: Project, per_annotator: dict[int, dict], names: dict[int, str]) -> Table:
    table = Table(
        "Annotators: judgments, position and fatigue flags, speed, agreement",
        [
            "Annotator",
            "Judgments",
            "Left rate",
            "Position bias",
            "Length verdict (responses)",
            "Quality",
            "Quality drops late",
            "Faster than reading",
            "Agrees with others' majority",
            "Agrees with source",
        ],
    )
    for annotator_id, rows in sorted(per_annotator.items(), key=lambda item: names.get(item[0], "").lower()):
        position, fatigue = rows.get("position", {}), rows.get("fatigue", {})
        agreement, speeding = rows.get("agreement", {}), rows.get("speeding", {})
        responses = rows.get("length", {}).get("responses", {})
        judgments = (position.get("n") or 0) + (position.get("ties") or 0) + (position.get("skips") or 0)
        table.add(
            Cell(
                names.get(annotator_id, f"user {annotator_id}"),
                href=reverse("analytics:annotator", kwargs={"slug": project.slug, "annotator_id": annotator_id}),
            ),
            _num(judgments),
            _rate(position),
            _flag(position.get("flagged")),
            responses.get("verdict") or ("none" if responses.get("n") else DASH),
            _pct(fatigue.get("quality")),
            _flag(fatigue.get("flagged")),
            _rate({"rate": speeding.get("share"), "successes": speeding.get("speeding"), "n": speeding.get("n")}),
            _rate(agreement.get("loo_majority")),
            _rate(agreement.get("source")),
        )
    return table


def _position_table(per_annotator: dict[int, dict], names: dict[int, str], overall: dict) -> Table:
    table = Table(
        "Left-choice rate per annotator (ties and skips excluded), Wilson 95% interval, exact binomial test "
        "against 50%, Benjamini-Hochberg adjusted",
        ["Annotator", "Left / decisive", "Left rate", "95% interval", "p", "Adjusted p", "Flag", "Ties", "Skips"],
    )
    for annotator_id, rows in sorted(per_annotator.items()):
        row = rows.get("position")
        if row:
            table.add(
                names.get(annotator_id, f"user {annotator_id}"),
                f"{row['successes']} / {row['n']}",
                _pct(row["rate"]),
                _interval(row),
                _p(row.get("p_value")),
                _p(row.get("p_adjusted")),
                _flag(row.get("flagged")),
                _num(row.get("ties")),
                _num(row.get("skips")),
            )
    if overall:
        table.add(
            "All annotators",
            f"{overall.get('successes')} / {overall.get('n')}",
            _pct(overall.get("rate")),
            _interval(overall),
            _p(overall.get("p_value")),
            DASH,
            DASH,
            _num(overall.get("ties")),
            _num(overall.get("skips")),
        )
    return table


def _bins_table(caption: str, rows: list[dict]) -> Table:
    table = Table(caption, ["Bin", "Left / decisive", "Left rate", "95% interval"])
    for row in rows:
        table.add(row["bin"], f"{row['successes']} / {row['n']}", _pct(row["rate"]), _interval(row))
    return table


def _length_tables(length: dict, per_annotator: dict[int, dict], names: dict[int, str]) -> list[Table]:
    overall = length.get("overall", {})
    figures = Table(
        "Length of the chosen and the rejected, all decisive judgments (words = len(text.split()))",
        ["Figure", "Full transcripts", "Final responses"],
    )
    for key, label in LENGTH_FIGURES:
        cells = []
        for part in ("transcripts", "responses"):
            value = overall.get(part, {}).get(key)
            if key.endswith("_share"):
                cells.append(_pct(value))
            elif key == "verdict":
                cells.append(value or ("none" if overall.get(part, {}).get("n") else DASH))
            else:
                cells.append(_num(value, 1))
        figures.add(label, *cells)
    by_annotator = Table(
        "Length figures per annotator: shares where the chosen is longer / shorter / the same, and the verdict",
        [
            "Annotator",
            "n",
            "Transcripts: longer / shorter / same",
            "Transcripts: verdict",
            "Responses: longer / shorter / same",
            "Responses: verdict",
        ],
    )
    for annotator_id, rows in sorted(per_annotator.items()):
        row = rows.get("length")
        if not row:
            continue
        cells = []
        for part in ("transcripts", "responses"):
            numbers = row.get(part, {})
            shares = " / ".join(
                _pct(numbers.get(key)) for key in ("chosen_longer_share", "chosen_shorter_share", "same_share")
            )
            cells += [shares, numbers.get("verdict") or ("none" if numbers.get("n") else DASH)]
        by_annotator.add(
            names.get(annotator_id, f"user {annotator_id}"), _num(row.get("responses", {}).get("n")), *cells
        )
    return [figures, by_annotator]


def _regression_table(model: dict) -> Table:
    table = Table(
        f"Length-controlled logistic regression of picking left (n = {model.get('n', 0)})",
        ["Term", "Estimate (log-odds)", "Std. error", "z", "p"],
    )
    for name, coefficient in (model.get("coefficients") or {}).items():
        table.add(
            LENGTH_TERMS.get(name, name),
            _num(coefficient["estimate"], 3),
            _num(coefficient["se"], 3),
            _num(coefficient["z"], 2),
            _p(coefficient["p_value"]),
        )
    for name in model.get("dropped") or []:
        table.add(LENGTH_TERMS.get(name, name), "dropped: no variation", DASH, DASH, DASH)
    return table


def _similarity_tables(similarity: dict, project: Project, user: Any) -> list[Table]:
    buckets = Table(
        "Transcript similarity (the notebook's difflib ratio) in the notebook's buckets",
        ["Pairs", "n", "High (> 0.9)", f"Medium (0.7{EN_DASH}0.9)", "Low (≤ 0.7)", "Mean"],
    )
    for key, label in (("all_pairs", "All measured pairs"), ("judged_pairs", "Judged pairs")):
        row = similarity.get(key) or {}
        buckets.add(
            label,
            _num(row.get("n")),
            f"{_num(row.get('high'))} ({_pct(row.get('high_share'))})",
            f"{_num(row.get('medium'))} ({_pct(row.get('medium_share'))})",
            f"{_num(row.get('low'))} ({_pct(row.get('low_share'))})",
            _num(row.get("mean"), 4),
        )
    histogram = Table(
        "Similarity histogram: pairs per bin", ["Similarity", "Transcripts (difflib ratio)", "Responses only (Indel)"]
    )
    transcript = similarity.get("histogram") or []
    response = similarity.get("response_histogram") or []
    for t_bin, r_bin in zip(transcript, response, strict=False):
        histogram.add(f"{t_bin['low']:.2f}{EN_DASH}{t_bin['high']:.2f}", _num(t_bin["count"]), _num(r_bin["count"]))
    top = Table(
        "Top near-duplicate pairs by response-only similarity",
        ["Pair", "Response similarity", "Transcript similarity"],
    )
    for row in similarity.get("top_near_duplicates") or []:
        href = reverse("admin:annotate_pair_change", args=[row["pair_id"]]) if user.is_staff else ""
        top.add(
            Cell(f"Pair {row['pair_id']}", href=href),
            _num(row["response_similarity"], 3),
            _num(row["transcript_similarity"], 3),
        )
    return [buckets, histogram, top]


def _fatigue_table(caption: str, curve: dict, axis: str) -> Table:
    measures = [name for name in FATIGUE_MEASURES if any(row["n"] for row in curve.get(name, []))]
    table = Table(caption, [axis, "Median dwell", *(FATIGUE_MEASURES[name] for name in measures)])
    for number, label in enumerate(curve.get("bins", [])):
        dwell = curve.get("median_dwell_ms", [])
        table.add(
            label,
            _seconds(dwell[number] if number < len(dwell) else None),
            *(_rate(curve[name][number]) for name in measures),
        )
    return table


def _trend_table(trends: dict) -> Table:
    table = Table(
        "Trend tests: Spearman's rho for dwell; logistic slope (log-odds per item or per minute) for rates",
        ["Measure", "Against", "n", "Estimate", "p"],
    )
    for axis, label in (("index", "index in sitting"), ("minutes", "minutes in sitting")):
        tests = trends.get(axis, {})
        dwell = tests.get("dwell_ms", {})
        table.add("Dwell time", label, _num(dwell.get("n")), _num(dwell.get("rho"), 3), _p(dwell.get("p_value")))
        for name, title in FATIGUE_MEASURES.items():
            slope = tests.get(name, {})
            if not slope.get("n"):
                continue
            estimate = slope.get("slope")
            table.add(
                title,
                label,
                _num(slope.get("n")),
                _num(estimate["estimate"], 3) if estimate else (slope.get("reason") or DASH),
                _p(estimate["p_value"]) if estimate else DASH,
            )
    return table


def _agreement_tables(agreement: dict, per_annotator: dict[int, dict], names: dict[int, str]) -> list[Table]:
    kappa = agreement.get("fleiss_kappa") or {}
    alpha = agreement.get("krippendorff_alpha") or {}
    raw, decisive = agreement.get("raw_agreement") or {}, agreement.get("decisive_agreement") or {}
    figures = Table(
        f"Agreement on pairs with two or more judgments ({_num(agreement.get('rated_pairs'))} pairs)",
        ["Figure", "Value", "Over"],
    )
    figures.add("Raw pairwise agreement (A / B / tie)", _pct(raw.get("agreement")), f"{_num(raw.get('pairs'))} pairs")
    figures.add(
        "Pairwise agreement, decisive judgments",
        _pct(decisive.get("agreement")),
        f"{_num(decisive.get('pairs'))} pairs",
    )
    figures.add(
        "Fleiss' kappa",
        _num(kappa.get("value"), 3),
        f"{_num(kappa.get('pairs'))} pairs with {_num(kappa.get('raters_per_pair'))} judgments",
    )
    figures.add("Krippendorff's alpha (nominal)", _num(alpha.get("value"), 3), f"{_num(alpha.get('pairs'))} pairs")
    figures.add(
        "Agreement with the leave-one-out majority",
        _rate(agreement.get("loo_majority")),
        _interval(agreement.get("loo_majority") or {}),
    )
    figures.add("Agreement with the source", _rate(agreement.get("source")), _interval(agreement.get("source") or {}))
    by_annotator = Table(
        "Agreement per annotator, with Wilson 95% intervals",
        ["Annotator", "With the others' majority", "95% interval", "With the source", "95% interval"],
    )
    for annotator_id, rows in sorted(per_annotator.items()):
        row = rows.get("agreement")
        if row:
            by_annotator.add(
                names.get(annotator_id, f"user {annotator_id}"),
                _rate(row["loo_majority"]),
                _interval(row["loo_majority"]),
                _rate(row["source"]),
                _interval(row["source"]),
            )
    return [figures, by_annotator]


def _coverage_tables(coverage: dict, throughput: list[dict]) -> list[Table]:
    progress = coverage.get("progress") or {}
    figures = Table("Progress to k judgments per pair", ["Figure", "Value"])
    figures.add("Pairs", _num(coverage.get("pairs")))
    figures.add("Judgments (skips included)", _num(coverage.get("judgments")))
    figures.add("Skips", _num(coverage.get("skips")))
    figures.add(
        f"Pairs with k = {progress.get('k', DASH)} judgments",
        f"{_num(progress.get('complete_pairs'))} ({_pct(progress.get('complete_share'))})",
    )
    figures.add(
        "Wanted judgments collected",
        f"{_num(progress.get('collected'))} / {_num(progress.get('wanted'))} ({_pct(progress.get('collected_share'))})",
    )
    per_pair = Table("Judgments per pair (skips not counted)", ["Judgments", "Pairs"])
    for row in coverage.get("judgments_per_pair") or []:
        per_pair.add(_num(row["judgments"]), _num(row["pairs"]))
    sources = Table("Pairs by source", ["Source", "Pairs", "With a source preference"])
    for row in coverage.get("by_source") or []:
        sources.add(row["source"] or "(none)", _num(row["pairs"]), _num(row["with_preference"]))
    contexts = Table("Pairs by context length (words)", ["Context words", "Pairs"])
    for row in coverage.get("by_context_words") or []:
        contexts.add(row["bin"], _num(row["pairs"]))
    per_day = Table(f"Judgments per day, last {THROUGHPUT_DAYS} days (live count)", ["Day", "Judgments"])
    for row in throughput:
        per_day.add(row["day"], _num(row["judgments"]))
    return [figures, per_day, per_pair, sources, contexts]


def _charts(payload: dict, per_annotator: dict[int, dict], names: dict[int, str], throughput: list[dict]) -> dict:
    """The numbers each chart draws, for `json_script` (names are user data: never marked safe)."""
    ids = sorted(per_annotator)
    position = [per_annotator[i].get("position", {}) for i in ids]
    length = [per_annotator[i].get("length", {}).get("responses", {}) for i in ids]
    similarity = payload.get("similarity", {})
    fatigue = payload.get("fatigue", {})

    def curve(section: dict) -> dict:
        return {
            "labels": section.get("bins", []),
            "dwell_s": [None if v is None else v / 1000 for v in section.get("median_dwell_ms", [])],
            **{name: [row["rate"] for row in section.get(name, [])] for name in FATIGUE_MEASURES},
        }

    return {
        "throughput": {
            "labels": [row["day"] for row in throughput],
            "counts": [row["judgments"] for row in throughput],
        },
        "position": {
            "labels": [names.get(i, f"user {i}") for i in ids],
            "rate": [row.get("rate") for row in position],
            "low": [row.get("ci_low") for row in position],
            "high": [row.get("ci_high") for row in position],
            "flagged": [bool(row.get("flagged")) for row in position],
            "overall": (payload.get("position", {}).get("overall") or {}).get("rate"),
        },
        "length": {
            "labels": [names.get(i, f"user {i}") for i in ids],
            "longer": [row.get("chosen_longer_share") for row in length],
            "shorter": [row.get("chosen_shorter_share") for row in length],
            "same": [row.get("same_share") for row in length],
        },
        "similarity": {
            "labels": [f"{row['low']:.2f}" for row in similarity.get("histogram", [])],
            "transcript": [row["count"] for row in similarity.get("histogram", [])],
            "response": [row["count"] for row in similarity.get("response_histogram", [])],
        },
        "fatigue_index": curve(fatigue.get("by_index_in_sitting", {})),
        "fatigue_minutes": curve(fatigue.get("by_minutes_in_sitting", {})),
    }


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
        "computed_ago": _ago(report.computed_at) if report is not None and report.computed_at else "",
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
    if report is not None and report.payload:
        payload = report.payload
        per_annotator = _per_annotator(payload)
        names = _usernames(list(per_annotator))
        position = payload.get("position", {})
        context |= {
            "payload": payload,
            "annotators": _annotator_table(project, per_annotator, names),
            "coverage_tables": _coverage_tables(payload.get("coverage", {}), throughput),
            "position_table": _position_table(per_annotator, names, position.get("overall") or {}),
            "position_bins": [
                _bins_table("Left rate by index in sitting", position.get("by_index_in_sitting", [])),
                _bins_table("Left rate by minutes in sitting", position.get("by_minutes_in_sitting", [])),
            ],
            "length_tables": _length_tables(payload.get("length", {}), per_annotator, names),
            "regression": payload.get("length", {}).get("length_controlled") or {},
            "regression_table": _regression_table(payload.get("length", {}).get("length_controlled") or {}),
            "similarity_tables": _similarity_tables(payload.get("similarity", {}), project, request.user),
            "fatigue_tables": [
                _fatigue_table(
                    "Fatigue by index in sitting",
                    payload.get("fatigue", {}).get("by_index_in_sitting", {}),
                    "Index in sitting",
                ),
                _fatigue_table(
                    "Fatigue by minutes in sitting",
                    payload.get("fatigue", {}).get("by_minutes_in_sitting", {}),
                    "Minutes in sitting",
                ),
                _fatigue_table(
                    "Fatigue by minutes since the last break",
                    payload.get("fatigue", {}).get("by_minutes_since_break", {}),
                    "Minutes since break",
                ),
                _trend_table(payload.get("fatigue", {}).get("trends", {})),
            ],
            "speeding": payload.get("speeding", {}),
            "agreement_tables": _agreement_tables(payload.get("agreement", {}), per_annotator, names),
            "charts": _charts(payload, per_annotator, names, throughput),
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
    rows = _per_annotator(report.payload).get(person.pk) if report is not None and report.payload else None
    if rows:
        names = {person.pk: person.get_username()}
        only = {person.pk: rows}
        position, fatigue = rows.get("position") or {}, rows.get("fatigue") or {}
        speeding = rows.get("speeding") or {}
        summary = Table("Quality of this annotator", ["Figure", "Value"])
        summary.add("Left rate", _rate(position))
        summary.add("95% interval of the left rate", _interval(position))
        summary.add("Adjusted p (position)", _p(position.get("p_adjusted")))
        summary.add("Position bias", _flag(position.get("flagged")))
        summary.add("Quality (gold, else the others' majority, else the source)", _pct(fatigue.get("quality")))
        slope = fatigue.get("slope_per_minute")
        summary.add(
            "Quality slope per minute in sitting (log-odds)",
            _num(slope, 3) if slope is not None else (fatigue.get("reason") or DASH),
        )
        summary.add("Adjusted p of a decline", _p(fatigue.get("p_adjusted")))
        summary.add("Quality drops late", _flag(fatigue.get("flagged")))
        summary.add(
            f"Faster than reading ({_num((report.payload.get('speeding') or {}).get('wpm'))} words per minute)",
            _rate({"rate": speeding.get("share"), "successes": speeding.get("speeding"), "n": speeding.get("n")}),
        )
        context |= {
            "rows": rows,
            "summary_table": summary,
            "position_table": _position_table(only, names, {}),
            "length_tables": _length_tables({"overall": rows.get("length") or {}}, only, names),
            "agreement_table": _agreement_tables({}, only, names)[1],
        }
    return render(request, "analytics/annotator.html", context)


urlpatterns = [
    path("projects/<slug:slug>/dashboard/", dashboard, name="dashboard"),
    path("projects/<slug:slug>/dashboard/recompute/", recompute, name="recompute"),
    path("projects/<slug:slug>/dashboard/annotators/<int:annotator_id>/", annotator, name="annotator"),
]
