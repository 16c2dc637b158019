"""The scorecards table in a real Chromium: a column heading sorts the rows, `aria-sort` follows, and
undefined figures stay last."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from annotate.models import Membership, Role
from tests.browser import log_in, screenshot
from tests.conftest import make_user

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1600, "height": 900}


@pytest.fixture
def viewport() -> dict[str, int]:
    return VIEWPORT


def names(page: Page) -> list[str]:
    return page.locator("#scorecards tbody th[scope=row]").all_inner_texts()


def test_a_column_heading_sorts_the_rows_both_ways_with_undefined_figures_last(page, lead, scored_project):
    newcomer = make_user("newcomer")  # an annotator without judgments: dashes in every figure
    Membership.objects.create(user=newcomer, project=scored_project, role=Role.ANNOTATOR)
    url = reverse("analytics:scorecards", kwargs={"slug": scored_project.slug})
    log_in(page, "lead", then=url)
    assert names(page) == ["annotator", "annotator2", "newcomer"]
    name_heading = page.locator("#scorecards thead th").first
    expect(name_heading).to_have_attribute("aria-sort", "ascending")

    per_hour = page.get_by_role("button", name="Per hour in sittings")
    per_hour.click()
    assert names(page) == ["annotator2", "annotator", "newcomer"]  # 60 then 120; no figure last
    heading = page.locator("#scorecards thead th", has=per_hour)
    expect(heading).to_have_attribute("aria-sort", "ascending")
    expect(name_heading).not_to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#sort-status")).to_have_text("Sorted by Per hour in sittings, ascending.")

    per_hour.click()
    assert names(page) == ["annotator", "annotator2", "newcomer"]  # 120 then 60; still last
    expect(heading).to_have_attribute("aria-sort", "descending")

    page.get_by_role("button", name="Annotator", exact=True).click()
    assert names(page) == ["annotator", "annotator2", "newcomer"]
    page.get_by_role("button", name="Annotator", exact=True).click()
    assert names(page) == ["newcomer", "annotator2", "annotator"]
    screenshot(page, "scorecards.png", full_page=True)


def test_a_lead_pauses_and_resumes_an_annotator_from_the_card(page, lead, annotator, scored_project):
    url = reverse("analytics:scorecard", kwargs={"slug": scored_project.slug, "user_id": annotator.id})
    log_in(page, "lead", then=url)
    expect(page.get_by_role("heading", name="Scorecard of annotator")).to_be_visible()
    page.get_by_role("button", name="Pause annotator").click()
    expect(page.locator("#reason-error")).to_have_text("This field is required.")
    page.get_by_label("Reason (required, kept in the audit log)").fill("All left on probes; let's talk.")
    page.get_by_role("button", name="Pause annotator").click()
    page.wait_for_url(f"**{url}")
    expect(page.locator(".messages")).to_contain_text("annotator is paused")
    expect(page.get_by_role("heading", name="Resume annotator")).to_be_visible()
    log = page.locator("table", has=page.locator("caption", has_text="Audit log"))
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log.locator("tbody tr").first).to_contain_text("All left on probes; let's talk.")
    screenshot(page, "scorecard.png", full_page=True)
    page.get_by_label("Reason (required, kept in the audit log)").fill("Talked; back to work.")
    page.get_by_role("button", name="Resume annotator").click()
    expect(page.locator(".messages")).to_contain_text("annotator can start sittings again.")
    expect(log.locator("tbody tr")).to_have_count(2)
    assert Membership.objects.get(user=annotator, project=scored_project).paused_at is None


def test_a_table_wider_than_the_screen_is_a_named_region_the_keyboard_can_scroll(page, lead, annotator, scored_project):
    # axe: scrollable-region-focusable (serious) on the card's figures; a table that fits gains no tab stop.
    url = reverse("analytics:scorecard", kwargs={"slug": scored_project.slug, "user_id": annotator.id})
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "lead", then=url)
    figures = page.locator(".table-wrap", has=page.locator("caption", has_text="Figures"))
    expect(figures).to_have_attribute("tabindex", "0")
    caption = figures.locator("caption").inner_text().strip()
    expect(page.get_by_role("region", name=caption)).to_have_count(1)
    page.get_by_role("region", name=caption).focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(box) => box.scrollLeft > 0", arg=figures.element_handle())
    # On a wide screen, exactly the boxes that still scroll are regions; one that fits is no tab stop.
    page.set_viewport_size({"width": 1600, "height": 900})
    page.wait_for_timeout(300)  # the boxes' resize callbacks
    boxes = page.locator(".table-wrap").evaluate_all(
        "boxes => boxes.map(b => [b.scrollWidth > b.clientWidth + 1, b.getAttribute('tabindex'), "
        "b.getAttribute('role')])"
    )
    assert all((tabindex, role) == (("0", "region") if scrolls else (None, None)) for scrolls, tabindex, role in boxes)
    assert any(not scrolls for scrolls, _, _ in boxes)
