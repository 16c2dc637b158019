"""What the benchmarks share: where the data is, their throwaway databases, COPY's text format."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PAIRWISE_SHARED", REPO.parent / "shared"))
HH_RLHF = SHARED / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def database_recreate(name: str, *, settings: dict[str, str] | None = None) -> None:
    """Drop and create the benchmark's own database (`settings`: ALTER DATABASE … SET name = value)."""
    import psycopg

    _django_connections_close()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        for setting, value in (settings or {}).items():
            conn.execute(f'ALTER DATABASE "{name}" SET {setting} = {value}')


def database_drop(name: str) -> None:
    import psycopg

    _django_connections_close()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_on_fresh_database(name: str) -> None:
    """Recreate database `name`, point Django's production settings at it (a throwaway key),
    set Django up and migrate. For the benchmarks that run in one process."""
    database_recreate(name)
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x1y2z3" * 8)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _django_connections_close() -> None:
    # A benchmark that set Django up holds connections, which would keep the database busy.
    from django.conf import settings

    if settings.configured:
        from django.db import connections

        connections.close_all()


def copy_escape(text: str) -> str:
    """A value for COPY's text format."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_value(value: object) -> str:
    """A Python constant in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return copy_escape(json.dumps(value))
    return copy_escape(str(value))


def hh_rlhf_rows() -> list[dict[str, str]]:
    """The shared file's {"chosen", "rejected"} rows."""
    with gzip.open(HH_RLHF, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def hh_rlhf_triples() -> list[tuple[str, str, str]]:
    """(context, chosen response, rejected response) of every shared row, split as the importer splits."""
    from annotate.importers import transcripts_split

    triples = []
    for row in hh_rlhf_rows():
        triple = transcripts_split(row["chosen"], row["rejected"])
        if triple is None:
            raise RuntimeError("a row of the shared file does not split into a pair")
        triples.append(triple)
    return triples
