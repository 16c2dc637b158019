"""Agreement between annotators, and with the source's own preference.

Categories and ties
- A judgment's category is its `chosen_response` ("a" or "b") or "tie"; skips say nothing about
  the pair and are left out everywhere.
- Rated pairs are pairs with ≥ 2 non-skip judgments. On them, with ties as a third category:
  raw pairwise agreement, Fleiss' kappa, Krippendorff's alpha (nominal).
- Decisive agreement is the raw pairwise agreement over decisive judgments only (ties left
  out), on pairs with ≥ 2 decisive judgments.

Definitions
- Raw pairwise agreement = Σ_pairs Σ_c n_c (n_c - 1) / Σ_pairs n (n - 1): of all pairs of
  judgments on the same pair (by different annotators), the share in the same category
  (pooled over pairs, so pairs with more judgments weigh more).
- Fleiss' kappa (statsmodels `fleiss_kappa` on `aggregate_raters`) assumes the same number of
  raters per subject: it is computed on the rated pairs whose number of judgments is the most
  common one (m, reported with the number of pairs used; the larger m on a tie of counts).
- Krippendorff's alpha (krippendorff `alpha`, level_of_measurement="nominal") on the
  value-count matrix of all rated pairs (it allows a varying number of raters).
- Leave-one-out majority: for a decisive judgment, the majority of the *other* decisive
  judgments of the same pair; undefined when there are none or they split evenly. An
  annotator's agreement = share of their defined judgments that match it.
- Source agreement: share of decisive judgments whose chosen response is the pair's
  `source_preference` (pairs without one are left out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from krippendorff import alpha as krippendorff_alpha
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from analytics.metrics.columns import DECISIVE_SIDES, SKIP, require_columns
from analytics.metrics.jsonable import to_jsonable
from analytics.metrics.proportions import proportion_summary, rates_by_group

CATEGORIES = ("a", "b", "tie")


def judgment_categories(judgments: pd.DataFrame) -> pd.Series:
    """Category code of each non-skip judgment: 0 = "a", 1 = "b", 2 = tie (skips removed)."""
    rated = judgments[judgments["side"] != SKIP]
    return pd.Series(
        np.where(rated["side"] == "tie", 2, np.where(rated["chosen_response"] == "a", 0, 1)), index=rated.index
    )


def category_counts(judgments: pd.DataFrame) -> pd.DataFrame:
    """Pairs-by-categories ("a", "b", "tie") count matrix of the non-skip judgments."""
    codes = judgment_categories(judgments)
    pair_ids = judgments.loc[codes.index, "pair_id"]
    counts = pd.DataFrame({"pair_id": pair_ids, "code": codes}).groupby(["pair_id", "code"]).size()
    counts = counts.unstack(fill_value=0).reindex(columns=range(len(CATEGORIES)), fill_value=0)
    counts.columns = list(CATEGORIES)
    return counts


def pairwise_agreement(counts: pd.DataFrame) -> dict:
    """Pooled raw pairwise agreement of a pairs-by-categories count matrix (rows with n ≥ 2 used)."""
    matrix = counts.to_numpy(dtype=np.int64)
    n = matrix.sum(axis=1)
    matrix, n = matrix[n >= 2], n[n >= 2]
    agreeing, total = int((matrix * (matrix - 1)).sum()), int((n * (n - 1)).sum())
    return {"pairs": len(n), "agreement": agreeing / total if total else None}


def fleiss_kappa_of(counts: pd.DataFrame) -> dict:
    """Fleiss' kappa on the rows with the most common number m ≥ 2 of judgments (see module); None
    when those rows use a single category."""
    n = counts.sum(axis=1)
    rated = n[n >= 2]
    if rated.empty:
        return {"value": None, "raters_per_pair": None, "pairs": 0}
    frequency = rated.value_counts()
    m = int(max(frequency[frequency == frequency.max()].index))
    rows = counts[n == m].to_numpy(dtype=np.int64)
    if int((rows.sum(axis=0) > 0).sum()) < 2:
        # One category only: chance agreement is 1 and kappa is 0 / 0.
        return {"value": None, "raters_per_pair": m, "pairs": len(rows)}
    # aggregate_raters wants subjects-by-raters category codes: rebuild them from the counts.
    categories = np.tile(np.arange(len(CATEGORIES)), len(rows))
    codes = np.repeat(categories, rows.ravel()).reshape(len(rows), m)
    table, _ = aggregate_raters(codes, n_cat=len(CATEGORIES))
    value = float(fleiss_kappa(table, method="fleiss"))
    return {"value": value if np.isfinite(value) else None, "raters_per_pair": m, "pairs": len(rows)}


def krippendorff_alpha_of(counts: pd.DataFrame) -> dict:
    """Krippendorff's alpha (nominal) of the rows with ≥ 2 judgments; None when fewer than two
    categories occur at all (alpha is undefined without variation)."""
    rated = counts[counts.sum(axis=1) >= 2].to_numpy(dtype=float)
    if len(rated) == 0 or int((rated.sum(axis=0) > 0).sum()) < 2:
        return {"value": None, "pairs": len(rated)}
    value = float(krippendorff_alpha(value_counts=rated, level_of_measurement="nominal"))
    return {"value": value if np.isfinite(value) else None, "pairs": len(rated)}


def loo_majority_agreement(judgments: pd.DataFrame) -> pd.Series:
    """Per judgment (same index as `judgments`): 1.0 if its chosen response matches the majority of
    the other decisive judgments of its pair, 0.0 if not, NaN when undefined (not decisive, no
    other decisive judgment, or the others split evenly)."""
    decided = judgments["side"].isin(DECISIVE_SIDES).to_numpy()
    chose_a = decided & (judgments["chosen_response"] == "a").to_numpy()
    chose_b = decided & ~chose_a
    pair, _ = pd.factorize(judgments["pair_id"])
    others_a = np.bincount(pair, weights=chose_a)[pair] - chose_a
    others_b = np.bincount(pair, weights=chose_b)[pair] - chose_b
    agrees = np.where(others_a > others_b, chose_a, chose_b).astype(float)
    agrees[~decided | (others_a == others_b)] = np.nan
    return pd.Series(agrees, index=judgments.index)


def source_agreement(judgments: pd.DataFrame) -> pd.Series:
    """Per judgment: 1.0 if a decisive judgment chose the pair's `source_preference`, 0.0 if it chose
    the other, NaN when not decisive or the pair has no source preference (or no such column)."""
    if "source_preference" not in judgments.columns:
        return pd.Series(np.nan, index=judgments.index)
    known = judgments["side"].isin(DECISIVE_SIDES) & judgments["source_preference"].isin(("a", "b"))
    matches = (judgments["chosen_response"] == judgments["source_preference"]).astype(float)
    return matches.where(known)


def _rate(outcome: pd.Series) -> dict:
    observed = outcome.dropna()
    return proportion_summary(successes=int(observed.sum()), n=len(observed))


def _without(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "annotator"}


def agreement(judgments: pd.DataFrame) -> dict:
    """All agreement figures of the module docstring, overall and per annotator; JSON-ready.

    Needs the judgment columns annotator, pair_id, side, chosen_response (source_preference optional).
    """
    require_columns(judgments, ("annotator", "pair_id", "side", "chosen_response"), table="judgment")
    counts = category_counts(judgments)
    loo = loo_majority_agreement(judgments)
    source = source_agreement(judgments)
    per_annotator = [
        {"annotator": loo_row["annotator"], "loo_majority": _without(loo_row), "source": _without(source_row)}
        for loo_row, source_row in zip(
            rates_by_group(judgments["annotator"], loo, key="annotator"),
            rates_by_group(judgments["annotator"], source, key="annotator"),
            strict=True,
        )
    ]
    return to_jsonable(
        {
            "rated_pairs": int((counts.sum(axis=1) >= 2).sum()),
            "raw_agreement": pairwise_agreement(counts),
            "decisive_agreement": pairwise_agreement(counts[["a", "b"]]),
            "fleiss_kappa": fleiss_kappa_of(counts),
            "krippendorff_alpha": krippendorff_alpha_of(counts),
            "loo_majority": _rate(loo),
            "source": _rate(source),
            "per_annotator": per_annotator,
        }
    )
