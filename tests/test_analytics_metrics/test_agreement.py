"""Agreement figures against a hand-worked case, brute force, and the libraries they wrap."""

from __future__ import annotations

import itertools
import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import fleiss_kappa

from analytics.metrics.agreement import (
    agreement,
    category_counts,
    fleiss_kappa_of,
    krippendorff_alpha_of,
    loo_majority_agreement,
    source_agreement,
)

SIDE_OF = {"a": "left", "b": "right", "tie": "tie", "skip": "skip"}


def table(rows: list[tuple[str, int, str, str]]) -> pd.DataFrame:
    """(annotator, pair_id, answer "a"/"b"/"tie"/"skip", source_preference); A is always on the left."""
    return pd.DataFrame(
        {
            "annotator": [r[0] for r in rows],
            "pair_id": [r[1] for r in rows],
            "side": [SIDE_OF[r[2]] for r in rows],
            "chosen_response": [r[2] if r[2] in ("a", "b") else "" for r in rows],
            "source_preference": [r[3] for r in rows],
        }
    )


HAND = table(
    [
        ("u", 1, "a", "a"),
        ("v", 1, "a", "a"),
        ("w", 1, "b", "a"),
        ("u", 2, "b", "b"),
        ("v", 2, "b", "b"),
        ("u", 3, "a", ""),
        ("v", 3, "tie", ""),
        ("w", 3, "skip", ""),
    ]
)


def brute_force_agreement(judgments: pd.DataFrame, categories: set[str]) -> float:
    agreeing = total = 0
    for _, group in judgments.groupby("pair_id"):
        answers = [c if c else s for c, s in zip(group["chosen_response"], group["side"], strict=True)]
        answers = [a for a in answers if a in categories]
        for x, y in itertools.permutations(answers, 2):
            total += 1
            agreeing += x == y
    return agreeing / total


def test_it_agrees_with_the_hand_worked_case():
    report = agreement(HAND)
    # Pair 1: a,a,b -> 2 of 6 ordered pairs agree; pair 2: b,b -> 2 of 2; pair 3: a,tie -> 0 of 2.
    assert report["raw_agreement"] == {"pairs": 3, "agreement": 4 / 10}
    # Decisive only: pair 3 has one decisive answer left and drops out.
    assert report["decisive_agreement"] == {"pairs": 2, "agreement": 4 / 8}
    assert report["rated_pairs"] == 3
    assert report["raw_agreement"]["agreement"] == brute_force_agreement(HAND, {"a", "b", "tie"})
    assert report["decisive_agreement"]["agreement"] == brute_force_agreement(HAND, {"a", "b"})


def test_it_compares_each_answer_with_the_majority_of_the_others_only():
    loo = loo_majority_agreement(HAND)
    # Pair 1: u and v each face one a and one b (undefined); w faces a,a and chose b.
    assert loo.isna().tolist() == [True, True, False, False, False, True, True, True]
    assert loo.dropna().tolist() == [0.0, 1.0, 1.0]
    by_annotator = {row["annotator"]: row["loo_majority"] for row in agreement(HAND)["per_annotator"]}
    assert (by_annotator["u"]["n"], by_annotator["u"]["successes"]) == (1, 1)
    assert (by_annotator["w"]["n"], by_annotator["w"]["successes"]) == (1, 0)


def test_it_compares_decisive_answers_with_the_source_where_there_is_one():
    source = source_agreement(HAND)
    assert source.tolist()[:5] == [1.0, 1.0, 0.0, 1.0, 1.0]
    assert source.iloc[5:].isna().all()
    assert agreement(HAND)["source"]["rate"] == 4 / 5


def test_its_fleiss_kappa_uses_the_most_common_number_of_raters_and_equals_statsmodels():
    counts = category_counts(HAND)
    assert counts.loc[1].tolist() == [2, 1, 0] and counts.loc[3].tolist() == [1, 0, 1]
    result = fleiss_kappa_of(counts)
    # Two pairs have two raters (2 and 3), one has three: kappa on pairs 2 and 3.
    assert (result["raters_per_pair"], result["pairs"]) == (2, 2)
    assert result["value"] == pytest.approx(fleiss_kappa(np.array([[0, 2, 0], [1, 0, 1]])), rel=1e-12)


def test_its_fleiss_kappa_matches_the_hand_formula():
    counts = pd.DataFrame([[3, 0, 0], [0, 3, 0], [2, 1, 0], [1, 1, 1]], columns=["a", "b", "tie"])
    n = 3
    p_i = [(sum(c * c for c in row) - n) / (n * (n - 1)) for row in counts.to_numpy().tolist()]
    p_j = counts.sum(axis=0).to_numpy() / counts.to_numpy().sum()
    expected = (np.mean(p_i) - (p_j**2).sum()) / (1 - (p_j**2).sum())
    assert fleiss_kappa_of(counts)["value"] == pytest.approx(expected, rel=1e-12)


def test_its_krippendorff_alpha_equals_the_library_on_raw_reliability_data():
    rng = np.random.default_rng(11)
    rows = []
    for pair_id in range(60):
        truth = rng.choice(["a", "b"])
        for annotator in rng.choice(list("uvwxyz"), size=rng.integers(1, 5), replace=False):
            answer = truth if rng.random() < 0.8 else rng.choice(["a", "b", "tie"])
            rows.append((str(annotator), pair_id, str(answer), ""))
    judgments = table(rows)
    code = {"a": 0, "b": 1, "tie": 2}
    raters = sorted(judgments["annotator"].unique())
    data = np.full((len(raters), 60), np.nan)
    for r in rows:
        data[raters.index(r[0]), r[1]] = code[r[2]]
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert krippendorff_alpha_of(category_counts(judgments))["value"] == pytest.approx(expected, rel=1e-10)


def test_it_gives_no_alpha_when_everybody_always_says_the_same():
    judgments = table([("u", 1, "a", ""), ("v", 1, "a", ""), ("u", 2, "a", ""), ("v", 2, "a", "")])
    assert krippendorff_alpha_of(category_counts(judgments))["value"] is None
    assert fleiss_kappa_of(category_counts(judgments))["value"] is None
    assert agreement(judgments)["raw_agreement"]["agreement"] == 1.0


def test_it_has_no_agreement_to_report_for_single_judgments():
    report = agreement(table([("u", 1, "a", "a"), ("u", 2, "skip", "a")]))
    assert report["rated_pairs"] == 0
    assert report["raw_agreement"]["agreement"] is None
    assert report["fleiss_kappa"]["value"] is None and report["krippendorff_alpha"]["value"] is None
    assert not math.isnan(report["source"]["rate"])


def test_its_fleiss_kappa_leaves_out_pairs_of_one_judgment_even_when_they_are_the_most_common():
    # Three pairs judged once, one judged twice: kappa needs two raters a pair, so only that one counts.
    counts = category_counts(
        table([("u", 1, "a", ""), ("v", 1, "b", ""), ("u", 2, "a", ""), ("u", 3, "b", ""), ("u", 4, "a", "")])
    )
    result = fleiss_kappa_of(counts)
    assert (result["raters_per_pair"], result["pairs"]) == (2, 1)
    assert result["value"] == pytest.approx(fleiss_kappa(np.array([[1, 1, 0]])), rel=1e-12)


def test_its_fleiss_kappa_takes_the_larger_number_of_raters_on_a_tie_of_counts():
    counts = category_counts(
        table([("u", 1, "a", ""), ("v", 1, "b", ""), ("u", 2, "a", ""), ("v", 2, "a", ""), ("w", 2, "b", "")])
    )
    result = fleiss_kappa_of(counts)
    assert (result["raters_per_pair"], result["pairs"]) == (3, 1)
    assert result["value"] == pytest.approx(fleiss_kappa(np.array([[2, 1, 0]])), rel=1e-12)


def test_its_krippendorff_alpha_counts_only_the_pairs_of_two_judgments_or_more():
    judgments = table([("u", 1, "a", ""), ("v", 1, "b", ""), ("u", 2, "a", ""), ("v", 2, "a", ""), ("u", 3, "b", "")])
    result = krippendorff_alpha_of(category_counts(judgments))
    assert result["pairs"] == 2
    expected = krippendorff.alpha(reliability_data=[[0, 0, 1], [1, 0, np.nan]], level_of_measurement="nominal")
    assert result["value"] == pytest.approx(expected, rel=1e-12)


def test_a_tie_on_a_pair_with_a_source_preference_says_nothing_about_the_source():
    judgments = table([("u", 1, "a", "a"), ("v", 1, "tie", "a"), ("w", 1, "skip", "a")])
    assert source_agreement(judgments).isna().tolist() == [False, True, True]
    assert (agreement(judgments)["source"]["n"], agreement(judgments)["source"]["rate"]) == (1, 1.0)
