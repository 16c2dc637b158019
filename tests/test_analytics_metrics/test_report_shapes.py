"""Every metric accepts any small table in the column contract, empty ones included, and returns
plain JSON (what the report task stores)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.metrics.agreement import agreement
from analytics.metrics.careless import careless_answering
from analytics.metrics.coverage import coverage
from analytics.metrics.fatigue import fatigue, speeding
from analytics.metrics.length import length_preference
from analytics.metrics.position import position_bias
from analytics.metrics.similarity import similarity_buckets, similarity_histogram, top_near_duplicates

N_PAIRS = 4
CHOICE = {"left": ("a", "b"), "right": ("b", "a")}


def report(judgments: pd.DataFrame, pairs: pd.DataFrame) -> dict:
    return {
        "position": position_bias(judgments),
        "length": length_preference(judgments, pairs),
        "agreement": agreement(judgments),
        "careless": careless_answering(judgments),
        "fatigue": fatigue(judgments),
        "speeding": speeding(judgments, pairs),
        "coverage": coverage(pairs, judgments, k=3),
        "buckets": similarity_buckets(pairs["transcript_similarity"].tolist()),
        "histogram": similarity_histogram(pairs["transcript_similarity"].tolist()),
        "top": top_near_duplicates(pairs),
    }


def pair_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pair_id": range(N_PAIRS),
            "source_name": ["hh", "hh", "", "file"],
            "source_preference": ["a", "b", "", ""],
            "transcript_similarity": [0.95, 0.5, 0.8, 1.0],
            "response_similarity": [0.2, 0.5, 0.8, 1.0],
            "words_context": [10, 0, 300, 1000],
            "words_response_a": [5, 0, 40, 1],
            "words_response_b": [6, 0, 40, 2],
            "words_transcript_a": [16, 1, 341, 1002],
            "words_transcript_b": [17, 1, 341, 1003],
        }
    )


judgment_rows = st.lists(
    st.tuples(
        st.integers(1, 3),  # annotator
        st.integers(0, N_PAIRS - 1),  # pair
        st.sampled_from(["left", "right", "tie", "skip"]),
        st.sampled_from(["a", "b"]),  # left response
        st.one_of(st.none(), st.floats(0, 120_000)),  # dwell
        st.integers(1, 50),  # index in sitting
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(judgment_rows)
def test_every_metric_returns_plain_json_for_any_small_table(rows):
    judgments = pd.DataFrame(
        {
            "annotator": [r[0] for r in rows],
            "pair_id": [r[1] for r in rows],
            "side": [r[2] for r in rows],
            "chosen_response": [CHOICE[r[2]][0 if r[3] == "a" else 1] if r[2] in CHOICE else "" for r in rows],
            "left_response": [r[3] for r in rows],
            "dwell_ms": [np.nan if r[4] is None else r[4] for r in rows],
            "index_in_sitting": [r[5] for r in rows],
            "elapsed_in_sitting_ms": [r[5] * 30_000 for r in rows],
            "since_break_ms": [np.nan if r[5] % 2 else r[5] * 30_000.0 for r in rows],
            "source_preference": [["a", "b", "", ""][r[1]] for r in rows],
        },
        columns=[
            "annotator",
            "pair_id",
            "side",
            "chosen_response",
            "left_response",
            "dwell_ms",
            "index_in_sitting",
            "elapsed_in_sitting_ms",
            "since_break_ms",
            "source_preference",
        ],
    )
    payload = report(judgments, pair_table())
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert payload["coverage"]["judgments"] == len(rows)
    assert payload["position"]["overall"]["n"] == sum(1 for r in rows if r[2] in CHOICE)
