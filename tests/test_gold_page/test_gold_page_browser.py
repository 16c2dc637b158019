"""The gold page in a real Chromium on a narrow screen: the pairs table scrolls in its own box."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, sideways_overflow

from .conftest import gold_url

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 375, "height": 800}


@pytest.fixture
def viewport() -> dict[str, int]:
    return VIEWPORT


def test_on_a_phone_the_gold_page_does_not_scroll_sideways(page, project, lead, mixed_pairs):
    # The buttons' words for screen readers ("A is the gold answer of pair 7") are positioned
    # out of sight; they must not widen the page beyond the table's scrolling box.
    log_in(page, "lead", then=gold_url(project))
    expect(page.locator("#gold-pairs tbody tr")).to_have_count(9)
    assert sideways_overflow(page) == 0
