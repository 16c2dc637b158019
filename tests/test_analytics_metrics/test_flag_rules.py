"""The rule every per-annotator flag follows: p adjusted across annotators (Benjamini–Hochberg) below
1%, and for fatigue, a decline of quality, not a rise."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from analytics.metrics.fatigue import fatigue
from analytics.metrics.position import position_bias
from analytics.metrics.proportions import adjusted_flags


def test_a_flag_reads_the_adjusted_p_not_the_raw_one():
    raw = [0.004, 0.3, 0.6, 0.9]
    adjusted = multipletests(raw, method="fdr_bh")[1]
    assert raw[0] < 0.01 < adjusted[0]
    assert adjusted_flags(raw, 0.01) == [(float(p), False) for p in adjusted]


def judged(annotator: str, lefts: int, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "annotator": annotator,
            "side": ["left"] * lefts + ["right"] * (n - lefts),
            "index_in_sitting": range(1, n + 1),
            "elapsed_in_sitting_ms": [i * 30_000 for i in range(n)],
        }
    )


def test_position_flags_at_the_one_percent_level():
    # 33 left of 50: p between 1% and 5%, a lean the flag leaves alone; 40 of 50 it flags.
    assert 0.01 < binomtest(33, 50, 0.5).pvalue < 0.05
    report = position_bias(pd.concat([judged("lean", 33, 50), judged("biased", 40, 50)], ignore_index=True))
    assert report["flag_alpha"] == 0.01
    assert {row["annotator"]: row["flagged"] for row in report["per_annotator"]} == {"lean": False, "biased": True}


def sittings_whose_quality_rises(rng: np.random.Generator) -> pd.DataFrame:
    """One annotator, 20 sittings of 30 answers a minute apart, by gold: right a third of the time at
    first, nearly always by the end of each sitting (warming up, the opposite of fatigue)."""
    frames = []
    for number in range(20):
        rate = np.linspace(0.3, 0.97, 30)
        frames.append(
            pd.DataFrame(
                {
                    "annotator": "u",
                    "sitting_id": number,
                    "side": ["left", "right"] * 15,
                    "chosen_response": ["a", "b"] * 15,
                    "left_response": "a",
                    "dwell_ms": 20_000.0,
                    "index_in_sitting": range(1, 31),
                    "elapsed_in_sitting_ms": [i * 60_000 for i in range(30)],
                    "gold_correct": (rng.random(30) < rate).astype(float),
                }
            )
        )
    judgments = pd.concat(frames, ignore_index=True)
    return judgments.assign(pair_id=range(len(judgments)), source_preference="a")


def test_quality_that_rises_within_sittings_is_no_fatigue():
    report = fatigue(sittings_whose_quality_rises(np.random.default_rng(11)))
    assert report["flag_alpha"] == 0.01
    (row,) = report["per_annotator"]
    assert row["slope_per_minute"] > 0
    assert row["p_decline"] > 0.99 and row["flagged"] is False
    # The same answers in reverse order within each sitting: a decline, flagged.
    judgments = sittings_whose_quality_rises(np.random.default_rng(11))
    judgments["gold_correct"] = judgments.groupby("sitting_id")["gold_correct"].transform(lambda s: s[::-1].to_numpy())
    (declining,) = fatigue(judgments)["per_annotator"]
    assert declining["slope_per_minute"] < 0 and declining["flagged"] is True


def test_ties_and_skips_are_no_side_in_an_annotators_left_rate():
    judgments = judged("u", 12, 20)
    judgments.loc[12:, "side"] = ["tie", "skip"] * 4
    (row,) = position_bias(judgments)["per_annotator"]
    assert (row["n"], row["successes"], row["rate"], row["ties"], row["skips"]) == (12, 12, 1.0, 4, 4)
