"""Leasing pairs: never twice to one annotator, at most k, counterbalanced, constant cost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.models import Assignment, Pair, PairStatus
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
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
    from annotate.models import Membership, Role

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
    from annotate.models import Membership, Role

    Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    project.sitting_items = 1000
    project.save()
    sitting_start(project=project, annotator=person)
    lefts = [answer_one(project, person).left_response for _ in range(200)]
    assert 60 < lefts.count("a") < 140
