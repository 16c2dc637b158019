"""A sitting's item limit bounds its leases too: no pair is leased that the sitting could not answer."""

from __future__ import annotations

import pytest

from annotate.models import Assignment, AssignmentState, Pair
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start

pytestmark = pytest.mark.django_db


def test_no_pair_is_prefetched_past_the_item_limit(project, annotator, pairs):
    project.sitting_items = 2
    project.save()
    sitting_start(project=project, annotator=annotator)
    first, _ = assignment_next(project=project, annotator=annotator)
    second, _ = assignment_next(project=project, annotator=annotator, exclude=[first.id])
    judgment_submit(assignment_id=first.id, annotator=annotator, side="left")
    # One answered, one on hand: the item limit of two is spoken for. A third lease would hold a place
    # in a pair's k-queue (and a side) that this sitting can never answer.
    third, _ = assignment_next(project=project, annotator=annotator, exclude=[second.id])
    assert third is None
    assert Assignment.objects.filter(annotator=annotator).count() == 2
    assert sum(Pair.objects.values_list("lease_count", flat=True)) == 1
    assert Assignment.objects.get(pk=second.pk).state == AssignmentState.LEASED
