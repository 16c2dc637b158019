"""Requests that meet: the expiry sweep and a sitting's end, two starts at once, a removed annotator.

Each race is staged with threads and events on PostgreSQL row locks, so the interleaving is the one
named, not a matter of luck."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connections, transaction
from django.utils import timezone

from annotate.models import AnnotationSession, Assignment, AssignmentState, Judgment, Membership, Pair, Role
from annotate.services import members
from annotate.services.annotating import (
    AnnotationError,
    assignment_next,
    judgment_submit,
    leases_expire,
    sitting_end,
    sitting_start,
)
from annotate.services.annotating import judgments as judgments_module
from annotate.services.annotating.assignment import _leases_expire
from tests.conftest import make_pairs, make_user

from .test_sittings_api import next_pair, start, submit


def annotators(project, n: int) -> list:
    people = [make_user(f"racer{i}") for i in range(n)]
    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    return people


def live_leases(pair: Pair) -> int:
    return Assignment.objects.filter(pair=pair, state=AssignmentState.LEASED, is_gold=False).count()


def in_thread(target, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except Exception as error:  # reported by the test, which runs in the main thread
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def sweep_holding_its_locks(project, now, locked: threading.Event, go: threading.Event) -> None:
    """The expiry sweep, stopped after it has expired leases and before it commits."""
    with transaction.atomic():
        _leases_expire(project=project, now=now, limit=50)
        locked.set()
        go.wait(10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("others", [0, 1], ids=["only lease", "beside another annotator's"])
def test_a_sitting_that_ends_while_the_sweep_expires_its_lease_gives_it_back_once(project, others):
    project.lease_minutes = 1
    project.save()
    (pair,) = make_pairs(project, 1)
    people = annotators(project, 1 + others)
    t0 = timezone.now()
    sitting_start(project=project, annotator=people[0], now=t0)
    assignment_next(project=project, annotator=people[0], now=t0)  # expires at t0 + 1 min
    for person in people[1:]:  # still live when the sweep runs
        sitting_start(project=project, annotator=person, now=t0 + dt.timedelta(seconds=90))
        assignment_next(project=project, annotator=person, now=t0 + dt.timedelta(seconds=90))
    later = t0 + dt.timedelta(minutes=2)
    locked, go, errors = threading.Event(), threading.Event(), []
    sweep = in_thread(lambda: sweep_holding_its_locks(project, later, locked, go), errors)
    assert locked.wait(10)
    end = in_thread(lambda: sitting_end(project=project, annotator=people[0], now=later), errors)
    time.sleep(0.5)  # the end reaches the expired lease the sweep holds
    go.set()
    sweep.join()
    end.join()
    assert errors == []
    pair.refresh_from_db()
    assert pair.lease_count == live_leases(pair) == others
    states = list(Assignment.objects.filter(annotator=people[0]).values_list("state", flat=True))
    assert states == [AssignmentState.EXPIRED]


@pytest.mark.django_db(transaction=True)
def test_a_sitting_closed_by_its_item_limit_does_not_deadlock_with_the_sweep(project, monkeypatch):
    project.judgments_per_pair = 2
    project.lease_minutes = 1
    project.sitting_items = 1
    project.save()
    alpha, beta = make_pairs(project, 2)
    Pair.objects.filter(pk=alpha.pk).update(sort_key=0.1)
    Pair.objects.filter(pk=beta.pk).update(sort_key=0.2)
    a, b, c = annotators(project, 3)
    t0 = timezone.now()

    def at(minutes: float) -> dt.datetime:
        return t0 + dt.timedelta(minutes=minutes)

    for person in (a, b):
        sitting_start(project=project, annotator=person, now=at(0))
        assert assignment_next(project=project, annotator=person, now=at(0))[0].pair_id == alpha.pk
    sitting_start(project=project, annotator=c, now=at(0.1))
    assert assignment_next(project=project, annotator=c, now=at(0.1))[0].pair_id == beta.pk
    # A's lease on alpha has expired but is not swept yet; A now holds beta beside C's expired lease.
    mine, _ = assignment_next(project=project, annotator=a, now=at(1.2))
    assert mine.pair_id == beta.pk
    # The submit stops where its item limit closes the sitting, while the sweep runs.
    paused, resume = threading.Event(), threading.Event()
    close = judgments_module._sitting_close

    def close_after_the_sweep_started(**kwargs) -> None:
        paused.set()
        resume.wait(10)
        close(**kwargs)

    monkeypatch.setattr(judgments_module, "_sitting_close", close_after_the_sweep_started)
    errors: list[str] = []
    answer = in_thread(lambda: judgment_submit(assignment_id=mine.id, annotator=a, side="left", now=at(1.3)), errors)
    assert paused.wait(10)
    sweep = in_thread(lambda: leases_expire(project=project, now=at(1.3)), errors)
    time.sleep(0.5)
    resume.set()
    answer.join()
    sweep.join()
    assert errors == []
    for pair in (alpha, beta):
        pair.refresh_from_db()
        assert pair.lease_count == live_leases(pair)
    assert Judgment.objects.filter(annotator=a, pair=beta).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_open_one_sitting(project):
    make_pairs(project, 2)
    people = annotators(project, 5)
    errors: list[str] = []
    results: list[tuple] = []
    for person in people:
        barrier = threading.Barrier(2)

        def start_together(person=person, barrier=barrier) -> None:
            barrier.wait()
            results.append(sitting_start(project=project, annotator=person))

        threads = [in_thread(start_together, errors) for _ in range(2)]
        for thread in threads:
            thread.join()
    assert errors == []
    for person in people:
        mine = [(sitting.pk, created) for sitting, created in results if sitting.annotator_id == person.pk]
        assert sorted(created for _, created in mine) == [False, True]
        assert len({pk for pk, _ in mine}) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["removed", "made engineer"])
def test_an_annotator_removed_from_the_project_cannot_answer_a_lease_they_still_hold(api, annotator, pairs, change):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    membership = Membership.objects.filter(user=annotator, project__slug="helpful")
    if change == "removed":
        membership.delete()
    else:
        membership.update(role=Role.ENGINEER)
    response = submit(client, assignment_id)
    assert response.status_code == 404
    assert not Judgment.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("break_minutes", [0, 5])
def test_a_start_that_waits_for_a_pause_is_refused_as_paused(project, monkeypatch, break_minutes):
    # The start read the pause in the statement that locked the sitting: waiting for the pause's lock,
    # PostgreSQL read the membership as of before the pause, so the start opened a sitting (no break)
    # or sent the annotator to a break (found by the concurrency audit).
    project.break_minutes = break_minutes
    project.save()
    make_pairs(project, 3)
    (person,) = annotators(project, 1)
    lead = make_user("lead")
    t0 = timezone.now()
    sitting_start(project=project, annotator=person, now=t0)
    held, go, errors, refusals = threading.Event(), threading.Event(), [], []
    end_now = members._sitting_end_now

    def end_and_hold(**kwargs):
        ended = end_now(**kwargs)
        held.set()  # the pause holds the sitting's lock, its membership written, not committed
        go.wait(10)
        return ended

    def start_later() -> None:
        try:
            sitting_start(project=project, annotator=person, now=t0 + dt.timedelta(seconds=11))
        except AnnotationError as error:
            refusals.append(error.code)

    monkeypatch.setattr(members, "_sitting_end_now", end_and_hold)
    pause = in_thread(
        lambda: members.membership_pause(
            project=project, user=person, actor=lead, reason="checking", now=t0 + dt.timedelta(seconds=10)
        ),
        errors,
    )
    assert held.wait(10)
    start = in_thread(start_later, errors)
    time.sleep(0.5)  # the start waits for the sitting's lock
    go.set()
    pause.join()
    start.join()
    assert errors == [] and refusals == ["paused"]
    assert list(AnnotationSession.objects.values_list("end_reason", flat=True)) == ["paused"]


@pytest.mark.django_db(transaction=True)
def test_removing_a_member_leaves_their_user_row_free_for_their_other_work(project):
    # The removal locked the user row joined to the membership FOR UPDATE: every commit of the person's
    # elsewhere (each checks its foreign keys to the user with FOR KEY SHARE) waited for it (found by the
    # concurrency audit).
    (person,) = annotators(project, 1)
    lead = make_user("lead")
    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            members.membership_remove(project=project, user_id=person.pk, actor=lead)
            with other.cursor() as cursor:
                cursor.execute("SELECT id FROM auth_user WHERE id = %s FOR KEY SHARE NOWAIT", [person.pk])
                assert cursor.fetchall() == [(person.pk,)]
    finally:
        other.close()
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.django_db
def test_an_answer_whose_clock_was_read_before_a_later_request_does_not_move_the_idle_clock_back(project):
    # `now` is read before the sitting's lock: an answer that waited behind a later activity ping set
    # the sitting's last activity to its own, earlier time, moving the idle deadline back (found by
    # the concurrency audit).
    from annotate.services.annotating import sitting_activity_record

    make_pairs(project, 2)
    (person,) = annotators(project, 1)
    t0 = timezone.now()
    sitting = sitting_start(project=project, annotator=person, now=t0)[0]
    assignment, _ = assignment_next(project=project, annotator=person, now=t0)
    sitting_activity_record(project=project, annotator=person, now=t0 + dt.timedelta(seconds=20))
    judgment_submit(assignment_id=assignment.id, annotator=person, side="left", now=t0 + dt.timedelta(seconds=10))
    sitting.refresh_from_db()
    assert sitting.last_activity_at == t0 + dt.timedelta(seconds=20)


@pytest.mark.django_db(transaction=True)
def test_gold_from_source_marks_the_pairs_it_locked_when_a_lead_clears_another_meanwhile(project, monkeypatch):
    # Marking `chosen` again ran its LIMIT in a new snapshot: a pair whose gold answer a lead cleared
    # meanwhile, ahead in the queue order, was marked in place of the one locked, and never recounted
    # (found in review).
    from annotate.services import gold

    lead = make_user("lead")
    first, second = make_pairs(project, 2)
    Pair.objects.filter(pk=first.pk).update(sort_key=0.1, gold_answer="b")  # gold now, ahead in the queue
    Pair.objects.filter(pk=second.pk).update(sort_key=0.9)
    locked, go, errors = threading.Event(), threading.Event(), []
    real_f = gold.F

    def f_after_the_lock(name):
        locked.set()  # the update builds its F() once the candidates are locked
        go.wait(10)
        return real_f(name)

    monkeypatch.setattr(gold, "F", f_after_the_lock)
    marking = in_thread(lambda: gold.pairs_gold_from_source(project=project, actor=lead, limit=1), errors)
    assert locked.wait(10)
    gold.pair_gold_set(project=project, pair_id=first.pk, answer="", actor=lead)  # not locked: goes through
    go.set()
    marking.join()
    assert errors == []
    answers = dict(Pair.objects.filter(project=project).values_list("pk", "gold_answer"))
    assert answers == {first.pk: "", second.pk: "a"}
