"""A real Chromium (Debian's, driven by Playwright's sync API) for the browser tests."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path(os.environ.get("PAIRWISE_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium() -> Iterator[Browser]:
    """Launch Chromium for a fixture (`yield from chromium()`), and close it afterwards.

    Playwright's sync API keeps an event loop in this thread, and Django refuses ORM calls from a
    thread with a running loop; the tests' own ORM calls are plain synchronous code, so the check is
    lifted while the browser runs and restored after, for the rest of the suite."""
    if not CHROMIUM.exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: `apt-get install chromium`, set PAIRWISE_CHROMIUM, or -m 'not e2e'.")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def new_page(browser: Browser, live_server, viewport: dict[str, int]) -> Iterator[Page]:
    """A page in a fresh context on the live server (`yield from new_page(...)`); fails the test if
    the page raised a script error or the Content-Security-Policy refused something the page asked
    for (Chromium reports a refusal on the console, not as a script error)."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.extend(csp_refusals([message.text])))
    in_flight: set = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    yield page
    # A request still in flight (a prefetch, a poll) is still writing on the live server: let it
    # answer before the database is flushed for the next test, or the flush can deadlock with it.
    deadline = time.monotonic() + 10
    while in_flight and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def csp_refusals(console_texts: list[str]) -> list[str]:
    """The console lines in which Chromium says the page's Content-Security-Policy refused something."""
    return [text for text in console_texts if "Content Security Policy" in text]


def log_in(page: Page, username: str, *, then: str, password: str | None = None) -> None:
    """Log in through the login form, landing on `then`: as a user of tests.conftest.make_user, or
    with `password` (the demo's users)."""
    from django.urls import reverse

    page.goto(f"{reverse('login')}?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or "pw-" + username)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{then}")


SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
README = SCREENSHOTS.parent.parent / "README.md"


def screenshot(page: Page, name: str, **options) -> Path:
    """Save a screenshot of the page. Into docs/screenshots when PAIRWISE_SCREENSHOTS is set (`make
    screenshots`) and the README shows it, else into a temporary folder, so that a test run leaves
    the checkout as it was and `make screenshots` adds no file the README does not show."""
    import tempfile

    shown = f"docs/screenshots/{name}" in README.read_text(encoding="utf-8")
    keep = os.environ.get("PAIRWISE_SCREENSHOTS") and shown
    folder = SCREENSHOTS if keep else Path(tempfile.gettempdir()) / "pairwise-shots"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    page.screenshot(path=str(target), **options)
    return target


def sideways_overflow(page: Page) -> int:
    """How far (px) the page scrolls sideways: 0 when it fits the window's width (WCAG 1.4.10)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def count_writes(page: Page, element_id: str) -> None:
    """Count, from now, what is written into the element (its text or children): read it with
    `page.evaluate("window.statusWrites")`. A live region rewritten with the same words is read out
    again by some screen readers."""
    page.evaluate(
        """(id) => {
          window.statusWrites = 0;
          new MutationObserver((records) => { window.statusWrites += records.length; }).observe(
            document.getElementById(id), { childList: true, characterData: true, subtree: true });
        }""",
        element_id,
    )
