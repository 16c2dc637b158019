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
