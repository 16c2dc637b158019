"""A real Chromium (Debian's, driven by Playwright's sync API) against pytest-django's live server;
`page` and the 1280×800 `viewport` are the suite's own (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium


# Package scope: one browser for the whole e2e package; Playwright (and its event loop) stops when the
# e2e tests are done, so the rest of the suite runs with Django's async-safety check intact.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    yield from chromium()
