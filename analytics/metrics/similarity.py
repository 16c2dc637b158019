"""Near-duplicate pairs: two similarity measures per pair, computed once when a pair is imported.

(a) Transcript similarity, the seed notebook's measure reproduced exactly:
    `difflib.SequenceMatcher(None, chosen, rejected).ratio()` on the two full transcripts
    (context + "\\n\\nAssistant:" + response), the source's chosen first (A first for a pair
    without a preference). `analytics.metrics.seqmatch` is the same algorithm
    compiled with numba and gives bit-identical ratios, about 6× faster per core. Buckets, as in the notebook:
    high r > 0.9, medium 0.7 < r ≤ 0.9, low r ≤ 0.7; and the mean (`statistics.mean`).
(b) Response similarity: the normalized Indel similarity of the two final responses alone,
    1 - indel_distance / (len(a) + len(b)) = 2·LCS / (len(a) + len(b)) (rapidfuzz
    `Indel.normalized_similarity`, the same number as `fuzz.ratio(a, b) / 100`); 1.0 for two
    empty responses.

Why (a) misleads:
- The shared context is part of both transcripts. A long conversation with two short, entirely
  different final answers still scores close to 1: the ratio mostly measures how long the
  context is relative to the answers, not whether the answers are alike.
- difflib's default `autojunk=True`: when the second sequence has ≥ 200 characters, every
  character occurring in more than 1% of it (+1) is "popular" and cannot start or extend a
  match. In English prose that is the space and the common letters, so long transcripts match
  only through runs of rare characters and the ratio falls by an amount unrelated to how
  different the texts are (see the test that shows it on a real HH-RLHF pair).
(b) compares only the responses and has no junk heuristic; it is the measure to filter on.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from rapidfuzz.distance import Indel

from analytics.metrics.columns import require_columns
from analytics.metrics.jsonable import to_jsonable

TRANSCRIPT_JOINER = "\n\nAssistant:"
HIGH_ABOVE = 0.9
LOW_AT_MOST = 0.7
CHUNK = 256


def transcript(context: str, response: str) -> str:
    """The full HH-RLHF transcript of one response: `context + "\\n\\nAssistant:" + response`."""
    return context + TRANSCRIPT_JOINER + response


def transcript_similarity(chosen: str, rejected: str) -> float:
    """The notebook's `difflib.SequenceMatcher(None, chosen, rejected).ratio()` (default autojunk),
    computed by `seqmatch.ratio`. Note the order matters: autojunk looks at the second sequence."""
    # numba and the compiled code add ~120 MiB: loaded where pairs are measured, not by the reports
    # that only summarize the stored values.
    from analytics.metrics import seqmatch

    return seqmatch.ratio(chosen, rejected)


def response_similarity(response_a: str, response_b: str) -> float:
    """Normalized Indel similarity of the two final responses, in [0, 1] (symmetric)."""
    return Indel.normalized_similarity(response_a, response_b)


def word_count(text: str) -> int:
    """The notebook's word count: `len(text.split())` (runs of whitespace separate words)."""
    return len(text.split())


def pair_text_measures(context: str, response_a: str, response_b: str, preference: str = "") -> dict:
    """Everything the analytics need from one pair's texts, to store on the pair at import so that
    reports never read texts: both similarities and the word counts of the context, the responses
    and the full transcripts. The transcript similarity is the notebook's ratio(chosen, rejected):
    the source's preferred transcript first (`preference` "a" or "b"), A first when it has none.
    It was always A first: difflib's ratio is not symmetric, so a pair whose source preferred B could
    get another value than the notebook's, even another bucket (found by the statistics audit)."""
    transcript_a, transcript_b = transcript(context, response_a), transcript(context, response_b)
    chosen, rejected = (transcript_b, transcript_a) if preference == "b" else (transcript_a, transcript_b)
    return {
        "transcript_similarity": transcript_similarity(chosen, rejected),
        "response_similarity": response_similarity(response_a, response_b),
        "words_context": word_count(context),
        "words_response_a": word_count(response_a),
        "words_response_b": word_count(response_b),
        "words_transcript_a": word_count(transcript_a),
        "words_transcript_b": word_count(transcript_b),
    }


def _measure_chunk(chunk: list[tuple[str, ...]]) -> list[dict]:
    return [pair_text_measures(*pair) for pair in chunk]


def pair_text_measures_batch(pairs: Iterable[tuple[str, ...]], *, workers: int = 1) -> list[dict]:
    """`pair_text_measures` for many (context, response_a, response_b[, preference]) tuples, in
    input order.

    With `workers` > 1 the chunks are spread over that many processes (the similarity is
    CPU-bound and holds the GIL; threads would not run it in parallel). Only from a process that
    may have children: not inside a Celery prefork child (daemonic), not in a web request; the
    default, 1, computes in the calling process.
    """
    rows = list(pairs)
    if workers <= 1 or len(rows) <= CHUNK:
        return _measure_chunk(rows)
    chunks = [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [measures for chunk in pool.map(_measure_chunk, chunks) for measures in chunk]


def similarity_buckets(ratios: Sequence[float]) -> dict:
    """The notebook's summary of transcript similarities: counts and shares (count / n) of
    high (r > 0.9), medium (0.7 < r ≤ 0.9) and low (r ≤ 0.7), and the mean (`statistics.mean`,
    exactly rounded, as the notebook). NaN/None ratios are not allowed; empty input gives
    zero counts and None shares and mean."""
    values = [float(r) for r in ratios]
    n = len(values)
    high = sum(1 for r in values if r > HIGH_ABOVE)
    medium = sum(1 for r in values if LOW_AT_MOST < r <= HIGH_ABOVE)
    low = sum(1 for r in values if r <= LOW_AT_MOST)
    return to_jsonable(
        {
            "n": n,
            "high": high,
            "medium": medium,
            "low": low,
            "high_share": high / n if n else None,
            "medium_share": medium / n if n else None,
            "low_share": low / n if n else None,
            "mean": statistics.mean(values) if n else None,
            "boundaries": {"high_above": HIGH_ABOVE, "low_at_most": LOW_AT_MOST},
        }
    )


def similarity_histogram(ratios: Sequence[float], *, bins: int = 20) -> list[dict]:
    """Counts of ratios in `bins` equal-width bins over [0, 1]; each bin is [low, high) except the
    last, which includes 1.0. For the dashboard's histogram."""
    counts, edges = np.histogram(np.asarray(ratios, dtype=float), bins=bins, range=(0.0, 1.0))
    return [
        {"low": float(low), "high": float(high), "count": int(count)}
        for low, high, count in zip(edges[:-1], edges[1:], counts, strict=True)
    ]


def top_near_duplicates(pairs: pd.DataFrame, *, by: str = "response_similarity", limit: int = 20) -> list[dict]:
    """The `limit` pairs with the highest `by` similarity (ties broken by pair_id), as rows of
    pair_id, transcript_similarity and response_similarity."""
    columns = ["pair_id", "transcript_similarity", "response_similarity"]
    require_columns(pairs, columns, table="pair")
    top = pairs[columns].sort_values([by, "pair_id"], ascending=[False, True], kind="stable").head(limit)
    return to_jsonable(top.to_dict(orient="records"))
