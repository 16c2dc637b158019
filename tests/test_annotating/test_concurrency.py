"""Many annotators asking for pairs at once on PostgreSQL: no over-assignment, no deadlock, no error."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.db.models import Count

from annotate.models import Assignment, Judgment, Membership, Pair, Role
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from tests.conftest import make_pairs, make_user

THREADS = 16


@pytest.mark.django_db(transaction=True)
def test_sixteen_annotators_at_once_never_over_assign_a_pair(project):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL")
    project.judgments_per_pair = 3
    project.sitting_items = 1000
    project.save()
    make_pairs(project, 40)
    people = [make_user(f"c{i}") for i in range(THREADS)]
    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    errors: list[BaseException] = []
    answered: dict[int, list[int]] = {person.id: [] for person in people}
    barrier = threading.Barrier(THREADS)

    def annotate(person) -> None:
        try:
            sitting_start(project=project, annotator=person)
            barrier.wait()
            while True:
                assignment, _ = assignment_next(project=project, annotator=person)
                if assignment is None:
                    return
                judgment_submit(
                    assignment_id=assignment.id, annotator=person, side="left" if assignment.id % 2 else "right"
                )
                answered[person.id].append(assignment.pair_id)
        except BaseException as error:  # reported below: any error fails the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=annotate, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert sum(len(v) for v in answered.values()) == 40 * 3 == Judgment.objects.count()
    for pair_ids in answered.values():
        assert len(pair_ids) == len(set(pair_ids))
    for pair in Pair.objects.annotate(n=Count("judgments")):
        assert pair.n == pair.judgment_count == 3
        assert pair.lease_count == 0
        assert abs(pair.a_left_count - pair.b_left_count) <= 1
    assert not Assignment.objects.filter(state="leased").exists()
