"""Length figures: the notebook's definitions on hand-worked cases, and the length-controlled model."""

from __future__ import annotations

import statistics

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st

from analytics.metrics.length import (
    LONGER_IS_BETTER,
    QUALITY_OVER_VERBOSITY,
    analyze_preference_lengths,
    length_controlled_logit,
    length_figures_from_counts,
    length_preference,
    length_rule,
)


def test_it_counts_words_as_the_notebook_and_compares_each_pair():
    figures = analyze_preference_lengths(["a b c", "a", "x  y\n"], ["a", "a b", "p q"])
    assert figures["n"] == 3
    assert (figures["chosen_longer"], figures["chosen_shorter"], figures["same"]) == (1, 1, 1)
    assert figures["chosen_mean"] == 2.0 and figures["chosen_median"] == 2
    assert figures["rejected_mean"] == 5 / 3 and figures["rejected_median"] == 2
    assert figures["chosen_longer_share"] == 1 / 3
    assert figures["verdict"] is None


@pytest.mark.parametrize(
    ("longer", "shorter", "verdict"),
    [
        (4, 2, LONGER_IS_BETTER),
        (3, 2, None),  # 3 is not more than 1.5 * 2
        (1, 0, LONGER_IS_BETTER),
        (0, 0, None),
        (2, 4, QUALITY_OVER_VERBOSITY),
        (2, 3, None),
    ],
)
def test_it_applies_the_notebooks_one_and_a_half_times_rule(longer, shorter, verdict):
    assert length_rule(chosen_longer=longer, chosen_shorter=shorter) == verdict


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=60))
def test_its_means_and_medians_equal_the_statistics_module_to_the_last_bit(pairs):
    chosen, rejected = [c for c, _ in pairs], [r for _, r in pairs]
    figures = length_figures_from_counts(chosen, rejected)
    assert figures["chosen_mean"] == statistics.mean(chosen)
    assert figures["rejected_mean"] == statistics.mean(rejected)
    assert figures["chosen_median"] == statistics.median(chosen)
    assert figures["rejected_median"] == statistics.median(rejected)


def test_it_gives_no_figures_for_no_pairs():
    figures = length_figures_from_counts([], [])
    assert figures["n"] == 0 and figures["chosen_mean"] is None and figures["verdict"] is None


def test_it_refuses_chosen_and_rejected_of_different_lengths():
    with pytest.raises(ValueError, match="one to one"):
        length_figures_from_counts([1, 2], [1])


def small_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    pairs = pd.DataFrame(
        {
            "pair_id": [1, 2],
            "words_response_a": [10, 3],
            "words_response_b": [4, 3],
            "words_transcript_a": [30, 13],
            "words_transcript_b": [24, 13],
        }
    )
    judgments = pd.DataFrame(
        {
            "annotator": ["u", "u", "v", "v"],
            "pair_id": [1, 2, 1, 2],
            "side": ["left", "right", "right", "tie"],
            "chosen_response": ["a", "b", "b", ""],
            "left_response": ["a", "a", "a", "b"],
        }
    )
    return judgments, pairs


def test_it_takes_chosen_and_rejected_from_the_response_the_annotator_picked():
    judgments, pairs = small_tables()
    report = length_preference(judgments, pairs)
    by_annotator = {row["annotator"]: row for row in report["per_annotator"]}
    assert by_annotator["u"]["transcripts"]["chosen_mean"] == (30 + 13) / 2
    assert by_annotator["u"]["responses"]["chosen_longer"] == 1
    assert by_annotator["u"]["responses"]["same"] == 1
    # v chose B (4 words) over A (10 words); v's tie is left out.
    assert by_annotator["v"]["responses"]["n"] == 1
    assert by_annotator["v"]["responses"]["chosen_shorter"] == 1
    assert report["overall"]["responses"]["n"] == 3
    assert report["length_controlled"]["coefficients"] is None
    # These frames name no reference (no gold answer, no source preference): nothing to fit.
    assert report["length_controlled"]["reason"].startswith("no pair with a reference")


def planted_length_table(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    left_words, right_words = rng.integers(1, 300, n), rng.integers(1, 300, n)
    reference_on_left = rng.choice([-1.0, 0.0, 1.0], n)
    difference = (left_words - right_words) / (left_words + right_words)
    log_odds = 0.4 + 1.5 * difference + 0.3 * reference_on_left
    picked_left = rng.random(n) < 1 / (1 + np.exp(-log_odds))
    words = pd.DataFrame(
        {
            "annotator": rng.integers(0, 12, n),
            "picked_left": picked_left,
            "reference_on_left": reference_on_left,
            "left_response": left_words,
            "right_response": right_words,
        }
    )
    return words, difference, picked_left


def test_its_length_controlled_model_separates_position_from_length_and_equals_statsmodels():
    words, difference, picked_left = planted_length_table(np.random.default_rng(7), 20_000)
    fit = length_controlled_logit(words)
    coefficients = fit["coefficients"]
    assert coefficients["intercept"]["estimate"] == pytest.approx(0.4, abs=0.06)
    assert coefficients["length_difference"]["estimate"] == pytest.approx(1.5, abs=0.15)
    assert coefficients["reference_on_left"]["estimate"] == pytest.approx(0.3, abs=0.06)
    # Fitted to the rows with a reference (two in three here), as statsmodels' Logit on them.
    referenced = (words["reference_on_left"] != 0).to_numpy()
    assert fit["n_without_reference"] == 20_000 - referenced.sum() > 6000
    design = sm.add_constant(np.column_stack([difference, words["reference_on_left"]])[referenced])
    direct = sm.Logit(picked_left[referenced].astype(float), design).fit(disp=0)
    assert coefficients["length_difference"]["estimate"] == pytest.approx(direct.params[1], rel=1e-8)
    assert fit["n"] == referenced.sum()
    # Its errors are clustered by annotator, as statsmodels' Logit clusters them on the rows; the
    # small-sample correction counts the pooled rows, not the judgments, hence the tolerance.
    clustered = sm.Logit(picked_left[referenced].astype(float), design).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": words["annotator"].to_numpy()[referenced]}, use_t=True
    )
    assert fit["clusters"] == 12 and fit["inference"] == "cluster-robust"
    for column, name in enumerate(["intercept", "length_difference", "reference_on_left"]):
        assert coefficients[name]["se"] == pytest.approx(clustered.bse[column], rel=1e-3)
        assert coefficients[name]["p_value"] == pytest.approx(clustered.pvalues[column], rel=1e-2, abs=1e-12)
    # Unpooled (one annotator's rows), the errors are Logit's own.
    alone = length_controlled_logit(words, pooled=False)["coefficients"]["length_difference"]
    assert alone["se"] == pytest.approx(direct.bse[1], rel=1e-6)
    assert alone["z"] == pytest.approx(direct.tvalues[1], rel=1e-6)


def test_its_pooled_p_does_not_take_one_length_lovers_habit_for_the_crowds():
    # Seven annotators follow content alone; one picks the longer response nine times in ten. Taken as
    # independent judgments, the pooled length term was "significant" (the statistics audit); clustered by
    # annotator, it is not, while that annotator's own fit flags them.
    rng = np.random.default_rng(11)
    frames = []
    for annotator in range(8):
        words, _, _ = planted_length_table(rng, 400)
        words = words[words["reference_on_left"] != 0].copy()
        left_better = words["reference_on_left"].to_numpy() > 0
        if annotator == 0:
            longer_left = (words["left_response"] > words["right_response"]).to_numpy()
            picked = np.where(rng.random(len(words)) < 0.9, longer_left, ~longer_left)
        else:
            picked = np.where(rng.random(len(words)) < 0.8, left_better, ~left_better)
        frames.append(words.assign(annotator=annotator, picked_left=picked))
    words = pd.concat(frames, ignore_index=True)
    fit = length_controlled_logit(words)
    naive = length_controlled_logit(words, pooled=False)
    assert naive["coefficients"]["length_difference"]["p_value"] < 0.001
    assert fit["coefficients"]["length_difference"]["p_value"] > 0.05
    assert fit["coefficients"]["length_difference"]["estimate"] == pytest.approx(
        naive["coefficients"]["length_difference"]["estimate"], rel=1e-9
    )


def test_its_pooled_fit_has_no_test_with_no_more_annotators_than_terms():
    words, _, _ = planted_length_table(np.random.default_rng(2), 3000)
    words["annotator"] = words["annotator"] % 3
    fit = length_controlled_logit(words)
    assert fit["clusters"] == 3 and fit["inference"].startswith("no test: 3 clusters")
    assert all(term["p_value"] is None and term["se"] is None for term in fit["coefficients"].values())
    assert fit["coefficients"]["length_difference"]["estimate"] == pytest.approx(1.5, abs=0.25)


def test_its_length_controlled_model_says_why_when_length_separates_the_answers_perfectly():
    words, _, _ = planted_length_table(np.random.default_rng(3), 200)
    words["picked_left"] = words["left_response"] > words["right_response"]
    fit = length_controlled_logit(words)
    assert fit["coefficients"] is None
    assert fit["reason"] == "perfect separation"


def test_its_length_controlled_model_is_fitted_only_to_pairs_with_a_reference():
    words, _, _ = planted_length_table(np.random.default_rng(5), 3000)
    with_reference = words[words["reference_on_left"] != 0]
    fit = length_controlled_logit(words)
    assert fit["n"] == len(with_reference) and fit["n_without_reference"] == 3000 - len(with_reference)
    alone = length_controlled_logit(with_reference)
    assert fit["coefficients"] == alone["coefficients"]
    words["reference_on_left"] = 0.0  # no pair has a reference
    fit = length_controlled_logit(words)
    assert fit["coefficients"] is None and fit["n_without_reference"] == 3000
    assert fit["reason"] == "no pair with a reference (a gold answer or the source's preference) to hold content apart"


def test_careful_annotators_of_pairs_without_a_reference_are_not_flagged_for_length():
    # Without a reference the length term took in the content effect: every careful annotator of a
    # project imported without a preference was flagged "prefers longer" (found in review).
    judgments, pairs = honest_judgments_where_the_better_response_is_mostly_longer(np.random.default_rng(11), 600)
    judgments["source_preference"] = np.where(judgments["pair_id"] % 2 == 0, judgments["source_preference"], "")
    report = length_preference(judgments, pairs)
    assert not any(row["flagged"] for row in report["per_annotator"])
    assert all(row["model"]["n_without_reference"] == 300 for row in report["per_annotator"])
    judgments["source_preference"] = ""
    report = length_preference(judgments, pairs)
    for row in report["per_annotator"]:
        assert row["model"]["estimate"] is None and row["flagged"] is False
        assert row["model"]["reason"].startswith("no pair with a reference")


def honest_judgments_where_the_better_response_is_mostly_longer(
    rng: np.random.Generator, n_pairs: int, n_annotators: int = 3
):
    """Pairs whose better response (the source's preference, A or B at random) is the longer one in
    about 78% of them, as in HH-RLHF, judged by annotators who follow content alone."""
    better = rng.choice(["a", "b"], n_pairs)
    longer_is_better = rng.random(n_pairs) < 0.78
    long, short = rng.integers(80, 200, n_pairs), rng.integers(10, 70, n_pairs)
    better_words = np.where(longer_is_better, long, short)
    other_words = np.where(longer_is_better, short, long)
    pairs = pd.DataFrame(
        {
            "pair_id": np.arange(n_pairs),
            "words_response_a": np.where(better == "a", better_words, other_words),
            "words_response_b": np.where(better == "a", other_words, better_words),
            "words_transcript_a": 0,
            "words_transcript_b": 0,
        }
    )
    rows = []
    for annotator in range(n_annotators):
        a_left = rng.random(n_pairs) < 0.5
        # Follows content 90% of the time, whichever side it is on; length plays no part.
        picks_better = rng.random(n_pairs) < 0.9
        chosen = np.where(picks_better, better, np.where(better == "a", "b", "a"))
        left = np.where(a_left, "a", "b")
        rows.append(
            pd.DataFrame(
                {
                    "annotator": annotator,
                    "pair_id": np.arange(n_pairs),
                    "side": np.where(chosen == left, "left", "right"),
                    "chosen_response": chosen,
                    "left_response": left,
                    "source_preference": better,
                    "gold_answer": "",
                }
            )
        )
    return pd.concat(rows, ignore_index=True), pairs


def test_its_length_controlled_model_does_not_take_a_longer_better_response_for_a_length_preference():
    # The content term was "A on the left", which controls for content only where A is always the
    # better response: with the better one A or B at random, content-following annotators showed a
    # strong, "significant" length effect.
    judgments, pairs = honest_judgments_where_the_better_response_is_mostly_longer(np.random.default_rng(11), 600, 6)
    model = length_preference(judgments, pairs)["length_controlled"]
    assert model["n"] == 3600 and model["n_without_reference"] == 0 and model["clusters"] == 6
    length_term, content = model["coefficients"]["length_difference"], model["coefficients"]["reference_on_left"]
    assert content["estimate"] == pytest.approx(np.log(0.9 / 0.1) / 1, abs=0.3) and content["p_value"] < 1e-4
    assert abs(length_term["estimate"]) < 0.5 and length_term["p_value"] > 0.01


def test_a_gold_answer_is_the_reference_before_the_sources_preference():
    judgments, pairs = honest_judgments_where_the_better_response_is_mostly_longer(np.random.default_rng(12), 300)
    # The source got every pair the wrong way round; the gold answers, which the annotators follow, did not.
    judgments["gold_answer"] = judgments["source_preference"]
    judgments["source_preference"] = np.where(judgments["source_preference"] == "a", "b", "a")
    content = length_preference(judgments, pairs)["length_controlled"]["coefficients"]["reference_on_left"]
    assert content["estimate"] > 1.5
    # A pair with no reference at all is counted apart.
    judgments.loc[judgments["pair_id"] < 10, ["gold_answer", "source_preference"]] = ""
    model = length_preference(judgments, pairs)["length_controlled"]
    assert model["n_without_reference"] == 30 and model["n"] == 870


def test_each_annotator_gets_the_length_model_and_only_the_one_who_prefers_length_is_flagged():
    # The per-annotator "verdict" was the notebook's 1.5x rule, which flags anyone who follows content
    # where the better response is mostly longer. The flag is now the length term of each annotator's
    # own length-controlled fit, its p adjusted across annotators.
    rng = np.random.default_rng(21)
    judgments, pairs = honest_judgments_where_the_better_response_is_mostly_longer(rng, 600)
    # Annotator 3 picks the longer response nine times in ten, whatever the content.
    lover = judgments[judgments["annotator"] == 0].copy()
    lover["annotator"] = 3
    merged = lover.merge(pairs, on="pair_id")
    longer = np.where(merged["words_response_a"] > merged["words_response_b"], "a", "b")
    chosen = np.where(rng.random(len(merged)) < 0.9, longer, np.where(longer == "a", "b", "a"))
    lover["chosen_response"] = chosen
    lover["side"] = np.where(chosen == lover["left_response"].to_numpy(), "left", "right")
    report = length_preference(pd.concat([judgments, lover], ignore_index=True), pairs)
    rows = {row["annotator"]: row for row in report["per_annotator"]}
    assert [a for a, row in rows.items() if row["flagged"]] == [3]
    assert rows[3]["model"]["prefers"] == "longer" and rows[3]["model"]["p_adjusted"] < 1e-6
    # The notebook's verdict, kept beside it, says "longer = better" of the careful annotators too.
    assert all(rows[a]["responses"]["verdict"] == LONGER_IS_BETTER for a in (0, 1, 2))
    assert report["flag_alpha"] == 0.01
    # Each fit is the pooled model on that annotator's rows alone, adjusted across the four.
    alone = length_preference(lover, pairs)["length_controlled"]["coefficients"]["length_difference"]
    assert rows[3]["model"]["estimate"] == pytest.approx(alone["estimate"], rel=1e-9)
    # One annotator is one cluster: the pooled fit makes no test of it, the per-annotator fit does.
    assert alone["p_value"] is None and rows[3]["model"]["p_value"] < 1e-6


def test_an_annotator_too_few_judgments_for_the_length_model_is_neither_flagged_nor_an_error():
    judgments, pairs = honest_judgments_where_the_better_response_is_mostly_longer(np.random.default_rng(2), 5)
    (row, *_) = length_preference(judgments, pairs)["per_annotator"]
    assert row["model"]["estimate"] is None and row["model"]["reason"] == "fewer than 20 rows"
    assert row["model"]["p_adjusted"] is None and row["flagged"] is False
