"""The exports page in a real Chromium: while an export runs, the job table follows it without
reloading the page, so the form being filled in for the next export keeps what was typed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from exporter.models import ExportJob
from tests.browser import log_in

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def viewport() -> dict[str, int]:
    return VIEWPORT


def test_the_job_table_follows_a_running_export_without_wiping_the_form(page, project, lead):
    job = ExportJob.objects.create(project=project, created_by=lead, format="preference", state="running")
    url = reverse("exporter:exports", kwargs={"slug": project.slug})
    log_in(page, "lead", then=url)
    page.evaluate("window.pairwiseSamePage = true")
    page.select_option("#format", "tokenized")
    page.fill("#min_agreement", "0.66")
    page.check("input[name=per_judgment]")
    page.wait_for_timeout(4_500)  # longer than the table's refresh period (3 s)
    assert page.evaluate("window.pairwiseSamePage") is True
    # The page says why the table changes by itself.
    expect(page.locator("#export-jobs")).to_contain_text("this table updates itself")
    assert page.input_value("#format") == "tokenized"
    assert page.input_value("#min_agreement") == "0.66"
    assert page.is_checked("input[name=per_judgment]")

    ExportJob.objects.filter(pk=job.pk).update(state="done", counts={"records": 7})
    expect(page.locator("#export-jobs tbody tr").first).to_contain_text("done", timeout=10_000)
    expect(page.locator("#export-jobs")).not_to_contain_text("this table updates itself")
    expect(page.locator("#export-jobs")).not_to_have_attribute("data-refresh-url", url)
    assert page.evaluate("window.pairwiseSamePage") is True
    assert page.input_value("#min_agreement") == "0.66"


def test_on_a_phone_the_exports_page_does_not_scroll_sideways(page, project, lead):
    ExportJob.objects.create(
        project=project,
        created_by=lead,
        format="conversational",
        state="done",
        counts={"records": 1234},
        filter_effects={"min_agreement": 12, "max_similarity": 3},
        size=123456,
        sha256="ab" * 32,
    )
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "lead", then=reverse("exporter:exports", kwargs={"slug": project.slug}))
    expect(page.get_by_role("link", name="zip")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
