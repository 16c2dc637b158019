"""The PostgreSQL backend batches statements to the server's limit on bound parameters."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from annotate.models import Pair, Project

MORE_THAN_THE_LIMIT = 70_000  # PostgreSQL binds at most 65,535 parameters in one statement


@pytest.fixture
def server_binding():
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        pytest.skip("only PostgreSQL with parameters bound by the server has the limit")


def test_a_project_with_more_pairs_than_one_statement_can_bind_can_be_deleted(db, server_binding):
    project = Project.objects.create(slug="big", name="Big")
    Pair.objects.bulk_create(
        Pair(project=project, context=f"c{i}", response_a="a", response_b="b", content_hash=f"{i:064x}")
        for i in range(MORE_THAN_THE_LIMIT)
    )
    assert Pair.objects.filter(project=project).count() == MORE_THAN_THE_LIMIT
    # The collector looks up every pair's assignments and judgments with `pair_id IN (...)`.
    project.delete()
    assert not Pair.objects.filter(project_id=project.id).exists()
    assert not Project.objects.filter(pk=project.pk).exists()


def test_batches_hold_at_most_65535_parameters(db, server_binding):
    objs = range(200_000)
    assert connection.ops.bulk_batch_size(["pair"], objs) == 65_535
    assert connection.ops.bulk_batch_size(["a", "b", "c"], objs) == 21_845


def test_imported_pair_texts_are_stored_with_lz4(db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("TOAST compression is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        if "lz4" not in cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL is built without LZ4")
    from annotate.services.imports import pairs_import

    project = Project.objects.create(slug="long", name="Long")
    long_turn = "The fern wants water twice a week and indirect light. " * 200  # compressible, > 2 kB
    source = tmp_path / "long.jsonl"
    source.write_text(
        json.dumps({"prompt": long_turn, "chosen": "Yes. " + long_turn, "rejected": "No. " + long_turn}) + "\n"
    )
    pairs_import(project=project, source=source, fmt="preference")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(context), pg_column_compression(response_a), "
            "pg_column_compression(response_b) FROM annotate_pair WHERE project_id = %s",
            [project.id],
        )
        assert cursor.fetchall() == [("lz4", "lz4", "lz4")]
        # The columns' own setting, so this holds whatever the server's default_toast_compression.
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'annotate_pair'::regclass "
            "AND attname IN ('context', 'response_a', 'response_b') ORDER BY attname"
        )
        assert cursor.fetchall() == [("context", "l"), ("response_a", "l"), ("response_b", "l")]
    pair = Pair.objects.get(project=project)
    assert (pair.context, pair.response_a) == (long_turn, "Yes. " + long_turn)
