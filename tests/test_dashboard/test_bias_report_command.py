"""`manage.py bias_report`: the figures the dashboard shows, naming annotators as the dashboard does."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command


def test_it_names_each_annotator_by_user_name_and_flags_the_left_leaning_one(judged_project, annotator):
    out = StringIO()
    call_command("bias_report", project=judged_project.slug, stdout=out)
    lines = {line.split(":")[0].strip(): line for line in out.getvalue().splitlines() if "(id " in line}
    users = get_user_model().objects.filter(username__in=["annotator", "annotator2", "annotator3"])
    assert set(lines) == {f"{user.username} (id {user.pk})" for user in users}
    assert lines[f"annotator (id {annotator.pk})"].endswith("FLAGGED")  # nine lefts in ten
