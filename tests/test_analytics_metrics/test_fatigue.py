"""Fatigue curves, trend tests and speeding against hand-worked cases and scipy/statsmodels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.metrics.fatigue import fatigue, fatigue_measures, speeding


def sitting(n: int, *, dwell: list[float] | None = None, sides: list[str] | None = None) -> pd.DataFrame:
    """One annotator's sitting of n answers, one a minute, on pairs 0..n-1."""
    return pd.DataFrame(
        {
            "annotator": "u",
            "pair_id": range(n),
            "side": sides or ["left", "right"] * (n // 2),
            "chosen_response": [
                "a" if s == "left" else "b" if s == "right" else "" for s in (sides or ["left", "right"] * (n // 2))
            ],
            "left_response": "a",
            "dwell_ms": dwell or [1000.0] * n,
            "index_in_sitting": range(1, n + 1),
            "elapsed_in_sitting_ms": [i * 60_000 for i in range(n)],
            "since_break_ms": [np.nan] * (n // 2) + [i * 60_000.0 for i in range(n - n // 2)],
        }
    )


def test_it_gives_the_median_dwell_and_left_rate_of_each_bin():
    judgments = sitting(12, dwell=[float(v) for v in range(100, 1300, 100)])
    report = fatigue(judgments)
    by_index = report["by_index_in_sitting"]
    assert by_index["bins"][:3] == ["[1, 6)", "[6, 11)", "[11, 21)"]
    assert by_index["median_dwell_ms"][:3] == [300.0, 800.0, 1150.0]
    assert [row["n"] for row in by_index["left"][:3]] == [5, 5, 2]
    assert by_index["left"][0]["successes"] == 3  # left, right, left, right, left
    assert report["before_first_break"] == 6
    assert sum(row["n"] for row in report["by_minutes_since_break"]["left"]) == 6


def test_its_dwell_trend_is_the_logistic_slope_of_answering_slower_than_ones_own_median():
    rng = np.random.default_rng(4)
    dwell = (rng.lognormal(8, 0.4, 200) * np.linspace(1.5, 0.7, 200)).tolist()  # faster as it goes on
    report = fatigue(sitting(200, dwell=dwell))
    slower = (np.array(dwell) > np.median(dwell)).astype(float)
    direct = sm.Logit(slower, sm.add_constant(np.arange(1, 201, dtype=float))).fit(disp=0)
    trend = report["trends"]["index"]["dwell_ms"]
    assert trend["slope"]["estimate"] == pytest.approx(direct.params[1], rel=1e-8)
    assert trend["slope"]["estimate"] < 0
    assert trend["slope"]["p_value"] == pytest.approx(direct.pvalues[1], rel=1e-4)
    assert (trend["n"], trend["sittings"]) == (200, 1)
    # Against minutes, the minute at which the pair was shown: the answer's minute less its dwell.
    shown = np.floor(np.clip(np.arange(200) - np.array(dwell) / 60_000, 0, None))
    direct = sm.Logit(slower, sm.add_constant(shown)).fit(disp=0)
    assert report["trends"]["minutes"]["dwell_ms"]["slope"]["estimate"] == pytest.approx(direct.params[1], rel=1e-8)


def two_annotators_whose_pooled_trend_is_reversed() -> pd.DataFrame:
    """A careful annotator whose agreement falls from 90% to 60% over an hour, and a random clicker
    (50%) whose many quick answers all fall in the first five minutes: pooled, agreement rises."""
    rng = np.random.default_rng(8)
    careful_minutes = np.repeat(np.arange(60), 10)
    careful = rng.random(len(careful_minutes)) < np.interp(careful_minutes, [0, 59], [0.9, 0.6])
    clicker_minutes = np.repeat(np.arange(5), 200)
    clicker = rng.random(len(clicker_minutes)) < 0.5
    frames = []
    for name, minutes_, agrees in (("careful", careful_minutes, careful), ("clicker", clicker_minutes, clicker)):
        n = len(minutes_)
        frames.append(
            pd.DataFrame(
                {
                    "annotator": name,
                    "pair_id": np.arange(n) + (0 if name == "careful" else 10_000),
                    "side": "left",
                    "chosen_response": np.where(agrees, "a", "b"),
                    "left_response": np.where(agrees, "a", "b"),
                    "source_preference": "a",
                    "dwell_ms": 1000.0,
                    "index_in_sitting": np.arange(1, n + 1),
                    "elapsed_in_sitting_ms": minutes_ * 60_000 + 30_000,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_its_trends_compare_each_group_with_itself_not_who_answers_when():
    # The pooled fit reversed planted trends on a simulated project (Simpson's paradox).
    judgments = two_annotators_whose_pooled_trend_is_reversed()
    agrees = (judgments["chosen_response"] == "a").astype(float)
    minute = (judgments["elapsed_in_sitting_ms"] // 60_000).astype(float)
    pooled = sm.Logit(agrees, sm.add_constant(minute)).fit(disp=0)
    assert pooled.params.iloc[1] > 0 and pooled.pvalues.iloc[1] < 0.01  # what the dashboard said
    trend = fatigue(judgments)["trends"]["minutes"]["source"]
    assert trend["slope"]["estimate"] < 0 and trend["slope"]["p_value"] < 0.01
    assert (trend["n"], trend["sittings"]) == (1600, 2)
    # statsmodels' Logit with an indicator of the second annotator, on the same rows.
    design = sm.add_constant(np.column_stack([minute, (judgments["annotator"] == "clicker").astype(float)]))
    direct = sm.Logit(agrees, design).fit(disp=0)
    assert trend["slope"]["estimate"] == pytest.approx(direct.params.iloc[1], rel=1e-8)
    assert trend["slope"]["se"] == pytest.approx(direct.bse.iloc[1], rel=1e-6)


def test_an_annotator_who_says_nothing_within_is_left_out_of_the_trend():
    judgments = two_annotators_whose_pooled_trend_is_reversed()
    # The clicker now agrees every time: an intercept alone fits them.
    judgments.loc[judgments["annotator"] == "clicker", "chosen_response"] = "a"
    judgments.loc[judgments["annotator"] == "clicker", "left_response"] = "a"
    trend = fatigue(judgments)["trends"]["minutes"]["source"]
    assert (trend["n"], trend["sittings"]) == (600, 1) and trend["slope"]["estimate"] < 0
    # Nobody left: said, not an error.
    only = judgments[judgments["annotator"] == "clicker"]
    trend = fatigue(only)["trends"]["minutes"]["source"]
    assert trend["slope"] is None and trend["sittings"] == 0
    assert trend["reason"] == "no sitting's answers vary at two points of it or more"


def test_its_left_rate_trend_is_the_statsmodels_logistic_slope():
    rng = np.random.default_rng(2)
    n = 400
    sides = np.where(rng.random(n) < np.linspace(0.3, 0.8, n), "left", "right").tolist()
    judgments = sitting(n, sides=sides)
    slope = fatigue(judgments)["trends"]["minutes"]["left"]["slope"]
    direct = sm.Logit((np.array(sides) == "left").astype(float), sm.add_constant(np.arange(n, dtype=float))).fit(disp=0)
    assert slope["estimate"] == pytest.approx(direct.params[1], rel=1e-8)
    assert slope["p_value"] == pytest.approx(direct.pvalues[1], rel=1e-6)


def test_it_prefers_gold_then_the_others_majority_then_the_source_as_quality():
    judgments = pd.concat([sitting(2), sitting(2).assign(annotator="v")], ignore_index=True)
    judgments["source_preference"] = ["b", "a", "a", "a"]
    judgments["gold_correct"] = [1.0, np.nan, np.nan, np.nan]
    measures = fatigue_measures(judgments)
    # u's first answer is scored by gold; every other answer matches the other annotator's.
    assert measures["quality"].tolist() == [1.0, 1.0, 1.0, 1.0]
    judgments["gold_correct"] = np.nan
    judgments.loc[3, "side"], judgments.loc[3, "chosen_response"] = "tie", ""
    measures = fatigue_measures(judgments)
    # Pair 1 now has one decisive answer: u's quality falls back on the source (a), and u chose b.
    assert measures["quality"].tolist()[1] == 0.0
    assert np.isnan(measures["quality"].tolist()[3])


def test_it_counts_answers_faster_than_reading_238_words_a_minute():
    pairs = pd.DataFrame(
        {"pair_id": [1, 2], "words_context": [200, 10], "words_response_a": [20, 5], "words_response_b": [18, 5]}
    )
    judgments = pd.DataFrame(
        {
            "annotator": ["u", "u", "v", "v", "v", "v"],
            "pair_id": [1, 1, 1, 2, 3, 2],  # pair 3 has no word counts
            # A skip is no answer: not fast, as the submit's flag has it.
            "side": ["left", "right", "tie", "left", "left", "skip"],
            "dwell_ms": [59_999.0, 60_000.0, np.nan, 1000.0, 1.0, 10.0],
        }
    )
    report = speeding(judgments, pairs)
    # Pair 1 has 238 words: a floor of exactly one minute. Pair 2: 20 words, about 5 s.
    by_annotator = {row["annotator"]: row for row in report["per_annotator"]}
    assert by_annotator["u"] == {"annotator": "u", "n": 2, "speeding": 1, "share": 0.5}
    assert by_annotator["v"] == {"annotator": "v", "n": 1, "speeding": 1, "share": 1.0}
    assert report["overall"] == {"n": 3, "speeding": 2, "share": 2 / 3}


def test_it_does_not_test_an_annotator_with_too_few_answers():
    report = fatigue(sitting(6))
    row = report["per_annotator"][0]
    assert row["flagged"] is False and row["p_decline"] is None and row["reason"] is not None
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_a_swapped_repeat_is_scored_by_its_consistency_not_counted_again_against_the_source():
    judgments = sitting(4)
    judgments["source_preference"] = "a"
    judgments["probe_of"] = [np.nan, np.nan, np.nan, 1.0]  # the fourth repeats the second
    judgments["probe_consistent"] = [np.nan, np.nan, np.nan, 0.0]
    measures = fatigue_measures(judgments)
    # Left out of source agreement as of the left rate and the others' majority.
    assert measures["source"].tolist()[:3] == [1.0, 0.0, 1.0] and np.isnan(measures["source"].iloc[3])
    assert np.isnan(measures["left"].iloc[3])
    assert measures["quality"].iloc[3] == 0.0


def sittings_that_run_at_their_own_pace(rng: np.random.Generator) -> pd.DataFrame:
    """One annotator's 60 sittings, each at its own pace (a quick one ends at its 40 items, a slow one
    at its 25 minutes), with no trend of any kind within a sitting."""
    rows = []
    for sitting in range(60):
        pace, elapsed, index = rng.lognormal(0, 0.6), 0.0, 0
        while index < 40 and elapsed < 25 * 60_000:
            index += 1
            dwell = 30_000 * pace * rng.lognormal(0, 0.3)
            elapsed += dwell
            rows.append((sitting, index, elapsed, dwell))
    frame = pd.DataFrame(rows, columns=["sitting_id", "index_in_sitting", "elapsed_in_sitting_ms", "dwell_ms"])
    n = len(frame)
    return frame.assign(
        annotator="u", pair_id=range(n), side="left", chosen_response="a", left_response="a", source_preference="a"
    )


def test_a_sittings_pace_does_not_pass_for_a_trend_within_it():
    # With one intercept per annotator, late items came only from quick sittings and late minutes only
    # from slow ones: dwell 'fell' with the index and 'rose' with the minutes (found in review).
    judgments = sittings_that_run_at_their_own_pace(np.random.default_rng(5))
    trends = fatigue(judgments)["trends"]
    for axis in ("index", "minutes"):
        assert trends[axis]["dwell_ms"]["slope"]["p_value"] > 0.01, axis
        assert trends[axis]["dwell_ms"]["sittings"] == 60
    per_annotator = fatigue(judgments.drop(columns="sitting_id"))["trends"]
    assert per_annotator["index"]["dwell_ms"]["slope"]["p_value"] < 0.01
    assert per_annotator["minutes"]["dwell_ms"]["slope"]["p_value"] < 0.01


def careful_quick_sittings_and_sloppy_slow_ones(rng: np.random.Generator) -> pd.DataFrame:
    """One annotator, steady within every sitting: 20 sittings of 30 answers, the quick ones (10 s an
    answer) 95% right, the slow ones (50 s an answer) 55% right, by gold."""
    frames = []
    for number in range(20):
        quick = number % 2 == 0
        seconds, rate = (10, 0.95) if quick else (50, 0.55)
        frames.append(
            sitting(30).assign(
                sitting_id=number,
                elapsed_in_sitting_ms=[i * seconds * 1000 for i in range(30)],
                gold_correct=(rng.random(30) < rate).astype(float),
            )
        )
    judgments = pd.concat(frames, ignore_index=True)
    return judgments.assign(pair_id=range(len(judgments)), source_preference="a")


def test_sittings_that_differ_do_not_pass_for_a_decline_within_them():
    # A pooled fit put the slow sittings' sloppy answers late and the quick ones' careful answers
    # early: a decline, flagged (found by the statistics audit).
    judgments = careful_quick_sittings_and_sloppy_slow_ones(np.random.default_rng(3))
    row = fatigue(judgments)["per_annotator"][0]
    assert row["flagged"] is False and row["p_decline"] > 0.05
    # A sitting whose answers are all right says nothing of a trend within it (its intercept alone fits).
    varies = judgments.groupby("sitting_id")["gold_correct"].transform("nunique") == 2
    assert row["sittings"] == judgments.loc[varies, "sitting_id"].nunique() >= 15
    # The same answers compared within each sitting, by statsmodels.
    kept = judgments[varies]
    data = pd.DataFrame(
        {
            "y": kept["gold_correct"],
            "minutes": kept["elapsed_in_sitting_ms"] // 1000 / 60,
            "sitting": kept["sitting_id"],
        }
    )
    direct = sm.Logit.from_formula("y ~ minutes + C(sitting)", data).fit(disp=0)
    assert row["slope_per_minute"] == pytest.approx(direct.params["minutes"], rel=1e-6)
    # Which is what the flag found all the same without the sittings: it had nothing to tell them apart.
    pooled = fatigue(judgments.drop(columns="sitting_id"))["per_annotator"][0]
    assert pooled["flagged"] is True and pooled["slope_per_minute"] < 0


def test_a_change_of_yardstick_late_in_a_sitting_does_not_pass_for_a_decline():
    # An always-left clicker, the same all through: the others' majority agrees with them half the
    # time; their swapped repeats, which come late (after probe_min_gap items), are never consistent.
    # Pooled over yardsticks, the late zeros were a decline, flagged (found by the statistics audit).
    rng = np.random.default_rng(4)
    frames = []
    for number in range(20):
        one = sitting(30, sides=["left"] * 30).assign(sitting_id=number)
        one["loo"] = (rng.random(30) < 0.5).astype(float)
        one["probe_of"] = [np.nan] * 22 + [1.0] * 8
        one["probe_consistent"] = [np.nan] * 22 + [0.0] * 8
        frames.append(one)
    judgments = pd.concat(frames, ignore_index=True).assign(source_preference="a")
    judgments["pair_id"] = range(len(judgments))
    # Each first answer's quality is agreement with the source, which is right half the time.
    judgments["left_response"] = np.where(judgments.pop("loo") == 1.0, "a", "b")
    judgments["chosen_response"] = judgments["left_response"]
    measures = fatigue_measures(judgments)
    assert set(measures["quality_yardstick"]) == {1, 3}  # probe, source
    row = fatigue(judgments)["per_annotator"][0]
    assert row["flagged"] is False and row["p_decline"] > 0.05


def test_an_answer_sent_without_a_dwell_counts_as_the_submit_timed_it():
    # A client may leave dwell_ms out; the submit then times the answer itself (its `fast` flag). Left
    # out here, a script that never sent one was never faster than reading on the dashboard.
    pairs = pd.DataFrame({"pair_id": [1], "words_context": [200], "words_response_a": [20], "words_response_b": [18]})
    judgments = pd.DataFrame(
        {
            "annotator": ["u", "u", "w", "w", "w"],
            "pair_id": [1, 1, 1, 1, 1],
            "side": ["left", "left", "left", "right", "skip"],
            "dwell_ms": [1000.0, 60_000.0, np.nan, np.nan, np.nan],
            "fast": [True, False, True, False, False],
        }
    )
    by_annotator = {row["annotator"]: row for row in speeding(judgments, pairs)["per_annotator"]}
    assert by_annotator["u"] == {"annotator": "u", "n": 2, "speeding": 1, "share": 0.5}
    assert by_annotator["w"] == {"annotator": "w", "n": 2, "speeding": 1, "share": 0.5}
