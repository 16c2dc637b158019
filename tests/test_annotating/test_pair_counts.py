"""A project's pair counts for the progress figures: one query, kept in the cache a short while."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.models import Pair
from annotate.selectors import project_pair_counts
from tests.conftest import make_pairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PAIRWISE_PAIR_COUNTS_CACHE_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def test_both_counts_come_from_one_query_and_leave_gold_pairs_out(project):
    pairs = make_pairs(project, 5)
    Pair.objects.filter(pk=pairs[0].pk).update(gold_answer="a", judgment_count=9)
    Pair.objects.filter(pk__in=[pairs[1].pk, pairs[2].pk]).update(judgment_count=project.judgments_per_pair)
    with CaptureQueriesContext(connection) as queries:
        assert project_pair_counts(project=project) == {"pairs_total": 4, "pairs_complete": 2}
    assert len(queries) == 1


def test_the_counts_are_kept_for_a_while_and_counted_again_for_another_k(project, cached):
    pairs = make_pairs(project, 4)
    assert project_pair_counts(project=project) == {"pairs_total": 4, "pairs_complete": 0}
    Pair.objects.filter(pk=pairs[0].pk).update(judgment_count=2)
    with CaptureQueriesContext(connection) as queries:
        assert project_pair_counts(project=project) == {"pairs_total": 4, "pairs_complete": 0}  # kept
    assert len(queries) == 0
    project.judgments_per_pair = 2  # a lead's new k: complete means something else, counted again
    assert project_pair_counts(project=project) == {"pairs_total": 4, "pairs_complete": 1}
    cache.clear()  # as when the 30 s have passed
    project.judgments_per_pair = 3
    Pair.objects.filter(pk=pairs[1].pk).update(judgment_count=3)
    assert project_pair_counts(project=project) == {"pairs_total": 4, "pairs_complete": 1}


def test_a_cache_that_does_not_answer_costs_the_count_not_the_page(project, settings):
    make_pairs(project, 3)
    settings.PAIRWISE_PAIR_COUNTS_CACHE_SECONDS = 30
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert project_pair_counts(project=project) == {"pairs_total": 3, "pairs_complete": 0}


def test_the_cache_is_asked_once_for_all_projects_and_not_again_when_it_fails(
    project, other_project, cached, monkeypatch
):
    # Asked per project, with a set after a failed get, a Redis that hangs cost two timeouts per project
    # on My projects (found in review).
    from redis.exceptions import TimeoutError as RedisTimeout

    from annotate.selectors import projects_pair_counts

    make_pairs(project, 2)
    make_pairs(other_project, 3, prefix="o")
    asked = []

    def hangs(keys):
        asked.append(("get_many", list(keys)))
        raise RedisTimeout("Timeout reading from socket")

    monkeypatch.setattr(cache, "get_many", hangs)
    monkeypatch.setattr(cache, "set_many", lambda *args, **kwargs: asked.append(("set_many",)))
    counts = projects_pair_counts(projects=[project, other_project])
    assert counts == {
        project.pk: {"pairs_total": 2, "pairs_complete": 0},
        other_project.pk: {"pairs_total": 3, "pairs_complete": 0},
    }
    assert [call[0] for call in asked] == ["get_many"] and len(asked[0][1]) == 2
