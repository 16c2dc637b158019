"""Benchmark: what each index and constraint of the pair table adds to a COPY of 160,800 pairs.

The import (`bench/import_pairs.py`) streams its rows with a binary COPY into the real pair table,
so its floor is what PostgreSQL needs to insert and index them. This script COPYs the same rows
(the import's own parse of the replicated shared file, built before the clock starts) into copies
of the migrated pair table (`CREATE TABLE … (LIKE annotate_pair INCLUDING DEFAULTS INCLUDING
IDENTITY)`) with one more piece each time, and into the real table, in alternating rounds:

    columns      the columns alone (NOT NULL and defaults, no index)
    +pk          the primary key
    +pk +fk      and the foreign key to the project (deferrable, as Django makes it)
    +pk +unique  and the unique (project, content_hash) index
    +pk +queue   and the partial queue index (project, status, sort_key)
    all but fk   primary key, unique, queue and gold indexes
    real table   annotate_pair itself: all of the above and the foreign key

    .venv/bin/python bench/pair_table_copy.py [--rows 160800] [--repeat 3]

Uses a throwaway database (created and dropped; default pw_bench_copy). Prints medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run as a script (python bench/x.py): the repository's root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_drop, django_on_fresh_database
from bench.import_pairs import replicated_file

COLUMNS = (
    "project_id, context, response_a, response_b, source_name, source_row, source_format, source_preference, "
    "gold_answer, content_hash, sort_key, judgment_count, lease_count, a_left_count, b_left_count, status, created_at"
)
TYPES = ["int8", "text", "text", "text", "text", "int4", "text", "text", "text", "text", "float8"]
TYPES += ["int4"] * 4 + ["int2", "timestamptz"]


def _variants(db_indexes: dict[str, str], fk: str) -> dict[str, list[str]]:
    """Statements that add each variant's pieces to table `v` (copied from annotate_pair's own DDL)."""
    pk = "ALTER TABLE v ADD PRIMARY KEY (id)"
    unique = "ALTER TABLE v ADD CONSTRAINT v_unique UNIQUE (project_id, content_hash)"
    queue, gold = db_indexes["pair_queue"], db_indexes["gold_pairs"]
    return {
        "columns": [],
        "+pk": [pk],
        "+pk +fk": [pk, fk],
        "+pk +unique": [pk, unique],
        "+pk +queue": [pk, queue],
        "all but fk": [pk, unique, queue, gold],
        "real table": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=160_800)
    parser.add_argument("--database", default="pw_bench_copy")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    args = parser.parse_args()

    try:
        django_on_fresh_database(args.database)
        from django.db import connection

        from annotate.importers import jsonl_rows, pair_parse
        from annotate.models import Project

        project = Project.objects.create(slug="bench", name="Bench")
        raw = connection.connection
        # The real table's partial indexes and foreign key, renamed onto the copy `v`.
        indexes = {
            name: definition.replace(f"{name} ON public.annotate_pair", f"v_{name} ON v")
            for name, definition in raw.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'annotate_pair' "
                "AND indexname IN ('pair_queue', 'gold_pairs')"
            ).fetchall()
        }
        fk_definition = raw.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'annotate_pair'::regclass AND contype = 'f'"
        ).fetchone()[0]
        variants = _variants(indexes, f"ALTER TABLE v ADD CONSTRAINT v_fk {fk_definition}")
        raw.commit()

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "hh-replicated.jsonl"
            rows = replicated_file(path, rows=args.rows)
            now = dt.datetime.now(dt.UTC)
            tuples = [
                (
                    *(project.pk, p.context, p.response_a, p.response_b, path.name, p.source_row, "hh-rlhf"),
                    *(p.source_preference, "", p.content_hash, random.random(), 0, 0, 0, 0, 0, now),
                )
                for p in (pair_parse(r, fmt="hh-rlhf", max_chars=100_000) for r in jsonl_rows(path))
            ]
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for round_number in range(args.repeat):
            for name, statements in variants.items():
                with raw.cursor() as cur:
                    cur.execute("DROP TABLE IF EXISTS v")
                    cur.execute("TRUNCATE annotate_pair CASCADE")
                    if name != "real table":
                        cur.execute("CREATE TABLE v (LIKE annotate_pair INCLUDING DEFAULTS INCLUDING IDENTITY)")
                        for statement in statements:
                            cur.execute(statement)
                raw.commit()
                raw.execute("CHECKPOINT")
                table = "annotate_pair" if name == "real table" else "v"
                started = time.perf_counter()
                sql = f"COPY {table} ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
                with raw.transaction(), raw.cursor() as cur, cur.copy(sql) as copy:
                    copy.set_types(TYPES)
                    for row in tuples:
                        copy.write_row(row)
                timings[name].append(time.perf_counter() - started)
                stored = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                raw.commit()
                if stored != rows:
                    raise SystemExit(f"{name}: {stored} rows stored, expected {rows}")
            print(f"round {round_number + 1} done; load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        database_drop(args.database)

    base = statistics.median(timings["columns"])
    print(f"\n{rows:,} pairs, binary COPY, medians of {args.repeat} rounds\n")
    print("| table | COPY | over the columns alone |")
    print("|---|---|---|")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} s | +{median - base:.2f} s |")


if __name__ == "__main__":
    main()
