"""Every page at 320 CSS px wide (WCAG 1.4.10, reflow): nothing makes the page itself scroll sideways.
A wide table may scroll inside its own `.table-wrap` box; that is the design, and it does not widen
the page. The annotation page has its own test at 320 px (test_annotate_page_edges.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from annotate.models import ImportJob, JobState, Pair, Project
from annotate.services.projects import project_settings_update
from exporter.models import ExportJob
from tests.browser import log_in, sideways_overflow
from tests.conftest import make_pairs
from tests.test_dashboard.conftest import honest, judge_all, judging_days, lefty, report_compute

pytestmark = pytest.mark.e2e

PAIRS = 10


@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 320, "height": 700}


@pytest.fixture
def busy_project(project, lead, annotator, annotator2) -> Project:
    """`project` with something on every page: judgments, a report, a gold pair, finished jobs."""
    project.sitting_items = PAIRS
    project.save(update_fields=["sitting_items"])
    pairs = make_pairs(project, PAIRS)
    first_day, second_day = judging_days()
    judge_all(project=project, annotator=annotator, start=first_day, choose=lefty, seed=1)
    judge_all(project=project, annotator=annotator2, start=second_day, choose=honest, seed=2)
    report_compute(project)
    Pair.objects.filter(pk=pairs[0].pk).update(gold_answer="a")
    ImportJob.objects.create(
        project=project,
        source="x",
        original_name="harmless-base-test.jsonl.gz",
        format="hh-rlhf",
        state=JobState.FAILED,
        error="Row 7, field chosen: empty. " * 8,
    )
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
    return project


def sideways(page: Page, pages: dict[str, str]) -> dict[str, int]:
    """The pages (by name) that scroll sideways, with how far."""
    overflowing = {}
    for name, url in pages.items():
        response = page.goto(url)
        assert response is not None and response.ok, (name, response and response.status)  # an error page fits
        overflow = sideways_overflow(page)
        if overflow > 0:
            overflowing[name] = overflow
    return overflowing


def test_at_320_px_no_page_of_a_lead_scrolls_sideways(page, busy_project, lead, annotator):
    slug = {"slug": busy_project.slug}
    pair = busy_project.pairs.exclude(gold_answer="").get()
    pages = {
        "my projects": reverse("annotate:project_list"),
        "guidelines": reverse("annotate:guidelines", kwargs=slug),
        "dashboard": reverse("analytics:dashboard", kwargs=slug),
        "annotator in the report": reverse("analytics:annotator", kwargs=slug | {"annotator_id": annotator.pk}),
        "scorecards": reverse("analytics:scorecards", kwargs=slug),
        "scorecard": reverse("analytics:scorecard", kwargs=slug | {"user_id": annotator.pk}),
        "gold pairs": reverse("annotate:gold", kwargs=slug),
        "gold pair": reverse("annotate:gold_pair", kwargs=slug | {"pair_id": pair.pk}),
        "imports": reverse("annotate:imports", kwargs=slug),
        "exports": reverse("exporter:exports", kwargs=slug),
        "members": reverse("annotate:members", kwargs=slug),
        "member removal": reverse("annotate:member_remove", kwargs=slug | {"user_id": annotator.pk}),
        "member's role": reverse("annotate:member_role", kwargs=slug | {"user_id": annotator.pk}),
        "settings": reverse("annotate:project_settings", kwargs=slug),
        "password": reverse("password_change"),
    }
    # A change listed on the settings page, long texts and all.
    project_settings_update(
        project=busy_project,
        actor=lead,
        values={"guidelines": "Read both answers to the end. " * 20, "break_minutes": 7},
    )
    log_in(page, "lead", then=pages["my projects"])
    assert sideways(page, pages) == {}


def test_at_320_px_no_page_of_an_annotator_scrolls_sideways(page, project, annotator):
    make_pairs(project, PAIRS)
    pages = {
        "login": reverse("login"),
        "my projects": reverse("annotate:project_list"),
        "guidelines": reverse("annotate:guidelines", kwargs={"slug": project.slug}),
    }
    assert sideways(page, {"login": pages.pop("login")}) == {}
    log_in(page, "annotator", then=pages["my projects"])
    assert sideways(page, pages) == {}
