"""Record formats: HH-RLHF byte identity with the source file, and the TRL formats' shapes and types."""

from __future__ import annotations

import gzip
import json
import os

import datasets
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from exporter.aggregation import pairs_aggregate
from exporter.records import (
    context_turns,
    conversational_record,
    hh_rlhf_record,
    pair_orient,
    preference_record,
    record_build,
    record_json_line,
    record_transcripts,
    transcript_split,
)
from exporter.writers import jsonl_write
from tests.conftest import HH_RLHF_TEST

ASSISTANT = "\n\nAssistant:"


def source_lines() -> list[bytes]:
    return gzip.decompress(HH_RLHF_TEST.read_bytes()).splitlines(keepends=True)


def import_by_rule(line: bytes) -> tuple[str, str, str]:
    """The import rule, written out here independently of `transcript_split`: the common prefix of the
    two transcripts cut back to its last "\\n\\nAssistant:" is the context; the rest are the responses."""
    row = json.loads(line)
    prefix = os.path.commonprefix([row["chosen"], row["rejected"]])  # noqa: RUF071 - characters are the point
    cut = prefix.rindex(ASSISTANT)
    return row["chosen"][:cut], row["chosen"][cut + len(ASSISTANT) :], row["rejected"][cut + len(ASSISTANT) :]


def test_it_rebuilds_the_hh_rlhf_source_file_byte_for_byte_from_imported_pairs_judged_as_the_source(tmp_path):
    lines = source_lines()
    assert len(lines) == 2312
    pairs = {}
    votes = {}
    for row, line in enumerate(lines):
        context, chosen, rejected = import_by_rule(line)
        assert (context, chosen, rejected) == transcript_split(**json.loads(line))
        # Store the source's chosen response as a on even rows and as b on odd rows, as an importer that
        # does not leak the source label into the storage order would.
        if row % 2 == 0:
            pairs[row] = {"context": context, "response_a": chosen, "response_b": rejected}
            preferred = "a"
        else:
            pairs[row] = {"context": context, "response_a": rejected, "response_b": chosen}
            preferred = "b"
        other = "b" if preferred == "a" else "a"
        # Three annotators, two follow the source, one does not, and one extra tie: still the source's choice.
        votes[row] = [
            {"chosen_response": preferred, "left_response": "a"},
            {"chosen_response": other, "left_response": "b"},
            {"chosen_response": preferred, "left_response": "b"},
            {"chosen_response": "", "side": "tie", "left_response": "a"},
        ]
    aggregation = pairs_aggregate(votes_by_pair=votes)
    assert aggregation.no_majority == []
    records = []
    for row, outcome in aggregation.outcomes.items():
        pair = pairs[row]
        chosen, rejected = pair_orient(
            response_a=pair["response_a"], response_b=pair["response_b"], winner=outcome.winner
        )
        records.append(record_build(fmt="hh-rlhf", context=pair["context"], chosen=chosen, rejected=rejected))

    out = tmp_path / "hh.jsonl"
    assert jsonl_write(records=records, path=out) == 2312
    assert out.read_bytes() == gzip.decompress(HH_RLHF_TEST.read_bytes())
    out_gz = tmp_path / "hh.jsonl.gz"
    jsonl_write(records=records, path=out_gz)
    assert gzip.decompress(out_gz.read_bytes()) == gzip.decompress(HH_RLHF_TEST.read_bytes())


def test_it_serializes_like_hh_rlhf_unicode_as_utf8_and_default_separators():
    line = record_json_line(hh_rlhf_record(context="\n\nHuman: café?", chosen=" Oui “yes”", rejected=" Non"))
    assert line == (
        '{"chosen": "\\n\\nHuman: café?\\n\\nAssistant: Oui “yes”", '
        '"rejected": "\\n\\nHuman: café?\\n\\nAssistant: Non"}\n'
    )


def test_it_refuses_nan_in_a_record():
    with pytest.raises(ValueError):
        record_json_line({"chosen": "x", "rejected": "y", "agreement": float("nan")})


def test_it_refuses_to_split_transcripts_without_a_shared_assistant_turn():
    with pytest.raises(ValueError):
        transcript_split(chosen="\n\nHuman: a\n\nAssistant: b", rejected="\n\nHuman: c\n\nAssistant: b")


def test_it_splits_at_the_last_shared_assistant_turn_not_inside_a_differing_one():
    context = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: and?"
    # The responses diverge right after the marker's colon: the marker itself is shared.
    assert transcript_split(chosen=context + ASSISTANT + " x", rejected=context + ASSISTANT + " y") == (
        context,
        " x",
        " y",
    )


def test_preference_prompt_plus_response_is_the_hh_rlhf_transcript():
    context = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: and?"
    record = preference_record(context=context, chosen=" yes", rejected=" no", metadata={"agreement": 1.0})
    assert list(record) == ["prompt", "chosen", "rejected", "agreement"]
    hh = hh_rlhf_record(context=context, chosen=" yes", rejected=" no")
    assert record["prompt"] + record["chosen"] == hh["chosen"]
    assert record["prompt"] + record["rejected"] == hh["rejected"]


def test_conversational_turns_are_parsed_and_outer_whitespace_stripped():
    context = "\n\nHuman: What is  2+2? \n\nAssistant: Four.\n\n\n\nHuman:\nAnd 3+3?"
    assert context_turns(context) == [
        {"role": "user", "content": "What is  2+2?"},
        {"role": "assistant", "content": "Four."},
        {"role": "user", "content": "And 3+3?"},
    ]
    record = conversational_record(context=context, chosen=" Six. ", rejected=" Seven.", metadata={"n_judgments": 3})
    assert record["chosen"] == [{"role": "assistant", "content": "Six."}]
    assert record["rejected"] == [{"role": "assistant", "content": "Seven."}]
    assert record["n_judgments"] == 3


def test_a_transcript_that_starts_with_a_speakers_name_keeps_no_name_in_its_first_message():
    # Found by the ML engineer's audit: "Human: What is 2+2?" without the leading blank line stayed
    # one user message, "Human:" and all.
    assert context_turns("Human: What is 2+2?\n\nAssistant: Four.\n\nHuman: And 3+3?") == [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "Four."},
        {"role": "user", "content": "And 3+3?"},
    ]
    # Only at the very start or after a blank line: a name inside a message is the message's.
    assert context_turns("Say Human: twice.") == [{"role": "user", "content": "Say Human: twice."}]


def test_a_bare_prompt_becomes_one_user_turn():
    assert context_turns("Write a haiku.") == [{"role": "user", "content": "Write a haiku."}]


def test_it_refuses_metadata_that_would_overwrite_a_record_field():
    with pytest.raises(ValueError):
        preference_record(context="\n\nHuman: q", chosen=" a", rejected=" b", metadata={"chosen": "x"})


def test_it_refuses_an_unknown_format_or_winner():
    with pytest.raises(ValueError):
        record_build(fmt="csv", context="", chosen="", rejected="")
    with pytest.raises(ValueError):
        pair_orient(response_a="x", response_b="y", winner="")


def test_trl_formats_load_with_datasets_json_and_have_trl_field_types(tmp_path):
    rows = [transcript_split(**json.loads(line)) for line in source_lines()[:200]]
    metadata = {
        "n_judgments": 3,
        "agreement": 0.6666666666666666,
        "shown_left_counts": {"a": 2, "b": 1},
        "median_dwell_ms": None,
    }
    paths = {}
    for fmt in ("preference", "conversational"):
        records = [record_build(fmt=fmt, context=c, chosen=ch, rejected=rj, metadata=metadata) for c, ch, rj in rows]
        paths[fmt] = tmp_path / f"{fmt}.jsonl"
        jsonl_write(records=records, path=paths[fmt])

    string = datasets.Value("string")
    preference = datasets.load_dataset("json", data_files=str(paths["preference"]), cache_dir=str(tmp_path / "c"))
    features = preference["train"].features
    assert (features["prompt"], features["chosen"], features["rejected"]) == (string, string, string)
    assert features["agreement"] == datasets.Value("float64")
    assert preference["train"].num_rows == 200

    conversational = datasets.load_dataset(
        "json", data_files=str(paths["conversational"]), cache_dir=str(tmp_path / "c")
    )
    features = conversational["train"].features
    message = datasets.List({"role": string, "content": string})
    for column in ("prompt", "chosen", "rejected"):
        assert features[column] == message
    first = conversational["train"][0]
    # TRL's conversational test: a list of {"role", "content"} messages; the prompt alternates, user first.
    assert first["prompt"][0]["role"] == "user"
    assert [m["role"] for m in first["chosen"]] == ["assistant"]
    assert all(
        m["role"] == ("user" if i % 2 == 0 else "assistant")
        for row in conversational["train"]
        for i, m in enumerate(row["prompt"])
    )


def test_every_format_gives_back_the_transcripts_the_notebook_tokenizes():
    for line in source_lines():
        source = json.loads(line)
        context, chosen, rejected = transcript_split(**source)
        for fmt in ("hh-rlhf", "preference"):
            record = record_build(fmt=fmt, context=context, chosen=chosen, rejected=rejected, metadata={"n": 1})
            assert record_transcripts(record) == (source["chosen"], source["rejected"])
    record = conversational_record(context="\n\nHuman:  hi \n\nAssistant: yo", chosen=" a\n", rejected=" b")
    assert record_transcripts(record) == (
        "\n\nHuman: hi\n\nAssistant: yo\n\nAssistant: a",
        "\n\nHuman: hi\n\nAssistant: yo\n\nAssistant: b",
    )


# Pieces of the markers, so that near-markers and whole markers turn up often.
texts = st.lists(st.sampled_from(["a", " ", "\n", "\n\n", ":", "é", "Human", "Assistant"]), max_size=12).map("".join)


@given(context=texts, chosen=texts, rejected=texts)
def test_splitting_a_built_record_gives_back_its_parts_whenever_the_responses_hold_no_assistant_turn(
    context, chosen, rejected
):
    assume(ASSISTANT not in chosen and ASSISTANT not in rejected)
    record = hh_rlhf_record(context=context, chosen=chosen, rejected=rejected)
    assert transcript_split(**record) == (context, chosen, rejected)
    # A prompt that had no "\n\nAssistant:": a human turn (unless it has one) and assistant turns.
    bare = hh_rlhf_record(context=context, chosen=chosen, rejected=rejected, prompt_marker=False)
    turn = {response: response if response[:1].isspace() else " " + response for response in (chosen, rejected)}
    own = context.startswith("Human:") or "\n\nHuman:" in context
    human = context if own else f"\n\nHuman: {context}"
    assert bare == {"chosen": human + ASSISTANT + turn[chosen], "rejected": human + ASSISTANT + turn[rejected]}


def test_a_prompt_without_the_assistant_marker_is_exported_as_imported_by_trl_and_in_turns_by_hh_rlhf():
    """Found in review: a TRL prompt without "\n\nAssistant:" came back with one added (and, in hh-rlhf,
    as "What is 2+2?\n\nAssistant:4", a transcript with no human turn)."""
    bare = {"context": "What is 2+2?", "chosen": "4", "rejected": "5", "prompt_marker": False}
    assert preference_record(**bare) == {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}
    assert hh_rlhf_record(**bare) == {
        "chosen": "\n\nHuman: What is 2+2?\n\nAssistant: 4",
        "rejected": "\n\nHuman: What is 2+2?\n\nAssistant: 5",
    }
    # Every format gives the tokenizer the same transcripts.
    transcripts = ("\n\nHuman: What is 2+2?\n\nAssistant: 4", "\n\nHuman: What is 2+2?\n\nAssistant: 5")
    for fmt in ("hh-rlhf", "preference", "conversational"):
        assert record_transcripts(record_build(fmt=fmt, **bare)) == transcripts
    # A prompt with human turns of its own, and a response with white space of its own, keep them.
    own = hh_rlhf_record(context="\n\nHuman: Hi", chosen=" yo", rejected="\nhey", prompt_marker=False)
    assert own == {"chosen": "\n\nHuman: Hi\n\nAssistant: yo", "rejected": "\n\nHuman: Hi\n\nAssistant:\nhey"}
    # With the marker (every HH-RLHF transcript), the text decides nothing: written back as it was.
    marked = {"context": "Human: hi", "chosen": " hello", "rejected": " bye"}
    assert hh_rlhf_record(**marked)["chosen"] == "Human: hi\n\nAssistant: hello"
    assert preference_record(**marked)["prompt"] == "Human: hi\n\nAssistant:"


def test_a_bare_prompt_that_starts_with_the_humans_name_gets_no_second_one():
    """Found by the ML engineer's audit: "Human: What is 2+2?" (a TRL prompt without the leading blank
    line, which the conversational format and the annotation page read as a human turn) came out of
    `hh-rlhf`, and so into the tokenized items, as "\n\nHuman: Human: What is 2+2?"."""
    bare = {"context": "Human: What is 2+2?", "chosen": "4", "rejected": "5", "prompt_marker": False}
    assert hh_rlhf_record(**bare) == {
        "chosen": "Human: What is 2+2?\n\nAssistant: 4",
        "rejected": "Human: What is 2+2?\n\nAssistant: 5",
    }
    assert record_transcripts(record_build(fmt="preference", **bare)) == tuple(hh_rlhf_record(**bare).values())
    # A name anywhere else is the prompt's text: the human turn is still added.
    assert hh_rlhf_record(**bare | {"context": "Say Human: twice."})["chosen"] == (
        "\n\nHuman: Say Human: twice.\n\nAssistant: 4"
    )
