"""Pairs for the simulator: varied lengths, a mix of source preferences, a fixed queue order."""

from __future__ import annotations

import random

import pytest

from annotate.models import Pair, Project

WORDS = ("the", "a", "reply", "helps", "because", "it", "answers", "what", "was", "asked", "clearly", "safely")


def _text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def make_varied_pairs(
    project: Project, n: int, *, seed: int = 7, unlabelled_share: float = 0.0, start: int = 0
) -> list[Pair]:
    """`n` pairs whose responses differ in length (5 to 80 words, never equal), contexts of 20 to 120
    words, source preference "a" or "b" at random (blank for about `unlabelled_share` of them), and
    sort keys drawn from `seed`, so that the queue order does not depend on the test run. Rows are
    numbered from `start`."""
    rng = random.Random(seed)
    pairs = []
    for i in range(start, start + n):
        words_a = rng.randint(5, 80)
        words_b = rng.choice([w for w in range(5, 81) if w != words_a])
        preference = "" if rng.random() < unlabelled_share else rng.choice("ab")
        pairs.append(
            Pair(
                project=project,
                context=f"\n\nHuman: question {i}? " + _text(rng, rng.randint(20, 120)),
                response_a=f" {i} " + _text(rng, words_a - 1),
                response_b=f" {i} " + _text(rng, words_b - 1),
                source_name="sim-fixture",
                source_row=i,
                source_preference=preference,
                content_hash=f"sim-{project.slug}-{i}".rjust(64, "0"),
                sort_key=rng.random(),
            )
        )
    return Pair.objects.bulk_create(pairs)


@pytest.fixture
def varied_pairs():
    return make_varied_pairs
