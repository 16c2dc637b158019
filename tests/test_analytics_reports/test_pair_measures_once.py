"""A project's pairs are measured by one process at a time: two at once measured every pair twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from analytics.services import _MEASURE_LOCK, pair_measures_fill
from annotate.models import Pair
from tests.conftest import advisory_lock_held_elsewhere, make_pairs

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_imports_fill_gives_way_to_one_running_and_a_report_waits_for_it(project):
    # Found by the job life cycle audit: each import sends a fill, and two running at once each
    # measured every pair of the project.
    make_pairs(project, 6)
    with advisory_lock_held_elsewhere(_MEASURE_LOCK, project.pk):  # a fill running in another worker
        assert pair_measures_fill(project_id=project.pk, wait=False) == 0
        assert Pair.objects.filter(transcript_similarity__isnull=True).count() == 6
        measured: list[int] = []

        def report_fill() -> None:
            try:
                measured.append(pair_measures_fill(project_id=project.pk))
            finally:
                connection.close()

        waiting = threading.Thread(target=report_fill)
        waiting.start()
        waiting.join(timeout=2)
        assert waiting.is_alive() and measured == []  # waits for the running fill
    waiting.join(timeout=60)
    assert measured == [6]
    assert not Pair.objects.filter(transcript_similarity__isnull=True).exists()
    assert pair_measures_fill(project_id=project.pk, wait=False) == 0  # nothing left
