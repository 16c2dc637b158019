"""A lead changes k (judgments per pair) in the middle of a project: the queue follows."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.utils import timezone

from annotate.models import Judgment, Membership, Pair, PairStatus, Project, Role
from annotate.services.annotating import assignment_next, judgment_submit, pair_statuses_refresh, sitting_start
from annotate.services.annotating import judgments as judgments_module
from tests.conftest import make_pairs, make_user

from .test_races import in_thread, sweep_holding_its_locks

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


def lead_sets_k(project_id: int, k: int) -> None:
    """What the admin's save does: the new k and the queue's statuses, in one transaction."""
    with transaction.atomic():
        project = Project.objects.get(pk=project_id)
        project.judgments_per_pair = k
        project.save(update_fields=["judgments_per_pair"])
        pair_statuses_refresh(project=project)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("old_k", "new_k", "status"), [(2, 3, PairStatus.STARTED), (3, 2, PairStatus.FULL)])
def test_a_submit_in_flight_when_k_changes_leaves_the_pair_in_the_queue_of_the_new_k(
    project, monkeypatch, old_k, new_k, status
):
    project.judgments_per_pair = old_k
    project.save()
    (pair,) = make_pairs(project, 1)
    judged_by(project, 1, 1)
    person = make_user("late")
    Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    sitting_start(project=project, annotator=person)
    mine, _ = assignment_next(project=project, annotator=person)
    # The submit has read the project (old k) and stops before it writes; the lead's change commits.
    paused, resume = threading.Event(), threading.Event()
    floor = judgments_module.reading_floor_ms

    def floor_after_the_change(**kwargs) -> int:
        paused.set()
        resume.wait(10)
        return floor(**kwargs)

    monkeypatch.setattr(judgments_module, "reading_floor_ms", floor_after_the_change)
    errors: list[str] = []
    answer = in_thread(lambda: judgment_submit(assignment_id=mine.id, annotator=person, side="left"), errors)
    assert paused.wait(10)
    lead_sets_k(project.pk, new_k)
    resume.set()
    answer.join()
    assert errors == []
    pair.refresh_from_db()
    assert (pair.judgment_count, pair.lease_count, pair.status) == (2, 0, status)
    assert (newcomer_gets(project) is not None) == (status == PairStatus.STARTED)


@pytest.mark.django_db(transaction=True)
def test_lowering_k_while_a_lease_is_being_taken_never_lets_a_pair_past_the_new_k(project):
    project.judgments_per_pair = 3
    project.save()
    (pair,) = make_pairs(project, 1)
    first, second = make_user("first"), make_user("second")
    for person in (first, second):
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
        sitting_start(project=project, annotator=person)
    assignment_next(project=project, annotator=first)
    # The second lease is taken under k = 3 and not yet committed when the lead lowers k to 2.
    taken, go, errors = threading.Event(), threading.Event(), []

    def take_a_lease_and_wait() -> None:
        with transaction.atomic():
            assignment_next(project=project, annotator=second)
            taken.set()
            go.wait(10)

    lease = in_thread(take_a_lease_and_wait, errors)
    assert taken.wait(10)
    change = in_thread(lambda: lead_sets_k(project.pk, 2), errors)
    time.sleep(0.5)  # the change reaches the pair the lease holds
    go.set()
    lease.join()
    change.join()
    assert errors == []
    pair.refresh_from_db()
    assert (pair.judgment_count, pair.lease_count, pair.status) == (0, 2, PairStatus.FULL)
    assert newcomer_gets(project) is None


@pytest.mark.django_db(transaction=True)
def test_lowering_k_while_the_sweep_gives_a_lease_back_never_lets_a_pair_past_the_new_k(project):
    project.judgments_per_pair = 3
    project.lease_minutes = 1
    project.save()
    (pair,) = make_pairs(project, 1)
    people = [make_user(f"holder{i}") for i in range(3)]
    t0 = timezone.now()
    for i, person in enumerate(people):  # the first lease expires first
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
        sitting_start(project=project, annotator=person, now=t0 + dt.timedelta(seconds=30 * i))
        assignment_next(project=project, annotator=person, now=t0 + dt.timedelta(seconds=30 * i))
    # The sweep has given the expired lease back under k = 3, and not committed, when k becomes 2.
    locked, go, errors = threading.Event(), threading.Event(), []
    later = t0 + dt.timedelta(seconds=75)
    sweep = in_thread(lambda: sweep_holding_its_locks(project, later, locked, go), errors)
    assert locked.wait(10)
    change = in_thread(lambda: lead_sets_k(project.pk, 2), errors)
    time.sleep(0.5)
    go.set()
    sweep.join()
    change.join()
    assert errors == []
    pair.refresh_from_db()
    assert (pair.judgment_count, pair.lease_count, pair.status) == (0, 2, PairStatus.FULL)
    assert newcomer_gets(project) is None
