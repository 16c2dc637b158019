"""Careless answering: an annotator who agrees with the others' majority less often than the rest do
is flagged (one-sided Fisher's exact test, Benjamini–Hochberg, 1%); too little data is no test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from analytics.metrics.careless import (
    MIN_JUDGMENTS,
    TOO_FEW_JUDGMENTS,
    TOO_FEW_PEERS,
    careless_answering,
    careless_flags,
)
from analytics.metrics.position import position_bias
from tests.test_analytics_metrics.synthetic import Behaviour, simulate

CAREFUL = Behaviour(accuracy=0.9)
# Clicks left or right at random, whatever the content: at chance with everyone, and no side preference.
AT_CHANCE = Behaviour(left_rate=0.5)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_an_annotator_at_chance_among_careful_ones_is_flagged_and_nobody_else(seed):
    """100 judgments each, every pair judged by all five; the clicker picks left half the time, so the
    position flag passes it by."""
    judgments, _ = simulate(np.random.default_rng(seed), [CAREFUL] * 4 + [AT_CHANCE], n_pairs=100)
    rows = {row["annotator"]: row for row in careless_answering(judgments)["per_annotator"]}
    assert {annotator for annotator, row in rows.items() if row["flagged"]} == {5}
    assert rows[5]["rate"] < rows[5]["others_rate"]
    assert not any(row["flagged"] for row in position_bias(judgments)["per_annotator"])


def table(votes: dict[str, str], *, pairs: int, start: int = 0) -> pd.DataFrame:
    """Every annotator of `votes` judges pairs start..start+pairs-1, A always on the left; "a" picks A
    every time, "b" B every time, "ab" alternates."""
    rows = []
    for annotator, habit in votes.items():
        for number in range(pairs):
            chosen = habit[number % len(habit)]
            rows.append((annotator, start + number, "left" if chosen == "a" else "right", chosen))
    return pd.DataFrame(rows, columns=["annotator", "pair_id", "side", "chosen_response"])


def test_the_p_is_scipys_one_sided_fisher_test_against_the_others_pooled_counts():
    # Three who always pick A, one who alternates: on each pair the others' majority is A.
    rows = {row["annotator"]: row for row in careless_flags(table({"u": "a", "v": "a", "w": "a", "x": "ab"}, pairs=40))}
    x = rows["x"]
    assert (x["n"], x["agreed"], x["others_n"], x["others_agreed"]) == (40, 20, 120, 120)
    assert x["p_value"] == fisher_exact([[20, 20], [120, 0]], alternative="less").pvalue
    assert x["flagged"] is True and x["reason"] is None
    # The others agree more often than the rest: H1 is one-sided, so their p is large.
    assert rows["u"]["p_value"] > 0.5 and not rows["u"]["flagged"]


def test_few_judgments_or_two_annotators_give_no_test_and_say_why():
    few = careless_flags(table({"u": "a", "v": "a", "w": "a", "x": "b"}, pairs=MIN_JUDGMENTS - 1))
    assert all(row["p_value"] is None and row["flagged"] is False for row in few)
    assert {row["reason"] for row in few} == {TOO_FEW_JUDGMENTS}
    # Two annotators agree with each other exactly as often: which one is careless cannot be told.
    two = careless_flags(table({"u": "a", "x": "ab"}, pairs=200))
    assert [(row["p_value"], row["reason"], row["flagged"]) for row in two] == [(None, TOO_FEW_PEERS, False)] * 2
    # Nor beside a second one with a handful of judgments: "the rest" would be one person.
    handful = table({"u": "a", "x": "ab"}, pairs=200)
    handful = pd.concat([handful, table({"w": "a"}, pairs=MIN_JUDGMENTS - 1)], ignore_index=True)
    assert {row["annotator"]: row["reason"] for row in careless_flags(handful)} == {
        "u": TOO_FEW_PEERS,
        "w": TOO_FEW_JUDGMENTS,
        "x": TOO_FEW_PEERS,
    }


def test_a_flag_reads_the_p_adjusted_across_annotators_and_a_rate_nearer_chance_than_the_rests():
    # x disagrees on 4 of 40 where the others never do: a raw p below 1% that Benjamini-Hochberg over
    # four tests lifts above it; on 5 of 40 it stays below, but 87.5% is nearer the rest's 100% than
    # chance (the midpoint is 75%): not careless; on 20 of 40, at chance, flagged.
    votes = table({"u": "a", "v": "a", "w": "a"}, pairs=40)
    for disagreeing, significant, flagged in ((4, False, False), (5, True, False), (20, True, True)):
        x = table({"x": "a" * (40 - disagreeing) + "b" * disagreeing}, pairs=40)
        (row,) = [row for row in careless_flags(pd.concat([votes, x], ignore_index=True)) if row["annotator"] == "x"]
        assert row["p_value"] < 0.01 and row["p_adjusted"] == pytest.approx(4 * row["p_value"])
        assert (row["p_adjusted"] < 0.01) is significant
        assert row["flagged"] is flagged


def test_ties_skips_and_swapped_repeats_are_left_out():
    judgments = table({"u": "a", "v": "a", "w": "a", "x": "ab"}, pairs=40)
    judgments["probe_of"] = np.nan
    extra = pd.DataFrame(
        {
            "annotator": ["x"] * 3,
            "pair_id": [0, 1, 2],
            "side": ["tie", "skip", "right"],
            "chosen_response": ["", "", "b"],
            # The last one repeats x's judgment of pair 2 (row 122), sides swapped: not a vote.
            "probe_of": [np.nan, np.nan, 122.0],
        }
    )
    rows = {row["annotator"]: row for row in careless_flags(pd.concat([judgments, extra], ignore_index=True))}
    assert (rows["x"]["n"], rows["x"]["agreed"]) == (40, 20)
    assert (rows["u"]["n"], rows["u"]["agreed"]) == (40, 40)


def test_the_section_is_plain_json_with_its_rule():
    section = careless_answering(table({"u": "a", "v": "a", "w": "a"}, pairs=25))
    assert (section["flag_alpha"], section["min_judgments"], section["min_peers"]) == (0.01, 20, 2)
    assert [type(row["annotator"]) for row in section["per_annotator"]] == [str] * 3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_honest_but_noisier_annotator_significantly_below_the_rest_is_not_flagged(seed):
    """500 pairs each: the test alone finds the 80% annotator below the rest at 90%, but the rate is
    nearer the rest's than chance (the midpoint is 70%), and its judgments are mostly right: not careless."""
    judgments, _ = simulate(np.random.default_rng(seed), [CAREFUL] * 4 + [Behaviour(accuracy=0.8)], n_pairs=500)
    rows = {row["annotator"]: row for row in careless_flags(judgments)}
    assert rows[5]["p_adjusted"] < 0.01 and rows[5]["rate"] > (0.5 + rows[5]["others_rate"]) / 2
    assert not any(row["flagged"] for row in rows.values())
