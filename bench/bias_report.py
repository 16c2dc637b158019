"""Benchmark of the bias report on 160,800 pairs and 1,000,000 judgments, and of the per-pair similarity.

In one run it:

1. creates its own database (`--db`, dropped at the end), migrates it, and fills one project with
   COPY: 160,800 pairs that cycle through the 2,312 real HH-RLHF rows of the shared file, with the
   measures stored (the real `pair_text_measures_batch` values of the 2,312 rows, computed once
   and reused for their replicas, whose texts are byte-identical), 100 annotators, their sittings,
   1,000,000 answered assignments and their judgments (k = 7; one assignment per pair and
   annotator; sides counterbalanced per pair; honest, left-biased, fatigued and random-clicking
   annotators; dwell times from reading time);
2. times `analytics.services.bias_report_compute` on a pending `BiasReport` row, each run in a fresh
   child process (a warm worker: Django set up and the analytics imported before the clock starts),
   `--repeats` times; then once more under tracemalloc for the peak of traced allocations; the peak
   RSS (VmHWM) and its rise over the RSS before the call come from the timed runs. The pair
   measures are stored, so the call's `pair_measures_fill` finds nothing to do and the time is the
   report's. The report is timed as analytics/ has it: on PostgreSQL its selectors read the judgment
   and pair frames with COPY ... TO STDOUT and pandas' CSV parser. A breakdown run times every call
   the report makes into the selectors and the metric modules (outermost calls only), and a cProfile
   run (`--profile`) shows where the time goes;
3. computes the transcript similarity of the pairs read back from the database with the seed
   notebook's loop, `difflib.SequenceMatcher(None, chosen, rejected).ratio()` over the full
   transcripts in plain Python, and with ours, `pair_text_measures_batch` (all seven measures) with
   workers=1 and workers=2, interleaved in `--slices` slices so that both see the same load on the
   shared cores, and checks that every value is identical (and equal to the stored one).
   `--notebook-subset N` runs the comparison on the first N pairs only (and ours on all of them
   besides), for machines where the notebook's loop over all pairs takes too long.

    .venv/bin/python bench/bias_report.py
    .venv/bin/python bench/bias_report.py --notebook-subset 16080 --repeats 1

Not a test: it prints figures (a markdown table last) and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import difflib
import hashlib
import importlib
import io
import itertools
import json
import os
import platform
import pstats
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Run as a script (python bench/x.py): the repository's root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PG_SERVER,
    REPO,
    copy_escape,
    copy_value,
    database_drop,
    database_recreate,
    hh_rlhf_rows,
    hh_rlhf_triples,
)

DEFAULT_DB = "pw_bench_bias"
PROJECT_SLUG = "bench-bias"
SOURCE_NAME = "hh-rlhf/harmless-base-test"

K = 7
SITTING_MINUTES = 30
SITTING_ITEMS = 50
# Shorter than annotate.services.annotating.REST_MINUTES, so that a quick return after the break
# continues the working stretch (since_break_ms keeps growing across sittings).
BREAK_MINUTES = 2
LEASE_MINUTES = 10
READING_WPM = 238
MS_MINUTE = 60_000
FIRST_DAY = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)

ANNOTATORS_DEFAULT = 100
TARGET_REPORT_S = 10.0
TARGET_REPORT_BYTES = 1 << 30
TARGET_SPEEDUP = 5.0

# Behaviours by annotator number: the rest are honest.
LEFT_BIASED = range(0, 8)  # pick the left response 70% of the time, whatever it says
FATIGUED = range(8, 13)  # follow the source well early in a sitting, worse after 10 minutes
CLICKERS = range(13, 16)  # 50/50, far faster than reading
LEFT_BIAS = 0.70
HONEST_FOLLOW = 0.75

PAIR_COLUMNS = (
    "id",
    "project_id",
    "context",
    "response_a",
    "response_b",
    "source_name",
    "source_row",
    "source_format",
    "source_preference",
    "content_hash",
    "sort_key",
    "judgment_count",
    "lease_count",
    "a_left_count",
    "b_left_count",
    "status",
    "transcript_similarity",
    "response_similarity",
    "words_context",
    "words_response_a",
    "words_response_b",
    "words_transcript_a",
    "words_transcript_b",
    "created_at",
)
SITTING_COLUMNS = (
    "id",
    "project_id",
    "annotator_id",
    "started_at",
    "deadline",
    "item_limit",
    "items_done",
    "last_activity_at",
    "ordinal_today",
    "stretch_started_at",
    "ended_at",
    "end_reason",
    "break_until",
)
ASSIGNMENT_COLUMNS = (
    "id",
    "project_id",
    "pair_id",
    "annotator_id",
    "sitting_id",
    "left_response",
    "state",
    "served_at",
    "expires_at",
)
JUDGMENT_COLUMNS = (
    "id",
    "assignment_id",
    "project_id",
    "pair_id",
    "annotator_id",
    "sitting_id",
    "side",
    "chosen_response",
    "strength",
    "rationale",
    "left_response",
    "served_at",
    "answered_at",
    "dwell_ms",
    "index_in_sitting",
    "elapsed_in_sitting_ms",
    "since_break_ms",
    "sitting_ordinal_today",
    "viewport_width",
    "viewport_height",
)


# Environment and database ------------------------------------------------------------------------


def _configure_environment(db_name: str, redis_db: int) -> None:
    """A production-like environment for this process and its children (DEBUG off: no query log)."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("PW_BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "DATABASE_URL": f"{PG_SERVER}/{db_name}",
            "CONN_MAX_AGE": "60",
            "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ["PW_BENCH_SECRET_KEY"] = os.environ["SECRET_KEY"]


# The data -------------------------------------------------------------------------------------------


def _hh_rlhf_triples() -> list[tuple[str, str, str]]:
    """(context, chosen response, rejected response) of every row, checked to rebuild the source."""
    from analytics.metrics.similarity import transcript

    triples = hh_rlhf_triples()
    if any(
        transcript(context, chosen) != row["chosen"]
        for (context, chosen, _), row in zip(triples, hh_rlhf_rows(), strict=True)
    ):
        raise RuntimeError("a row of the shared file does not rebuild from its pair")
    return triples


def _cast_create() -> tuple[int, list[int]]:
    """The project (k = 7, 30-minute sittings of up to 50 items, 2-minute breaks), a lead, and 100
    annotators. Returns (project id, annotator user ids)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from annotate.models import Membership, Project, Role

    project = Project.objects.create(
        slug=PROJECT_SLUG,
        name="Bench: bias report",
        sitting_minutes=SITTING_MINUTES,
        sitting_items=SITTING_ITEMS,
        break_minutes=BREAK_MINUTES,
        lease_minutes=LEASE_MINUTES,
        judgments_per_pair=K,
    )
    user_model = get_user_model()
    unusable = make_password(None)
    lead = user_model.objects.create(username="lead", password=unusable)
    Membership.objects.create(user=lead, project=project, role=Role.LEAD)
    annotators = user_model.objects.bulk_create(
        [user_model(username=f"annotator{i:03d}", password=unusable) for i in range(ANNOTATORS_DEFAULT)]
    )
    Membership.objects.bulk_create([Membership(user=u, project=project, role=Role.ANNOTATOR) for u in annotators])
    return project.id, [u.id for u in annotators]


def _plan_judgments(*, rng: np.random.Generator, n_pairs: int, n_judgments: int, n_annotators: int) -> pd.DataFrame:
    """Which annotator judges which pair, with which response on the left.

    Every pair gets n_judgments // n_pairs or one more judgments (at most K); the m annotators of a
    pair are start + j·step (mod n_annotators) for j < m, with step coprime to n_annotators, so they
    are distinct (one assignment per pair and annotator) and every annotator gets about as many.
    Response A is on the left for every other annotator of a pair (counterbalanced)."""
    base, extra = divmod(n_judgments, n_pairs)
    if base + (extra > 0) > min(K, n_annotators):
        raise ValueError("too many judgments for the pairs, k and the annotators")
    per_pair = np.full(n_pairs, base, dtype=np.int64)
    per_pair[rng.choice(n_pairs, size=extra, replace=False)] += 1
    pair_index = np.repeat(np.arange(n_pairs), per_pair)
    within = np.arange(len(pair_index)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    coprime = np.array([s for s in range(1, n_annotators) if np.gcd(s, n_annotators) == 1])
    start = rng.integers(0, n_annotators, size=n_pairs)
    step = rng.choice(coprime, size=n_pairs)
    annotator = (start[pair_index] + within * step[pair_index]) % n_annotators
    parity = rng.integers(0, 2, size=n_pairs)
    a_left = (within + parity[pair_index]) % 2 == 0
    plan = pd.DataFrame({"pair_index": pair_index, "annotator": annotator, "a_left": a_left})
    # Each annotator meets their pairs in a random order.
    return plan.iloc[rng.permutation(len(plan))].sort_values("annotator", kind="stable").reset_index(drop=True)


def _schedule(*, rng: np.random.Generator, plan: pd.DataFrame, reading_ms: np.ndarray) -> tuple[list, pd.DataFrame]:
    """Sittings and timings of every annotator's judgments, as the server would have recorded them.

    Dwell is the pair's reading time (words / 238 wpm) times a log-normal factor (clickers far
    faster); each sitting ends at its item limit, its deadline, or by hand; after each, a break of
    BREAK_MINUTES and a pause (under REST_MINUTES it continues the working stretch); 3 to 5
    sittings a day. Returns (sitting rows, per-judgment timing columns aligned with `plan`)."""
    from annotate.services.annotating import REST_MINUTES

    n = len(plan)
    factor = rng.lognormal(mean=np.log(1.1), sigma=0.45, size=n)
    clicker = plan["annotator"].isin(list(CLICKERS)).to_numpy()
    factor[clicker] *= 0.2
    dwell = np.clip(reading_ms[plan["pair_index"].to_numpy()] * factor, 1_500, 900_000).astype(np.int64)
    hidden = np.where(rng.random(n) < 0.05, rng.integers(1_000, 60_000, size=n), 0)  # tab hidden a while
    pause = rng.integers(400, 4_000, size=n)  # answer to the next pair on screen
    timing = {
        name: np.zeros(n, dtype=np.int64)
        for name in ("served", "answered", "index", "elapsed", "since_break", "ordinal", "sitting")
    }
    sittings: list[dict] = []
    sitting_ms, rest_ms, break_ms = SITTING_MINUTES * MS_MINUTE, REST_MINUTES * MS_MINUTE, BREAK_MINUTES * MS_MINUTE
    bounds = np.flatnonzero(np.diff(plan["annotator"].to_numpy())) + 1
    for rows in np.split(np.arange(n), bounds):
        annotator = int(plan["annotator"].iat[rows[0]])
        day = 0
        cursor = 0
        while cursor < len(rows):
            day_start = int((FIRST_DAY + dt.timedelta(days=day, hours=8)).timestamp() * 1000)
            now = day_start + int(rng.integers(0, 3 * 3_600_000))
            stretch = now
            for ordinal in range(1, int(rng.integers(3, 6)) + 1):
                if cursor >= len(rows):
                    break
                started, wanted = now, int(rng.integers(20, SITTING_ITEMS + 1))
                deadline, reason, done = started + sitting_ms, "manual", 0
                while cursor < len(rows):
                    row = rows[cursor]
                    answered = now + int(dwell[row]) + int(hidden[row])
                    if answered > deadline:
                        reason = "time"
                        break
                    timing["served"][row], timing["answered"][row] = now, answered
                    done += 1
                    timing["index"][row] = done
                    timing["elapsed"][row] = answered - started
                    timing["since_break"][row] = answered - stretch
                    timing["ordinal"][row], timing["sitting"][row] = ordinal, len(sittings) + 1
                    now = answered + int(pause[row])
                    cursor += 1
                    if done == SITTING_ITEMS:
                        reason = "items"
                        break
                    if done == wanted:
                        break
                ended = min(now, deadline) if reason != "time" else deadline
                sittings.append(
                    {
                        "annotator": annotator,
                        "started_at": started,
                        "deadline": deadline,
                        "items_done": done,
                        "last_activity_at": now,
                        "ordinal_today": ordinal,
                        "stretch_started_at": stretch,
                        "ended_at": ended,
                        "end_reason": reason,
                        "break_until": ended + break_ms,
                    }
                )
                now = ended + break_ms + int(rng.integers(0, 8 * MS_MINUTE))
                if now - ended >= rest_ms:
                    stretch = now
            day += 1
    frame = pd.DataFrame(timing)
    frame["dwell"] = dwell
    return sittings, frame


def _choose_sides(*, rng: np.random.Generator, plan: pd.DataFrame, timing: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Sides picked: honest annotators follow the source (response A) 75% of the time, left-biased
    ones pick left 70% of the time, fatigued ones follow the source 80% until 10 minutes into a
    sitting and then less and less (55% at 30 minutes), clickers pick 50/50. About 3% ties and 1%
    skips everywhere. Returns (side, chosen_response) arrays."""
    n = len(plan)
    annotator = plan["annotator"].to_numpy()
    a_left = plan["a_left"].to_numpy()
    minutes = timing["elapsed"].to_numpy() / MS_MINUTE
    follow = np.full(n, HONEST_FOLLOW)
    fatigued = np.isin(annotator, list(FATIGUED))
    follow[fatigued] = 0.80 - 0.0125 * np.clip(minutes[fatigued] - 10, 0, None)
    picks_a = rng.random(n) < follow
    picks_left = np.where(picks_a, a_left, ~a_left)
    biased = np.isin(annotator, list(LEFT_BIASED))
    picks_left[biased] = rng.random(int(biased.sum())) < LEFT_BIAS
    clicking = np.isin(annotator, list(CLICKERS))
    picks_left[clicking] = rng.random(int(clicking.sum())) < 0.5
    side = np.where(picks_left, "left", "right").astype(object)
    other = rng.random(n)
    side[other < 0.03] = "tie"
    side[other > 0.99] = "skip"
    left_response = np.where(a_left, "a", "b")
    right_response = np.where(a_left, "b", "a")
    chosen = np.where(side == "left", left_response, np.where(side == "right", right_response, ""))
    return side, chosen


def _ms_to_timestamps(ms: np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(ms, dtype=np.int64), unit="ms", utc=True))


def _column_fillers(model, supplied: tuple[str, ...] | list[str]) -> dict[str, str]:
    """COPY text for every column of `model` that the generator does not supply: the field's default
    (what the ORM would write), else NULL. Keeps the COPY working when fields are added."""
    fillers = {}
    for field in model._meta.concrete_fields:
        if field.column in supplied:
            continue
        value = field.get_default() if field.has_default() or not field.null else None
        if value is None and not field.null:
            raise RuntimeError(f"{model.__name__}.{field.name} needs a value and has no default")
        fillers[field.column] = copy_value(value)
    return fillers


def _copy_frame(cursor, model, frame: pd.DataFrame) -> None:
    """COPY a frame of numbers, short strings and timestamps (nothing that needs escaping) into the
    table of `model`, the other columns filled with their defaults."""
    frame = frame.assign(**_column_fillers(model, list(frame.columns)))
    buffer = io.StringIO()
    frame.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N")
    with cursor.copy(f"COPY {model._meta.db_table} ({', '.join(frame.columns)}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def _data_generate(
    *, db_name: str, project_id: int, annotator_ids: list[int], n_pairs: int, n_judgments: int, seed: int
) -> dict[str, Any]:
    """COPY the pairs, sittings, assignments and judgments; returns counts and seconds."""
    import psycopg

    from analytics.metrics.similarity import pair_text_measures_batch
    from annotate.importers import content_hash_compute
    from annotate.models import AnnotationSession, Assignment, Judgment, Pair, Project

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    triples = _hh_rlhf_triples()
    measure_start = time.perf_counter()
    measures = pair_text_measures_batch(triples, workers=2)
    figures["base_measures_s"] = time.perf_counter() - measure_start
    base = len(triples)
    words = np.array([m["words_context"] + m["words_response_a"] + m["words_response_b"] for m in measures])
    pair_words = words[np.arange(n_pairs) % base]
    reading_ms = (pair_words / READING_WPM * MS_MINUTE).astype(np.int64)

    plan = _plan_judgments(rng=rng, n_pairs=n_pairs, n_judgments=n_judgments, n_annotators=len(annotator_ids))
    sittings, timing = _schedule(rng=rng, plan=plan, reading_ms=reading_ms)
    side, chosen = _choose_sides(rng=rng, plan=plan, timing=timing)
    figures["plan_s"] = time.perf_counter() - started
    user_ids = np.asarray(annotator_ids, dtype=np.int64)
    pair_index = plan["pair_index"].to_numpy()
    pair_ids = pair_index + 1
    a_left = plan["a_left"].to_numpy()
    left_response = np.where(a_left, "a", "b")

    answered = side != "skip"
    counted = np.bincount(pair_index[answered], minlength=n_pairs)
    # The side counters count judgments that count (skips give their side back), as the service keeps them.
    a_left_count = np.bincount(pair_index[a_left & answered], minlength=n_pairs)
    b_left_count = np.bincount(pair_index[~a_left & answered], minlength=n_pairs)
    now = dt.datetime.now(dt.UTC).isoformat()

    copy_start = time.perf_counter()
    with psycopg.connect(f"{PG_SERVER}/{db_name}") as conn, conn.cursor() as cur:
        # Foreign keys are checked once afterwards with anti-joins (_data_check) instead of by one
        # trigger per row at commit, which takes minutes for 2 million rows on the shared cores.
        cur.execute("SET session_replication_role = replica")
        escaped = [tuple(copy_escape(text) for text in triple) for triple in triples]
        hashes = [content_hash_compute(context=c, response_a=a, response_b=b) for c, a, b in triples]
        pair_fillers = _column_fillers(Pair, PAIR_COLUMNS)
        pair_columns = ", ".join([*PAIR_COLUMNS, *pair_fillers])
        pair_tail = "".join(f"\t{value}" for value in pair_fillers.values())
        with cur.copy(f"COPY annotate_pair ({pair_columns}) FROM STDIN") as copy:
            lines = []
            for index in range(n_pairs):
                row = index % base
                replica = index // base
                context, response_a, response_b = escaped[row]
                m = measures[row]
                # The replicas' texts are the row's own, so their hash is made distinct on purpose (the
                # database refuses two pairs with one content hash).
                digest = (
                    hashes[row] if replica == 0 else hashlib.sha256(f"{hashes[row]}/{replica}".encode()).hexdigest()
                )
                status = 2 if counted[index] >= K else (1 if counted[index] else 0)
                lines.append(
                    f"{index + 1}\t{project_id}\t{context}\t{response_a}\t{response_b}\t{SOURCE_NAME}\t{row}"
                    f"\thh-rlhf\ta"
                    f"\t{digest}\t{rng.random()!r}\t{counted[index]}\t0\t{a_left_count[index]}\t{b_left_count[index]}"
                    f"\t{status}\t{m['transcript_similarity']!r}\t{m['response_similarity']!r}\t{m['words_context']}"
                    f"\t{m['words_response_a']}\t{m['words_response_b']}\t{m['words_transcript_a']}"
                    f"\t{m['words_transcript_b']}\t{now}{pair_tail}\n"
                )
                if len(lines) == 5_000:
                    copy.write("".join(lines))
                    lines.clear()
            copy.write("".join(lines))

        sitting_frame = pd.DataFrame(sittings)
        sitting_rows = pd.DataFrame(
            {
                "id": np.arange(1, len(sitting_frame) + 1),
                "project_id": project_id,
                "annotator_id": user_ids[sitting_frame["annotator"].to_numpy()],
                "started_at": _ms_to_timestamps(sitting_frame["started_at"]),
                "deadline": _ms_to_timestamps(sitting_frame["deadline"]),
                "item_limit": SITTING_ITEMS,
                "items_done": sitting_frame["items_done"],
                "last_activity_at": _ms_to_timestamps(sitting_frame["last_activity_at"]),
                "ordinal_today": sitting_frame["ordinal_today"],
                "stretch_started_at": _ms_to_timestamps(sitting_frame["stretch_started_at"]),
                "ended_at": _ms_to_timestamps(sitting_frame["ended_at"]),
                "end_reason": sitting_frame["end_reason"],
                "break_until": _ms_to_timestamps(sitting_frame["break_until"]),
            }
        )
        _copy_frame(cur, AnnotationSession, sitting_rows[list(SITTING_COLUMNS)])
        ids = np.arange(1, len(plan) + 1)
        served = _ms_to_timestamps(timing["served"])
        annotator_column = user_ids[plan["annotator"].to_numpy()]
        assignments = pd.DataFrame(
            {
                "id": ids,
                "project_id": project_id,
                "pair_id": pair_ids,
                "annotator_id": annotator_column,
                "sitting_id": timing["sitting"],
                "left_response": left_response,
                "state": "answered",
                "served_at": served,
                "expires_at": _ms_to_timestamps(timing["served"] + LEASE_MINUTES * MS_MINUTE),
            }
        )
        _copy_frame(cur, Assignment, assignments[list(ASSIGNMENT_COLUMNS)])
        del assignments
        viewport = rng.choice(np.array([[1920, 1080], [1440, 900], [1366, 768], [2560, 1440]]), size=len(plan))
        judgments = pd.DataFrame(
            {
                "id": ids,
                "assignment_id": ids,
                "project_id": project_id,
                "pair_id": pair_ids,
                "annotator_id": annotator_column,
                "sitting_id": timing["sitting"],
                "side": side,
                "chosen_response": chosen,
                "strength": pd.array([None] * len(plan), dtype="Int64"),
                "rationale": "",
                "left_response": left_response,
                "served_at": served,
                "answered_at": _ms_to_timestamps(timing["answered"]),
                "dwell_ms": timing["dwell"],
                "index_in_sitting": timing["index"],
                "elapsed_in_sitting_ms": timing["elapsed"],
                "since_break_ms": timing["since_break"],
                "sitting_ordinal_today": timing["ordinal"],
                "viewport_width": viewport[:, 0],
                "viewport_height": viewport[:, 1],
            }
        )
        judgment_columns = list(JUDGMENT_COLUMNS)
        field_names = {field.name for field in Judgment._meta.concrete_fields}
        if {"reading_floor_ms", "fast"} <= field_names:
            # As the submit service records them: the reading floor times the project's factor.
            factor = getattr(Project.objects.get(pk=project_id), "reading_factor", 1.0)
            floor = (pair_words[pair_ids - 1] / READING_WPM * MS_MINUTE * factor).astype(np.int64)
            judgments["reading_floor_ms"] = floor
            judgments["fast"] = np.where((side != "skip") & (timing["dwell"].to_numpy() < floor), "t", "f")
            judgment_columns += ["reading_floor_ms", "fast"]
        _copy_frame(cur, Judgment, judgments[judgment_columns])
        del judgments
        for table in ("annotate_pair", "annotate_annotationsession", "annotate_assignment", "annotate_judgment"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    figures["copy_s"] = time.perf_counter() - copy_start
    vacuum_start = time.perf_counter()
    with psycopg.connect(f"{PG_SERVER}/{db_name}", autocommit=True) as conn:
        # Freshly loaded tables as autovacuum would leave them: statistics and visibility map.
        conn.execute("VACUUM ANALYZE")
    figures["vacuum_s"] = time.perf_counter() - vacuum_start
    figures.update(
        {
            "pairs": n_pairs,
            "judgments": len(plan),
            "sittings": len(sittings),
            "annotators": len(annotator_ids),
            "generate_s": time.perf_counter() - started,
            "sides": {str(k): int(v) for k, v in zip(*np.unique(side.astype(str), return_counts=True), strict=True)},
        }
    )
    return figures


def _data_check(*, project_id: int, n_pairs: int, n_judgments: int) -> dict[str, int]:
    """What the database now holds, and that the constraints the generator promised hold."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM annotate_pair WHERE project_id = %s),"
            " (SELECT count(*) FROM annotate_judgment WHERE project_id = %s),"
            " (SELECT count(*) FROM annotate_assignment WHERE project_id = %s),"
            " (SELECT count(*) FROM annotate_annotationsession WHERE project_id = %s),"
            " (SELECT max(judgment_count) FROM annotate_pair WHERE project_id = %s),"
            " (SELECT count(*) FROM annotate_pair WHERE project_id = %s AND transcript_similarity IS NULL),"
            " (SELECT count(*) FROM annotate_judgment j LEFT JOIN annotate_assignment a ON a.id = j.assignment_id"
            "  WHERE a.id IS NULL OR a.pair_id <> j.pair_id OR a.annotator_id <> j.annotator_id"
            "  OR a.left_response <> j.left_response OR a.sitting_id <> j.sitting_id)",
            [project_id] * 6,
        )
        pairs, judgments, assignments, sittings, max_count, unmeasured, mismatched = cursor.fetchone()
        # The foreign keys that COPY did not check (see _data_generate).
        cursor.execute(
            "SELECT (SELECT count(*) FROM annotate_assignment a LEFT JOIN annotate_pair p ON p.id = a.pair_id"
            "  LEFT JOIN annotate_annotationsession s ON s.id = a.sitting_id"
            "  LEFT JOIN auth_user u ON u.id = a.annotator_id"
            "  WHERE p.id IS NULL OR s.id IS NULL OR u.id IS NULL OR s.annotator_id <> a.annotator_id),"
            " (SELECT count(*) FROM annotate_annotationsession s LEFT JOIN auth_user u ON u.id = s.annotator_id"
            "  WHERE u.id IS NULL),"
            " (SELECT count(*) FROM (SELECT pair_id, annotator_id FROM annotate_assignment"
            "  GROUP BY 1, 2 HAVING count(*) > 1) twice)"
        )
        dangling_assignments, dangling_sittings, repeated = cursor.fetchone()
    if dangling_assignments or dangling_sittings or repeated:
        raise RuntimeError(f"broken references: {dangling_assignments}, {dangling_sittings}, {repeated}")
    if (pairs, judgments, assignments) != (n_pairs, n_judgments, n_judgments) or max_count > K or unmeasured:
        raise RuntimeError(f"unexpected data: {pairs} pairs, {judgments} judgments, max count {max_count}")
    if mismatched:
        raise RuntimeError(f"{mismatched} judgments disagree with their assignments")
    return {"pairs": pairs, "judgments": judgments, "assignments": assignments, "sittings": sittings}


# The report, in child processes ----------------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _maxrss_bytes() -> int:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries that over
    from the parent across fork and exec, so a child of this (large) benchmark process would report
    the parent's size instead of its own."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def _child_report(*, report_id: int, mode: str, out: Path) -> None:
    """In a fresh process: set Django up, import the analytics, then compute one report (`mode`:
    "time", "trace" under tracemalloc, "profile" under cProfile, "breakdown" call by call)."""
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.db import connection

    from analytics.models import BiasReport
    from analytics.services import bias_report_compute

    connection.ensure_connection()
    if mode == "breakdown":
        out.write_text(json.dumps(_breakdown(report_id=report_id)))
        return
    rss_before, maxrss_before = _rss_bytes(), _maxrss_bytes()
    profiler = cProfile.Profile() if mode == "profile" else None
    if mode == "trace":
        tracemalloc.start()
    if profiler is not None:
        profiler.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    report = bias_report_compute(report_id=report_id)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
    traced_peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else None
    result = {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before": rss_before,
        "maxrss_before": maxrss_before,
        "maxrss_after": _maxrss_bytes(),
        "traced_peak": traced_peak,
        "state": report.state if report is not None else None,
        "duration_ms": report.duration_ms if report is not None else None,
        "judgments_seen": report.judgments_seen if report is not None else None,
        "payload_bytes": len(json.dumps(BiasReport.objects.get(pk=report_id).payload)),
    }
    if profiler is not None:
        for sort in ("cumulative", "tottime"):
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(sort).print_stats(30)
            result[f"profile_{sort}"] = text.getvalue()
    out.write_text(json.dumps(result))


def _breakdown(*, report_id: int) -> dict[str, Any]:
    """One `bias_report_compute` with every call it makes into the selectors and the metric modules
    timed (outermost calls only, so nothing is counted twice)."""
    import functools
    import inspect

    import analytics.services

    timings: dict[str, list] = {}
    depth = [0]

    def wrap(label: str, func: Callable) -> Callable:
        @functools.wraps(func)
        def timed(*args, **kwargs):
            if depth[0]:
                return func(*args, **kwargs)
            depth[0] += 1
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                depth[0] -= 1
                entry = timings.setdefault(label, [0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - started

        return timed

    services = analytics.services
    for name, value in list(vars(services).items()):
        if inspect.isfunction(value) and value.__module__ == "analytics.selectors":
            setattr(services, name, wrap(f"selectors.{name}", value))
    # The report imports the metric modules when it runs: patch the modules themselves.
    for short in ("agreement", "coverage", "fatigue", "jsonable", "length", "position", "quality", "similarity"):
        module = importlib.import_module(f"analytics.metrics.{short}")
        for attribute, function in list(vars(module).items()):
            if inspect.isfunction(function) and function.__module__ == module.__name__ and attribute[0] != "_":
                setattr(module, attribute, wrap(f"{short}.{attribute}", function))
    services.pair_measures_fill = wrap("pair_measures_fill", services.pair_measures_fill)
    started = time.perf_counter()
    services.bias_report_compute(report_id=report_id)
    total = time.perf_counter() - started
    steps = sorted(([label, calls, seconds] for label, (calls, seconds) in timings.items()), key=lambda row: -row[2])
    rest = total - sum(row[2] for row in steps)
    steps.append(["rest of bias_report_compute (claim, frame filters, row updates)", 1, rest])
    return {"total_s": total, "steps": steps}


def _report_run(*, project_id: int, mode: str, repo: Path = REPO) -> dict[str, Any]:
    """A pending BiasReport row computed by a child process in `mode`, with the code of `repo` (this
    checkout, or a baseline's worktree); the child's figures."""
    from analytics.models import BiasReport

    report = BiasReport.objects.create(project_id=project_id, parameters={"bench": mode})
    with tempfile.TemporaryDirectory(prefix="pw-bench-bias-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(repo / "bench" / "bias_report.py"), "--child-report", str(report.id)]
        subprocess.run([*command, "--child-mode", mode, "--child-out", str(out)], check=True, cwd=repo)
        result = json.loads(out.read_text())
    if mode == "breakdown":
        return {"breakdown": result, "report_id": report.id}
    if result["state"] != "done":
        raise RuntimeError(f"report {report.id} ended {result['state']}")
    return result | {"report_id": report.id}


# Similarity: the notebook's loop against ours ---------------------------------------------------------


def _notebook_ratios(rows: list[dict[str, str]]) -> list[float]:
    """The seed notebook's loop (check_similarity), as it is written."""
    return [difflib.SequenceMatcher(None, row["chosen"], row["rejected"]).ratio() for row in rows]


def _clock() -> tuple[float, float]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), time.process_time() + children.ru_utime + children.ru_stime


def _similarity_compare(*, project_id: int, subset: int | None, slices: int) -> dict[str, Any]:
    """Notebook loop vs ours, interleaved by slices over the same pairs; identical values checked."""
    from analytics.metrics.similarity import pair_text_measures_batch, transcript
    from annotate.models import Pair

    read = time.perf_counter()
    stored = list(
        Pair.objects.filter(project_id=project_id)
        .order_by("id")
        .values_list("context", "response_a", "response_b", "transcript_similarity")
        .iterator(chunk_size=10_000)
    )
    triples = [(c, a, b) for c, a, b, _ in stored]
    read_s = time.perf_counter() - read
    n_compare = len(triples) if subset is None else min(subset, len(triples))
    # The notebook's input: the two full transcripts, the source's chosen as "chosen".
    rows = [{"chosen": transcript(c, a), "rejected": transcript(c, b)} for c, a, b in triples[:n_compare]]
    edges = np.linspace(0, n_compare, slices + 1).astype(int)
    totals = {name: [0.0, 0.0] for name in ("notebook", "ours_w1", "ours_w2")}
    notebook: list[float] = []
    ours_w1: list[dict] = []
    ours_w2: list[dict] = []
    loads = [os.getloadavg()[0]]
    for low, high in itertools.pairwise(edges):
        for name, call, sink in (
            ("notebook", lambda lo=low, hi=high: _notebook_ratios(rows[lo:hi]), notebook),
            ("ours_w1", lambda lo=low, hi=high: pair_text_measures_batch(triples[lo:hi], workers=1), ours_w1),
            ("ours_w2", lambda lo=low, hi=high: pair_text_measures_batch(triples[lo:hi], workers=2), ours_w2),
        ):
            wall, cpu = _clock()
            sink.extend(call())
            after_wall, after_cpu = _clock()
            totals[name][0] += after_wall - wall
            totals[name][1] += after_cpu - cpu
        loads.append(os.getloadavg()[0])
        print(f"  similarity slice [{low:,}, {high:,}) done; load {loads[-1]:.1f}", flush=True)
    figures: dict[str, Any] = {
        "read_s": read_s,
        "compared": n_compare,
        "slices": slices,
        "load_min": min(loads),
        "load_max": max(loads),
        **{f"{name}_wall_s": value[0] for name, value in totals.items()},
        **{f"{name}_cpu_s": value[1] for name, value in totals.items()},
    }
    mismatches = sum(
        1
        for ratio, one, two in zip(notebook, ours_w1, ours_w2, strict=True)
        if not (ratio == one["transcript_similarity"] == two["transcript_similarity"])
    )
    if subset is not None and n_compare < len(triples):
        for name, workers in (("ours_w1", 1), ("ours_w2", 2)):
            wall, cpu = _clock()
            everything = pair_text_measures_batch(triples, workers=workers)
            after_wall, after_cpu = _clock()
            figures[f"{name}_all_wall_s"], figures[f"{name}_all_cpu_s"] = after_wall - wall, after_cpu - cpu
        ours_all = everything
    else:
        ours_all = ours_w2
        figures["ours_w1_all_wall_s"], figures["ours_w2_all_wall_s"] = totals["ours_w1"][0], totals["ours_w2"][0]
        figures["ours_w1_all_cpu_s"], figures["ours_w2_all_cpu_s"] = totals["ours_w1"][1], totals["ours_w2"][1]
    stored_mismatches = sum(
        1 for (*_, value), measures in zip(stored, ours_all, strict=True) if value != measures["transcript_similarity"]
    )
    figures.update(
        {
            "pairs_all": len(triples),
            "mismatches": mismatches,
            "stored_mismatches": stored_mismatches,
            "notebook_mean": statistics.mean(notebook),
            "speedup_w1": totals["notebook"][0] / totals["ours_w1"][0],
            "speedup_w2": totals["notebook"][0] / totals["ours_w2"][0],
            "speedup_w1_cpu": totals["notebook"][1] / totals["ours_w1"][1],
        }
    )
    if mismatches or stored_mismatches:
        raise RuntimeError(f"similarities differ: {mismatches} vs the notebook, {stored_mismatches} vs stored")
    return figures


# Output ------------------------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    with open("/proc/meminfo") as handle:
        total_kib = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    with open("/proc/cpuinfo") as handle:
        model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True, cwd=REPO
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "analytics"], capture_output=True, text=True, check=True, cwd=REPO
        ).stdout.strip()
        return {
            "cores": os.cpu_count(),
            "memory_gib": total_kib / 2**20,
            "cpu": model,
            "python": platform.python_version(),
            "commit": commit + (" (analytics/ has uncommitted changes)" if dirty else ""),
        }
    return {"cores": os.cpu_count(), "memory_gib": total_kib / 2**20, "cpu": model, "python": platform.python_version()}


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.0f} MiB"


def _markdown(
    *,
    data: dict,
    report_runs: list[dict],
    traced: dict,
    similarity: dict,
    machine: dict,
    breakdown: dict,
) -> str:
    walls = [run["wall_s"] for run in report_runs]
    peaks = [run["maxrss_after"] for run in report_runs]
    deltas = [run["maxrss_after"] - run["rss_before"] for run in report_runs]
    median_wall = statistics.median(walls)
    n = similarity["compared"]
    per_pair = {name: similarity[f"{name}_wall_s"] / n * 1e3 for name in ("notebook", "ours_w1", "ours_w2")}
    projected = similarity["notebook_wall_s"] / n * similarity["pairs_all"]
    compared = "all pairs" if n == similarity["pairs_all"] else f"first {n:,} pairs"
    lines = [
        f"Bias report benchmark: {data['pairs']:,} pairs, {data['judgments']:,} judgments, "
        f"{data['annotators']} annotators, {data['sittings']:,} sittings (k = {K}).",
        "",
        "| measure | figure | target |",
        "|---|---|---|",
        f"| report time, `bias_report_compute` (median of {len(walls)}; runs: "
        f"{', '.join(f'{w:.2f}' for w in walls)} s) | **{median_wall:.2f} s** | ≤ {TARGET_REPORT_S:g} s "
        f"{'✓' if median_wall <= TARGET_REPORT_S else '✗'} |",
        f"| report CPU time in the worker process (median) | {statistics.median(r['cpu_s'] for r in report_runs):.2f} s"
        " | |",
        f"| report peak RSS of the worker process (VmHWM, max of runs) | **{_mib(max(peaks))}** | ≤ 1 GiB "
        f"{'✓' if max(peaks) <= TARGET_REPORT_BYTES else '✗'} |",
        f"| rise of RSS during the report (VmHWM after - RSS before, max) | {_mib(max(deltas))} | |",
        f"| tracemalloc peak of the report (separate run; its time {traced['wall_s']:.2f} s) "
        f"| {_mib(traced['traced_peak'])} | |",
        f"| payload stored | {report_runs[0]['payload_bytes'] / 1024:,.0f} KiB JSON | |",
        *(
            f"| breakdown run ({breakdown['total_s']:.1f} s): `{label}` ({calls}x) | {seconds:.2f} s "
            f"({seconds / breakdown['total_s']:.0%}) | |"
            for label, calls, seconds in breakdown["steps"][:5]
        ),
        f"| transcript similarity, notebook loop (`difflib`, 1 process), {compared} "
        f"| {similarity['notebook_wall_s']:.1f} s ({per_pair['notebook']:.3f} ms/pair; CPU "
        f"{similarity['notebook_cpu_s']:.1f} s) | |",
        f"| ours, `pair_text_measures_batch` workers=1, same pairs | {similarity['ours_w1_wall_s']:.1f} s "
        f"({per_pair['ours_w1']:.3f} ms/pair; CPU {similarity['ours_w1_cpu_s']:.1f} s) | |",
        f"| ours, workers=2, same pairs | {similarity['ours_w2_wall_s']:.1f} s ({per_pair['ours_w2']:.3f} ms/pair; "
        f"CPU incl. children {similarity['ours_w2_cpu_s']:.1f} s) | |",
        f"| speed-up over the notebook, wall: workers=1 / workers=2 | {similarity['speedup_w1']:.2f}x / "
        f"**{similarity['speedup_w2']:.2f}x** (CPU, workers=1: {similarity['speedup_w1_cpu']:.2f}x) | "
        f"≥ {TARGET_SPEEDUP:g}x {'✓' if similarity['speedup_w2'] >= TARGET_SPEEDUP else '✗'} |",
        f"| ours on all {similarity['pairs_all']:,} pairs, workers=1 / workers=2 | "
        f"{similarity['ours_w1_all_wall_s']:.1f} s / {similarity['ours_w2_all_wall_s']:.1f} s | |",
        f"| values identical (notebook = ours w1 = ours w2 = stored) | {similarity['mismatches']} mismatches of "
        f"{n:,}; {similarity['stored_mismatches']} of {similarity['pairs_all']:,} vs stored | 0 |",
        f"| data generation (COPY {data['copy_s']:.0f} s, VACUUM ANALYZE {data['vacuum_s']:.0f} s) | "
        f"{data['generate_s']:.0f} s | |",
        "",
        f"Command: `{' '.join(['.venv/bin/python', 'bench/bias_report.py', *sys.argv[1:]])}`",
        f"Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']:.0f} GiB, Python "
        f"{machine['python']}, PostgreSQL on the same machine; code {machine.get('commit', '?')}. Load average "
        f"during the similarity run {similarity['load_min']:.1f}-{similarity['load_max']:.1f} (the cores are shared).",
    ]
    if n != similarity["pairs_all"]:
        lines.append(
            f"The notebook loop ran on the first {n:,} pairs; over all {similarity['pairs_all']:,} it would take "
            f"about {projected:.0f} s (extrapolated linearly; the pairs cycle through the same 2,312 rows)."
        )
    return "\n".join(lines)


# Main ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=160_800)
    parser.add_argument("--judgments", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="timed report runs (each in a fresh process)")
    parser.add_argument("--notebook-subset", type=int, help="compare on the first N pairs only (ours also on all)")
    parser.add_argument("--slices", type=int, default=8, help="interleave notebook and ours in this many slices")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--db", default=DEFAULT_DB, help="database to create and drop (must start with pw_bench_)")
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--keep-db", action="store_true", help="keep the database for inspection")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--baseline",
        help="a commit whose report runs alternate with ours on the same data (checked out in a temporary worktree)",
    )
    parser.add_argument("--child-report", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-mode", default="time", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_report is not None:
        _child_report(report_id=args.child_report, mode=args.child_mode, out=args.child_out)
        return
    if not args.db.startswith("pw_bench_"):
        parser.error("--db must start with pw_bench_: the benchmark drops it")
    sys.path.insert(0, str(REPO))
    _configure_environment(args.db, args.redis_db)
    import django

    django.setup()
    machine = _machine()
    print(f"machine: {machine}; load average {os.getloadavg()}", flush=True)
    from django.core.management import call_command

    baseline_dir = Path(tempfile.mkdtemp(prefix="pw-bench-baseline-")) / "tree" if args.baseline else None
    if baseline_dir is not None:
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline_dir), args.baseline], check=True, cwd=REPO)
    try:
        database_recreate(args.db)
        call_command("migrate", verbosity=0)
        project_id, annotator_ids = _cast_create()
        print(f"generating {args.pairs:,} pairs and {args.judgments:,} judgments with COPY ...", flush=True)
        data = _data_generate(
            db_name=args.db,
            project_id=project_id,
            annotator_ids=annotator_ids,
            n_pairs=args.pairs,
            n_judgments=args.judgments,
            seed=args.seed,
        )
        data |= _data_check(project_id=project_id, n_pairs=args.pairs, n_judgments=args.judgments)
        print(json.dumps(data), flush=True)

        breakdown = _report_run(project_id=project_id, mode="breakdown")["breakdown"]
        print(f"breakdown of one report ({breakdown['total_s']:.2f} s wall), outermost calls:", flush=True)
        for label, calls, seconds in breakdown["steps"]:
            print(f"  {seconds:7.2f} s  {calls:3d}x  {label}", flush=True)
        report_runs, baseline_runs = [], []
        for number in range(args.repeats):
            # With a baseline, its runs alternate with ours on the same data: the same load for both.
            for runs, repo, label in ((baseline_runs, baseline_dir, "baseline "), (report_runs, REPO, "")):
                if repo is None:
                    continue
                run = _report_run(project_id=project_id, mode="time", repo=repo)
                runs.append(run)
                print(
                    f"{label}report run {number + 1}: {run['wall_s']:.2f} s wall, {run['cpu_s']:.2f} s CPU, peak RSS "
                    f"{_mib(run['maxrss_after'])} (before {_mib(run['rss_before'])}); load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
        traced = _report_run(project_id=project_id, mode="trace")
        print(f"report under tracemalloc: {traced['wall_s']:.2f} s, traced peak {_mib(traced['traced_peak'])}")
        missed = (
            statistics.median(r["wall_s"] for r in report_runs) > TARGET_REPORT_S
            or max(r["maxrss_after"] for r in report_runs) > TARGET_REPORT_BYTES
        )
        profile = None
        if args.profile == "always" or (args.profile == "auto" and missed):
            profile = _report_run(project_id=project_id, mode="profile")
            print(f"cProfile run ({profile['wall_s']:.2f} s under the profiler), by cumulative time:")
            print(profile["profile_cumulative"])
            print("by own time:")
            print(profile["profile_tottime"], flush=True)

        print("similarity: notebook loop vs ours, interleaved ...", flush=True)
        similarity = _similarity_compare(project_id=project_id, subset=args.notebook_subset, slices=args.slices)
        print(json.dumps(similarity), flush=True)
    finally:
        if not args.keep_db:
            database_drop(args.db)
        if baseline_dir is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline_dir)], check=False, cwd=REPO)
    table = _markdown(
        data=data,
        report_runs=report_runs,
        traced=traced,
        similarity=similarity,
        machine=machine,
        breakdown=breakdown,
    )
    print("\n" + table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "command": " ".join([".venv/bin/python", "bench/bias_report.py", *sys.argv[1:]]),
                    "machine": machine,
                    "data": data,
                    "breakdown": breakdown,
                    "report_runs": report_runs,
                    "baseline": {"commit": args.baseline, "report_runs": baseline_runs} if args.baseline else None,
                    "traced": traced,
                    "profile": profile,
                    "similarity": similarity,
                    "table": table,
                },
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
