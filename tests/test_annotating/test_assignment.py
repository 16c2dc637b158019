"""Leasing pairs: never twice to one annotator, at most k, counterbalanced, constant cost."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotate.models import Assignment, Membership, Pair, PairStatus, Role
from annotate.services.annotating import assignment_next, judgment_submit, leases_expire, sitting_end, sitting_start
from tests.conftest import make_pairs, make_user

pytestmark = pytest.mark.django_db


def answer_one(project, annotator, side="left"):
    assignment, _ = assignment_next(project=project, annotator=annotator)
    if assignment is None:
        return None
    judgment_submit(assignment_id=assignment.id, annotator=annotator, side=side)
    return assignment


def test_started_pairs_are_finished_before_new_ones_are_opened(project, annotator, annotator2, pairs):
    sitting_start(project=project, annotator=annotator)
    sitting_start(project=project, annotator=annotator2)
    first = answer_one(project, annotator)
    second = answer_one(project, annotator2)
    assert second.pair_id == first.pair_id


def test_no_annotator_sees_a_pair_twice_and_no_pair_gets_more_than_k(project):
    project.judgments_per_pair = 2
    project.sitting_items = 1000
    project.save()
    make_pairs(project, 5)
    people = [make_user(f"a{i}") for i in range(4)]

    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
        sitting_start(project=project, annotator=person)
    served = {person.id: [] for person in people}
    for _ in range(10):
        for person in people:
            assignment = answer_one(project, person)
            if assignment is not None:
                served[person.id].append(assignment.pair_id)
    for pair_ids in served.values():
        assert len(pair_ids) == len(set(pair_ids))
    assert sum(len(v) for v in served.values()) == 10  # 5 pairs x k=2, then the queue is empty
    for pair in Pair.objects.all():
        assert pair.judgment_count == 2 == pair.judgments.count()
        assert pair.status == PairStatus.FULL
        assert abs(pair.a_left_count - pair.b_left_count) <= 1


def test_a_reloaded_page_gets_its_live_pair_back_and_may_prefetch_one_more(project, annotator, pairs):
    sitting_start(project=project, annotator=annotator)
    first, _ = assignment_next(project=project, annotator=annotator)
    again, _ = assignment_next(project=project, annotator=annotator)
    prefetched, _ = assignment_next(project=project, annotator=annotator, exclude=[first.id])
    third, _ = assignment_next(project=project, annotator=annotator, exclude=[first.id, prefetched.id])
    assert again.id == first.id
    assert prefetched.id != first.id
    assert third is None  # two live leases at most
    assert Assignment.objects.count() == 2


def test_the_next_pair_costs_the_same_number_of_queries_whatever_the_project_size(project, annotator, annotator2):
    def queries_for_next(person) -> int:
        sitting_start(project=project, annotator=person)
        for _ in range(3):
            answer_one(project, person)
        with CaptureQueriesContext(connection) as captured:
            assignment_next(project=project, annotator=person)
        return len(captured.captured_queries)

    make_pairs(project, 10, prefix="small")
    small = queries_for_next(annotator)
    make_pairs(project, 3000, prefix="large")
    large = queries_for_next(annotator2)
    assert small == large
    assert large <= 9  # 7 statements, plus the savepoint pair that the test transaction adds


def test_the_next_pair_query_uses_the_queue_index_and_no_random_sort(project, annotator, pairs):
    sitting_start(project=project, annotator=annotator)
    with CaptureQueriesContext(connection) as captured:
        assignment_next(project=project, annotator=annotator)
    claim = next(
        q["sql"] for q in captured.captured_queries if "SKIP LOCKED" in q["sql"] and "annotate_pair" in q["sql"]
    )
    assert "RANDOM()" not in claim.upper()
    assert 'ORDER BY "annotate_pair"."status" DESC, "annotate_pair"."sort_key" ASC' in claim
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + claim.replace("FOR UPDATE SKIP LOCKED", ""))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "pair_queue" in plan


def test_counterbalance_first_side_is_random(project):
    make_pairs(project, 200)
    person = make_user("coin")

    Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    project.sitting_items = 1000
    project.save()
    sitting_start(project=project, annotator=person)
    lefts = [answer_one(project, person).left_response for _ in range(200)]
    assert 60 < lefts.count("a") < 140


def _claim(project, person, now):
    sitting_start(project=project, annotator=person, now=now)
    assignment, _ = assignment_next(project=project, annotator=person, now=now)
    return assignment


def _counted_sides(pair) -> list[str]:
    return sorted(pair.judgments.exclude(side="skip").values_list("left_response", flat=True))


@pytest.mark.parametrize("undo", ["expire", "skip", "end_sitting"])
def test_a_lease_that_yields_no_judgment_gives_its_side_back(project, undo):
    """k = 2: the first annotator's lease shows one response left, the second's the other; when the
    second lease yields no judgment that counts (it expires, is skipped, or its sitting ends), the
    third annotator is shown the second's side again, so the pair's two judgments are counterbalanced."""
    project.judgments_per_pair = 2
    project.lease_minutes = 1
    project.break_minutes = 0
    project.save()
    (pair,) = make_pairs(project, 1)
    people = [make_user(f"cb{i}") for i in range(3)]
    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    now = timezone.now()
    first = _claim(project, people[0], now)
    judgment_submit(assignment_id=first.id, annotator=people[0], side="left", now=now)
    second = _claim(project, people[1], now)
    assert second.left_response != first.left_response
    if undo == "expire":
        now += dt.timedelta(minutes=2)
        assert leases_expire(project=project, now=now) == 1
    elif undo == "skip":
        judgment_submit(assignment_id=second.id, annotator=people[1], side="skip", now=now)
    else:
        sitting_end(project=project, annotator=people[1], now=now)
    pair.refresh_from_db()
    shown = {"a": pair.a_left_count, "b": pair.b_left_count}
    assert shown == {first.left_response: 1, second.left_response: 0}
    third = _claim(project, people[2], now)
    assert third.pair_id == pair.id and third.left_response == second.left_response
    judgment_submit(assignment_id=third.id, annotator=people[2], side="right", now=now)
    pair.refresh_from_db()
    assert _counted_sides(pair) == ["a", "b"] and (pair.a_left_count, pair.b_left_count) == (1, 1)


def test_a_skipped_or_released_gold_lease_gives_its_side_back(project, annotator, annotator2):
    project.gold_rate = 1.0
    project.break_minutes = 0
    project.save()
    (gold,) = make_pairs(project, 1)
    Pair.objects.filter(pk=gold.pk).update(gold_answer="a")
    now = timezone.now()

    def sides_and_leases() -> tuple[dict[str, int], int]:
        gold.refresh_from_db()
        return {"a": gold.a_left_count, "b": gold.b_left_count}, gold.lease_count

    nothing = ({"a": 0, "b": 0}, 0)
    for person, undo in ((annotator, "skip"), (annotator2, "end_sitting")):
        lease = _claim(project, person, now)
        assert lease.is_gold and lease.pair_id == gold.pk
        # Live, the gold lease shows its side (gold takes no place in the k-queue: no lease count).
        assert sides_and_leases() == ({"a": int(lease.left_response == "a"), "b": int(lease.left_response == "b")}, 0)
        if undo == "skip":
            judgment_submit(assignment_id=lease.id, annotator=person, side="skip", now=now)
        else:
            sitting_end(project=project, annotator=person, now=now)
        assert sides_and_leases() == nothing


def test_the_migration_recounts_the_sides_of_live_leases_and_counted_judgments(project, annotator, annotator2):
    recount_sides = importlib.import_module("annotate.migrations.0009_side_counters_live_and_counted").recount_sides
    project.break_minutes = 0
    project.save()
    first, second = make_pairs(project, 2)
    now = timezone.now()
    judged = _claim(project, annotator, now)
    judgment_submit(assignment_id=judged.id, annotator=annotator, side="left", now=now)
    skipped = _claim(project, annotator, now)
    judgment_submit(assignment_id=skipped.id, annotator=annotator, side="skip", now=now)
    live = _claim(project, annotator2, now)
    expected = {pair.id: {"a": 0, "b": 0} for pair in (first, second)}
    expected[judged.pair_id][judged.left_response] += 1
    expected[live.pair_id][live.left_response] += 1
    Pair.objects.update(a_left_count=5, b_left_count=7)  # as the old rule left them: every lease ever
    with connection.schema_editor() as editor:  # on PostgreSQL it locks the tables it counts first
        recount_sides(django_apps, editor)
    assert {
        pair.id: {"a": pair.a_left_count, "b": pair.b_left_count} for pair in Pair.objects.filter(project=project)
    } == expected


def _sides(pair) -> dict[str, int]:
    pair.refresh_from_db()
    return {"a": pair.a_left_count, "b": pair.b_left_count}


def test_queue_judgments_after_a_gold_answer_is_cleared_are_counterbalanced_among_themselves(project):
    # The side counters counted gold and queue judgments together: after three gold judgments, the
    # four queue judgments of a cleared pair could come out 3 to 1 (found by the concurrency audit).
    from annotate.services.gold import pair_gold_set

    project.judgments_per_pair, project.sitting_items, project.break_minutes = 4, 100, 0
    project.gold_rate, project.gold_min_accuracy = 1.0, 0.0
    project.save()
    pairs = make_pairs(project, 20)
    lead = make_user("lead")
    for pair in pairs:
        pair_gold_set(project=project, pair_id=pair.id, answer="a", actor=lead)
    people = [make_user(f"g{i}") for i in range(7)]
    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)

    def answer_all(person) -> None:
        sitting_start(project=project, annotator=person)
        while answer_one(project, person) is not None:
            pass
        sitting_end(project=project, annotator=person)

    for person in people[:3]:
        answer_all(person)
    for pair in pairs:
        pair_gold_set(project=project, pair_id=pair.id, answer="", actor=lead)
    project.gold_rate = 0.0
    project.save()
    for person in people[3:]:
        answer_all(person)
    for pair in pairs:
        queue = sorted(pair.judgments.filter(is_gold=False).values_list("left_response", flat=True))
        assert queue == ["a", "a", "b", "b"], pair.id
        assert _sides(pair) == {"a": 2, "b": 2}


@pytest.mark.parametrize("lease_kind", ["queue", "gold"])
def test_a_lease_taken_before_its_pair_changed_kind_gives_nothing_back_to_the_new_kind(
    project, annotator, annotator2, lease_kind
):
    from annotate.services.gold import pair_gold_set

    project.break_minutes, project.gold_min_accuracy = 0, 0.0
    project.gold_rate = 1.0 if lease_kind == "gold" else 0.0
    project.save()
    (pair,) = make_pairs(project, 1)
    lead = make_user("lead")
    if lease_kind == "gold":
        pair_gold_set(project=project, pair_id=pair.id, answer="a", actor=lead)
    now = timezone.now()
    old = _claim(project, annotator, now)
    assert old.is_gold == (lease_kind == "gold")
    pair_gold_set(project=project, pair_id=pair.id, answer="" if lease_kind == "gold" else "b", actor=lead)
    assert _sides(pair) == {"a": 0, "b": 0}  # nothing of the new kind yet
    project.gold_rate = 1.0 - project.gold_rate
    project.save()
    new = _claim(project, annotator2, now)
    assert new.pair_id == pair.id and new.is_gold != old.is_gold
    assert _sides(pair) == {new.left_response: 1, new.right_response: 0}
    # The old lease skipped or given back: the new kind's counters do not move.
    judgment_submit(assignment_id=old.id, annotator=annotator, side="skip", now=now)
    assert _sides(pair) == {new.left_response: 1, new.right_response: 0}
    sitting_end(project=project, annotator=annotator2, now=now)
    assert _sides(pair) == {"a": 0, "b": 0}


def test_the_migration_recounts_each_pairs_sides_for_its_kind_now(project, annotator, annotator2):
    recount_sides = importlib.import_module("annotate.migrations.0016_side_counters_of_the_pairs_kind").recount_sides
    project.break_minutes, project.gold_rate, project.gold_min_accuracy = 0, 1.0, 0.0
    project.save()
    (pair,) = make_pairs(project, 1)
    Pair.objects.filter(pk=pair.pk).update(gold_answer="a")
    now = timezone.now()
    gold = _claim(project, annotator, now)
    judgment_submit(assignment_id=gold.id, annotator=annotator, side="left", now=now)
    # Cleared as before this change: the gold judgment stays in the counters.
    Pair.objects.filter(pk=pair.pk).update(gold_answer="")
    project.gold_rate = 0.0
    project.save()
    queue = _claim(project, annotator2, now)
    assert not queue.is_gold
    with connection.schema_editor() as editor:
        recount_sides(django_apps, editor)
    assert _sides(pair) == {queue.left_response: 1, queue.right_response: 0}


def test_no_gold_pair_is_served_when_the_queue_has_none_for_the_annotator(project, annotator, annotator2):
    # Served then, a pair that came after "no pair is available" was gold every time: an annotator
    # knew which answers were checked (found by the gaming audit).
    project.judgments_per_pair, project.break_minutes, project.gold_rate = 1, 0, 0.0
    project.save()
    queue, gold = make_pairs(project, 2)
    Pair.objects.filter(pk=gold.pk).update(gold_answer="a")
    sitting_start(project=project, annotator=annotator2)
    assert answer_one(project, annotator2).pair_id == queue.pk  # the queue is full
    project.gold_rate = 1.0
    project.save()
    sitting_start(project=project, annotator=annotator)
    assert assignment_next(project=project, annotator=annotator)[0] is None
    # A new pair in the queue opens it: gold is served again, at its rate, with no statement more than
    # a pair of the queue costs (the check is in the gold claim's own statement).
    make_pairs(project, 1, prefix="new")
    with CaptureQueriesContext(connection) as gold_draw:
        assert assignment_next(project=project, annotator=annotator)[0].pair_id == gold.pk
    project.gold_rate = 0.0
    project.save()
    on_hand = Assignment.objects.get(annotator=annotator, is_gold=True).id
    with CaptureQueriesContext(connection) as queue_draw:
        assert assignment_next(project=project, annotator=annotator, exclude=[on_hand])[0]
    assert len(gold_draw.captured_queries) == len(queue_draw.captured_queries)
