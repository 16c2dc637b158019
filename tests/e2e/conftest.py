"""A real Chromium (Debian's, driven by Playwright's sync API) against pytest-django's live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import chromium, new_page

VIEWPORT = {"width": 1280, "height": 800}


# Package scope: Playwright (and its event loop) stops when the e2e tests are done, so the rest of
# the suite runs with Django's async-safety check intact.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    yield from new_page(browser, live_server, VIEWPORT)
