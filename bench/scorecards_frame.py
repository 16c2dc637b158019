"""The scorecards' judgment read (`analytics.scorecards.quality_frame`) at scale: the gold answer read
by a subquery for gold judgments (now) against a join of every judgment to the pair table (before),
alternated, 3 rounds, in one run.

It loads its own data first, with bench/bias_report.py's generator (1,000,000 pairs and 200,000
judgments by 100 annotators), into the empty PostgreSQL database that DATABASE_URL names:

    createdb -h 127.0.0.1 -U postgres pw_scale_check
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pw_scale_check .venv/bin/python bench/scorecards_frame.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

import bench.bias_report as br  # noqa: E402
from analytics.scorecards import QUALITY_COLUMNS  # noqa: E402
from analytics.selectors import JUDGMENT_FIELDS, _frame_copy, judgments_with_gold_answer  # noqa: E402
from annotate.models import Judgment, Project  # noqa: E402

PAIRS, JUDGMENTS, ROUNDS = 1_000_000, 200_000, 3


def main() -> None:
    call_command("migrate", verbosity=0)
    if not Project.objects.exists():
        project_id, annotators = br._cast_create()
        br._data_generate(
            db_name=connection.settings_dict["NAME"],
            project_id=project_id,
            annotator_ids=annotators,
            n_pairs=PAIRS,
            n_judgments=JUDGMENTS,
            seed=7,
        )
    project = Project.objects.order_by("id").last()
    now_fields = {name: JUDGMENT_FIELDS[name] for name in QUALITY_COLUMNS}
    joined_fields = dict(now_fields, gold_answer="pair__gold_answer")
    judgments = Judgment.objects.filter(project=project).order_by("id")
    print(f"{judgments.count():,} judgments, {project.pairs.count():,} pairs")
    ways = (
        ("join (before)", judgments, joined_fields),
        ("subquery (now)", judgments_with_gold_answer(judgments), now_fields),
    )
    times: dict[str, list[float]] = {name: [] for name, _, _ in ways}
    for _ in range(ROUNDS):
        for name, queryset, fields in ways:
            started = time.perf_counter()
            _frame_copy(queryset, fields)
            times[name].append(time.perf_counter() - started)
    for name, taken in times.items():
        print(f"{name}: " + ", ".join(f"{t:.2f} s" for t in taken))


if __name__ == "__main__":
    main()
