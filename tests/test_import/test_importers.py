"""The pure parsing layer: splitting transcripts, hashing, row validation."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from annotate.importers import (
    ASSISTANT,
    HH_RLHF,
    PAIRS,
    ParsedPair,
    SourceRow,
    common_prefix_length,
    content_hash_compute,
    pair_parse,
    transcripts_split,
)

text = st.text(alphabet="ab\n:HumanAssistt ", max_size=60)


@given(text, text)
def test_common_prefix_length_matches_the_standard_library(a: str, b: str) -> None:
    assert common_prefix_length(a, b) == len(os.path.commonprefix([a, b]))  # noqa: RUF071 (a reference, character by character)


@given(text, text, text)
def test_split_transcripts_rebuild_both_exactly(shared: str, tail_a: str, tail_b: str) -> None:
    chosen, rejected = shared + ASSISTANT + tail_a, shared + ASSISTANT + tail_b
    context, response_a, response_b = transcripts_split(chosen, rejected)
    assert context + ASSISTANT + response_a == chosen
    assert context + ASSISTANT + response_b == rejected
    assert ASSISTANT not in chosen[len(context) + len(ASSISTANT) : common_prefix_length(chosen, rejected)]


@given(text, text)
def test_split_follows_the_definition_on_any_transcripts(chosen: str, rejected: str) -> None:
    shared = os.path.commonprefix([chosen, rejected])  # noqa: RUF071 (the definition, character by character)
    idx = shared.rfind(ASSISTANT)
    expected = None if idx < 0 else (chosen[:idx], chosen[idx + len(ASSISTANT) :], rejected[idx + len(ASSISTANT) :])
    assert transcripts_split(chosen, rejected) == expected


def test_the_context_is_cut_back_to_the_last_assistant_turn_before_the_divergence() -> None:
    chosen = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: bye\n\nAssistant: Goodbye!"
    rejected = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: bye\n\nAssistant: Go away."
    assert transcripts_split(chosen, rejected) == (
        "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: bye",
        " Goodbye!",
        " Go away.",
    )


def test_a_transcript_that_runs_on_with_more_turns_still_splits_at_the_shared_assistant_turn() -> None:
    chosen = "\n\nHuman: hi\n\nAssistant: hello"
    rejected = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: more?\n\nAssistant: no"
    context, response_a, response_b = transcripts_split(chosen, rejected)
    assert context == "\n\nHuman: hi"
    assert (response_a, response_b) == (" hello", " hello\n\nHuman: more?\n\nAssistant: no")


def test_the_content_hash_ignores_the_order_of_the_responses() -> None:
    one = content_hash_compute(context="c", response_a="x", response_b="y")
    assert one == content_hash_compute(context="c", response_a="y", response_b="x")
    assert one != content_hash_compute(context="c", response_a="x", response_b="z")
    assert one != content_hash_compute(context="cx", response_a="", response_b="y")
    assert len(one) == 64


def test_a_pairs_row_has_no_source_preference() -> None:
    parsed = pair_parse(
        SourceRow(1, 0, {"prompt": "p", "response_a": "a", "response_b": "b"}), fmt=PAIRS, max_chars=100
    )
    assert isinstance(parsed, ParsedPair)
    assert (parsed.context, parsed.response_a, parsed.response_b, parsed.source_preference) == ("p", "a", "b", "")


def test_every_bad_field_of_a_row_is_reported() -> None:
    errors = pair_parse(SourceRow(7, 6, {"chosen": 3}), fmt=HH_RLHF, max_chars=100)
    assert [(e.row, e.field, e.message) for e in errors] == [
        (7, "chosen", "expected text, got int"),
        (7, "rejected", "missing"),
    ]
