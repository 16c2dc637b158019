"""The import service: every format, the real HH-RLHF file, bad input, duplicates."""

from __future__ import annotations

import gzip
import json

import pytest

from annotate.importers import (
    ASSISTANT,
    ImportSourceError,
    ImportValidationError,
    jsonl_line_limit,
    jsonl_rows,
    pair_parse,
)
from annotate.models import Pair, PairStatus
from annotate.services.imports import ERRORS_KEPT, pairs_import
from tests.conftest import HH_RLHF_TEST

from .conftest import (
    MiB,
    gzip_damaged,
    hh_row,
    pair_rows,
    pairs_data,
    pairs_row,
    past_the_gzip_limit,
    preference_row,
    write_csv,
    write_jsonl,
    write_lines,
)


def test_the_whole_shared_hh_rlhf_file_imports_and_rebuilds_every_transcript(project) -> None:
    result = pairs_import(project=project, source=HH_RLHF_TEST)

    with gzip.open(HH_RLHF_TEST, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) == 2312
    assert (result.rows_read, result.pairs_created, result.duplicates_skipped, result.invalid_rows) == (
        2312,
        2312,
        0,
        0,
    )
    pairs = {p.source_row: p for p in Pair.objects.filter(project=project)}
    assert sorted(pairs) == list(range(2312))
    for i, row in enumerate(rows):
        pair = pairs[i]
        assert pair.context + ASSISTANT + pair.response_a == row["chosen"]
        assert pair.context + ASSISTANT + pair.response_b == row["rejected"]
        assert pair.source_preference == "a"
    sample = pairs[0]
    assert (sample.source_format, sample.source_name) == ("hh-rlhf", "harmless-base-test.jsonl.gz")
    assert (sample.status, sample.judgment_count, sample.lease_count) == (PairStatus.FRESH, 0, 0)
    assert sample.created_at is not None
    assert len({p.sort_key for p in pairs.values()}) == 2312


def test_reimporting_the_same_file_adds_nothing_and_counts_the_skips(project) -> None:
    pairs_import(project=project, source=HH_RLHF_TEST)
    again = pairs_import(project=project, source=HH_RLHF_TEST)
    assert (again.rows_read, again.pairs_created, again.duplicates_skipped) == (2312, 0, 2312)
    assert Pair.objects.filter(project=project).count() == 2312


def test_the_same_pair_in_another_project_is_not_a_duplicate(project, other_project, tmp_path) -> None:
    path = write_jsonl(tmp_path / "hh.jsonl", [hh_row(i) for i in range(3)])
    pairs_import(project=project, source=path)
    result = pairs_import(project=other_project, source=path)
    assert result.pairs_created == 3


def test_repeated_rows_within_a_file_are_skipped_and_counted(project, tmp_path) -> None:
    swapped = {"prompt": "Say hello in language 1.", "response_a": "Bonjour (1)", "response_b": "Hello (1)"}
    path = write_jsonl(tmp_path / "pairs.jsonl", [pairs_row(0), pairs_row(1), pairs_row(0), swapped])
    result = pairs_import(project=project, source=path)
    assert (result.rows_read, result.pairs_created, result.duplicates_skipped) == (4, 2, 2)
    assert pair_rows(project) == {0, 1}


def test_a_gzipped_hh_rlhf_file_is_detected_and_imported(project, tmp_path) -> None:
    path = write_jsonl(tmp_path / "small.jsonl.gz", [hh_row(i) for i in range(5)])
    result = pairs_import(project=project, source=path)
    assert (result.source_format, result.pairs_created) == ("hh-rlhf", 5)
    pair = Pair.objects.get(project=project, source_row=3)
    assert pair.context + ASSISTANT + pair.response_a == hh_row(3)["chosen"]
    assert pair.response_b == " Ferns are boring."


def test_a_preference_jsonl_file_keeps_chosen_as_the_preferred_response(project, tmp_path) -> None:
    path = write_jsonl(tmp_path / "pref.jsonl", [preference_row(i) for i in range(4)])
    result = pairs_import(project=project, source=path)
    assert (result.source_format, result.pairs_created) == ("preference", 4)
    pair = Pair.objects.get(project=project, source_row=2)
    assert (pair.context, pair.response_a, pair.response_b) == ("Name a prime above 2.", "3 is prime.", "Nine.")
    assert (pair.source_preference, pair.source_format, pair.source_name) == ("a", "preference", "pref.jsonl")


def test_a_preference_csv_file_imports_with_multiline_cells(project, tmp_path) -> None:
    rows = [["Line one\nline two", 'Good,\n"quoted" answer', "Bad"], ["Second", "Yes", "No"]]
    path = write_csv(tmp_path / "pref.csv", ["prompt", "chosen", "rejected"], rows)
    result = pairs_import(project=project, source=path)
    assert (result.source_format, result.pairs_created) == ("preference", 2)
    pair = Pair.objects.get(project=project, source_row=0)
    assert (pair.context, pair.response_a) == ("Line one\nline two", 'Good,\n"quoted" answer')


def test_a_pairs_file_has_no_source_preference(project, tmp_path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", [pairs_row(i) for i in range(3)])
    result = pairs_import(project=project, source=path, fmt="pairs")
    assert (result.source_format, result.pairs_created) == ("pairs", 3)
    assert set(Pair.objects.filter(project=project).values_list("source_preference", flat=True)) == {""}


def test_a_gzipped_pairs_csv_file_imports(project, tmp_path) -> None:
    plain = write_csv(tmp_path / "p.csv", ["prompt", "response_a", "response_b"], [["q", "a", "b"], ["r", "c", "d"]])
    path = tmp_path / "p.csv.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    result = pairs_import(project=project, source=path)
    assert (result.source_format, result.pairs_created) == ("pairs", 2)


def test_a_local_hugging_face_data_directory_imports_through_load_dataset(project, tmp_path) -> None:
    data_dir = tmp_path / "my-hh"
    data_dir.mkdir()
    write_jsonl(data_dir / "train.jsonl", [hh_row(i) for i in range(6)])
    result = pairs_import(project=project, source=str(data_dir), fmt="hf", split="train")
    assert (result.source_format, result.pairs_created) == ("hh-rlhf", 6)
    pair = Pair.objects.get(project=project, source_row=5)
    assert pair.context + ASSISTANT + pair.response_b == hh_row(5)["rejected"]
    assert pair.source_name == str(data_dir)


@pytest.mark.parametrize(
    ("files", "cause"),
    [
        ({"train.jsonl": '{"prompt": "q", "chosen": "a", "rejected": "b"}\n{"prompt": "x", "chosen": '}, "JSON parse"),
        (
            {"a.jsonl": '{"prompt": "q", "chosen": "a", "rejected": "b"}\n', "b.jsonl": '{"question": "q"}\n'},
            "column names don't match",
        ),
    ],
    ids=["a truncated line", "files of different columns"],
)
def test_a_data_directory_that_cannot_be_built_is_a_source_error_naming_the_cause(
    project, tmp_path, files, cause
) -> None:
    # load_dataset's DatasetGenerationError was not caught: a traceback on the command line, and
    # "An internal error (DatasetGenerationError)" on an import job.
    data_dir = tmp_path / "broken"
    data_dir.mkdir()
    for name, text in files.items():
        (data_dir / name).write_text(text, encoding="utf-8")
    with pytest.raises(ImportSourceError, match=f"cannot load dataset '{data_dir}': .*{cause}"):
        pairs_import(project=project, source=str(data_dir), fmt="hf")
    assert not Pair.objects.filter(project=project).exists()


def test_a_dataset_saved_to_disk_imports_by_its_columns(project, tmp_path) -> None:
    import datasets

    saved = tmp_path / "saved"
    datasets.Dataset.from_list([pairs_row(i) for i in range(4)]).save_to_disk(str(saved))
    result = pairs_import(project=project, source=str(saved), fmt="hf")
    assert (result.source_format, result.pairs_created) == ("pairs", 4)


def test_a_dataset_with_unknown_columns_is_refused(project, tmp_path) -> None:
    import datasets

    saved = tmp_path / "saved"
    datasets.Dataset.from_list([{"question": "q", "answer": "a"}]).save_to_disk(str(saved))
    with pytest.raises(ImportSourceError, match="match no format"):
        pairs_import(project=project, source=str(saved), fmt="hf")


@pytest.mark.parametrize(
    ("name", "body", "fmt"),
    [("pref.csv", b"prompt,chosen,rejected\r\n\r\n", "preference"), ("pairs.jsonl", b"\n  \n", "pairs")],
)
def test_a_file_with_no_rows_is_a_source_error_even_with_a_format(project, tmp_path, name, body, fmt) -> None:
    # With a format, the import "succeeded" with nothing read.
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(ImportSourceError, match=f"{name}: no rows"):
        pairs_import(project=project, source=path, fmt=fmt)


@pytest.mark.parametrize(
    ("name", "body"), [("pref.csv", b"prompt,chosen,rejected\r\n\r\n"), ("pairs.jsonl", b"\n  \n")]
)
def test_a_file_with_no_rows_says_so_without_a_format(project, tmp_path, name, body) -> None:
    # It used to say "no readable rows to tell the format from; pass a format", and with the format
    # passed the same file then failed with "no rows": the file's fault, which no format helps.
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(ImportSourceError) as raised:
        pairs_import(project=project, source=path)
    assert str(raised.value) == f"{name}: no rows"


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        ("prompt;chosen;rejected", "The header is one column: only comma-separated CSV is read, not ';'-separated"),
        ("prompt\tchosen\trejected", "The header is one column: only comma-separated CSV is read, not '\\t'-separated"),
        ("Prompt, Chosen, Rejected", "Column names must match exactly: lower case, no spaces around them"),
        ("question,answer", "rename the header's columns (a format does not rename them)"),
    ],
    ids=["semicolons", "tabs", "case and spaces", "other names"],
)
def test_a_csv_header_that_fits_no_format_is_named_as_the_header_with_a_hint(project, tmp_path, header, hint) -> None:
    # It said "cannot tell the format from row 2's fields ['prompt;chosen;rejected'] ... pass a format":
    # those were the header's names (line 1), and with a format every row was "missing" its fields.
    path = tmp_path / "pref.csv"
    delimiter = next((d for d in ";\t" if d in header), ",")
    row = delimiter.join(["q", "a", "b"][: header.count(delimiter) + 1])
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(ImportSourceError) as raised:
        pairs_import(project=project, source=path)
    assert str(raised.value).startswith("pref.csv: cannot tell the format from the CSV header's columns [")
    assert str(raised.value).endswith(hint)


@pytest.mark.parametrize("name", ["pref.gz", "pref.txt", "pref.tsv"])
def test_a_csv_file_not_named_csv_fails_saying_it_was_read_as_jsonl(project, tmp_path, name) -> None:
    # It used to say "no readable rows to tell the format from; pass a format": a format does not help.
    data = b"prompt,chosen,rejected\nq,a,b\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(ImportSourceError) as raised:
        pairs_import(project=project, source=path)
    assert str(raised.value).startswith(f"{name}: no readable rows to tell the format from: row 1, field 'json'")
    assert "read as JSONL: only a name ending in .csv or .csv.gz is read as CSV" in str(raised.value)


def test_a_file_whose_fields_fit_no_format_asks_for_one(project, tmp_path) -> None:
    path = write_jsonl(tmp_path / "odd.jsonl", [{"question": "q", "answer": "a"}])
    with pytest.raises(ImportSourceError, match="cannot tell the format"):
        pairs_import(project=project, source=path)


GOOD_HH = json.dumps(hh_row(0)), json.dumps(hh_row(1)), json.dumps(hh_row(3))
SHARED_NO_TURN = {"chosen": "\n\nHuman: hi\n\nAssistant: x", "rejected": "\n\nHuman: ho\n\nAssistant: y"}

# (case, format, the bad third line, the field the error must name)
BAD_JSONL_ROWS = [
    ("invalid json", "hh-rlhf", '{"chosen": "x", "rejected": ', "json"),
    ("not an object", "hh-rlhf", '["chosen", "rejected"]', "json"),
    ("missing field", "hh-rlhf", json.dumps({"chosen": hh_row(2)["chosen"]}), "rejected"),
    ("empty field", "hh-rlhf", json.dumps({"chosen": "", "rejected": "x"}), "chosen"),
    ("blank field", "preference", json.dumps({"prompt": "  \n", "chosen": "a", "rejected": "b"}), "prompt"),
    ("empty response", "preference", json.dumps({"prompt": "p", "chosen": "", "rejected": "b"}), "chosen"),
    ("blank transcript", "hh-rlhf", json.dumps({"chosen": " ", "rejected": hh_row(2)["rejected"]}), "chosen"),
    ("null field", "pairs", json.dumps({"prompt": "p", "response_a": None, "response_b": "b"}), "response_a"),
    ("number", "pairs", json.dumps({"prompt": "p", "response_a": "a", "response_b": 2}), "response_b"),
    ("message list", "preference", json.dumps({"prompt": "p", "chosen": [{"role": "x"}], "rejected": "b"}), "chosen"),
    ("no assistant turn in the shared part", "hh-rlhf", json.dumps(SHARED_NO_TURN), "chosen/rejected"),
    (
        "empty final assistant turn",
        "hh-rlhf",
        json.dumps({"chosen": "\n\nHuman: hi\n\nAssistant:", "rejected": "\n\nHuman: hi\n\nAssistant: hello"}),
        "chosen",
    ),
    (
        "no turn before the final assistant turn",
        "hh-rlhf",
        json.dumps({"chosen": "\n\nAssistant: a", "rejected": "\n\nAssistant: b"}),
        "chosen/rejected",
    ),
    (
        "a prompt that is only the assistant marker",
        "preference",
        json.dumps({"prompt": "\n\nAssistant:", "chosen": "a", "rejected": "b"}),
        "prompt",
    ),
    (
        "identical transcripts",
        "hh-rlhf",
        json.dumps({"chosen": hh_row(2)["chosen"]} | {"rejected": hh_row(2)["chosen"]}),
        "rejected",
    ),
    (
        "identical responses",
        "pairs",
        json.dumps({"prompt": "p", "response_a": "same", "response_b": "same"}),
        "response_b",
    ),
    (
        "identical chosen and rejected",
        "preference",
        json.dumps({"prompt": "p", "chosen": "s", "rejected": "s"}),
        "rejected",
    ),
    ("nul character", "pairs", json.dumps({"prompt": "p\u0000", "response_a": "a", "response_b": "b"}), "prompt"),
    (
        "lone surrogate",
        "pairs",
        '{"prompt": "p", "response_a": "a", "response_b": "broken \\ud800 text"}',
        "response_b",
    ),
    (
        "oversized text",
        "hh-rlhf",
        json.dumps({"chosen": hh_row(2)["chosen"] + "x" * 300, "rejected": hh_row(2)["rejected"]}),
        "chosen",
    ),
]
GOOD_ROWS = {
    "hh-rlhf": GOOD_HH,
    "preference": tuple(json.dumps(preference_row(i)) for i in (0, 1, 3)),
    "pairs": tuple(json.dumps(pairs_row(i)) for i in (0, 1, 3)),
}


@pytest.fixture
def small_limit(settings) -> int:
    settings.PAIRWISE_MAX_TEXT_CHARS = 300
    return 300


def _file_with_bad_third_line(tmp_path, fmt: str, bad: str):
    good = GOOD_ROWS[fmt]
    # Line 2 is blank: positions are physical lines, so the bad row is line 4 and source row 2.
    return write_lines(tmp_path / "data.jsonl", [good[0], "", good[1], bad, good[2]])


@pytest.mark.parametrize(("case", "fmt", "bad", "field"), BAD_JSONL_ROWS, ids=[c[0] for c in BAD_JSONL_ROWS])
def test_a_bad_row_is_named_by_line_and_field_and_nothing_is_written(
    project, tmp_path, small_limit, case, fmt, bad, field
):
    path = _file_with_bad_third_line(tmp_path, fmt, bad)
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt=fmt)
    assert [(e.row, e.field) for e in raised.value.errors] == [(4, field)]
    assert "row 4" in str(raised.value)
    assert f"field '{field}'" in str(raised.value)
    assert not Pair.objects.filter(project=project).exists()


@pytest.mark.parametrize(("case", "fmt", "bad", "field"), BAD_JSONL_ROWS, ids=[c[0] for c in BAD_JSONL_ROWS])
def test_with_skip_invalid_exactly_the_good_rows_are_written(project, tmp_path, small_limit, case, fmt, bad, field):
    path = _file_with_bad_third_line(tmp_path, fmt, bad)
    result = pairs_import(project=project, source=path, fmt=fmt, skip_invalid=True)
    assert (result.rows_read, result.pairs_created, result.invalid_rows) == (4, 3, 1)
    assert [(e["row"], e["field"]) for e in result.errors] == [(4, field)]
    assert pair_rows(project) == {0, 1, 3}


def test_a_csv_row_with_a_missing_cell_is_named_by_its_line(project, tmp_path) -> None:
    path = tmp_path / "pref.csv"
    path.write_text('prompt,chosen,rejected\n"two\nlines",a,b\nshort,only\nq,c,d\n', encoding="utf-8")
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path)
    assert [(e.row, e.field, e.message) for e in raised.value.errors] == [(4, "rejected", "missing")]
    assert not Pair.objects.filter(project=project).exists()

    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert (result.pairs_created, result.invalid_rows) == (2, 1)
    assert pair_rows(project) == {0, 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # An unquoted comma splits "Good, answer" in two: its cells would land one column off.
        ("prompt,chosen,rejected\nq1,a,b\nq2,Good, answer,Bad\nq3,c,d\n", "expected 3 cells (the header's), got 4"),
        # A lost comma merges two cells: every field the format needs is there, but shifted.
        ("prompt,chosen,rejected,id\nq1,a,b,1\nq2,a b,7\nq3,c,d,3\n", "expected 4 cells (the header's), got 3"),
    ],
    ids=["more cells", "fewer cells, none needed missing"],
)
def test_a_csv_record_whose_cells_do_not_match_the_header_is_an_error_on_its_line(
    project, tmp_path, text, message
) -> None:
    path = tmp_path / "pref.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path)
    assert [(e.row, e.field, e.message) for e in raised.value.errors] == [(3, "csv", message)]
    assert not Pair.objects.filter(project=project).exists()

    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert (result.pairs_created, result.invalid_rows) == (2, 1)
    assert pair_rows(project) == {0, 2}


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_an_unclosed_csv_quote_refuses_the_file_naming_its_line(project, tmp_path, skip_invalid) -> None:
    # The quote opened on line 12 swallows the 989 lines after it into one cell. It was reported as
    # that row's chosen and rejected "missing", and with --skip-invalid the 10 rows before it were
    # imported and the 989 after it were lost without a word.
    lines = ["prompt,chosen,rejected"] + [f"P{i},C{i},R{i}" for i in range(1000)]
    lines[11] = '"P10 says ""hi,C10,R10'
    path = tmp_path / "pref.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportSourceError) as raised:
        pairs_import(project=project, source=path, skip_invalid=skip_invalid)
    assert str(raised.value).startswith(
        'pref.csv: the record starting on line 12 opens a quote (") that never closes, so every line after it'
    )
    assert not Pair.objects.filter(project=project).exists()


def test_an_unclosed_quote_in_the_csv_header_refuses_the_file(project, tmp_path) -> None:
    path = tmp_path / "pref.csv"
    path.write_text('prompt,"chosen,rejected\nq,a,b\n', encoding="utf-8")
    with pytest.raises(ImportSourceError, match="record starting on line 1 opens a quote"):
        pairs_import(project=project, source=path, fmt="preference")


def test_a_quoted_cell_closed_on_the_last_line_without_a_line_break_imports(project, tmp_path) -> None:
    path = tmp_path / "pref.csv"
    path.write_text('prompt,chosen,rejected\nq,a,"b\nc"', encoding="utf-8")
    assert pairs_import(project=project, source=path).pairs_created == 1


def test_invalid_utf8_in_a_csv_cell_is_an_error_of_its_row_and_field(project, tmp_path) -> None:
    path = tmp_path / "pref.csv"
    path.write_bytes(b"prompt,chosen,rejected\nq1,a,b\nq2,caf\xe9 \xff,x\nq3,e,f\n")
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path)
    assert [(e.row, e.field) for e in raised.value.errors] == [(3, "chosen")]
    assert "not valid Unicode" in raised.value.errors[0].message

    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert (result.pairs_created, result.invalid_rows) == (2, 1)
    assert pair_rows(project) == {0, 2}


def test_invalid_utf8_far_into_a_gzipped_csv_file_is_still_blamed_on_its_row(project, tmp_path) -> None:
    # The decoder reads ahead in chunks: a bad byte thousands of lines on must not fail the header.
    lines = [b"prompt,response_a,response_b"] + [f"q{i},a{i},b{i}".encode() for i in range(3000)]
    lines[2500] = b"q,\x80 stray byte,b"
    path = tmp_path / "pairs.csv.gz"
    path.write_bytes(gzip.compress(b"\r\n".join(lines) + b"\r\n"))
    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert [(e["row"], e["field"]) for e in result.errors] == [(2501, "response_a")]
    assert result.pairs_created == 2999


def test_invalid_utf8_in_the_csv_header_is_a_source_error(project, tmp_path) -> None:
    path = tmp_path / "pref.csv"
    path.write_bytes(b"prompt,ch\xffosen,rejected\nq1,a,b\n")
    with pytest.raises(ImportSourceError, match="CSV header is not valid UTF-8"):
        pairs_import(project=project, source=path, fmt="preference")


@pytest.mark.parametrize("fmt", [None, "preference"])
def test_a_csv_header_naming_a_column_twice_is_a_source_error(project, tmp_path, fmt) -> None:
    # Which of the two columns holds the response cannot be told; the last one used to win, silently.
    path = write_csv(tmp_path / "pref.csv", ["prompt", "chosen", "rejected", "chosen"], [["q", "a", "b", "c"]])
    with pytest.raises(ImportSourceError, match=r"pref\.csv: the CSV header names 'chosen' twice"):
        pairs_import(project=project, source=path, fmt=fmt)
    assert not Pair.objects.filter(project=project).exists()


def test_columns_the_import_does_not_read_may_share_a_name(project, tmp_path) -> None:
    path = write_csv(tmp_path / "pref.csv", ["prompt", "chosen", "rejected", "", ""], [["q", "a", "b", "", ""]])
    assert pairs_import(project=project, source=path).pairs_created == 1


def test_an_oversized_csv_cell_is_too_long_and_the_later_rows_are_still_read(project, tmp_path, small_limit) -> None:
    # Over the csv module's field limit (raised to 4x PAIRWISE_MAX_TEXT_CHARS's default, process-wide),
    # quoted, over many lines, with commas and doubled quotes inside: the record must still end
    # where its closing quote says.
    lines = 25_000
    huge = 'a ""quoted"", line\n' * lines
    path = tmp_path / "pref.csv"
    path.write_text(f'prompt,chosen,rejected\nq1,a,b\nq2,"{huge}",x\nq3,c,d\nq4,only\nq5,e,f\n', encoding="utf-8")
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path)
    too_long = f"too long: {len(huge.replace(chr(34) * 2, chr(34))):,} characters, the limit is 300"
    assert [(e.row, e.field, e.message) for e in raised.value.errors] == [
        (3, "chosen", too_long),
        (4 + lines + 1, "rejected", "missing"),
    ]

    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert (result.rows_read, result.pairs_created, result.invalid_rows) == (5, 3, 2)
    assert pair_rows(project) == {0, 2, 4}


def test_an_oversized_unquoted_csv_cell_is_too_long(project, tmp_path, small_limit) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(f"prompt,response_a,response_b\n{'p' * 500_000},a,b\nq,c,d\n", encoding="utf-8")
    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert result.errors == [{"row": 2, "field": "prompt", "message": "too long: 500,000 characters, the limit is 300"}]
    assert pair_rows(project) == {1}


def test_a_long_csv_cell_in_a_column_the_import_does_not_read_is_no_error(project, tmp_path, small_limit) -> None:
    path = write_csv(tmp_path / "pref.csv", ["prompt", "chosen", "rejected", "notes"], [["q", "a", "b", "n" * 500_000]])
    result = pairs_import(project=project, source=path)
    assert (result.pairs_created, result.invalid_rows) == (1, 0)


def test_a_jsonl_line_too_long_for_any_valid_row_is_an_error_and_later_lines_still_import(
    project, tmp_path, small_limit
) -> None:
    limit = jsonl_line_limit(small_limit)
    huge = json.dumps({"prompt": "p", "response_a": "x" * (limit + 10), "response_b": "b"})
    path = write_lines(tmp_path / "pairs.jsonl.gz", [json.dumps(pairs_row(0)), huge, json.dumps(pairs_row(2))])
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path)
    assert [(e.row, e.field, e.message) for e in raised.value.errors] == [
        (2, "json", f"line longer than {limit:,} bytes")
    ]

    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert (result.rows_read, result.pairs_created, result.invalid_rows) == (3, 2, 1)
    assert pair_rows(project) == {0, 2}


def test_a_jsonl_line_of_exactly_the_limit_is_read(tmp_path) -> None:
    limit = jsonl_line_limit(300)
    line = json.dumps({"prompt": "p", "response_a": "a", "response_b": "b", "pad": ""})
    line = line[:-2] + " " * (limit - len(line)) + line[-2:]
    path = write_lines(tmp_path / "pairs.jsonl", [line])
    assert [r.error for r in jsonl_rows(path, max_chars=300)] == [None]


def test_a_huge_jsonl_line_is_skipped_without_being_held(tmp_path) -> None:
    import tracemalloc

    # 50 million characters in 50 kB of gzip: read whole, the line alone would take 50 MB.
    line = b'{"prompt": "p", "response_a": "' + b"x" * 50_000_000 + b'", "response_b": "b"}\n'
    path = tmp_path / "huge.jsonl.gz"
    path.write_bytes(gzip.compress(line + json.dumps(pairs_row(1)).encode() + b"\n"))
    del line
    tracemalloc.start()
    try:
        rows = [(r.row, r.error is None) for r in jsonl_rows(path, max_chars=100_000)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == [(1, False), (2, True)]
    assert peak < 3 * jsonl_line_limit(100_000)


def test_invalid_utf8_is_a_json_error_on_its_line(project, tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(pairs_row(0)).encode() + b'\n{"prompt": "\xff\xfe"}\n')
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="pairs")
    assert [(e.row, e.field) for e in raised.value.errors] == [(2, "json")]
    assert raised.value.errors[0].message == "invalid JSON: not UTF-8 text (invalid start byte at byte 13 of the line)"


def test_the_byte_named_in_a_line_after_a_byte_order_mark_is_counted_from_the_lines_start(project, tmp_path) -> None:
    # The decoder counts from after the mark: it named byte 13 for the line's 16th (3 of them the mark's).
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"prompt": "\xff\xfe"}\n')
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="pairs")
    assert raised.value.errors[0].message == "invalid JSON: not UTF-8 text (invalid start byte at byte 16 of the line)"


def test_a_line_led_by_nul_bytes_is_invalid_json_not_a_utf32_codec_error(project, tmp_path) -> None:
    # Given bytes, json took the NULs for UTF-32 and said "'utf-32-be' codec can't decode bytes".
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(pairs_row(0)).encode() + b'\n\x00\x00\x00{"prompt": "p"}\n')
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="pairs")
    assert [(e.row, e.field, e.message) for e in raised.value.errors] == [
        (2, "json", "invalid JSON: Expecting value at character 1 of the line")
    ]


def test_invalid_json_is_placed_by_its_character_in_the_line_not_by_a_line_2(project, tmp_path) -> None:
    # The line's own "\n" made json say "line 2 column 1 (char 44)", read as line 2 of the file.
    path = write_lines(tmp_path / "cut.jsonl", [json.dumps(pairs_row(0)), '{"prompt": "x", "response_a": '])
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="pairs")
    assert [(e.row, e.message) for e in raised.value.errors] == [
        (2, "invalid JSON: Expecting value at character 32 of the line")
    ]


@pytest.mark.parametrize(
    ("encoding", "name", "said"),
    [
        ("utf-16", "pairs.jsonl", "UTF-16"),
        ("utf-16", "pairs.csv", "UTF-16"),
        ("utf-32", "pairs.jsonl", "UTF-32"),
        ("utf-16", "pairs.jsonl.gz", "UTF-16"),
    ],
)
def test_a_utf16_or_utf32_file_is_refused_asking_for_utf8(project, tmp_path, encoding, name, said) -> None:
    # Read as UTF-8, every line was "not UTF-8 text ... (read as JSONL: only a name ending in .csv ...)".
    text = "prompt,response_a,response_b\nq,a,b\n" if ".csv" in name else json.dumps(pairs_row(0)) + "\n"
    data = text.encode(encoding)  # Python's utf-16 and utf-32 codecs write the byte order mark
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(ImportSourceError) as raised:
        pairs_import(project=project, source=path, skip_invalid=True)
    assert (
        str(raised.value)
        == f"{name}: the file is {said} text (it starts with a {said} byte order mark); save it as UTF-8"
    )


@pytest.mark.parametrize("kind", ["parquet", "zip"])
def test_a_parquet_file_or_a_zip_archive_is_refused_naming_what_it_is(project, tmp_path, kind) -> None:
    # Read as text, each was "invalid JSON: not UTF-8" at its first row (found by the export audit).
    import zipfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"export.{'parquet' if kind == 'parquet' else 'zip'}"
    if kind == "parquet":
        pq.write_table(pa.table({"prompt": ["q"], "chosen": ["a"], "rejected": ["b"]}), path)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("data.jsonl", json.dumps(pairs_row(0)) + "\n")
    what = "a Parquet file" if kind == "parquet" else "a zip archive"
    with pytest.raises(ImportSourceError, match=f"^{path.name}: the file is {what}"):
        pairs_import(project=project, source=path, skip_invalid=True)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (json.dumps([pairs_row(0), pairs_row(1)], indent=2), "one JSON array"),
        # One object a line inside the brackets: the last one, with no comma after it, was read as a
        # row, so --skip-invalid imported it alone.
        ("[\n" + ",\n".join(json.dumps(pairs_row(i)) for i in range(3)) + "\n]\n", "one JSON array"),
        (json.dumps(pairs_row(0), indent=2), "a JSON object written over several lines"),
    ],
    ids=["indented array", "array of one-line objects", "indented object"],
)
def test_a_json_document_over_many_lines_is_refused_as_not_json_lines(project, tmp_path, body, what) -> None:
    # Found by the lead walkthrough: an indented pairs.json (a list of objects, as many tools save it) was
    # "no readable rows to tell the format from: row 1, field 'json': invalid JSON: Expecting value at
    # character 3 of the line (read as JSONL: only a name ending in .csv or .csv.gz is read as CSV)".
    path = tmp_path / "pairs.json"
    path.write_text(body, encoding="utf-8")
    for fmt in (None, "pairs"):
        with pytest.raises(ImportSourceError) as raised:
            pairs_import(project=project, source=path, fmt=fmt, skip_invalid=True)
        assert str(raised.value).startswith(f"pairs.json: the file is {what}, not JSON Lines")
    assert not Pair.objects.exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("null", "expected a JSON object, got null"),
        ('"hello"', "expected a JSON object, got a string"),
        ("true", "expected a JSON object, got a boolean"),
        ("[1, 2]", "expected a JSON object, got a list"),
        ('{"prompt": NaN, "response_a": "a", "response_b": "b"}', "expected text, got a number"),
        ('{"prompt": {"text": "q"}, "response_a": "a", "response_b": "b"}', "expected text, got an object"),
    ],
)
def test_a_value_of_the_wrong_kind_is_named_in_jsons_words(project, tmp_path, line, message) -> None:
    # Python's names came through: "got NoneType", "got float" for a NaN, "got dict".
    path = write_lines(tmp_path / "pairs.jsonl", [line])
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="pairs")
    assert [e.message for e in raised.value.errors] == [message]


def test_a_byte_order_mark_before_a_line_is_read_past(project, tmp_path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(pairs_row(0)).encode() + b"\n")
    assert pairs_import(project=project, source=path, fmt="pairs").pairs_created == 1


def test_a_line_nested_too_deeply_is_a_json_error_on_its_line(project, tmp_path) -> None:
    # 4 kB of "[[[[...": orjson refuses it, and the standard library's decoder ran out of stack,
    # a RecursionError that failed the whole import, --skip-invalid or not.
    lines = [json.dumps(pairs_row(0)), "[" * 2000 + "]" * 2000, json.dumps(pairs_row(2))]
    path = write_lines(tmp_path / "pairs.jsonl", lines)
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="pairs")
    assert [(e.row, e.field, e.message) for e in raised.value.errors] == [
        (2, "json", "invalid JSON: nested too deeply")
    ]

    result = pairs_import(project=project, source=path, fmt="pairs", skip_invalid=True)
    assert (result.pairs_created, result.invalid_rows) == (2, 1)


def test_every_bad_row_is_listed_not_only_the_first(project, tmp_path) -> None:
    lines = [json.dumps(pairs_row(0)), "{", json.dumps(pairs_row(1)), json.dumps({"prompt": "p"})]
    path = write_lines(tmp_path / "pairs.jsonl", lines)
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="pairs")
    assert [(e.row, e.field) for e in raised.value.errors] == [(2, "json"), (4, "response_a"), (4, "response_b")]


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "bad checksum"])
@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv.gz"])
def test_a_damaged_gzip_file_is_a_source_error_and_writes_nothing(project, tmp_path, damage, suffix) -> None:
    # Thousands of good rows come before the damage: they are written (COPY) before it is read.
    if suffix == ".csv.gz":
        data = "prompt,response_a,response_b\n" + "".join(f"q{i},a{i},b{i}\n" for i in range(3000))
    else:
        data = "".join(json.dumps(pairs_row(i)) + "\n" for i in range(3000))
    path = tmp_path / f"pairs{suffix}"
    path.write_bytes(gzip_damaged(data.encode(), damage))
    # Damage early in a small stream may be met before the first row: the text is decoded ahead.
    with pytest.raises(
        ImportSourceError, match=rf"^pairs{suffix}: corrupt or truncated gzip data (after row \d+|before)"
    ):
        pairs_import(project=project, source=path, skip_invalid=True)
    assert not Pair.objects.filter(project=project).exists()


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv.gz"])
def test_a_gzip_file_that_decompresses_past_the_limit_is_a_source_error_and_writes_nothing(
    project, tmp_path, settings, suffix, skip_invalid
) -> None:
    # Every row is good, and the first MiB of them are written (COPY) before the limit is met.
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 1
    path = tmp_path / f"pairs{suffix}"
    path.write_bytes(gzip.compress(pairs_data(3 * MiB, csv=suffix == ".csv.gz")))
    assert path.stat().st_size < MiB

    with pytest.raises(ImportSourceError, match=past_the_gzip_limit(path.name)):
        pairs_import(project=project, source=path, skip_invalid=skip_invalid)

    assert not Pair.objects.filter(project=project).exists()


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv.gz"])
def test_a_gzip_file_of_exactly_the_limit_imports_every_row_and_one_byte_more_is_refused(
    project, tmp_path, settings, suffix
) -> None:
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 1
    csv = suffix == ".csv.gz"
    path = tmp_path / f"pairs{suffix}"
    path.write_bytes(gzip.compress(pairs_data(MiB + 1, csv=csv)))
    with pytest.raises(ImportSourceError, match=past_the_gzip_limit(path.name)):
        pairs_import(project=project, source=path)

    data = pairs_data(MiB, csv=csv)
    path.write_bytes(gzip.compress(data))
    result = pairs_import(project=project, source=path)

    rows = data.count(b"\n") - csv  # a CSV file's header is not a row
    assert (result.rows_read, result.pairs_created) == (rows, rows)


def test_the_gzip_limit_counts_every_member_of_a_file_of_several(project, tmp_path, settings) -> None:
    # gzip reads concatenated members as one stream; each of these is under the limit, both are not.
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 1
    path = tmp_path / "pairs.jsonl.gz"
    path.write_bytes(gzip.compress(pairs_data(MiB // 2 + 1)) + gzip.compress(pairs_data(MiB // 2)))
    with pytest.raises(ImportSourceError, match=past_the_gzip_limit(path.name)):
        pairs_import(project=project, source=path)
    assert not Pair.objects.filter(project=project).exists()


def test_a_gzip_file_past_the_limit_before_any_readable_row_is_refused_while_its_format_is_detected(
    project, tmp_path, settings
) -> None:
    # Blank lines are the cheapest to pack and the slowest to read: 2 MiB of them are 2 kB of gzip.
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 1
    path = tmp_path / "blank.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n" * (2 * MiB) + json.dumps(pairs_row(0)).encode() + b"\n"))
    with pytest.raises(ImportSourceError, match=past_the_gzip_limit(path.name, where="before the first row")):
        pairs_import(project=project, source=path)
    assert not Pair.objects.filter(project=project).exists()


def test_a_plain_file_is_not_held_to_the_gzip_limit(project, tmp_path, settings) -> None:
    # Reading a plain file costs no more than its size, which the upload limit bounds.
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 1
    data = pairs_data(3 * MiB)
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(data)
    result = pairs_import(project=project, source=path)
    assert result.pairs_created == data.count(b"\n")


def test_a_missing_file_is_a_source_error(project, tmp_path) -> None:
    with pytest.raises(ImportSourceError, match="no such file"):
        pairs_import(project=project, source=tmp_path / "nope.jsonl", fmt="pairs")
    with pytest.raises(ImportSourceError, match="no such file"):
        pairs_import(project=project, source=tmp_path / "nope.jsonl.gz")


def test_a_missing_dataset_directory_is_a_source_error(project, tmp_path) -> None:
    with pytest.raises(ImportSourceError, match="cannot load dataset"):
        pairs_import(project=project, source=tmp_path / "no-dataset-here")


def test_gold_from_source_marks_only_the_pairs_this_import_created(project, tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    earlier = write_jsonl(tmp_path / "a" / "train.jsonl", [preference_row(i) for i in range(3)])
    # b's file repeats one of a's pairs: a duplicate, not created by b's import, so not made gold.
    later = write_jsonl(tmp_path / "b" / "train.jsonl", [preference_row(i) for i in (10, 11, 12, 0)])
    pairs_import(project=project, source=earlier)
    result = pairs_import(project=project, source=later, gold_from_source=True)
    assert (result.pairs_created, result.duplicates_skipped, result.gold_marked) == (3, 1, 3)
    gold = Pair.objects.filter(project=project).exclude(gold_answer="")
    assert sorted(gold.values_list("context", flat=True)) == [preference_row(i)["prompt"] for i in (10, 11, 12)]
    assert set(gold.values_list("gold_answer", flat=True)) == {"a"}
    assert Pair.objects.filter(project=project, gold_answer="").count() == 3


def test_gold_from_source_of_pairs_without_a_source_preference_is_refused(project, tmp_path) -> None:
    # It imported them and marked none, which a lead who asked for gold learnt only on the gold page.
    path = write_jsonl(tmp_path / "pairs.jsonl", [pairs_row(i) for i in range(2)])
    with pytest.raises(ImportSourceError, match="gold from the source needs the source's preference"):
        pairs_import(project=project, source=path, gold_from_source=True)
    assert not Pair.objects.filter(project=project).exists()


def test_the_batched_insert_used_on_sqlite_writes_and_skips_like_copy(project, tmp_path) -> None:
    from annotate.services.imports import _batched_insert

    path = write_jsonl(tmp_path / "hh.jsonl", [hh_row(i) for i in range(1200)])
    parsed = [pair_parse(r, fmt="hh-rlhf", max_chars=1000) for r in jsonl_rows(path, max_chars=1000)]
    names = {"project": project, "source_name": "hh.jsonl", "source_format": "hh-rlhf"}
    assert _batched_insert(iter(parsed[:1000]), **names, gold_from_source=False) == (1000, 0)
    assert _batched_insert(iter(parsed), **names, gold_from_source=True) == (200, 200)
    assert Pair.objects.filter(project=project, gold_answer="a").count() == 200
    pair = Pair.objects.get(project=project, source_row=700)
    assert pair.context + ASSISTANT + pair.response_a == hh_row(700)["chosen"]
    assert (pair.source_format, pair.source_preference, pair.status) == ("hh-rlhf", "a", PairStatus.FRESH)


def test_every_other_field_of_an_imported_pair_holds_the_model_default(project, tmp_path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", [pairs_row(0)])
    pairs_import(project=project, source=path)
    pair, fresh = Pair.objects.get(project=project), Pair()
    set_by_import = {"id", "project", "context", "response_a", "response_b", "content_hash", "sort_key", "created_at"}
    set_by_import |= {"source_name", "source_row", "source_format", "source_preference", "prompt_marker"}
    for field in Pair._meta.concrete_fields:
        if field.name not in set_by_import:
            assert getattr(pair, field.attname) == getattr(fresh, field.attname), field.name


def _gzip_bomb(tmp_path, bad_lines: int):
    """A gzip file of a few kilobytes that holds `bad_lines` invalid rows and one good one."""
    path = tmp_path / "bomb.jsonl.gz"
    bad = b'{"prompt": "p", "chosen": "c", "rejected": ""}\n'
    path.write_bytes(gzip.compress(json.dumps(preference_row(0)).encode() + b"\n" + bad * bad_lines))
    return path


def test_a_small_gzip_file_of_many_bad_rows_keeps_only_the_first_errors_and_counts_them_all(project, tmp_path):
    # Each error kept costs about 300 bytes: a 14 MB gzip file of 100 million bad lines filled
    # 30 GB of a worker's memory before the import ended.
    path = _gzip_bomb(tmp_path, ERRORS_KEPT * 3)
    assert path.stat().st_size < 10_000

    result = pairs_import(project=project, source=path, fmt="preference", skip_invalid=True)

    assert (result.rows_read, result.pairs_created, result.invalid_rows) == (ERRORS_KEPT * 3 + 1, 1, ERRORS_KEPT * 3)
    assert len(result.errors) == ERRORS_KEPT
    assert result.errors[0] == {"row": 2, "field": "rejected", "message": "empty"}


def test_without_skip_invalid_the_error_keeps_the_first_errors_and_counts_every_bad_row(project, tmp_path):
    path = _gzip_bomb(tmp_path, ERRORS_KEPT * 3)

    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path, fmt="preference")

    assert len(raised.value.errors) == ERRORS_KEPT
    assert raised.value.invalid_rows == ERRORS_KEPT * 3
    assert str(raised.value).startswith(f"{ERRORS_KEPT * 3} invalid row(s), nothing imported: row 2, field 'rejected'")
    assert not Pair.objects.filter(project=project).exists()


def test_a_file_read_in_the_wrong_format_says_which_format_its_rows_have(project, tmp_path) -> None:
    # Found by the lead pages audit: HH-RLHF rows imported as "pairs" got a "missing" for every field of
    # every row, and no word of the format they do have.
    path = tmp_path / "hh.jsonl"
    path.write_text("".join(json.dumps(hh_row(i)) + "\n" for i in range(4)))
    with pytest.raises(ImportSourceError) as refused:
        pairs_import(project=project, source=path, fmt="pairs")
    assert str(refused.value) == (
        "hh.jsonl: no row has the fields of the format pairs (prompt, response_a, response_b); they look like "
        "hh-rlhf rows (chosen, rejected). Choose that format, or let it be detected."
    )
    assert not Pair.objects.exists()
    # Some rows right and some not: the rows are the fault, and said row by row as before.
    path.write_text(json.dumps(hh_row(0)) + "\n" + json.dumps({"chosen": "x"}) + "\n")
    with pytest.raises(ImportValidationError):
        pairs_import(project=project, source=path, fmt="hh-rlhf")


def test_a_csv_record_of_empty_cells_is_skipped_like_a_blank_line(project, tmp_path) -> None:
    # A spreadsheet saved as CSV ends its rows, and fills its gaps, with records of empty cells.
    path = tmp_path / "pairs.csv"
    path.write_text("prompt,response_a,response_b\nq1,a,b\n,,\n\n , ,\nq2,c,d\n,\n", encoding="utf-8")
    result = pairs_import(project=project, source=path)
    assert (result.rows_read, result.pairs_created, result.invalid_rows) == (2, 2, 0)
    assert pair_rows(project) == {0, 1}


@pytest.mark.parametrize("fmt", ["pairs", "hh-rlhf"])
def test_a_text_of_exactly_the_limit_imports_and_one_character_more_is_too_long(project, tmp_path, small_limit, fmt):
    if fmt == "pairs":
        rows = [
            {"prompt": "p" * small_limit, "response_a": "a", "response_b": "b"},
            {"prompt": "p" * (small_limit + 1), "response_a": "a", "response_b": "b"},
        ]
    else:
        base = "\n\nHuman: hi\n\nAssistant: "
        rows = [
            {"chosen": base + "y" * (small_limit - len(base)), "rejected": base + "n"},
            {"chosen": base + "y" * (small_limit + 1 - len(base)), "rejected": base + "n"},
        ]
    path = write_jsonl(tmp_path / "limit.jsonl", rows)
    result = pairs_import(project=project, source=path, skip_invalid=True)
    assert (result.pairs_created, result.invalid_rows) == (1, 1)
    field = "prompt" if fmt == "pairs" else "chosen"
    assert result.errors == [
        {"row": 2, "field": field, "message": f"too long: {small_limit + 1:,} characters, the limit is {small_limit:,}"}
    ]
    assert pair_rows(project) == {0}


def test_an_hh_rlhf_row_with_only_blank_space_before_its_final_assistant_turn_is_refused(project, tmp_path) -> None:
    # As a prompt may not be blank: the annotator would be shown nothing to judge the answers by.
    path = write_jsonl(tmp_path / "blank.jsonl", [{"chosen": " \n\nAssistant: a", "rejected": " \n\nAssistant: b"}])
    with pytest.raises(ImportValidationError) as raised:
        pairs_import(project=project, source=path)
    message = 'nothing before the final "\\n\\nAssistant:" turn'
    assert [(e.row, e.field, e.message) for e in raised.value.errors] == [(1, "chosen/rejected", message)]
    assert not Pair.objects.filter(project=project).exists()


def test_a_file_of_responses_without_a_prompt_asks_for_a_format_rather_than_reading_it_as_pairs(
    project, tmp_path
) -> None:
    path = write_jsonl(tmp_path / "no-prompt.jsonl", [{"response_a": "a", "response_b": "b"}])
    with pytest.raises(ImportSourceError, match="cannot tell the format"):
        pairs_import(project=project, source=path)
