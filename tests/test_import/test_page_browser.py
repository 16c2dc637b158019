"""The import page in a real Chromium: while an import runs, the job table follows it without
reloading the page, so a file being chosen for the next import stays chosen, and the status line
says when it ends."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from annotate.models import ImportJob, JobState
from annotate.services.imports import import_job_run
from tests.browser import count_writes, log_in, sideways_overflow

from .conftest import hh_row, write_jsonl

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


def test_the_status_line_says_once_how_each_import_ended_and_nothing_of_imports_ended_before(
    page, project, lead, upload_dir
):
    ImportJob.objects.create(
        project=project, source="x", original_name="old.jsonl", format="hh-rlhf", state=JobState.FAILED, error="Old."
    )
    upload_dir.mkdir()
    good = write_jsonl(upload_dir / "good.jsonl", [hh_row(i) for i in range(3)])
    bad = write_jsonl(upload_dir / "bad.jsonl", [hh_row(0), {"chosen": "x"}])
    first, second = (
        ImportJob.objects.create(project=project, source=str(path), original_name=path.name, format="hh-rlhf")
        for path in (good, bad)
    )
    log_in(page, "lead", then=reverse("annotate:imports", kwargs={"slug": project.slug}))
    count_writes(page, "import-jobs-status")
    status = page.get_by_role("status")
    page.wait_for_timeout(4_500)  # a refresh (every 3 s) with nothing changed
    expect(status).to_have_text("")

    import_job_run(job_id=first.pk)  # the worker's part
    expect(status).to_have_text(f"Import {first.pk} done: 3 pairs created.", timeout=10_000)
    import_job_run(job_id=second.pk)
    expect(status).to_have_text(
        f"Import {second.pk} failed: 1 invalid row(s), nothing imported: row 2, field 'rejected': missing.",
        timeout=10_000,
    )
    expect(page.locator("#import-jobs")).not_to_contain_text("this table updates itself")
    assert page.evaluate("window.statusWrites") == 2


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
    assert sideways_overflow(page) == 0
