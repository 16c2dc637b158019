"""The annotator's whole flow in a real browser: log in, read the guidelines, label by keyboard, break."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from annotate.models import AnnotationSession, Assignment, AssignmentState, Judgment, Project
from tests.browser import screenshot
from tests.conftest import make_pairs

pytestmark = pytest.mark.e2e


def log_in(page: Page, username: str) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-" + username)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My projects")).to_be_visible()


def start_first_sitting(page: Page, project: Project) -> None:
    """From "my projects": the guidelines come first, then their button starts the sitting."""
    page.get_by_role("link", name=f"Start annotating in {project.name}").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("annotate:guidelines", kwargs={"slug": project.slug})) + "$"))
    expect(page.get_by_text("Pick the better answer.")).to_be_visible()
    page.get_by_role("button", name="Start a sitting").click()
    expect(page.locator("#panel-work")).to_be_visible()


def label(page: Page, key: str, *, number: int, limit: int) -> str:
    """Answer the pair on screen with `key`; returns the text shown on the left."""
    expect(page.locator("#progress")).to_have_text(f"{number} / {limit}")
    expect(page.get_by_role("button", name=re.compile("Left is better"))).to_be_enabled()
    left_text = page.locator("#left-text").text_content()
    # A reader spends visible time on the pair before answering; the page measures it (and drops a
    # key pressed within a quarter second of the pair appearing, as meant for the pair before).
    page.wait_for_timeout(300)
    page.keyboard.press(key)
    return left_text


def end_sitting(page: Page) -> None:
    """Press "End sitting" and say yes to its question ("End this sitting? ...": the page asks first)."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End sitting").click()


def api_call(request) -> str:
    """The operation behind an API request: "next", "judgment", "progress", ...; a request for the
    next pair that excludes the pair on screen is a prefetch."""
    operation = request.url.rstrip("/").rsplit("/", 1)[-1]
    if operation == "next" and (request.post_data_json or {}).get("exclude"):
        return "next (prefetch)"
    return operation


def test_an_annotator_labels_five_pairs_with_the_keyboard(page, project, annotator):
    make_pairs(project, 12)
    log_in(page, "annotator")
    calls = []
    page.on("request", lambda request: calls.append(api_call(request)) if "/api/" in request.url else None)
    start_first_sitting(page, project)
    limit = project.sitting_items
    page.evaluate("window.pairwiseSamePage = true")

    shown_left = []
    keys = ["1", "2", "ArrowLeft", "ArrowRight", "1"]
    for number, key in enumerate(keys, start=1):
        if number == 2:
            expect(page.locator("#progress")).to_have_text(f"2 / {limit}")
            expect(page.locator("#timer")).to_have_text(re.compile(r"^\d+:\d\d$"))
            screenshot(page, "annotate.png")
        shown_left.append(label(page, key, number=number, limit=limit))
    expect(page.locator("#progress")).to_have_text(f"6 / {limit}")
    # No page load between pairs, and each pair was leased before the previous one was answered.
    assert page.evaluate("window.pairwiseSamePage") is True
    assert calls[:14] == ["progress", "sittings", "next", "next (prefetch)"] + ["judgment", "next (prefetch)"] * 5

    judgments = list(Judgment.objects.filter(annotator=annotator).select_related("pair").order_by("index_in_sitting"))
    assert [j.index_in_sitting for j in judgments] == [1, 2, 3, 4, 5]
    assert [j.side for j in judgments] == ["left", "right", "left", "right", "left"]
    for judgment, left_text in zip(judgments, shown_left, strict=True):
        assert judgment.pair.response(judgment.left_response).strip() == left_text
        right_response = "b" if judgment.left_response == "a" else "a"
        assert judgment.chosen_response == (judgment.left_response if judgment.side == "left" else right_response)
        assert judgment.dwell_ms > 0
        assert (judgment.viewport_width, judgment.viewport_height) == (1280, 800)
    assert len({j.pair_id for j in judgments}) == 5
    # What the page showed never names the responses' origin.
    assert "answer A" not in page.locator("#left-heading").text_content()


def test_a_sitting_that_reaches_its_item_limit_shows_the_break_page(page, project, annotator):
    project.sitting_items = 3
    project.break_minutes = 5
    project.save()
    make_pairs(project, 10)
    log_in(page, "annotator")
    start_first_sitting(page, project)

    for number, key in enumerate(["ArrowRight", "2", "ArrowLeft"], start=1):
        label(page, key, number=number, limit=3)

    summary = page.locator("#panel-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("You answered 3 pairs in this sitting (skips included).")
    expect(summary).to_contain_text("You reached this sitting's number of pairs.")
    expect(page.locator("#panel-work")).to_be_hidden()
    expect(page.locator("#sitting-bar")).to_be_hidden()
    countdown = page.locator("#break-timer")
    expect(countdown).to_have_text(re.compile(r"^[45]:\d\d$"))
    expect(page.get_by_role("button", name="Start next sitting")).to_be_disabled()
    screenshot(page, "break.png")
    # The countdown is live: it moves without a reload.
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first, timeout=5000)

    sitting = AnnotationSession.objects.get(project=project, annotator=annotator)
    assert (sitting.end_reason, sitting.items_done) == ("items", 3)
    assert sitting.break_until is not None
    assert Judgment.objects.filter(sitting=sitting).count() == 3
    # The pair leased in advance was given back when the sitting ended.
    assert not Assignment.objects.filter(sitting=sitting, state=AssignmentState.LEASED).exists()

    # Coming back during the break shows the countdown again, not a new sitting.
    page.reload()
    expect(page.locator("#panel-break")).to_be_visible()
    expect(page.get_by_role("button", name="Start next sitting")).to_be_disabled()
    assert AnnotationSession.objects.filter(project=project, annotator=annotator).count() == 1


def test_a_sitting_whose_time_runs_out_ends_on_the_page_without_a_click(page, project, annotator):
    make_pairs(project, 10)
    log_in(page, "annotator")
    start_first_sitting(page, project)
    label(page, "1", number=1, limit=project.sitting_items)
    # Move the server's deadline close; the page learns it from the next answer's sitting.
    sitting = AnnotationSession.objects.get(project=project, annotator=annotator)
    AnnotationSession.objects.filter(pk=sitting.pk).update(deadline=timezone.now() + timedelta(seconds=3))
    label(page, "2", number=2, limit=project.sitting_items)

    summary = page.locator("#panel-summary")
    expect(summary).to_be_visible(timeout=15_000)
    expect(summary).to_contain_text("You answered 2 pairs in this sitting (skips included).")
    expect(summary).to_contain_text("The sitting's time limit was reached.")
    expect(page.locator("#panel-break")).to_be_visible()
    sitting.refresh_from_db()
    assert (sitting.end_reason, sitting.items_done) == ("time", 2)
    assert not Assignment.objects.filter(sitting=sitting, state=AssignmentState.LEASED).exists()


def test_an_annotator_starts_the_next_sitting_when_the_break_is_over_and_ends_it_by_hand(page, project, annotator):
    project.sitting_items = 1
    project.break_minutes = 0
    project.save()
    make_pairs(project, 10)
    log_in(page, "annotator")
    start_first_sitting(page, project)
    label(page, "ArrowLeft", number=1, limit=1)

    expect(page.locator("#panel-summary")).to_contain_text("You answered 1 pair in this sitting (skips included).")
    expect(page.locator("#break-timer")).to_have_text("0:00")
    expect(page.locator("#break-intro")).to_have_text("Your break is over: the next sitting can start now.")
    page.get_by_role("button", name="Start next sitting").click()
    expect(page.locator("#progress")).to_have_text("1 / 1")
    expect(page.locator("#panel-work")).to_be_visible()
    end_sitting(page)

    summary = page.locator("#panel-summary")
    expect(summary).to_contain_text("You answered 0 pairs in this sitting (skips included).")
    expect(summary).to_contain_text("You ended the sitting.")
    sittings = list(AnnotationSession.objects.filter(project=project, annotator=annotator).order_by("started_at"))
    assert [(s.end_reason, s.items_done) for s in sittings] == [("items", 1), ("manual", 0)]
    assert Judgment.objects.filter(annotator=annotator).count() == 1


def test_typing_an_optional_rationale_never_answers_and_the_rationale_is_stored(page, project, annotator):
    project.ask_rationale = True
    project.save()
    make_pairs(project, 10)
    log_in(page, "annotator")
    start_first_sitting(page, project)

    # Every key here is also a shortcut ("s", "1", "2", "0", "t"): in a text box they only type.
    page.get_by_label("Why?").press_sequentially("s 1 2 0 t is safer")
    expect(page.locator("#progress")).to_have_text(f"1 / {project.sitting_items}")
    # Nothing else is asked, so a side button answers at once (a click within a quarter second of the
    # pair appearing is dropped: typing the rationale above can take less).
    page.wait_for_timeout(300)
    page.get_by_role("button", name=re.compile("Right is better")).click()

    expect(page.locator("#progress")).to_have_text(f"2 / {project.sitting_items}")
    expect(page.get_by_label("Why?")).to_have_value("")
    judgment = Judgment.objects.get(annotator=annotator)
    assert (judgment.side, judgment.strength, judgment.rationale) == ("right", None, "s 1 2 0 t is safer")

    # On a phone the responses stack, the left one first; on a wider screen they sit side by side.
    left, right = page.locator(".response").nth(0), page.locator(".response").nth(1)
    assert right.bounding_box()["y"] == left.bounding_box()["y"]
    page.set_viewport_size({"width": 390, "height": 900})
    assert right.bounding_box()["y"] >= left.bounding_box()["y"] + left.bounding_box()["height"]
