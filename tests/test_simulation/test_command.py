"""`manage.py simulate_annotators`: a summary per annotator, never without DEBUG or --force."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.models import Judgment

pytestmark = pytest.mark.django_db


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate_annotators", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_prints_judgments_and_left_rate_per_annotator(project, varied_pairs):
    varied_pairs(project, 40)
    output = simulate("--project", project.slug, "--annotators", "honest:1,left:1", "--judgments", "30", "--force")

    lines = output.splitlines()
    assert lines[0].split()[:5] == ["annotator", "behaviour", "sittings", "judgments", "left"]
    rows = {line.split()[0]: line.split() for line in lines[2:4]}
    assert set(rows) == {"sim-honest-1", "sim-left-1"}
    for username, row in rows.items():
        mine = Judgment.objects.filter(project=project, annotator__username=username)
        decisive = mine.filter(side__in=["left", "right"])
        assert int(row[3]) == mine.count()
        assert row[4] == f"{decisive.filter(side='left').count() / decisive.count():.3f}"
    assert Judgment.objects.filter(project=project).count() == 30
    assert "30 judgments in project 'helpful' (seed 0)" in output


def test_it_refuses_to_write_fake_judgments_without_debug_or_force(project, varied_pairs, settings):
    settings.DEBUG = False
    varied_pairs(project, 5)
    with pytest.raises(CommandError, match="DEBUG"):
        simulate("--project", project.slug)
    assert not Judgment.objects.exists()


def test_it_refuses_an_unknown_project_and_a_bad_mix(project, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no project"):
        simulate("--project", "nope")
    with pytest.raises(CommandError, match="bad annotator mix"):
        simulate("--project", project.slug, "--annotators", "lazy:3")
