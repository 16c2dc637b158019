"""Strength (Llama 2's four levels) belongs to a decisive answer only."""

from __future__ import annotations

import pytest

from annotate.models import Judgment
from annotate.services.annotating import AnnotationError, assignment_next, judgment_submit, sitting_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def asking_strength(project):
    project.ask_strength = True
    project.allow_tie = True
    project.save()
    return project


def test_a_tie_needs_no_strength_and_keeps_none(asking_strength, annotator, pairs):
    sitting_start(project=asking_strength, annotator=annotator)
    bare, _ = assignment_next(project=asking_strength, annotator=annotator)
    judgment_submit(assignment_id=bare.id, annotator=annotator, side="tie")
    # A strength sent with a tie says how much better a chosen response is, and a tie chose none.
    sent, _ = assignment_next(project=asking_strength, annotator=annotator)
    judgment_submit(assignment_id=sent.id, annotator=annotator, side="tie", strength=3)
    assert list(Judgment.objects.order_by("id").values_list("side", "strength")) == [("tie", None), ("tie", None)]


def test_a_strength_off_the_scale_is_refused(asking_strength, annotator, pairs):
    sitting_start(project=asking_strength, annotator=annotator)
    assignment, _ = assignment_next(project=asking_strength, annotator=annotator)
    for strength in (0, 5):
        with pytest.raises(AnnotationError, match="strength must be 1 to 4"):
            judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", strength=strength)
    assert not Judgment.objects.exists()
    judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", strength=4)
    assert Judgment.objects.get().strength == 4
