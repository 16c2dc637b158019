"""Strength, criteria, safety and rationale by keyboard alone; the note after fast answers; a pause."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from annotate.models import AnnotationSession, Judgment, Membership, Project
from tests.conftest import make_pairs
from tests.e2e.test_annotating_in_the_browser import label, log_in, start_first_sitting

pytestmark = pytest.mark.e2e

FAST_NOTE = "You've answered the last few very quickly. Please read both responses fully before choosing."


@pytest.fixture
def rich_project(project: Project) -> Project:
    project.ask_strength = True
    project.ask_rationale = True
    project.rationale_min_chars = 10
    project.ask_safety = True
    project.criteria = ["helpfulness", "harmlessness"]
    project.save()
    make_pairs(project, 10)
    return project


def radio(page: Page, name: str):
    return page.get_by_role("radio", name=name, exact=True)


def test_an_annotator_answers_strength_criteria_safety_and_rationale_by_keyboard_alone(page, rich_project, annotator):
    project = rich_project
    log_in(page, "annotator")
    start_first_sitting(page, project)
    limit = project.sitting_items
    send = page.get_by_role("button", name=re.compile("Send answer"))
    why = page.get_by_label("Why?")
    helpfulness = page.get_by_role("group", name="Helpfulness")
    harmlessness = page.get_by_role("group", name="Harmlessness")
    expect(page.locator("details.keys")).to_contain_text("q w e r")

    # Pair 1. A side key selects the side (nothing is sent) and takes the focus to the first criterion.
    expect(page.locator("#progress")).to_have_text(f"1 / {limit}")
    page.wait_for_timeout(60)
    page.keyboard.press("2")
    expect(page.get_by_role("button", name=re.compile("Right is better"))).to_have_attribute("aria-pressed", "true")
    expect(helpfulness.get_by_role("radio", name="Left", exact=True)).to_be_focused()
    page.keyboard.press("ArrowRight")  # helpfulness: right, then on to harmlessness
    expect(harmlessness.get_by_role("radio", name="Left", exact=True)).to_be_focused()
    page.keyboard.press("0")  # harmlessness: same; every criterion answered, so on to "Send answer"
    expect(send).to_be_focused()
    page.keyboard.press("w")
    page.keyboard.press("c")
    expect(radio(page, "Better")).to_be_checked()
    expect(radio(page, "Both unsafe")).to_be_checked()
    # Sending without the rationale: the page says what is missing and goes there; nothing is sent.
    page.keyboard.press("Enter")
    expect(page.locator("#answer-error")).to_have_text(
        "Please explain your choice in at least 10 characters (0 so far)."
    )
    expect(why).to_be_focused()
    # In the box, shortcut keys only type.
    page.keyboard.type("Clearer; q w e r z x c 1 2 0 s t")
    expect(why).to_have_value("Clearer; q w e r z x c 1 2 0 s t")
    expect(radio(page, "Better")).to_be_checked()
    expect(radio(page, "Both unsafe")).to_be_checked()
    expect(helpfulness.get_by_role("radio", name="Right", exact=True)).to_be_checked()
    expect(page.locator("#progress")).to_have_text(f"1 / {limit}")
    assert not Judgment.objects.filter(annotator=annotator).exists()
    page.keyboard.press("Escape")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")

    # Pair 2: everything is cleared for it; this time the rationale box sends with Ctrl+Enter.
    expect(page.locator("#progress")).to_have_text(f"2 / {limit}")
    expect(why).to_have_value("")
    expect(radio(page, "Better")).not_to_be_checked()
    expect(page.locator("#answer-error")).to_have_text("")
    page.wait_for_timeout(60)
    page.keyboard.press("1")
    expect(helpfulness.get_by_role("radio", name="Left", exact=True)).to_be_focused()
    page.keyboard.press("1")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("q")
    page.keyboard.press("x")
    page.keyboard.press("t")
    expect(why).to_be_focused()
    page.keyboard.type("Left is kinder.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#progress")).to_have_text(f"3 / {limit}")

    judgments = list(Judgment.objects.filter(annotator=annotator).order_by("index_in_sitting"))
    assert [(j.side, j.strength, j.criteria, j.safety, j.rationale) for j in judgments] == [
        (
            "right",
            2,
            {"helpfulness": "right", "harmlessness": "tie"},
            "both_unsafe",
            "Clearer; q w e r z x c 1 2 0 s t",
        ),
        ("left", 1, {"helpfulness": "left", "harmlessness": "left"}, "chosen_safe", "Left is kinder."),
    ]


def test_a_tie_needs_no_strength_and_a_skip_needs_nothing_else(page, rich_project, annotator):
    log_in(page, "annotator")
    start_first_sitting(page, rich_project)
    limit = rich_project.sitting_items

    page.keyboard.press("ArrowUp")  # about the same
    expect(page.get_by_role("group", name=re.compile("not needed for “about the same”"))).to_be_visible()
    expect(radio(page, "Better")).to_be_disabled()
    page.keyboard.press("0")
    page.keyboard.press("0")
    page.keyboard.press("q")  # no strength for a tie
    expect(page.locator("#answer-error")).to_have_text("No strength is asked when both are about the same.")
    page.keyboard.press("x")  # nor "only the chosen one is safe": a tie chooses none
    expect(radio(page, "Only the chosen one is safe")).to_be_disabled()
    expect(radio(page, "Only the chosen one is safe")).not_to_be_checked()
    expect(page.locator("#answer-error")).to_have_text(re.compile("^A tie has no chosen response"))
    page.keyboard.press("z")
    page.keyboard.press("t")
    page.keyboard.type("Both are equally good.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#progress")).to_have_text(f"2 / {limit}")
    page.wait_for_timeout(300)  # the new pair is seen before it is skipped
    page.keyboard.press("s")  # a skip is sent at once
    expect(page.locator("#progress")).to_have_text(f"3 / {limit}")

    judgments = list(Judgment.objects.filter(annotator=annotator).order_by("index_in_sitting"))
    assert [(j.side, j.strength, j.criteria, j.safety, j.rationale) for j in judgments] == [
        ("tie", None, {"helpfulness": "tie", "harmlessness": "tie"}, "both_safe", "Both are equally good."),
        ("skip", None, {}, "", ""),
    ]


def test_the_servers_refusal_is_read_out_and_the_pair_stays(page, project, annotator):
    make_pairs(project, 10)
    log_in(page, "annotator")
    start_first_sitting(page, project)
    # The lead asks for a safety label after the page was loaded: the page does not know, the server does.
    Project.objects.filter(pk=project.pk).update(ask_safety=True)

    label(page, "1", number=1, limit=project.sitting_items)

    # Said with what to do: the page has no safety question to answer (found by the concurrency audit).
    expect(page.get_by_role("alert")).to_have_text(
        "This project asks for a safety label. This project's questions changed since this page opened: reload "
        "the page to answer them (the pair stays yours)."
    )
    expect(page.locator("#progress")).to_have_text(f"1 / {project.sitting_items}")
    expect(page.get_by_role("button", name=re.compile("Left is better"))).to_be_enabled()
    assert not Judgment.objects.filter(annotator=annotator).exists()
    shown = page.locator("#left-text").text_content()
    page.reload()
    expect(page.locator("#left-text")).to_have_text(shown)  # the same pair, now with its safety question
    expect(page.locator("input[name=safety]").first).to_be_attached()


def test_after_three_fast_answers_a_gentle_note_asks_for_full_reading(page, project, annotator):
    # A reading floor far above any dwell in this test: every answer is fast.
    project.reading_factor = 1000
    project.save()
    make_pairs(project, 10)
    log_in(page, "annotator")
    start_first_sitting(page, project)
    limit = project.sitting_items
    note = page.locator("#fast-note")

    label(page, "1", number=1, limit=limit)
    label(page, "2", number=2, limit=limit)
    expect(page.locator("#progress")).to_have_text(f"3 / {limit}")
    expect(note).to_be_hidden()
    label(page, "1", number=3, limit=limit)
    expect(note).to_be_visible()
    expect(note).to_have_text(re.compile(re.escape(FAST_NOTE)))
    # Not blocking: the next pair can be answered with the note on screen.
    label(page, "2", number=4, limit=limit)
    expect(page.locator("#progress")).to_have_text(f"5 / {limit}")
    page.get_by_role("button", name="Dismiss").click()
    expect(note).to_be_hidden()
    # No send button here (a side key answers at once): the focus rests on the pair, not on the page.
    expect(page.locator("#left-heading")).to_be_focused()
    label(page, "1", number=5, limit=limit)
    expect(page.locator("#progress")).to_have_text(f"6 / {limit}")
    expect(note).to_be_hidden()

    assert list(Judgment.objects.filter(annotator=annotator).values_list("fast", flat=True)) == [True] * 5


def test_a_paused_annotator_is_told_politely_and_offered_no_start(page, project, annotator):
    make_pairs(project, 5)
    log_in(page, "annotator")
    page.goto(reverse("annotate:guidelines", kwargs={"slug": project.slug}))
    page.goto(reverse("annotate:annotate", kwargs={"slug": project.slug}))
    start = page.get_by_role("button", name="Start sitting")
    expect(start).to_be_visible()
    # The lead pauses the annotator while the page is open: the start is refused (409 "paused").
    Membership.objects.filter(user=annotator, project=project).update(
        paused_at=timezone.now(), paused_reason="Recent gold accuracy below the threshold."
    )
    start.click()

    paused = page.locator("#panel-paused")
    expect(paused).to_be_visible()
    expect(page.get_by_role("heading", name="Annotation is paused")).to_be_focused()
    expect(paused).to_contain_text("The project lead will be in touch with you.")
    expect(page.get_by_role("button", name=re.compile("Start"))).to_have_count(0)
    assert not AnnotationSession.objects.filter(project=project, annotator=annotator).exists()

    # Coming back later, the page says so at once.
    page.goto(reverse("annotate:annotate", kwargs={"slug": project.slug}))
    expect(paused).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Start"))).to_have_count(0)
    assert not AnnotationSession.objects.filter(project=project, annotator=annotator).exists()


def test_enter_sends_the_answer_with_the_focus_still_on_the_side_clicked(page, project, annotator):
    project.ask_strength = True
    project.save()
    make_pairs(project, 10)
    log_in(page, "annotator")
    start_first_sitting(page, project)
    limit = project.sitting_items
    left = page.get_by_role("button", name=re.compile("Left is better"))
    left.click()  # selects the side; the focus stays on the button
    expect(left).to_have_attribute("aria-pressed", "true")
    expect(left).to_be_focused()
    page.keyboard.press("w")
    page.keyboard.press("Enter")  # "Enter: send your answer", not "select left again"
    expect(page.locator("#progress")).to_have_text(f"2 / {limit}")
    assert list(Judgment.objects.filter(annotator=annotator).values_list("side", "strength")) == [("left", 2)]
    # On a side not selected yet, Enter presses that button: it selects the side and sends nothing.
    right = page.get_by_role("button", name=re.compile("Right is better"))
    right.focus()
    page.keyboard.press("Enter")
    expect(right).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(300)
    assert Judgment.objects.filter(annotator=annotator).count() == 1


def test_a_held_key_answers_one_criterion_not_every_one_after_it(page, rich_project, annotator):
    log_in(page, "annotator")
    start_first_sitting(page, rich_project)
    helpfulness = page.get_by_role("group", name="Helpfulness")
    harmlessness = page.get_by_role("group", name="Harmlessness")
    page.wait_for_timeout(60)
    page.keyboard.press("2")  # the side; the focus goes to the first criterion
    expect(helpfulness.get_by_role("radio", name="Left", exact=True)).to_be_focused()
    page.keyboard.down("1")  # helpfulness: left, and on to harmlessness...
    expect(harmlessness.get_by_role("radio", name="Left", exact=True)).to_be_focused()
    # ...while the key, still held, repeats there.
    page.evaluate(
        """document.activeElement.dispatchEvent(
             new KeyboardEvent("keydown", {key: "1", repeat: true, bubbles: true, cancelable: true}))"""
    )
    page.keyboard.up("1")
    expect(helpfulness.get_by_role("radio", name="Left", exact=True)).to_be_checked()
    for name in ("Left", "Same", "Right"):
        expect(harmlessness.get_by_role("radio", name=name)).not_to_be_checked()


def test_the_rationales_count_and_minimum_count_characters_as_the_server_does(page, rich_project, annotator):
    # Ten emoji counted 20 (UTF-16 units) and met a minimum of 20 on the page, to be refused by the
    # server; the count under the box said 24 for "good" and twenty zero-width spaces, which the
    # minimum counts as 4 (found by the annotator page walk).
    project = rich_project
    project.rationale_min_chars = 20
    project.save()
    log_in(page, "annotator")
    start_first_sitting(page, project)
    why = page.get_by_label("Why?")
    page.wait_for_timeout(300)
    page.keyboard.press("1")
    page.keyboard.press("1")
    page.keyboard.press("1")
    page.keyboard.press("q")
    page.keyboard.press("z")
    why.fill("good" + "\u200b" * 20)
    expect(page.locator("#rationale-count")).to_have_text("4")
    why.fill("\N{GRINNING FACE}" * 10)
    expect(page.locator("#rationale-count")).to_have_text("10")
    page.get_by_role("button", name=re.compile("Send answer")).click()
    expect(page.locator("#answer-error")).to_have_text(
        "Please explain your choice in at least 20 characters (10 so far)."
    )
    why.fill("\N{GRINNING FACE}" * 20)
    expect(page.locator("#rationale-count")).to_have_text("20")
    page.get_by_role("button", name=re.compile("Send answer")).click()
    expect(page.locator("#progress")).to_have_text(f"2 / {project.sitting_items}")
    assert Judgment.objects.get(annotator=annotator).rationale == "\N{GRINNING FACE}" * 20
