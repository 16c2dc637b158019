"""The simulated random clicker, flagged by no other flag, is flagged for careless answering; the
honest simulated annotators are not."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from analytics.metrics.careless import careless_answering
from analytics.metrics.position import position_bias
from analytics.selectors import judgment_frame
from analytics.simulation import annotator_specs_parse, annotators_simulate

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_random_clicker_is_flagged_for_careless_answering_and_no_honest_annotator_is(project, varied_pairs, seed):
    """Four honest annotators and a random clicker on 40 pairs, each judged by all five, through the
    real annotating services, with ties, skips and swapped repeats as the demo has them. (Where a third
    of the annotators answer at chance, as in the demo's cast on pairs whose length says nothing of
    their quality, about 40 judgments each are too few: the rest's majority is at chance too often.)"""
    project.judgments_per_pair = 5
    project.allow_tie = project.allow_skip = True
    project.probe_rate, project.probe_min_gap = 0.1, 8
    project.save()
    varied_pairs(project, 40, seed=seed)
    annotators_simulate(project=project, specs=annotator_specs_parse("honest:4,random:1"), seed=seed, days=2)

    frame = judgment_frame(project=project)
    names = dict(get_user_model().objects.values_list("id", "username"))
    rows = {names[row["annotator"]]: row for row in careless_answering(frame)["per_annotator"]}
    assert rows["sim-random-1"]["flagged"] is True
    assert not any(rows[f"sim-honest-{i}"]["flagged"] for i in range(1, 5))
    assert all(rows[f"sim-honest-{i}"]["p_value"] is not None for i in range(1, 5))
    # Which no other flag of its catches: it clicks left half the time.
    random_clicker = next(user_id for user_id, name in names.items() if name == "sim-random-1")
    (position,) = [
        row
        for row in position_bias(frame[frame["probe_of"].isna()])["per_annotator"]
        if row["annotator"] == random_clicker
    ]
    assert position["flagged"] is False
