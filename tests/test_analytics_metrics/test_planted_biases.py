"""Biases planted in synthetic annotators are found, and honest annotators are left alone."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.metrics.agreement import agreement
from analytics.metrics.fatigue import fatigue
from analytics.metrics.position import position_bias
from tests.test_analytics_metrics.synthetic import Behaviour, simulate

SEEDS = [1, 2, 3, 4, 5]
HONEST = Behaviour(accuracy=0.85)
LEFTY = Behaviour(left_rate=0.7)
# Follows the source 90% of the time for the first 10 minutes of each sitting, then at chance.
FATIGUED = Behaviour(accuracy=0.9, fatigued_accuracy=0.5, fatigue_after_minutes=10)
CAST = {1: HONEST, 2: HONEST, 3: HONEST, 4: HONEST, 5: LEFTY, 6: FATIGUED}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_seventy_percent_left_annotator_is_flagged_and_nobody_else(seed):
    """200 judgments per annotator (five 25-minute sittings of 40), every pair judged by all six."""
    judgments, _ = simulate(np.random.default_rng(seed), list(CAST.values()), n_pairs=200)
    flagged = {row["annotator"] for row in position_bias(judgments)["per_annotator"] if row["flagged"]}
    assert flagged == {5}


@pytest.mark.parametrize("seed", SEEDS)
def test_an_annotator_who_tires_late_in_sittings_is_flagged_and_honest_ones_are_not(seed):
    """400 judgments per annotator (ten sittings): a step from 90% to chance after 10 minutes is a
    weak signal for a linear trend in log-odds, and 200 answers find it only most of the time."""
    judgments, _ = simulate(np.random.default_rng(seed), list(CAST.values()), n_pairs=400)
    rows = {row["annotator"]: row for row in fatigue(judgments)["per_annotator"]}
    assert rows[6]["flagged"] is True
    assert rows[6]["slope_per_minute"] < 0
    assert not any(rows[annotator]["flagged"] for annotator in (1, 2, 3, 4))


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_agreement_is_near_what_was_planted(seed):
    accuracy = 0.8
    judgments, _ = simulate(np.random.default_rng(seed), [Behaviour(accuracy=accuracy)] * 5, n_pairs=1000)
    report = agreement(judgments)
    # Two annotators agree when both follow the source or both do not; the source is balanced
    # between A and B, so chance agreement is 1/2.
    planted_agreement = accuracy**2 + (1 - accuracy) ** 2
    planted_kappa = (planted_agreement - 0.5) / (1 - 0.5)
    assert report["raw_agreement"]["agreement"] == pytest.approx(planted_agreement, abs=0.03)
    assert report["fleiss_kappa"]["value"] == pytest.approx(planted_kappa, abs=0.05)
    assert report["krippendorff_alpha"]["value"] == pytest.approx(planted_kappa, abs=0.05)
    assert report["source"]["rate"] == pytest.approx(accuracy, abs=0.02)
    assert report["fleiss_kappa"]["raters_per_pair"] == 5
