"""Benchmark: what each index and constraint of the pair table adds to a COPY of 160,800 pairs.

The import (`bench/import_pairs.py`) streams its rows with a binary COPY into the real pair table,
so its floor is what PostgreSQL needs to insert and index them. This script COPYs the same rows
(the import's own parse of the replicated shared file, built before the clock starts) into copies
of the migrated pair table (`CREATE TABLE … (LIKE annotate_pair INCLUDING DEFAULTS INCLUDING
IDENTITY INCLUDING COMPRESSION)`: texts compressed with LZ4 where the server has it, as in the real
table) with one more piece each time, and into the real table, in alternating rounds:

    columns      the columns alone (NOT NULL and defaults, no index)
    +pk          the primary key
    +pk +fk      and the foreign key to the project (deferrable, as Django makes it)
    +pk +unique  and the unique (project, content_hash) index
    +pk +queue   and the partial queue index (project, status, sort_key)
    all but fk   primary key, unique, queue and gold indexes
    real table   annotate_pair itself: all of the above and the foreign key
    copy of the real table  the same pieces on a copy, the reference for the alternatives below

and three alternatives that were considered (none is adopted; see docs/benchmarks.md), each a
copy with all its indexes:

    check per statement  the foreign key replaced by one statement-level trigger per COPY that
                         checks (and key-share locks) the projects of the new rows at once
    hash as bytea        with the foreign key, content_hash stored as the 32 bytes of the digest
    sorted per 10,000    with the foreign key, rows written in runs of 10,000 sorted by sort key

and, to measure migration 0003 (LZ4 for the texts), the columns alone and the copy of the real table
with their texts on pglz, PostgreSQL's default:

    columns, texts pglz
    texts pglz (before migration 0003)

    .venv/bin/python bench/pair_table_copy.py [--rows 160800] [--repeat 3] [--perf FILE]

Besides the wall time, each COPY's CPU time in the PostgreSQL backend is read from /proc (the
server must run on this machine). `--perf FILE` records the first COPY into the real table with
`perf record -g` (linux-perf must be installed); `perf report -i FILE --children` then shows
where PostgreSQL spends it.

Uses a throwaway database (created and dropped; default pw_bench_copy). Prints medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


# A statement-level stand-in for the per-row foreign key (measured, not adopted): one query per COPY
# that key-share locks the new rows' projects, as the foreign key's check does row by row, and fails
# if one is missing.
_STATEMENT_CHECK = [
    """CREATE OR REPLACE FUNCTION v_project_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT count(*) FROM (SELECT p.id FROM annotate_project p
            WHERE p.id IN (SELECT DISTINCT project_id FROM new_rows) FOR KEY SHARE) locked)
         <> (SELECT count(DISTINCT project_id) FROM new_rows) THEN
        RAISE foreign_key_violation USING MESSAGE = 'a new pair names a missing project';
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER v_project_check AFTER INSERT ON v REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION v_project_check()",
]


@dataclass(frozen=True)
class Variant:
    statements: list[str]
    hash_bytes: bool = False  # content_hash as bytea, the digest's 32 bytes
    sorted_runs: int = 0  # write rows in runs of this many, each sorted by sort key


def _variants(db_indexes: dict[str, str], fk: str) -> dict[str, Variant]:
    """Statements that add each variant's pieces to table `v` (copied from annotate_pair's own DDL)."""
    pk = "ALTER TABLE v ADD PRIMARY KEY (id)"
    unique = "ALTER TABLE v ADD CONSTRAINT v_unique UNIQUE (project_id, content_hash)"
    queue, gold = db_indexes["pair_queue"], db_indexes["gold_pairs"]
    indexes = [pk, unique, queue, gold]
    pglz = "ALTER TABLE v " + ", ".join(
        f"ALTER {c} SET COMPRESSION pglz" for c in ("context", "response_a", "response_b")
    )
    as_bytea = "ALTER TABLE v ALTER content_hash TYPE bytea USING decode(content_hash, 'hex')"
    return {
        "columns": Variant([]),
        "+pk": Variant([pk]),
        "+pk +fk": Variant([pk, fk]),
        "+pk +unique": Variant([pk, unique]),
        "+pk +queue": Variant([pk, queue]),
        "all but fk": Variant(indexes),
        "real table": Variant([]),
        "copy of the real table": Variant([*indexes, fk]),
        "check per statement": Variant([*indexes, *_STATEMENT_CHECK]),
        "hash as bytea": Variant([as_bytea, *indexes, fk], hash_bytes=True),
        "sorted per 10,000": Variant([*indexes, fk], sorted_runs=10_000),
        "columns, texts pglz": Variant([pglz]),
        "texts pglz (before migration 0003)": Variant([pglz, *indexes, fk]),
    }


def _rows(tuples: list[tuple], variant: Variant) -> list[tuple]:
    """The rows as `variant` writes them."""
    hash_at, key_at = 9, 10
    if variant.hash_bytes:
        tuples = [(*t[:hash_at], bytes.fromhex(t[hash_at]), *t[hash_at + 1 :]) for t in tuples]
    if variant.sorted_runs:
        n = variant.sorted_runs
        tuples = [t for i in range(0, len(tuples), n) for t in sorted(tuples[i : i + n], key=lambda t: t[key_at])]
    return tuples


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds used so far by the local server process `pid`, or None if /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=160_800)
    parser.add_argument("--database", default="pw_bench_copy")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--perf", metavar="FILE", help="perf record -g the first COPY into the real table")
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
                for p in (pair_parse(r, fmt="hh-rlhf", max_chars=100_000) for r in jsonl_rows(path, max_chars=100_000))
            ]
        backend = raw.execute("SELECT pg_backend_pid()").fetchone()[0]
        raw.commit()
        timings: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        for round_number in range(args.repeat):
            for name, variant in variants.items():
                with raw.cursor() as cur:
                    cur.execute("DROP TABLE IF EXISTS v")
                    cur.execute("TRUNCATE annotate_pair CASCADE")
                    if name != "real table":
                        cur.execute(
                            "CREATE TABLE v (LIKE annotate_pair INCLUDING DEFAULTS INCLUDING IDENTITY "
                            "INCLUDING COMPRESSION)"
                        )
                        for statement in variant.statements:
                            cur.execute(statement)
                raw.commit()
                raw.execute("CHECKPOINT")
                table = "annotate_pair" if name == "real table" else "v"
                types = [("bytea" if i == 9 and variant.hash_bytes else t) for i, t in enumerate(TYPES)]
                data = _rows(tuples, variant)
                perf = None
                if args.perf and name == "real table" and round_number == 0:
                    perf = subprocess.Popen(["perf", "record", "-g", "-o", args.perf, "-p", str(backend)])
                    time.sleep(1)  # perf attaches
                cpu_before = _backend_cpu(backend)
                started = time.perf_counter()
                sql = f"COPY {table} ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
                with raw.transaction(), raw.cursor() as cur, cur.copy(sql) as copy:
                    copy.set_types(types)
                    for row in data:
                        copy.write_row(row)
                timings[name].append(time.perf_counter() - started)
                cpu_after = _backend_cpu(backend)
                if cpu_before is not None and cpu_after is not None:
                    cpu[name].append(cpu_after - cpu_before)
                if perf is not None:
                    perf.send_signal(signal.SIGINT)
                    perf.wait()
                del data
                stored = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                raw.commit()
                if stored != rows:
                    raise SystemExit(f"{name}: {stored} rows stored, expected {rows}")
            print(f"round {round_number + 1} done; load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        database_drop(args.database)

    base = statistics.median(timings["columns"])
    print(f"\n{rows:,} pairs, binary COPY (commit included), medians of {args.repeat} rounds\n")
    print("| table | COPY | over the columns alone | PostgreSQL CPU |")
    print("|---|---|---|---|")
    for name, values in timings.items():
        median = statistics.median(values)
        backend_cpu = f"{statistics.median(cpu[name]):.2f} s" if cpu[name] else "n/a"
        print(f"| {name} | {median:.2f} s | {median - base:+.2f} s | {backend_cpu} |")


if __name__ == "__main__":
    main()
