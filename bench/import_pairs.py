"""Benchmark: the pair import against a raw psycopg COPY of the same rows.

Builds a JSONL file of 160,800 HH-RLHF rows (the shared 2,312-row test file replicated, each copy
marked in its first human turn so that every pair hashes differently), imports it into a fresh
project through the import service (parse, validate, hash, binary COPY straight into the pair
table), then COPYs the same pairs, already in memory, into a bare table with the pair table's
columns and no index (its texts compressed with the server's default, pglz). Prints both rates and
their ratio, and, for comparison on equal terms with the pair table (whose texts are LZ4 on a
PostgreSQL built with it), the rate of a text COPY into a bare table with LZ4 texts.
`bench/pair_table_copy.py` shows what each of the pair table's indexes and constraints adds to such
a COPY.

The target: the import reaches at least half the raw COPY rate.

Uses a throwaway database (created and dropped; default pw_bench_import on the local server):

    .venv/bin/python bench/import_pairs.py [--rows 160800] [--repeat 3] [--database pw_bench_import]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run as a script (python bench/x.py): the repository's root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_drop, django_on_fresh_database, hh_rlhf_rows

HUMAN = "\n\nHuman: "


BARE_TABLE = (
    "(project_id bigint, context text, response_a text, response_b text, source_name varchar(300), "
    "source_row integer, source_format varchar(32), source_preference varchar(1), content_hash varchar(64), "
    "sort_key double precision, judgment_count integer, lease_count integer, a_left_count integer, "
    "b_left_count integer, status smallint, created_at timestamptz)"
)
BARE_TYPES = (
    ["int8", "text", "text", "text", "text", "int4", "text", "text", "text", "float8"]
    + ["int4"] * 4
    + [
        "int2",
        "timestamptz",
    ]
)


def replicated_file(path: Path, *, rows: int) -> int:
    """Write `rows` rows to `path`: copy k of the shared file has "[copy k] " at the start of its
    first human turn, in both transcripts, so the shared context (and the hash) differs per copy."""
    source = hh_rlhf_rows()
    written = 0
    with path.open("w", encoding="utf-8") as out:
        copy = 0
        while written < rows:
            marker = f"{HUMAN}[copy {copy}] "
            for row in source:
                if written == rows:
                    break
                chosen = row["chosen"].replace(HUMAN, marker, 1)
                rejected = row["rejected"].replace(HUMAN, marker, 1)
                out.write(json.dumps({"chosen": chosen, "rejected": rejected}) + "\n")
                written += 1
            copy += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=160_800)
    parser.add_argument("--database", default="pw_bench_import")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    args = parser.parse_args()

    try:
        django_on_fresh_database(args.database)
        from django.db import connection

        from annotate.importers import jsonl_rows, pair_parse
        from annotate.models import Pair, Project
        from annotate.services.imports import pairs_import

        columns = (
            "project_id, context, response_a, response_b, source_name, source_row, source_format, "
            "source_preference, content_hash, sort_key, judgment_count, lease_count, a_left_count, "
            "b_left_count, status, created_at"
        )
        timings: dict[str, list[float]] = {"import": [], "text": [], "binary": [], "text lz4": [], "parse": []}
        with connection.cursor() as cursor:
            cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
            lz4 = "lz4" in cursor.fetchone()[0]
        if not lz4:
            del timings["text lz4"]
        modes = [("text", None, "text"), ("binary", BARE_TYPES, "binary")]
        modes += [("text lz4", None, "lz4")] if lz4 else []
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "hh-replicated.jsonl"
            rows = replicated_file(path, rows=args.rows)
            size_mb = path.stat().st_size / 1e6
            # Rounds alternate the import and the raw COPYs, so that load from other processes on the
            # machine falls on both; the medians are reported.
            for round_number in range(args.repeat):
                with connection.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {Pair._meta.db_table} CASCADE")
                    cursor.execute("CHECKPOINT")
                project = Project.objects.create(slug=f"bench-{round_number}", name="Bench")
                started = time.perf_counter()
                result = pairs_import(project=project, source=path)
                timings["import"].append(time.perf_counter() - started)
                stored = Pair.objects.filter(project=project).count()
                if result.pairs_created != rows or stored != rows:
                    raise SystemExit(f"expected {rows} pairs, created {result.pairs_created}, stored {stored}")

                # The same rows as the import writes them, built before the raw COPY's clock starts.
                # Timed too, for scale: reading, decoding, validating and hashing with no database.
                started = time.perf_counter()
                parsed = [pair_parse(r, fmt="hh-rlhf", max_chars=100_000) for r in jsonl_rows(path, max_chars=100_000)]
                timings["parse"].append(time.perf_counter() - started)
                now = project.created_at
                tuples = [
                    (
                        *(project.pk, p.context, p.response_a, p.response_b, path.name, p.source_row, "hh-rlhf"),
                        *(p.source_preference, p.content_hash, random.random(), 0, 0, 0, 0, 0, now),
                    )
                    for p in parsed
                ]
                del parsed
                raw = connection.connection  # the psycopg connection under Django's, outside any atomic
                for mode, types, table in modes:
                    with raw.cursor() as cur:
                        cur.execute(f"DROP TABLE IF EXISTS bare_{table}")
                        cur.execute(f"CREATE TABLE bare_{table} {BARE_TABLE}")
                        if table == "lz4":
                            texts = ("context", "response_a", "response_b")
                            cur.execute(
                                f"ALTER TABLE bare_{table} "
                                + ", ".join(f"ALTER {name} SET COMPRESSION lz4" for name in texts)
                            )
                        cur.execute("CHECKPOINT")
                    options = " (FORMAT BINARY)" if types else ""
                    started = time.perf_counter()
                    sql = f"COPY bare_{table} ({columns}) FROM STDIN{options}"
                    with raw.transaction(), raw.cursor() as cur, cur.copy(sql) as copy:
                        if types:
                            copy.set_types(types)
                        for t in tuples:
                            copy.write_row(t)
                    timings[mode].append(time.perf_counter() - started)
                    copied = raw.execute(f"SELECT count(*) FROM bare_{table}").fetchone()[0]
                    if copied != rows:
                        raise SystemExit(f"raw {mode} COPY stored {copied} rows, expected {rows}")
                del tuples
                print(
                    f"round {round_number + 1}: import {timings['import'][-1]:.2f} s, text COPY "
                    f"{timings['text'][-1]:.2f} s, binary COPY {timings['binary'][-1]:.2f} s, "
                    + (f"text COPY, lz4 {timings['text lz4'][-1]:.2f} s, " if lz4 else "")
                    + f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    finally:
        from django.db import connections

        connections.close_all()
        database_drop(args.database)

    median = {name: statistics.median(values) for name, values in timings.items()}
    import_rate = rows / median["import"]
    print(f"rows: {rows:,} ({size_mb:.1f} MB JSONL), medians of {args.repeat} rounds")
    print(f"import (pairs_import, file to pair table): {median['import']:.2f} s, {import_rate:,.0f} pairs/s")
    for mode in [name for name in timings if name not in ("import", "parse")]:
        rate = rows / median[mode]
        print(f"raw {mode} COPY (in-memory rows to a bare table): {median[mode]:.2f} s, {rate:,.0f} rows/s")
        print(f"  ratio import/{mode} COPY: {import_rate / rate:.2f} (target >= 0.50)")
    print(
        "for scale, reading + decoding + validating + hashing alone (no database): "
        f"{median['parse']:.2f} s, {rows / median['parse']:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
