"""`make run`'s demo in a real Chromium: what the README's demo screenshots show (the simulated
project's dashboard and scorecards, an annotator's first pair of the demo project), checked, and
taken into docs/screenshots by `make screenshots`.

The demo is seeded as `make run` seeds it, simulation and bias report included (the longest part of
the test), so the test seeds once and walks through both roles: the lead, then an annotator."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from analytics.models import BiasReport
from annotate.management.commands.seed_demo import (
    DEMO_NAME,
    DEMO_SLUG,
    DEMO_USERS,
    SIMULATED_SLUG,
)
from annotate.models import Assignment, AssignmentState, Judgment
from tests.browser import log_in, screenshot

pytestmark = pytest.mark.e2e

# Written out, not imported: the page must say this, whatever seed_demo's settings say.
SIMULATED_NAME = "Demo with simulated annotators"
# seed_demo's mix (honest:3, left:1, fatigued:1, length:1, random:1), in the tables' order.
SIMULATED_ANNOTATORS = [
    "sim-fatigued-1",
    "sim-honest-1",
    "sim-honest-2",
    "sim-honest-3",
    "sim-left-1",
    "sim-length-1",
    "sim-random-1",
]
# The README's sizes: the dashboard's annotators table and position chart, the wide scorecards
# table, the annotation page.
DASHBOARD_VIEWPORT = {"width": 1280, "height": 1600}
SCORECARDS_VIEWPORT = {"width": 1600, "height": 900}
ANNOTATE_VIEWPORT = {"width": 1280, "height": 900}
CHARTS = 6


@pytest.fixture
def viewport() -> dict[str, int]:
    return DASHBOARD_VIEWPORT


def seed_as_make_run(url: str) -> str:
    """What `make run` runs before serving: `seed_demo --with-simulated --url URL`, with DEBUG on as
    `make run` sets it (the command's guard). The bias report is computed inside the command."""
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--with-simulated", "--url", url, stdout=out)
    return out.getvalue()


def demo_log_in(page: Page, username: str) -> None:
    password = next(demo.password for demo in DEMO_USERS if demo.username == username)
    log_in(page, username, password=password, then=reverse("annotate:project_list"))
    expect(page.get_by_role("heading", name="My projects")).to_be_visible()


def row_names(table: Locator) -> list[str]:
    return [name.strip() for name in table.locator("tbody th[scope=row]").all_inner_texts()]


def column(table: Locator, heading: str) -> list[str]:
    """The cells under `heading`, row by row. The row's name is its th, column 0, so column k is
    the k-th td."""
    k = [text.strip() for text in table.locator("thead th").all_inner_texts()].index(heading)
    return [cell.strip() for cell in table.locator(f"tbody td:nth-of-type({k})").all_inner_texts()]


def only_the_left_biased(flagged: str, other: str) -> list[str]:
    return [flagged if name == "sim-left-1" else other for name in SIMULATED_ANNOTATORS]


def careless_ones(flagged: str, other: str) -> list[str]:
    return [flagged if name in ("sim-left-1", "sim-random-1") else other for name in SIMULATED_ANNOTATORS]


def test_make_runs_demo_shows_what_the_readme_screenshots_show(page, live_server):
    output = seed_as_make_run(f"{live_server.url}/")
    assert f"Open {live_server.url}/ and log in" in output

    the_lead_sees_the_left_biased_annotator_flagged(page)
    page.get_by_role("button", name="Log out").click()
    an_annotator_starts_a_sitting_and_sees_a_pair(page)


def name_lines(table: Locator) -> list[int]:
    """The lines each row's name takes (a name wrapped at its hyphens is drawn in several boxes)."""
    return table.locator("tbody th a").evaluate_all("links => links.map(a => a.getClientRects().length)")


def the_lead_sees_the_left_biased_annotator_flagged(page: Page) -> None:
    """The simulated project's dashboard, then its scorecards (demo-dashboard.png, demo-scorecards.png)."""
    demo_log_in(page, "lead")
    page.get_by_role("link", name=f"Quality dashboard of {SIMULATED_NAME}").click()

    # The project's name once: an old name ending in ': the quality dashboard' said it twice.
    expect(page.locator("h1")).to_have_text(f"Quality dashboard: {SIMULATED_NAME}")
    report = BiasReport.objects.get(project__slug=SIMULATED_SLUG)
    expect(page.locator("#computed-at")).to_contain_text(f"over {report.judgments_seen} judgments")
    expect(page.locator("#report-state")).to_have_text("")  # nothing pending: seed_demo computed it
    annotators = page.locator("#annotators table")
    expect(annotators.locator("caption")).to_have_text(
        "Annotators: judgments, position, length, fatigue and careless-answering flags, speed, agreement"
    )
    assert row_names(annotators) == SIMULATED_ANNOTATORS
    # Three flags in the table: the left-biased annotator's position bias, and careless answering by it
    # and by the random clicker, who agree with the others' majority at chance.
    expect(annotators.locator(".flag")).to_have_count(3)
    assert column(annotators, "Position bias") == only_the_left_biased("flagged", "no")
    assert column(annotators, "Careless answering") == careless_ones("flagged", "no")
    assert name_lines(annotators) == [1] * len(SIMULATED_ANNOTATORS)
    # The narrow tables side by side (progress, sources, bins) fit their column: a long row label kept
    # on one line hid the progress table's values behind a sideways scroll.
    narrow = page.locator(".table-grid .table-wrap")
    assert narrow.count() >= 3  # progress, sources, bins: a renamed class would leave nothing to check
    overflowing = narrow.evaluate_all(
        "wraps => wraps.filter(w => w.scrollWidth > w.clientWidth).map(w => w.querySelector('caption').textContent)"
    )
    assert overflowing == []
    # The position chart, in the screenshot under the table, is drawn (without animation).
    expect(page.locator("canvas")).to_have_count(CHARTS)
    page.wait_for_function(f"() => Object.keys(Chart.instances).length === {CHARTS}")
    screenshot(page, "demo-dashboard.png")

    page.set_viewport_size(SCORECARDS_VIEWPORT)
    page.get_by_role("link", name="Annotator scorecards").click()
    expect(page.locator("h1")).to_have_text(f"Annotator scorecards: {SIMULATED_NAME}")
    expect(page.locator("#computed-at")).to_contain_text("come from the bias report computed")
    scorecards = page.locator("#scorecards")
    expect(scorecards.locator("caption")).to_have_text(
        "One row per annotator of the project, and per former one whose judgments it holds"
        f" ({len(SIMULATED_ANNOTATORS)})"
    )
    assert row_names(scorecards) == SIMULATED_ANNOTATORS
    # Judgments are counted live, gold and swapped repeats included: every judgment in the project.
    assert column(scorecards, "Judgments") == [
        str(Judgment.objects.filter(project__slug=SIMULATED_SLUG, annotator__username=name).count())
        for name in SIMULATED_ANNOTATORS
    ]
    assert column(scorecards, "Status") == ["active"] * len(SIMULATED_ANNOTATORS)
    assert column(scorecards, "Position flag (report)") == only_the_left_biased("flagged", "no")
    assert column(scorecards, "Careless flag (report)") == careless_ones("flagged", "no")
    assert name_lines(scorecards) == [1] * len(SIMULATED_ANNOTATORS)
    screenshot(page, "demo-scorecards.png")


def an_annotator_starts_a_sitting_and_sees_a_pair(page: Page) -> None:
    """ann1 reads the demo project's guidelines, starts a sitting and gets a pair (demo-annotate.png)."""
    page.set_viewport_size(ANNOTATE_VIEWPORT)
    demo_log_in(page, "ann1")
    # The annotators are members of the hand-written demo only, not of the simulated project.
    expect(page.locator(".project-card h2")).to_have_text([DEMO_NAME])
    page.get_by_role("link", name=f"Start annotating in {DEMO_NAME}").click()
    # Before a first sitting the guidelines come first; their button starts it.
    expect(page).to_have_url(re.compile(re.escape(reverse("annotate:guidelines", kwargs={"slug": DEMO_SLUG})) + "$"))
    expect(page.locator("h1")).to_have_text(f"Guidelines for {DEMO_NAME}")
    expect(page.get_by_role("heading", name="Helpful and harmless assistant", exact=True)).to_be_visible()
    page.get_by_role("button", name="Start a sitting").click()

    expect(page.locator("#panel-work")).to_be_visible()
    expect(page.locator("#progress")).to_have_text("1 / 25")
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(20:00|19:[0-5]\d)$"))
    expect(page.get_by_role("button", name=re.compile("Left is better"))).to_be_enabled()
    shown = (page.locator("#left-text").text_content(), page.locator("#right-text").text_content())
    # The pair on screen is one of the demo's pairs, leased to ann1 with its sides as shown (trimmed).
    leased = Assignment.objects.filter(
        project__slug=DEMO_SLUG, annotator__username="ann1", state=AssignmentState.LEASED
    ).select_related("pair")
    on_screen = [
        assignment
        for assignment in leased
        if shown
        == (
            assignment.pair.response(assignment.left_response).strip(),
            assignment.pair.response("b" if assignment.left_response == "a" else "a").strip(),
        )
    ]
    assert len(on_screen) == 1
    last_human_turn = on_screen[0].pair.context.rsplit("\n\nHuman:", 1)[1].split("\n\nAssistant:")[0].strip()
    expect(page.locator("#context li").last).to_contain_text(last_human_turn)
    screenshot(page, "demo-annotate.png")
