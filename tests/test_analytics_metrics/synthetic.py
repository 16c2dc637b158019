"""Small synthetic judgment tables with planted behaviour, from a seeded numpy Generator.

Every annotator judges every pair (so each pair has as many judgments as there are annotators),
in sittings of `items_per_sitting` answers spaced `seconds_per_item` apart; the server's side
assignment is random. Pairs carry a source preference, balanced between A and B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Behaviour:
    """How one synthetic annotator answers.

    left_rate: when set, the annotator ignores content and clicks left with this probability.
    accuracy: otherwise, the probability of choosing the source's preferred response...
    fatigued_accuracy / fatigue_after_minutes: ...which falls to this after that many minutes
    into each sitting.
    tie_rate: probability of answering "tie" instead.
    """

    left_rate: float | None = None
    accuracy: float = 0.85
    fatigued_accuracy: float | None = None
    fatigue_after_minutes: float = 10.0
    tie_rate: float = 0.0


def simulate(
    rng: np.random.Generator,
    behaviours: list[Behaviour],
    *,
    n_pairs: int,
    items_per_sitting: int = 40,
    seconds_per_item: float = 37.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(judgments, pairs) tables following the column contract of `analytics.metrics`."""
    source = rng.choice(np.array(["a", "b"]), size=n_pairs)
    pairs = pd.DataFrame(
        {
            "pair_id": np.arange(n_pairs),
            "source_name": "synthetic",
            "source_preference": source,
            "words_context": rng.integers(5, 300, n_pairs),
            "words_response_a": rng.integers(1, 200, n_pairs),
            "words_response_b": rng.integers(1, 200, n_pairs),
        }
    )
    pairs["words_transcript_a"] = pairs["words_context"] + pairs["words_response_a"] + 1
    pairs["words_transcript_b"] = pairs["words_context"] + pairs["words_response_b"] + 1
    frames = []
    for annotator, behaviour in enumerate(behaviours, start=1):
        order = rng.permutation(n_pairs)
        position = np.arange(n_pairs)
        index = position % items_per_sitting + 1
        elapsed_ms = (index - 1) * seconds_per_item * 1000 + rng.integers(0, 5000, n_pairs)
        sitting = position // items_per_sitting
        left_response = rng.choice(np.array(["a", "b"]), size=n_pairs)
        if behaviour.left_rate is not None:
            side = np.where(rng.random(n_pairs) < behaviour.left_rate, "left", "right")
        else:
            accuracy = np.full(n_pairs, behaviour.accuracy)
            if behaviour.fatigued_accuracy is not None:
                late = elapsed_ms >= behaviour.fatigue_after_minutes * 60_000
                accuracy[late] = behaviour.fatigued_accuracy
            preferred = source[order]
            other = np.where(preferred == "a", "b", "a")
            chosen = np.where(rng.random(n_pairs) < accuracy, preferred, other)
            side = np.where(chosen == left_response, "left", "right")
        side = np.where(rng.random(n_pairs) < behaviour.tie_rate, "tie", side)
        chosen_response = np.where(
            side == "tie", "", np.where(side == "left", left_response, np.where(left_response == "a", "b", "a"))
        )
        frames.append(
            pd.DataFrame(
                {
                    "annotator": annotator,
                    "pair_id": order,
                    "side": side,
                    "chosen_response": chosen_response,
                    "left_response": left_response,
                    "dwell_ms": rng.lognormal(np.log(20_000), 0.5, n_pairs),
                    "index_in_sitting": index,
                    "elapsed_in_sitting_ms": elapsed_ms,
                    "since_break_ms": np.where(sitting == 0, np.nan, elapsed_ms + 60_000.0),
                    "source_preference": source[order],
                    "sitting_id": annotator * 10_000 + sitting,
                }
            )
        )
    return pd.concat(frames, ignore_index=True), pairs
