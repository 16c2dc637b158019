"""Benchmark: what the pair texts take on disk with pglz (PostgreSQL's default) and with LZ4.

COPYs the shared HH-RLHF file's 2,312 transcript pairs into two throwaway tables, one per
compression, in the local server's `test` database, and prints per method: the table's size on disk
(heap and TOAST), the stored size of the texts, their size uncompressed, and how many rows were
compressed at all (only those over PostgreSQL's ~2 kB threshold are).

    .venv/bin/python bench/toast_size.py [--database postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import psycopg

# Run as a script (python bench/x.py): the repository's root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import hh_rlhf_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1/test")
    args = parser.parse_args()
    rows = [(row["chosen"], row["rejected"]) for row in hh_rlhf_rows()]
    print("| texts | table on disk | texts stored | texts uncompressed | rows compressed |")
    print("|---|---|---|---|---|")
    with psycopg.connect(args.database, autocommit=True) as connection:
        for method in ("pglz", "lz4"):
            table = f"bench_toast_{method}"
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.execute(
                f"CREATE TABLE {table} (chosen text COMPRESSION {method}, rejected text COMPRESSION {method})"
            )
            try:
                with connection.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                on_disk, stored, raw, compressed = connection.execute(
                    f"SELECT pg_total_relation_size('{table}'), "
                    "sum(pg_column_size(chosen) + pg_column_size(rejected)), "
                    "sum(octet_length(chosen) + octet_length(rejected)), "
                    f"count(*) FILTER (WHERE pg_column_compression(chosen) IS NOT NULL) FROM {table}"
                ).fetchone()
            finally:
                connection.execute(f"DROP TABLE {table}")
            print(
                f"| {method} | {on_disk / 1e6:.2f} MB | {stored / 1e6:.2f} MB | {raw / 1e6:.2f} MB "
                f"| {compressed} of {len(rows)} |"
            )


if __name__ == "__main__":
    main()
