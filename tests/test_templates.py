"""Every template, read as Django reads it: a `{# #}` comment ends on the line it starts on."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The apps' templates (annotate/templates/..., one level down: not the .venv's) and the project's.
TEMPLATES = sorted(ROOT.glob("*/templates/**/*.html")) + sorted(ROOT.glob("templates/**/*.html"))


def test_the_templates_are_found():
    assert len(TEMPLATES) >= 15 and ROOT / "annotate/templates/annotate/annotate.html" in TEMPLATES


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_comment_runs_over_a_line(path):
    # Django's {# #} is one line only: one left open is printed on the page, as the annotation
    # page once printed its note about the idle warning.
    open_comments = [
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.count("{#") != line.count("#}")
    ]
    assert open_comments == [], f"{path.name}: a {{# comment left open on line(s) {open_comments}"
