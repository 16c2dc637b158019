"""The import page in a real Chromium: while an import runs, the job table follows it without
reloading the page, so a file being chosen for the next import stays chosen."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from annotate.models import ImportJob, JobState
from tests.browser import log_in

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def viewport() -> dict[str, int]:
    return VIEWPORT


def test_the_job_table_follows_a_running_import_without_wiping_the_chosen_file(page, project, lead):
    job = ImportJob.objects.create(
        project=project, source="x", original_name="first.jsonl", format="hh-rlhf", state=JobState.RUNNING
    )
    url = reverse("annotate:imports", kwargs={"slug": project.slug})
    log_in(page, "lead", then=url)
    page.evaluate("window.pairwiseSamePage = true")
    page.set_input_files("input[type=file]", files=[{"name": "next.jsonl", "mimeType": "text/plain", "buffer": b"{}"}])
    page.check("input[name=skip_invalid]")
    page.wait_for_timeout(4_500)  # longer than the table's refresh period (3 s)
    assert page.evaluate("window.pairwiseSamePage") is True
    # The page says why the table changes by itself.
    expect(page.locator("#import-jobs")).to_contain_text("this table updates itself")
    assert page.evaluate("document.querySelector('input[type=file]').files.length") == 1
    assert page.is_checked("input[name=skip_invalid]")

    ImportJob.objects.filter(pk=job.pk).update(state=JobState.DONE, rows_read=5, pairs_created=5)
    expect(page.locator("#import-jobs tbody tr").first).to_contain_text("Done", timeout=10_000)
    expect(page.locator("#import-jobs")).not_to_contain_text("this table updates itself")
    assert page.evaluate("window.pairwiseSamePage") is True
    assert page.evaluate("document.querySelector('input[type=file]').files.length") == 1


def test_on_a_phone_the_import_page_does_not_scroll_sideways(page, project, lead):
    ImportJob.objects.create(
        project=project,
        source="x",
        original_name="harmless-base-test.jsonl.gz",
        format="hh-rlhf",
        state=JobState.DONE,
        rows_read=2312,
        pairs_created=2300,
        duplicates_skipped=12,
    )
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "lead", then=reverse("annotate:imports", kwargs={"slug": project.slug}))
    expect(page.locator("#import-jobs tbody tr")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
