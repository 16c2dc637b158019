"""The Content-Security-Policy in a real browser: a script put into a page does not run, and the pages
that carry other people's markup (Swagger UI, the admin) still work under it. Every browser test's page
also fails on any refusal (tests.browser.new_page), so each page the suite visits is checked as well."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import csp_refusals, log_in, new_page

pytestmark = pytest.mark.e2e


def test_a_script_injected_into_a_page_does_not_run(browser, live_server, viewport, project, annotator):
    # Its own page, not the `page` fixture: this test causes the refusal the fixture fails on.
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
            const inline = document.createElement("script");
            inline.textContent = "window.injected = 'inline ran'";
            document.body.append(inline);
            const handler = document.createElement("img");
            handler.setAttribute("onerror", "window.injected = 'handler ran'");
            handler.src = "data:,not-an-image";
            document.body.append(handler);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected") is None
    assert len(csp_refusals(console)) == 2, console
    context.close()


def test_swagger_ui_renders_the_api_under_the_policy(page, project, annotator):
    log_in(page, "annotator", then="/api/docs/")
    expect(page.get_by_text("/api/projects/{slug}/next/").first).to_be_visible()


def test_the_admin_change_list_works_under_the_policy(browser, live_server, viewport, project, pairs):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser(username="boss", password="pw-boss")
    for page in new_page(browser, live_server, viewport):
        log_in(page, "boss", then="/admin/annotate/pair/")
        # The admin's own scripts run: ticking "select all" is counted by actions.js.
        page.locator("#action-toggle").check()
        expect(page.locator(".action-counter")).to_contain_text(f"{len(pairs)} of {len(pairs)} selected")
