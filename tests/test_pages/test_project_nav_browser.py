"""The project navigation in a real Chromium: on a phone (390 px) every link of it is on screen, none
makes the page scroll sideways, and the keyboard reaches each in order."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser import log_in, screenshot, sideways_overflow
from tests.test_pages.test_project_nav import OPENS, PAGES

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def viewport() -> dict[str, int]:
    return PHONE


@pytest.mark.parametrize("role", ["lead", "engineer"])
def test_on_a_phone_the_navigation_fits_and_the_keyboard_reaches_each_link(page, role, project, lead, engineer):
    urls = {label: reverse(PAGES[label], kwargs={"slug": project.slug}) for label in OPENS[role]}
    log_in(page, role, then=urls["Quality dashboard"])
    for current, url in urls.items():
        page.goto(url)
        nav = page.get_by_role("navigation", name="Project pages")
        expect(nav.locator("[aria-current=page]")).to_have_text(current)
        assert sideways_overflow(page) == 0, current
        for link in nav.get_by_role("link").all():
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], current
        # From the breadcrumb's link, Tab goes through the navigation's links in order.
        page.get_by_role("link", name="My projects").focus()
        reached = []
        for _ in urls:
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        assert reached == list(urls), current
    screenshot(page, f"project-nav-{role}-390.png", full_page=False)


def test_at_1280_px_the_navigation_is_one_line(page, project, lead):
    page.set_viewport_size({"width": 1280, "height": 800})
    url = reverse("annotate:members", kwargs={"slug": project.slug})
    log_in(page, "lead", then=url)
    links = page.get_by_role("navigation", name="Project pages").get_by_role("link").all()
    assert len({round(link.bounding_box()["y"]) for link in links}) == 1
    screenshot(page, "project-nav-lead-1280.png")
