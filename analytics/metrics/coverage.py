"""Coverage: what has been imported and how far judging has come.

Definitions
- A pair's judgment count is its number of non-skip judgments (ties count, as they do toward k).
- Pairs by source: number of pairs per `source_name` ("" for none), with how many carry a
  source preference.
- Pairs by context length: pairs per bin of `words_context`, half-open [low, high).
- Judgments per pair: how many pairs have 0, 1, 2, ... judgments.
- Progress to k: pairs with ≥ k judgments (complete), and the share of the wanted judgments
  collected, Σ_pairs min(count, k) / (k · pairs).
- Gold pairs (optional pair column `gold_answer` not empty) and gold judgments (optional judgment
  column `is_gold`) are outside the k-queue: they are left out of the judgment counts, the
  judgments per pair and the progress to k, and counted apart (`gold_pairs`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.metrics.columns import SKIP, assign_bins, bin_labels, require_columns
from analytics.metrics.jsonable import to_jsonable

CONTEXT_WORD_EDGES: tuple[float, ...] = (0, 50, 100, 200, 400, 800, np.inf)


def judgment_counts(pairs: pd.DataFrame, judgments: pd.DataFrame) -> pd.Series:
    """Non-skip judgments per pair, indexed by pair_id, 0 for pairs without any."""
    counted = judgments.loc[judgments["side"] != SKIP, "pair_id"].value_counts()
    return counted.reindex(pairs["pair_id"], fill_value=0)


def coverage(
    pairs: pd.DataFrame,
    judgments: pd.DataFrame,
    *,
    k: int,
    context_word_edges: Sequence[float] = CONTEXT_WORD_EDGES,
) -> dict:
    """The coverage figures of the module docstring; JSON-ready. Needs pair columns pair_id,
    source_name, source_preference, words_context and judgment columns pair_id, side."""
    if k < 1:
        raise ValueError("k must be at least 1")
    require_columns(pairs, ("pair_id", "source_name", "source_preference", "words_context"), table="pair")
    require_columns(judgments, ("pair_id", "side"), table="judgment")
    gold = pd.Series(False, index=pairs.index)
    if "gold_answer" in pairs.columns:
        gold = pairs["gold_answer"].fillna("") != ""
    queue = pairs[~gold]
    in_queue = judgments
    if "is_gold" in judgments.columns:
        in_queue = judgments[~judgments["is_gold"].fillna(False).astype(bool)]
    counts = judgment_counts(queue, in_queue)
    n_pairs = len(queue)
    by_source = (
        pairs.assign(with_preference=pairs["source_preference"].isin(("a", "b")))
        .groupby(pairs["source_name"].fillna(""), sort=True)
        .agg(pairs=("pair_id", "size"), with_preference=("with_preference", "sum"))
    )
    codes = assign_bins(pairs["words_context"], context_word_edges)
    per_bin = codes.value_counts()
    distribution = counts.value_counts().sort_index()
    complete = int((counts >= k).sum())
    return to_jsonable(
        {
            "pairs": len(pairs),
            "gold_pairs": int(gold.sum()),
            "judgments": len(judgments),
            "skips": int((judgments["side"] == SKIP).sum()),
            "by_source": [
                {"source": source, "pairs": row["pairs"], "with_preference": row["with_preference"]}
                for source, row in by_source.iterrows()
            ],
            "by_context_words": [
                {"bin": label, "low": low, "high": high, "pairs": int(per_bin.get(number, 0))}
                for number, (label, low, high) in enumerate(
                    zip(bin_labels(context_word_edges), context_word_edges[:-1], context_word_edges[1:], strict=True)
                )
            ],
            "judgments_per_pair": [
                {"judgments": count, "pairs": pairs_with} for count, pairs_with in distribution.items()
            ],
            "progress": {
                "k": k,
                "complete_pairs": complete,
                "complete_share": complete / n_pairs if n_pairs else None,
                "collected": int(counts.clip(upper=k).sum()),
                "wanted": k * n_pairs,
                "collected_share": int(counts.clip(upper=k).sum()) / (k * n_pairs) if n_pairs else None,
            },
        }
    )
