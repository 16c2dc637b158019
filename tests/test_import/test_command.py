"""`manage.py import_pairs` end to end."""

from __future__ import annotations

import json
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from annotate.models import Pair
from tests.conftest import HH_RLHF_TEST

from .conftest import (
    gzip_damaged,
    gzip_past_one_mib,
    pair_rows,
    pairs_row,
    past_the_gzip_limit,
    write_jsonl,
    write_lines,
)


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_pairs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_the_shared_file_and_ends_with_one_summary_line(project) -> None:
    out, err = run("--project", "helpful", str(HH_RLHF_TEST))
    assert out.strip().splitlines() == [
        "Imported into helpful: 2,312 rows read (hh-rlhf): 2,312 pairs created, 0 duplicates skipped, 0 invalid rows"
    ]
    assert "2312" in err  # the progress bar's final count
    assert Pair.objects.filter(project=project).count() == 2312


def test_running_it_twice_reports_the_duplicates(project, tmp_path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", [pairs_row(i) for i in range(3)])
    run("--project", "helpful", "--format", "pairs", str(path))
    out, _ = run("--project", "helpful", "--format", "pairs", str(path))
    assert "0 pairs created, 3 duplicates skipped" in out


def test_bad_input_fails_with_the_row_and_field_and_writes_nothing(project, tmp_path) -> None:
    path = write_lines(
        tmp_path / "pairs.jsonl", [json.dumps(pairs_row(0)), json.dumps({"prompt": "p", "response_a": "a"})]
    )
    with pytest.raises(CommandError) as raised:
        run("--project", "helpful", str(path))
    assert "row 2, field 'response_b': missing" in str(raised.value)
    assert "nothing imported" in str(raised.value)
    assert not Pair.objects.filter(project=project).exists()


def test_bad_input_exits_nonzero_from_the_command_line(project, tmp_path, capsys) -> None:
    path = write_lines(tmp_path / "pairs.jsonl", ["{oops"])
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(
            ["manage.py", "import_pairs", "--project", "helpful", "--format", "pairs", str(path)]
        ).execute()
    assert exited.value.code == 1
    assert "row 1, field 'json'" in capsys.readouterr().err


def test_a_truncated_gzip_file_fails_with_a_message_not_a_traceback(project, tmp_path, capsys) -> None:
    path = tmp_path / "pairs.jsonl.gz"
    path.write_bytes(gzip_damaged("".join(json.dumps(pairs_row(i)) + "\n" for i in range(3000)).encode(), "truncated"))
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_pairs", "--project", "helpful", "-v", "0", str(path)]).execute()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "CommandError: pairs.jsonl.gz: corrupt or truncated gzip data after row" in err
    assert "Traceback" not in err


def test_a_gzip_file_past_the_decompressed_limit_fails_naming_the_setting_and_writes_nothing(
    project, tmp_path, settings
) -> None:
    settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = 1
    path = gzip_past_one_mib(tmp_path / "pairs.jsonl.gz")
    with pytest.raises(CommandError, match=past_the_gzip_limit("pairs.jsonl.gz")):
        run("--project", "helpful", "--skip-invalid", str(path))
    assert not Pair.objects.filter(project=project).exists()


def test_skip_invalid_imports_the_good_rows_and_reports_each_bad_one(project, tmp_path) -> None:
    lines = [json.dumps(pairs_row(0)), "{", json.dumps(pairs_row(1)), json.dumps(pairs_row(2) | {"response_b": 7})]
    path = write_lines(tmp_path / "pairs.jsonl", lines)
    out, err = run("--project", "helpful", "--skip-invalid", str(path))
    assert "2 pairs created, 0 duplicates skipped, 2 invalid rows" in out
    assert "skipped row 2, field 'json'" in err
    assert "skipped row 4, field 'response_b': expected text, got a number" in err
    assert pair_rows(project) == {0, 2}


def test_an_unknown_project_is_an_error(project, tmp_path) -> None:
    with pytest.raises(CommandError, match="no project with slug 'nope'"):
        run("--project", "nope", str(HH_RLHF_TEST))


def test_a_missing_source_is_an_error(project, tmp_path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("--project", "helpful", "--format", "pairs", str(tmp_path / "missing.jsonl"))


def test_a_file_given_with_format_hf_is_refused_saying_why(project) -> None:
    # load_dataset said it "couldn't find any data file at" the very file it was given.
    with pytest.raises(CommandError, match=r"format hf reads a dataset .* not a file; import a file without a format"):
        run("--project", "helpful", "--format", "hf", str(HH_RLHF_TEST))
    assert not Pair.objects.exists()


def test_a_local_dataset_imports_with_format_hf(project, tmp_path) -> None:
    data_dir = tmp_path / "ds"
    data_dir.mkdir()
    write_jsonl(data_dir / "data.jsonl", [pairs_row(i) for i in range(2)])
    out, _ = run("--project", "helpful", "--format", "hf", "--split", "train", str(data_dir))
    assert "2 rows read (pairs): 2 pairs created" in out


def test_gold_from_source_marks_the_pairs_with_the_source_preference(db, project):
    out = StringIO()
    call_command(
        "import_pairs",
        "--project",
        project.slug,
        "--gold-from-source",
        str(HH_RLHF_TEST),
        stdout=out,
        stderr=StringIO(),
    )
    assert "2,312 pairs marked gold" in out.getvalue()
    assert Pair.objects.filter(project=project, gold_answer="a").count() == 2312


@pytest.mark.parametrize("fmt", [[], ["--format", "pairs"]])
def test_gold_from_source_with_pairs_that_have_no_preference_is_refused(project, tmp_path, fmt) -> None:
    # The import ran and marked nothing, and said nothing about it.
    path = tmp_path / "pairs.jsonl"
    write_jsonl(path, [pairs_row(i) for i in range(3)])
    with pytest.raises(CommandError, match=r"pairs.jsonl: gold from the source needs the source's preference"):
        run("--project", "helpful", "--gold-from-source", *fmt, str(path))
    assert not Pair.objects.exists()


def test_a_split_for_a_file_is_refused_rather_than_ignored(project, tmp_path) -> None:
    path = tmp_path / "pairs.jsonl"
    write_jsonl(path, [pairs_row(i) for i in range(3)])
    with pytest.raises(CommandError, match=r"pairs.jsonl: a split \('test'\) belongs to a dataset"):
        run("--project", "helpful", "--split", "test", str(path))
    assert not Pair.objects.exists()


def test_the_summary_says_one_row_not_one_rows(project, tmp_path) -> None:
    path = tmp_path / "pairs.jsonl"
    write_jsonl(path, [pairs_row(0)])
    out, _ = run("--project", "helpful", str(path))
    assert out.strip() == (
        "Imported into helpful: 1 row read (pairs): 1 pair created, 0 duplicates skipped, 0 invalid rows"
    )


@pytest.mark.parametrize("name", ["pairs.jsonl", "pairs.csv", "pairs.jsonl.gz"])
@pytest.mark.parametrize("fmt", [None, "pairs"])
def test_a_file_it_may_not_read_fails_with_a_message_not_a_traceback(
    project, tmp_path, monkeypatch, capsys, name, fmt
) -> None:
    # Permission denied, as for a file of another user (the tests may run as root, who reads anything).
    path = tmp_path / name
    path.write_text(json.dumps(pairs_row(0)) + "\n")
    opened = Path.open

    def refused(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)
    argv = ["manage.py", "import_pairs", "--project", "helpful", "-v", "0", str(path)]
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(argv + (["--format", fmt] if fmt else [])).execute()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"CommandError: {name}: cannot read the file before the first row: [Errno 13] Permission denied" in err
    assert "Traceback" not in err


def test_a_file_whose_name_is_not_utf8_imports_under_a_readable_name(project, tmp_path) -> None:
    # A Latin-1 name, as old archives have: Python hands it over with a lone surrogate for the
    # byte, which PostgreSQL cannot store as the pairs' source name.
    path = os.fsdecode(os.path.join(os.fsencode(tmp_path), b"caf\xe9.jsonl"))
    write_jsonl(Path(path), [pairs_row(0)])
    out, _ = run("--project", "helpful", path)
    assert "1 pair created" in out
    assert list(Pair.objects.filter(project=project).values_list("source_name", flat=True)) == ["caf\ufffd.jsonl"]
