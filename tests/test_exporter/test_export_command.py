"""`manage.py export_preferences`: what it says when it cannot write the export."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def export(project, out, *args: str) -> None:
    call_command("export_preferences", "--project", project.slug, "--out", str(out), *args)


def test_an_unknown_project_is_an_error(project, tmp_path):
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        call_command("export_preferences", "--project", "nope", "--out", str(tmp_path / "out"))


def test_an_out_that_is_a_file_is_an_error_naming_it(project, pairs, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("not a directory")
    with pytest.raises(CommandError, match=f"The export was not written: .*{re.escape(str(taken))}"):
        export(project, taken)


def test_an_out_under_a_file_is_an_error_naming_it(project, pairs, tmp_path):
    (tmp_path / "taken").write_text("not a directory")
    with pytest.raises(CommandError, match=r"The export was not written: .*taken"):
        export(project, tmp_path / "taken" / "out")


def test_a_tokenizer_that_cannot_be_loaded_is_an_error_naming_it(project, pairs, tmp_path):
    missing = tmp_path / "no-tokenizer"
    with pytest.raises(CommandError, match=f"The export was not written: .*{re.escape(str(missing))}"):
        export(project, tmp_path / "out", "--format", "tokenized", "--tokenizer", str(missing))
