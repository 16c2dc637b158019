"""The pure parsing layer: splitting transcripts, hashing, row validation."""

from __future__ import annotations

import csv
import io
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.importers import (
    ASSISTANT,
    HH_RLHF,
    PAIRS,
    PREFERENCE,
    CellLength,
    CsvLimits,
    ParsedPair,
    SourceRow,
    common_prefix_length,
    content_hash_compute,
    csv_records,
    pair_parse,
    transcripts_split,
)
from exporter.records import hh_rlhf_record, preference_record

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


def test_a_trl_prompt_ending_with_the_assistant_marker_makes_the_same_pair_as_its_transcripts() -> None:
    chosen = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: bye\n\nAssistant: Goodbye!"
    rejected = "\n\nHuman: hi\n\nAssistant: hello\n\nHuman: bye\n\nAssistant: Go away."
    from_hh = pair_parse(SourceRow(1, 0, {"chosen": chosen, "rejected": rejected}), fmt=HH_RLHF, max_chars=1000)
    # The preference export's record of it: prompt = context + "\n\nAssistant:", as TRL writes HH-RLHF.
    record = preference_record(context=from_hh.context, chosen=from_hh.response_a, rejected=from_hh.response_b)
    assert record["prompt"].endswith(ASSISTANT)

    from_trl = pair_parse(SourceRow(1, 0, record), fmt=PREFERENCE, max_chars=1000)

    assert from_trl == from_hh
    rebuilt = hh_rlhf_record(context=from_trl.context, chosen=from_trl.response_a, rejected=from_trl.response_b)
    assert rebuilt == {"chosen": chosen, "rejected": rejected}


def test_a_prompt_without_the_assistant_marker_is_the_context_as_it_is() -> None:
    parsed = pair_parse(
        SourceRow(1, 0, {"prompt": "Assistant: p\n\nAssistant: ", "response_a": "a", "response_b": "b"}),
        fmt=PAIRS,
        max_chars=100,
    )
    assert parsed.context == "Assistant: p\n\nAssistant: "


def test_every_bad_field_of_a_row_is_reported() -> None:
    errors = pair_parse(SourceRow(7, 6, {"chosen": 3}), fmt=HH_RLHF, max_chars=100)
    assert [(e.row, e.field, e.message) for e in errors] == [
        (7, "chosen", "expected text, got a number"),
        (7, "rejected", "missing"),
    ]


csv_text = st.text(alphabet='ab ,"\n\r\x00é', max_size=80)


def reference_records(text: str) -> list[tuple[int, list[str]]]:
    """(first line, cells) of each record, as csv.reader reads `text`."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records, line_end = [], 0
    for record in reader:
        records.append((line_end + 1, record))
        line_end = reader.line_num
    return records


@settings(max_examples=500)
@given(csv_text, st.integers(min_value=1, max_value=6))
def test_csv_records_reads_any_text_as_csv_reader_does(text: str, piece_chars: int) -> None:
    # Tiny pieces: cells, quotes and "\r\n" pairs cut at every place.
    limits = CsvLimits(cell_chars=10**9, cells=10**9)
    records = list(csv_records(io.StringIO(text, newline=""), limits=limits, piece_chars=piece_chars))
    assert [(r.line, r.cells) for r in records] == reference_records(text)
    assert all(r.count == len(r.cells) for r in records)


@settings(max_examples=300)
@given(csv_text, st.integers(min_value=1, max_value=6))
def test_csv_records_keeps_only_what_its_limits_allow(text: str, piece_chars: int) -> None:
    limits = CsvLimits(cell_chars=3, cells=2, columns={1})
    records = list(csv_records(io.StringIO(text, newline=""), limits=limits, piece_chars=piece_chars))

    def kept(index: int, cell: str) -> str | CellLength:
        return cell if len(cell) <= (3 if index == 1 else 0) else CellLength(len(cell))

    expected = [
        (line, [kept(i, c) for i, c in enumerate(cells[:2])], len(cells)) for line, cells in reference_records(text)
    ]
    assert [(r.line, r.cells, r.count) for r in records] == expected


def test_a_csv_cell_of_any_length_costs_only_its_kept_part(tmp_path) -> None:
    import tracemalloc

    cell = "x" * 30_000_000  # built before tracing: only the reader's own memory is measured
    text = io.StringIO(f'a,"{cell}"\nb,c\n', newline="")
    del cell
    tracemalloc.start()
    try:
        records = list(csv_records(text, limits=CsvLimits(cell_chars=100, cells=10)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(r.line, r.cells) for r in records] == [(1, ["a", CellLength(30_000_000)]), (2, ["b", "c"])]
    assert peak < 8_000_000  # pieces of 1 MiB characters, never the cell


def test_a_marker_that_ends_where_the_transcripts_diverge_is_still_in_the_shared_part() -> None:
    # The chosen transcript runs on past the divergence (so its last marker is not shared), and the two
    # responses differ from their first character: the shared part ends right after the marker.
    chosen = "\n\nHuman: hi\n\nAssistant:A\n\nHuman: more?\n\nAssistant: no"
    rejected = "\n\nHuman: hi\n\nAssistant:B"
    context, response_a, response_b = transcripts_split(chosen, rejected)
    assert (context, response_a, response_b) == ("\n\nHuman: hi", "A\n\nHuman: more?\n\nAssistant: no", "B")
    assert context + "\n\nAssistant:" + response_a == chosen and context + "\n\nAssistant:" + response_b == rejected


def test_a_prompt_without_the_assistant_marker_is_exported_again_as_it_was() -> None:
    row = {"prompt": "Name a prime.", "chosen": "7", "rejected": "9"}
    plain = pair_parse(SourceRow(1, 0, row), fmt=PREFERENCE, max_chars=100)
    assert (plain.context, plain.prompt_marker) == ("Name a prime.", False)
    record = preference_record(
        context=plain.context, chosen=plain.response_a, rejected=plain.response_b, prompt_marker=plain.prompt_marker
    )
    assert record["prompt"] == "Name a prime."
    marked = pair_parse(SourceRow(1, 0, {**row, "prompt": "Name a prime." + ASSISTANT}), fmt=PREFERENCE, max_chars=100)
    assert (marked.context, marked.prompt_marker) == ("Name a prime.", True)
