"""The exports page in a real Chromium: while an export runs, the job table follows it without
reloading the page, so the form being filled in for the next export keeps what was typed, and the
status line says when it ends."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from exporter.models import ExportJob
from exporter.services import ExportOptions, export_job_run
from tests.browser import log_in, sideways_overflow
from tests.conftest import make_pairs
from tests.factories import judgments_as_the_source_chose

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


def test_the_status_line_says_how_each_export_ended_a_failure_by_the_first_line_of_its_error(
    page, project, lead, annotator, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    make_pairs(project, 3)
    judgments_as_the_source_chose(project, annotator)
    ExportJob.objects.create(project=project, created_by=lead, format="preference", state="done", counts={"records": 9})
    done, failed = (
        ExportJob.objects.create(project=project, created_by=lead, format=options.format, options=options.as_json())
        for options in (ExportOptions(format="preference"), ExportOptions(format="tokenized", tokenizer="no-such/x"))
    )
    log_in(page, "lead", then=reverse("exporter:exports", kwargs={"slug": project.slug}))
    status = page.get_by_role("status")
    page.wait_for_timeout(4_500)  # a refresh (every 3 s) with nothing changed
    expect(status).to_have_text("")

    export_job_run(job_id=done.pk)  # the worker's part
    expect(status).to_have_text(f"Export {done.pk} done: 3 records.", timeout=10_000)
    export_job_run(job_id=failed.pk)
    failed.refresh_from_db()
    first_line, _ = failed.error.split("\n", 1)  # the Hub library's reason runs on over two lines
    assert first_line.startswith("The tokenizer 'no-such/x' could not be loaded: ")
    expect(status).to_have_text(f"Export {failed.pk} failed: {first_line}", timeout=10_000)


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
        file=f"exports/{project.id}/helpful-export-1.zip",
        finished_at=timezone.now(),  # its "kept until" shown too
    )
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "lead", then=reverse("exporter:exports", kwargs={"slug": project.slug}))
    expect(page.get_by_role("link", name="zip")).to_be_visible()
    assert sideways_overflow(page) == 0
