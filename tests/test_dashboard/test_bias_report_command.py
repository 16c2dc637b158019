"""`manage.py bias_report`: the figures the dashboard shows, naming annotators as the dashboard does."""

from __future__ import annotations

import json
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotate.models import Membership, Project, Role
from annotate.services.annotating import pair_statuses_refresh
from tests.conftest import make_user


def report(project: Project, *args: str) -> str:
    out = StringIO()
    call_command("bias_report", *args, project=project.slug, stdout=out)
    return out.getvalue()


def test_it_names_each_annotator_by_user_name_and_flags_the_left_leaning_one(judged_project, annotator):
    text = report(judged_project)
    lines = {line.split(":")[0].strip(): line for line in text.splitlines() if "(id " in line}
    users = get_user_model().objects.filter(username__in=["annotator", "annotator2", "annotator3"])
    assert set(lines) == {f"{user.username} (id {user.pk})" for user in users}
    assert lines[f"annotator (id {annotator.pk})"].endswith("FLAGGED (position)")  # nine lefts in ten
    assert "Flagged: annotator (position)" in text.splitlines()


def test_the_summary_is_read_by_a_person_and_the_json_holds_every_figure(judged_project, annotator):
    text = report(judged_project)
    payload = json.loads(report(judged_project, "--json"))
    # Formatted figures, not JSON dumps of whole sections.
    assert "{" not in text and '"' not in text
    position = {row["annotator"]: row for row in payload["position"]["per_annotator"]}[annotator.pk]
    assert f"left={100 * position['rate']:.1f}% [{100 * position['ci_low']:.1f}%, " in text
    kappa = payload["agreement"]["fleiss_kappa"]
    assert f"Fleiss' kappa {kappa['value']:.3f} ({kappa['pairs']} pairs)" in text
    transcripts = payload["length"]["overall"]["transcripts"]
    assert f"chosen mean {transcripts['chosen_mean']:.1f}" in text
    assert "None" not in text


def test_a_project_without_judgments_gets_dashes_not_an_error(project):
    text = report(project)
    assert "0 judgments by 0 annotators" in text
    assert "Flagged: nobody" in text and "Length: no decisive judgments yet." in text


def test_the_length_models_terms_are_named_for_what_they_are(judged_project):
    # The summary called the content term "position"; an unbiased annotator alone looked position-biased.
    text = report(judged_project)
    model = json.loads(report(judged_project, "--json"))["length"]["length_controlled"]
    terms = model["coefficients"]
    (line,) = [line for line in text.splitlines() if "held apart (logistic regression" in line]
    for label, name in [("length", "length_difference"), ("position", "intercept"), ("content", "reference_on_left")]:
        term = terms[name]
        assert f"{label} {term['estimate']:+.2f}" in line, (label, line)
    assert model["n_without_reference"] == 0 and "without a reference" not in line


def test_the_pooled_length_models_p_is_clustered_by_annotator_and_says_so(judged_project):
    # Pooled over annotators: p clustered by annotator, not one that counts their judgments as independent.
    # Five annotators, more than the three terms: a clustered p there is.
    from tests.test_dashboard.conftest import coin, honest, judge_all, judging_days

    judged_project.judgments_per_pair = 5
    judged_project.save(update_fields=["judgments_per_pair"])
    pair_statuses_refresh(project=judged_project)
    for seed, choose in [(5, honest), (6, coin)]:
        person = make_user(f"annotator{seed}")
        Membership.objects.create(user=person, project=judged_project, role=Role.ANNOTATOR)
        assert judge_all(project=judged_project, annotator=person, start=judging_days()[1], choose=choose, seed=seed)
    text = report(judged_project)
    model = json.loads(report(judged_project, "--json"))["length"]["length_controlled"]
    assert model["clusters"] == 5
    (line,) = [line for line in text.splitlines() if "held apart (logistic regression" in line]
    assert "pooled over annotators, p clustered by annotator, 5 annotators)" in line
    for label, name in [("length", "length_difference"), ("position", "intercept"), ("content", "reference_on_left")]:
        term = model["coefficients"][name]
        assert f"{label} {term['estimate']:+.2f} (p {term['p_value']:.3g})" in line, (label, line)


def test_a_pooled_length_model_with_too_few_annotators_for_a_p_says_why_it_has_none(judged_project):
    # Three annotators, no more than the model's three terms: clustered by annotator, there is no p. The
    # line said "p clustered by annotator, 3 annotators" and showed none, as if one had been left out.
    text = report(judged_project)
    model = json.loads(report(judged_project, "--json"))["length"]["length_controlled"]
    assert model["clusters"] == 3 and model["coefficients"]["length_difference"]["p_value"] is None
    (line,) = [line for line in text.splitlines() if "held apart (logistic regression" in line]
    assert "p clustered by annotator, 3 annotators" not in line and "(p " not in line
    assert "estimates only: 3 annotators, no more than the 3 terms, are too few for a p clustered by annotator" in line
