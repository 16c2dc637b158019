"""The conversation so far as the annotation page and the gold page show it: one turn per speaker."""

from __future__ import annotations

from annotate.selectors import context_turns


def test_a_context_that_starts_with_a_speakers_name_shows_no_name_in_its_first_turn():
    assert context_turns("Human: What is 2+2?\n\nAssistant: Four.\n\nHuman: And 3+3?") == [
        {"role": "human", "text": "What is 2+2?"},
        {"role": "assistant", "text": "Four."},
        {"role": "human", "text": "And 3+3?"},
    ]
    # As HH-RLHF writes it, with the blank line first; and a bare prompt is one human turn.
    assert context_turns("\n\nHuman: Hi\n\nAssistant: Hello") == [
        {"role": "human", "text": "Hi"},
        {"role": "assistant", "text": "Hello"},
    ]
    assert context_turns("Say Human: twice.") == [{"role": "human", "text": "Say Human: twice."}]


def test_a_turns_own_indentation_is_kept_and_only_the_transcripts_space_goes():
    code = "\n\nHuman:\n    def f():\n        return 1\nWhy does this fail?\n\nAssistant: It works.  \n"
    assert context_turns(code) == [
        {"role": "human", "text": "    def f():\n        return 1\nWhy does this fail?"},
        {"role": "assistant", "text": "It works."},
    ]
    # A bare prompt keeps its indentation too, and blank lines with spaces or a CR before it go.
    assert context_turns(" \r\n  - item\n  - item") == [{"role": "human", "text": "  - item\n  - item"}]
