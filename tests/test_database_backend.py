"""The PostgreSQL backend batches statements to the server's limit on bound parameters."""

from __future__ import annotations

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
