"""The dashboard in a real Chromium: the charts are drawn, and a live computation reloads the page
when it ends."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from analytics.models import BiasReport
from analytics.services import bias_report_compute
from annotate.models import JobState
from tests.browser import count_writes, log_in, screenshot, sideways_overflow
from tests.test_dashboard.conftest import report_compute

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 1600}
CHARTS = 6


@pytest.fixture
def viewport() -> dict[str, int]:
    return VIEWPORT


def test_the_lead_sees_the_charts_drawn_by_chart_js(page, lead, judged_project):
    report_compute(judged_project)
    dashboard = reverse("analytics:dashboard", kwargs={"slug": judged_project.slug})
    log_in(page, "lead", then=dashboard)
    expect(page.get_by_role("heading", name=f"Quality dashboard: {judged_project.name}")).to_be_visible()
    expect(page.locator("#computed-at")).to_contain_text("over 90 judgments")
    expect(page.locator("canvas")).to_have_count(CHARTS)
    assert page.evaluate("Object.keys(Chart.instances).length") == CHARTS
    # Each chart drew something: its datasets hold the figures of the embedded JSON.
    drawn = page.evaluate(
        "Object.values(Chart.instances).map((chart) => [chart.canvas.id, chart.data.datasets.length, "
        "chart.canvas.width > 0 && chart.canvas.height > 0])"
    )
    assert sorted(drawn) == sorted(
        [
            ["chart-throughput", 1, True],
            ["chart-position", 3, True],
            ["chart-length", 3, True],
            ["chart-similarity", 2, True],
            ["chart-fatigue-index", 4, True],
            ["chart-fatigue-minutes", 4, True],
        ]
    )
    position = page.evaluate("Chart.getChart('chart-position').data.datasets[0].data")
    rates = sorted(judged_project.bias_reports.get().payload["position"]["per_annotator"], key=lambda r: r["annotator"])
    assert position == [row["rate"] for row in rates]
    screenshot(page, "dashboard.png")


def test_a_live_computation_is_polled_and_the_page_reloads_when_it_is_done(page, lead, judged_project):
    live = BiasReport.objects.create(project=judged_project, requested_by=lead)
    dashboard = reverse("analytics:dashboard", kwargs={"slug": judged_project.slug})
    log_in(page, "lead", then=dashboard)
    expect(page.locator("#computed-at")).to_have_text("No report has been computed for this project yet.")
    expect(page.locator("#report-state")).to_contain_text("A new report is pending")
    expect(page.get_by_role("button", name="Recompute now")).to_be_disabled()
    page.evaluate("window.pairwiseSamePage = true")
    # The worker's part, done here: the page learns of it only through the state API.
    bias_report_compute(report_id=live.id)
    page.wait_for_function("() => window.pairwiseSamePage === undefined", timeout=15_000)
    expect(page.locator("#computed-at")).to_contain_text("over 90 judgments")
    expect(page.get_by_role("button", name="Recompute now")).to_be_enabled()
    assert page.evaluate("Object.keys(Chart.instances).length") == CHARTS


def test_the_live_reports_status_line_is_written_when_its_state_changes_not_at_every_poll(page, lead, judged_project):
    # It is a live region: each rewrite, even with the same words, may be read out again.
    live = BiasReport.objects.create(project=judged_project, requested_by=lead)
    log_in(page, "lead", then=reverse("analytics:dashboard", kwargs={"slug": judged_project.slug}))
    polls = []
    page.on("request", lambda request: polls.append(request) if "/bias-reports/" in request.url else None)
    count_writes(page, "report-state")
    page.wait_for_timeout(4_500)  # two polls (every 2 s) with the report still pending
    assert len(polls) >= 2
    assert page.evaluate("window.statusWrites") == 0

    BiasReport.objects.filter(pk=live.pk).update(state=JobState.RUNNING)
    expect(page.locator("#report-state")).to_have_text(
        "A new report is running; this page reloads when it is ready.", timeout=10_000
    )
    seen = len(polls)
    page.wait_for_timeout(4_500)  # two more polls, still running
    assert len(polls) >= seen + 2
    assert page.evaluate("window.statusWrites") == 1


def test_on_a_phone_the_dashboard_does_not_scroll_sideways(page, lead, judged_project):
    # Wide tables scroll inside their own box; the page itself must fit 375 px.
    report_compute(judged_project)
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "lead", then=reverse("analytics:dashboard", kwargs={"slug": judged_project.slug}))
    expect(page.locator("#chart-fatigue-minutes")).to_be_visible()
    assert sideways_overflow(page) == 0
