"""A lead changes k (judgments per pair) in the middle of a project: the queue follows."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory

from annotate.models import Judgment, Membership, Pair, PairStatus, Project, Role
from annotate.services.annotating import assignment_next, judgment_submit, pair_statuses_refresh, sitting_start
from tests.conftest import make_pairs, make_user

pytestmark = pytest.mark.django_db


def judged_by(project, pair_count: int, people: int) -> list:
    """`people` annotators, each of whom judges the project's pairs in queue order."""
    judges = []
    for i in range(people):
        person = make_user(f"judge{i}")
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
        sitting_start(project=project, annotator=person)
        for _ in range(pair_count):
            assignment, _ = assignment_next(project=project, annotator=person)
            judgment_submit(assignment_id=assignment.id, annotator=person, side="left")
        judges.append(person)
    return judges


def newcomer_gets(project):
    person = make_user("newcomer")
    Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    sitting_start(project=project, annotator=person)
    assignment, _ = assignment_next(project=project, annotator=person)
    return assignment


def test_lowering_k_closes_the_pairs_that_now_have_enough_judgments(project):
    project.judgments_per_pair = 3
    project.save()
    (pair,) = make_pairs(project, 1)
    judged_by(project, 1, 2)
    project.judgments_per_pair = 2
    project.save()
    assert pair_statuses_refresh(project=project) == 1
    pair.refresh_from_db()
    assert pair.status == PairStatus.FULL
    assert newcomer_gets(project) is None
    assert Judgment.objects.filter(pair=pair).count() == 2


def test_raising_k_reopens_full_pairs(project):
    project.judgments_per_pair = 1
    project.save()
    (pair,) = make_pairs(project, 1)
    judged_by(project, 1, 1)
    project.judgments_per_pair = 3
    project.save()
    assert pair_statuses_refresh(project=project) == 1
    assert newcomer_gets(project).pair_id == pair.pk
    pair.refresh_from_db()
    assert (pair.status, pair.judgment_count, pair.lease_count) == (PairStatus.STARTED, 1, 1)


def test_the_admin_recomputes_the_queue_when_k_is_saved(project, django_user_model):
    project.judgments_per_pair = 1
    project.save()
    pairs = make_pairs(project, 3)
    judged_by(project, 2, 1)
    assert sorted(Pair.objects.values_list("status", flat=True)) == [PairStatus.FRESH, PairStatus.FULL, PairStatus.FULL]
    request = RequestFactory().post("/admin/")
    request.user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    project_admin = admin.site._registry[Project]
    form_class = project_admin.get_form(request, project, change=True)
    data = model_to_dict(project) | {"judgments_per_pair": 2, "criteria": json.dumps(project.criteria)}
    form = form_class(data, instance=project)
    assert form.is_valid(), form.errors
    assert "judgments_per_pair" in form.changed_data, form.changed_data
    project_admin.save_model(request, form.save(commit=False), form, change=True)
    statuses = dict(Pair.objects.values_list("pk", "status"))
    assert sorted(statuses.values()) == [PairStatus.FRESH, PairStatus.STARTED, PairStatus.STARTED]
    assert {pairs[0].pk, pairs[1].pk, pairs[2].pk} == set(statuses)
