"""A pair's own text on the annotation page: right-to-left scripts, white space, line endings. Each test
imports one pair, opens it in a real browser and reads where and how its text is drawn."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Assignment, Pair, Project
from tests.browser import sideways_overflow
from tests.e2e.test_annotating_in_the_browser import log_in, start_first_sitting

pytestmark = pytest.mark.e2e

# Where a stretch of a bubble's text is drawn, against the bubble's content box: the box's left and right
# edges (inside its padding) and the text's, found with a Range over its characters.
TEXT_PLACE = """([id, start, end]) => {
  const box = document.getElementById(id);
  const node = box.firstChild;
  const range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, end === null ? node.length : end);
  const text = range.getBoundingClientRect();
  const outer = box.getBoundingClientRect();
  const style = getComputedStyle(box);
  return {
    boxLeft: outer.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft),
    boxRight: outer.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight),
    left: text.left,
    right: text.right,
    top: text.top,
  };
}"""


def open_pair(page: Page, project: Project, *, context: str, response_a: str, response_b: str) -> dict[str, str]:
    """The annotator at the only pair of `project`: the element id that shows each response ("a", "b")."""
    Pair.objects.create(
        project=project,
        context=context,
        response_a=response_a,
        response_b=response_b,
        content_hash=hashlib.sha256(f"{context}{response_a}{response_b}".encode()).hexdigest(),
    )
    log_in(page, "annotator")
    start_first_sitting(page, project)
    assignment = Assignment.objects.get()
    left = assignment.left_response
    return {left: "left-text", ("b" if left == "a" else "a"): "right-text"}


def text_place(page: Page, element_id: str, start: int = 0, end: int | None = None) -> dict[str, float]:
    return page.evaluate(TEXT_PLACE, [element_id, start, end])


def test_arabic_and_hebrew_read_right_to_left_and_english_left_to_right(page, project, annotator):
    arabic = " مرحبا بالعالم، كيف حالك اليوم؟"
    shown = open_pair(page, project, context="\n\nHuman: Greet me.", response_a=arabic, response_b=" Hello, world!")
    arabic_line = text_place(page, shown["a"])
    # A right-to-left paragraph starts at the right edge of its box, and its question mark (its last
    # character) ends it on the left; drawn in a left-to-right paragraph, the mark stood at the right.
    assert abs(arabic_line["boxRight"] - arabic_line["right"]) < 2, arabic_line
    assert arabic_line["left"] - arabic_line["boxLeft"] > 20, arabic_line
    mark = text_place(page, shown["a"], len(arabic.strip()) - 1, len(arabic.strip()))
    assert abs(mark["left"] - arabic_line["left"]) < 2, (mark, arabic_line)
    english_line = text_place(page, shown["b"])
    assert abs(english_line["left"] - english_line["boxLeft"]) < 2, english_line


def test_each_paragraph_of_a_mixed_response_and_turn_takes_its_own_direction(page, project, annotator):
    mixed = " The greeting is:\nשלום עולם, מה שלומך?"
    shown = open_pair(
        page,
        project,
        context="\n\nHuman: كيف أقول مرحبا بالعبرية؟",
        response_a=mixed,
        response_b=" I do not know.",
    )
    english = text_place(page, shown["a"], 0, len("The greeting is:"))
    hebrew = text_place(page, shown["a"], len("The greeting is:\n"), None)
    assert abs(english["left"] - english["boxLeft"]) < 2, english
    assert abs(hebrew["boxRight"] - hebrew["right"]) < 2, hebrew
    # The conversation's turns are bubbles too: an Arabic question reads from the right.
    page.locator("#context .bubble").first.evaluate("(node) => { node.id = 'first-turn'; }")
    turn = text_place(page, "first-turn")
    assert abs(turn["boxRight"] - turn["right"]) < 2, turn


def test_a_responses_first_line_keeps_its_own_indentation(page, project, annotator):
    # Code whose first line is indented, as the lines after it are; and an HH-RLHF response, whose one
    # leading space only separates it from "Assistant:". Trimmed whole, the code's first line lost its
    # indentation and stood left of the lines inside it.
    code = "    def double(x):\n        return x * 2\n"
    tabbed = "\n\n\tfirst\n\tsecond\n\n"
    shown = open_pair(page, project, context="\n\nHuman: Code, please.", response_a=code, response_b=tabbed)
    assert page.locator(f"#{shown['a']}").text_content() == "    def double(x):\n        return x * 2"
    assert page.locator(f"#{shown['b']}").text_content() == "\tfirst\n\tsecond"


def test_a_response_of_only_white_space_says_it_is_empty_and_the_other_side_does_not(page, project, annotator):
    # Four pairs of the real harmless-base test split answer " " (see the README); an empty grey box
    # looked like a response that failed to load.
    shown = open_pair(page, project, context="\n\nHuman: Anything?", response_a=" \n\t ", response_b=" Sure.")
    blank, other = shown["a"].removesuffix("-text"), shown["b"].removesuffix("-text")
    blank_card = page.locator(f"section.response:has(#{blank}-text)")
    other_card = page.locator(f"section.response:has(#{other}-text)")
    expect(blank_card).to_contain_text("This response is empty: it is only white space.")
    expect(other_card).not_to_contain_text("empty", use_inner_text=True)
    expect(other_card).to_contain_text("Sure.")
    # The next pair, with text on both sides, shows no such note.
    Pair.objects.create(
        project=project,
        context="\n\nHuman: And now?",
        response_a=" Yes.",
        response_b=" No.",
        content_hash="second".ljust(64, "0"),
    )
    page.wait_for_timeout(300)
    page.keyboard.press("2")
    expect(page.locator("#progress")).to_have_text(re.compile(r"^2 / "))
    expect(page.locator("#panel-work")).not_to_contain_text("This response is empty", use_inner_text=True)


def test_a_carriage_return_alone_breaks_the_line_as_a_line_feed_does(page, project, annotator):
    # Old Mac line endings, and Windows' in the conversation: the browser draws a lone carriage return
    # as nothing, which ran the lines together ("line onenext line").
    shown = open_pair(
        page,
        project,
        context="\n\nHuman: Two lines?\rYes, two.",
        response_a=" line one\rnext line",
        response_b=" line one\r\nnext line",
    )
    for element_id in (shown["a"], shown["b"]):
        text = page.locator(f"#{element_id}").text_content()
        first = text_place(page, element_id, 0, len("line one"))
        second = text_place(page, element_id, text.index("next"), None)
        assert second["top"] > first["top"], (element_id, first, second)
        assert abs(second["left"] - first["left"]) < 2, (element_id, first, second)
    page.locator("#context .bubble").first.evaluate("(node) => { node.id = 'first-turn'; }")
    text = page.locator("#first-turn").text_content()
    assert text_place(page, "first-turn", text.index("Yes"), None)["top"] > text_place(page, "first-turn", 0, 3)["top"]


def test_at_200_percent_zoom_on_a_1280_by_800_screen_the_responses_stay_side_by_side(page, project, annotator):
    # Zoomed to 200%, a 1280 by 800 screen is 640 by 400 CSS px. Stacked there, the left response began
    # nearer the top than the right one, often on the first screen when the right one was not: the page
    # favoured the left. Side by side, they start level; a phone still stacks them, left first.
    open_pair(page, project, context="\n\nHuman: Which?", response_a=" One answer. " * 40, response_b=" Another.")
    heading_tops = "['left', 'right'].map((side) => document.getElementById(`${side}-heading`).offsetTop)"
    page.set_viewport_size({"width": 640, "height": 400})
    left, right = page.evaluate(heading_tops)
    assert left == right
    assert sideways_overflow(page) == 0
    page.set_viewport_size({"width": 390, "height": 844})
    left, right = page.evaluate(heading_tops)
    assert right > left
    assert sideways_overflow(page) == 0


def test_an_unbreakable_run_on_one_side_widens_neither_column_nor_the_page(page, project, annotator):
    # Emoji joined by zero-width joiners are one character to the line breaker, which cannot break
    # inside it: the column that held it grew wider than the other, and the page scrolled sideways.
    joined = " " + "\u200d".join(["\U0001f44d"] * 200)
    shown = open_pair(page, project, context="\n\nHuman: Thumbs?", response_a=joined, response_b=" Fine.")
    widths = page.evaluate(
        "['left', 'right'].map((side) => document.getElementById(`${side}-heading`).closest('section').offsetWidth)"
    )
    assert widths[0] == widths[1]
    assert sideways_overflow(page) == 0
    # The run scrolls inside its own box, drawn over nothing beside it.
    wide = page.locator(f"#{shown['a']}")
    box = wide.bounding_box()
    card = page.locator(f"section.response:has(#{shown['a']})").bounding_box()
    assert box["x"] + box["width"] <= card["x"] + card["width"]
    assert wide.evaluate("(node) => node.scrollWidth > node.clientWidth")
    # Stacked on a phone, too.
    page.set_viewport_size({"width": 390, "height": 844})
    assert sideways_overflow(page) == 0
