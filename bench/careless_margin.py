"""Not a timing: how often the careless-answering test alone, and the flag with its nearer-chance rule,
take an honest but noisier annotator (80% accurate) among four at 90%, over seeds 1-10, at 100 and 500
pairs judged by all five (the figures in analytics/metrics/careless.py and docs/benchmarks.md).

    .venv/bin/python -m bench.careless_margin
"""

from __future__ import annotations

import numpy as np

from analytics.metrics.careless import careless_flags
from tests.test_analytics_metrics.synthetic import Behaviour, simulate

SEEDS = range(1, 11)


def main() -> None:
    cast = [Behaviour(accuracy=0.9)] * 4 + [Behaviour(accuracy=0.8)]
    for pairs in (100, 500):
        rows = []
        for seed in SEEDS:
            judgments, _ = simulate(np.random.default_rng(seed), cast, n_pairs=pairs)
            rows.append({row["annotator"]: row for row in careless_flags(judgments)}[5])
        below = sum(row["p_adjusted"] < 0.01 for row in rows)
        flagged = sum(row["flagged"] for row in rows)
        print(
            f"{pairs} pairs each: below the rest by the test alone in {below} of {len(SEEDS)} seeds, "
            f"flagged in {flagged} of {len(SEEDS)}"
        )


if __name__ == "__main__":
    main()
