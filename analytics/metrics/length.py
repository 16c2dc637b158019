"""Length preference: does the chosen response win by being longer?

The seed notebook's definitions, reproduced exactly:
- words = `len(text.split())`, of the chosen and of the rejected full transcripts (context +
  "\\n\\nAssistant:" + response, as the notebook counts them), and again of the final
  responses alone;
- mean and median words of the chosen and of the rejected (the values of `statistics.mean` and
  `statistics.median`, computed exactly from integer sums so that they are equal to the last bit);
- shares (count / n) of pairs where the chosen has more, fewer, the same number of words;
- the rule: chosen longer more than 1.5 times as often as chosen shorter → warning "longer = better";
  chosen shorter more than 1.5 times as often as longer → note "quality over verbosity"; else none.

The length-controlled view separates position, length and content: a logistic regression
(statsmodels `Logit`) over decisive judgments of
    picked_left ~ intercept + length_difference + reference_on_left
where length_difference = (left words - right words) / (left words + right words) of the final
responses (0 when both are empty) and reference_on_left = +1 when the reference's better response
(the pair's gold answer, else the source's preference) was shown on the left, -1 when the other
was, 0 when the pair has neither. The intercept is the position effect (log-odds of picking left
between responses of equal length); the length_difference slope is the length effect beyond what
the reference's judgment of content explains; reference_on_left is the content effect, so that the
better response's being longer (in HH-RLHF it is more often than not) does not pass for a length
preference. Within one pair, which response is longer never changes, so content and length can only
be told apart by a judgment of content from outside the annotators: judgments of pairs without a
reference are left out of the fit and counted in `n_without_reference` (with them, the length term
took in the content effect, and flagged careful annotators of pairs imported without a preference).
(An earlier model used "response A on the left" as the content term, which is the same only where A
is always the better response, as in an HH-RLHF import.)
Fitted to each annotator's judgments, it gives the per-annotator length flags. Pooled over annotators,
its standard errors are clustered by annotator (`regression.fit_logit`): one annotator's judgments are
not independent of each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analytics.metrics.columns import LEFT, decisive, require_columns
from analytics.metrics.jsonable import to_jsonable
from analytics.metrics.proportions import adjusted_flags
from analytics.metrics.regression import fit_logit, fit_pooled_logit
from analytics.metrics.similarity import word_count

# The judgment's columns that name the pair's better response, first found first: its gold answer,
# else the source's preference.
REFERENCE_COLUMNS = ("gold_answer", "source_preference")

RULE_FACTOR = 1.5
# An annotator is flagged for length when the length term's p, adjusted across annotators, is below
# this (as for position and fatigue).
FLAG_ALPHA = 0.01
LONGER_IS_BETTER = "longer = better"
QUALITY_OVER_VERBOSITY = "quality over verbosity"


def _exact_mean(values: np.ndarray) -> float:
    # An integer sum is exact, and int / int is correctly rounded: the value of statistics.mean.
    return int(values.sum(dtype=np.int64)) / len(values)


def _exact_median(values: np.ndarray) -> float:
    # statistics.median: the middle value, or (low + high) / 2 of the two middle ones.
    n = len(values)
    middle = np.partition(values, [(n - 1) // 2, n // 2])
    return (int(middle[(n - 1) // 2]) + int(middle[n // 2])) / 2


def length_rule(*, chosen_longer: int, chosen_shorter: int) -> str | None:
    """The notebook's verdict from the two counts: "longer = better", "quality over verbosity" or None."""
    if chosen_longer > RULE_FACTOR * chosen_shorter:
        return LONGER_IS_BETTER
    if chosen_shorter > RULE_FACTOR * chosen_longer:
        return QUALITY_OVER_VERBOSITY
    return None


def length_figures_from_counts(chosen_words: Sequence[int], rejected_words: Sequence[int]) -> dict:
    """The notebook's figures from word counts of paired chosen and rejected texts (same order).

    Returns {"n", "chosen_mean", "chosen_median", "rejected_mean", "rejected_median",
    "chosen_longer", "chosen_shorter", "same", "chosen_longer_share", "chosen_shorter_share",
    "same_share", "verdict"}; with n == 0 every figure but the counts is None.
    """
    chosen = np.asarray(chosen_words, dtype=np.int64)
    rejected = np.asarray(rejected_words, dtype=np.int64)
    if chosen.shape != rejected.shape:
        raise ValueError("chosen and rejected word counts must pair up one to one")
    n = len(chosen)
    longer, shorter = int((chosen > rejected).sum()), int((chosen < rejected).sum())
    same = n - longer - shorter
    empty = n == 0
    return {
        "n": n,
        "chosen_mean": None if empty else _exact_mean(chosen),
        "chosen_median": None if empty else _exact_median(chosen),
        "rejected_mean": None if empty else _exact_mean(rejected),
        "rejected_median": None if empty else _exact_median(rejected),
        "chosen_longer": longer,
        "chosen_shorter": shorter,
        "same": same,
        "chosen_longer_share": None if empty else longer / n,
        "chosen_shorter_share": None if empty else shorter / n,
        "same_share": None if empty else same / n,
        "verdict": None if empty else length_rule(chosen_longer=longer, chosen_shorter=shorter),
    }


def analyze_preference_lengths(chosen_texts: Iterable[str], rejected_texts: Iterable[str]) -> dict:
    """The notebook's length figures of paired chosen and rejected texts, words = `len(text.split())`."""
    return length_figures_from_counts(
        [word_count(text) for text in chosen_texts], [word_count(text) for text in rejected_texts]
    )


def _chosen_and_rejected_words(judgments: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    columns = ["annotator", "pair_id", "side", "chosen_response", "left_response"]
    require_columns(judgments, columns, table="judgment")
    word_columns = ["pair_id", "words_response_a", "words_response_b", "words_transcript_a", "words_transcript_b"]
    require_columns(pairs, word_columns, table="pair")
    references = [name for name in REFERENCE_COLUMNS if name in judgments.columns]
    rows = decisive(judgments, columns + references)
    # Pairs not measured yet (no word counts) are left out rather than counted as empty.
    measured = pairs[word_columns].dropna()
    rows = rows.merge(measured, on="pair_id", how="inner", validate="many_to_one")
    chose_a = (rows["chosen_response"] == "a").to_numpy()
    a_left = (rows["left_response"] == "a").to_numpy()
    # The reference's better response: the gold answer where there is one, else the source's preference.
    reference = np.full(len(rows), "", dtype=object)
    for name in reversed(references):  # the first named wins
        known = rows[name].fillna("").to_numpy(dtype=object)
        reference = np.where(known != "", known, reference)
    return pd.DataFrame(
        {
            "annotator": rows["annotator"].to_numpy(),
            "picked_left": (rows["side"] == LEFT).to_numpy(),
            "reference_on_left": np.where(
                reference == "", 0.0, np.where(reference == rows["left_response"].to_numpy(dtype=object), 1.0, -1.0)
            ),
            "chosen_transcript": np.where(chose_a, rows["words_transcript_a"], rows["words_transcript_b"]),
            "rejected_transcript": np.where(chose_a, rows["words_transcript_b"], rows["words_transcript_a"]),
            "chosen_response": np.where(chose_a, rows["words_response_a"], rows["words_response_b"]),
            "rejected_response": np.where(chose_a, rows["words_response_b"], rows["words_response_a"]),
            "left_response": np.where(a_left, rows["words_response_a"], rows["words_response_b"]),
            "right_response": np.where(a_left, rows["words_response_b"], rows["words_response_a"]),
        }
    )


def _figures(words: pd.DataFrame) -> dict:
    return {
        "transcripts": length_figures_from_counts(words["chosen_transcript"], words["rejected_transcript"]),
        "responses": length_figures_from_counts(words["chosen_response"], words["rejected_response"]),
    }


NO_REFERENCE = "no pair with a reference (a gold answer or the source's preference) to hold content apart"


def length_controlled_logit(words: pd.DataFrame, *, pooled: bool = True) -> dict:
    """The regression of the module docstring over rows with picked_left (bool), reference_on_left
    (+1, -1, or 0 without a reference) and left_response, right_response (word counts), fitted to the
    rows with a reference; see `regression.fit_logit` for the result, to which `n_without_reference`
    (the rows left out) is added. `pooled=False` fits the rows as they are: one annotator's rows
    rarely repeat, and grouping them costs more than it saves, a hundred times over."""
    without = int((words["reference_on_left"] == 0).sum())
    if without and without == len(words):
        unfitted = {"n": 0, "coefficients": None, "dropped": [], "reason": NO_REFERENCE, "n_without_reference": without}
        # Pooled, it carries the clusters its rows would have had (none), as every pooled fit does:
        # the pages tell a report from before the clustering by their absence.
        return unfitted | ({"clusters": 0, "inference": "cluster-robust"} if pooled else {})
    words = words[words["reference_on_left"] != 0]
    total = (words["left_response"] + words["right_response"]).astype(float)
    difference = (words["left_response"] - words["right_response"]).astype(float)
    predictors = pd.DataFrame(
        {
            "length_difference": np.where(total > 0, difference / total.where(total > 0, 1.0), 0.0),
            "reference_on_left": words["reference_on_left"].to_numpy(dtype=float),
        }
    )
    if pooled:
        # Clustered by annotator: one annotator's judgments are alike, and taken as independent, a
        # single length-lover among eight gave the crowd's length term a tiny p (the statistics audit).
        fit = fit_logit(
            words["picked_left"].astype(float).reset_index(drop=True),
            predictors,
            clusters=words["annotator"].reset_index(drop=True),
        )
    else:
        outcome = words["picked_left"].to_numpy(dtype=float)
        fit = fit_pooled_logit(outcome, np.ones_like(outcome), predictors.to_numpy(dtype=float), list(predictors))
    return fit | {"n_without_reference": without}


def _annotator_model(words: pd.DataFrame) -> dict:
    """One annotator's length term of the length-controlled regression: {"n", "n_without_reference",
    "estimate", "se", "p_value" (two-sided Wald), "prefers" ("longer" or "shorter"), "reason"}."""
    fit = length_controlled_logit(words, pooled=False)
    term = (fit["coefficients"] or {}).get("length_difference")
    # A length term dropped (every pair of equal length) leaves a fit without it, and no reason.
    reason = "no variation in length" if term is None and fit["reason"] is None else fit["reason"]
    return {
        "n": fit["n"],
        "n_without_reference": fit["n_without_reference"],
        "estimate": term["estimate"] if term else None,
        "se": term["se"] if term else None,
        "p_value": term["p_value"] if term else None,
        "prefers": None if term is None else ("longer" if term["estimate"] > 0 else "shorter"),
        "reason": reason,
    }


def length_preference(judgments: pd.DataFrame, pairs: pd.DataFrame, *, flag_alpha: float = FLAG_ALPHA) -> dict:
    """Length figures of decisive judgments (ties and skips excluded; chosen = the response picked,
    rejected = the other), overall and per annotator, on full transcripts and on final responses,
    plus the length-controlled regression, over all annotators and for each one: each annotator's
    length term, its p adjusted across annotators (Benjamini–Hochberg), and "flagged" when the
    adjusted p is below `flag_alpha`, for a preference of longer or of shorter responses. `pairs`
    carries the stored word counts (see `similarity.pair_text_measures`); judgments of pairs without
    them are left out. Returns a JSON-ready dict."""
    words = _chosen_and_rejected_words(judgments, pairs)
    per_annotator = [
        {"annotator": annotator} | _figures(group) | {"model": _annotator_model(group)}
        for annotator, group in words.groupby("annotator", sort=True)
    ]
    flags = adjusted_flags([row["model"]["p_value"] for row in per_annotator], flag_alpha)
    for row, (p_adjusted, flagged) in zip(per_annotator, flags, strict=True):
        row["model"]["p_adjusted"], row["flagged"] = p_adjusted, flagged
    return to_jsonable(
        {
            "overall": _figures(words),
            "per_annotator": per_annotator,
            "length_controlled": length_controlled_logit(words),
            "flag_alpha": flag_alpha,
        }
    )
