"""The members page on a phone (390 px), in a real Chromium: found by a walkthrough, each member's
Change role and Remove buttons sat off screen, right of a table that scrolled sideways in its box,
and the caption of the changes, as wide as its table, was cut at the box's edge. The rows now stack
on a narrow screen; at 1280 px the tables are as they were."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from annotate.models import AuditEvent, Membership, Role
from tests.browser import log_in, screenshot, sideways_overflow
from tests.conftest import make_user

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def viewport() -> dict[str, int]:
    return PHONE


@pytest.fixture
def members_url(project, lead, annotator, engineer) -> str:
    person = make_user("annotator-with-a-rather-long-name-2026")
    Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    for who in (annotator, person):
        AuditEvent.objects.create(project=project, actor=lead, subject=who, action="added")
        AuditEvent.objects.create(
            project=project, actor=lead, subject=who, action="paused", reason="Answers far faster than reading."
        )
    return reverse("annotate:members", kwargs={"slug": project.slug})


def within_its_box(page: Page, selector: str) -> list[bool]:
    """For each element: whether it lies inside the box of its `.table-wrap`, which shows it without scrolling."""
    return page.eval_on_selector_all(
        selector,
        """(elements) => elements.map((element) => {
             const box = element.closest(".table-wrap").getBoundingClientRect();
             const own = element.getBoundingClientRect();
             return own.left >= box.left && own.right <= box.right && own.width > 0;
           })""",
    )


def test_on_a_phone_each_members_buttons_and_each_caption_are_on_screen_without_sideways_scrolling(page, members_url):
    log_in(page, "lead", then=members_url)
    assert sideways_overflow(page) == 0
    assert page.eval_on_selector_all(".table-wrap", "(boxes) => boxes.map((b) => b.scrollWidth - b.clientWidth)") == [
        0,
        0,
    ]
    buttons = page.locator("table a.button")
    expect(buttons).to_have_count(6)  # the two annotators and the engineer; a lead is not managed here
    assert within_its_box(page, "table a.button") == [True] * 6
    assert within_its_box(page, "table caption") == [True, True]
    # Each cell says what it is, the column headings being out of sight.
    expect(page.get_by_role("cell", name="Role: ML engineer")).to_be_visible()
    screenshot(page, "members-390.png", full_page=True)


def test_at_1280_px_the_members_are_a_table_with_its_headings(page, members_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, "lead", then=members_url)
    expect(page.get_by_role("columnheader", name="Member since")).to_be_visible()
    assert page.get_by_role("cell", name="Role: ML engineer").count() == 0
    assert within_its_box(page, "table a.button") == [True] * 6
    screenshot(page, "members-1280.png", full_page=True)
