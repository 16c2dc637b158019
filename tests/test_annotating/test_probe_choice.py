"""Which judgment a swapped repeat probes: decisive, in the queue, with exactly the gap behind it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotate.models import Pair
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from tests.conftest import make_pairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def probing(project):
    """Every draw asks for a probe; one is served whenever a judgment qualifies."""
    project.probe_rate = 1.0
    project.sitting_items = 100
    project.judgments_per_pair = 1
    project.allow_tie = True
    project.save()
    make_pairs(project, 10)
    return project


def answer_in_turn(project, annotator, sides: list[str]):
    """Serve and answer one pair after another with these sides; the assignments served."""
    now = timezone.now()
    sitting_start(project=project, annotator=annotator, now=now)
    served = []
    for side in sides:
        now += dt.timedelta(seconds=30)
        assignment, _ = assignment_next(project=project, annotator=annotator, now=now)
        served.append(assignment)
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side=side, now=now)
    return served


def test_a_probe_comes_once_the_gap_of_judgments_lies_behind_its_original_and_not_before(probing, annotator):
    probing.probe_min_gap = 2
    probing.save()
    served = answer_in_turn(probing, annotator, ["left"] * 4)
    # The third pair has one judgment behind the first; the fourth, two: the gap.
    assert [assignment.probe_of_id is not None for assignment in served] == [False, False, False, True]
    assert served[3].probe_of.assignment_id == served[0].id


def test_a_tie_is_never_probed(probing, annotator):
    probing.probe_min_gap = 1
    probing.save()
    served = answer_in_turn(probing, annotator, ["tie", "left", "left", "left"])
    # The tie (first) is never repeated: the first probe is of the second, decisive judgment.
    assert [assignment.probe_of_id is not None for assignment in served] == [False, False, False, True]
    assert served[3].probe_of.assignment_id == served[1].id


def test_a_gold_judgment_is_never_probed(probing, annotator):
    (gold,) = Pair.objects.filter(project=probing).order_by("id")[:1]
    Pair.objects.filter(pk=gold.pk).update(gold_answer="a")
    probing.probe_min_gap = 1
    probing.gold_rate = 1.0
    probing.save()
    served = answer_in_turn(probing, annotator, ["left"] * 4)
    assert served[0].is_gold and served[0].pair_id == gold.pk
    # Served again as a probe, a gold pair would be scored against its known answer a second time.
    assert [assignment.probe_of_id is not None for assignment in served] == [False, False, False, True]
    assert served[3].probe_of.assignment_id == served[1].id


def test_a_probe_lease_given_back_moves_no_counter_of_its_pair(probing, annotator):
    from annotate.services.annotating import sitting_end

    probing.probe_min_gap = 1
    probing.save()
    served = answer_in_turn(probing, annotator, ["left", "left"])
    probe, _ = assignment_next(project=probing, annotator=annotator)
    assert probe.probe_of.assignment_id == served[0].id
    pair = Pair.objects.get(pk=probe.pair_id)
    before = (pair.lease_count, pair.judgment_count, pair.a_left_count, pair.b_left_count)
    # Probes hold no place in the k-queue and show no side that counts: given back, nothing moves.
    sitting_end(project=probing, annotator=annotator)
    pair.refresh_from_db()
    assert (pair.lease_count, pair.judgment_count, pair.a_left_count, pair.b_left_count) == before
    assert before[:2] == (0, 1)
