"""The fixed cast: a project with a lead, an engineer, two annotators, and an outsider who leads
another project."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from annotate.models import Membership, Pair, Project, Role

pytest_plugins = ("celery.contrib.pytest",)

# The project's shared data lies beside the checkout (../shared); PAIRWISE_SHARED points elsewhere.
SHARED = Path(os.environ.get("PAIRWISE_SHARED", Path(__file__).resolve().parent.parent.parent / "shared"))
HH_RLHF_TEST = SHARED / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"
GPT2_TOKENIZER = SHARED / "tokenizers" / "gpt2"


def pytest_configure(config) -> None:
    if not HH_RLHF_TEST.is_file():
        raise pytest.UsageError(
            f"The shared test data is missing at {SHARED}: check out the repository beside shared/, "
            "or set PAIRWISE_SHARED to its path."
        )


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password="pw-" + username)


@pytest.fixture
def project(db) -> Project:
    return Project.objects.create(
        slug="helpful", name="Helpful", guidelines="Pick the better answer.", judgments_per_pair=3
    )


@pytest.fixture
def other_project(db) -> Project:
    return Project.objects.create(slug="other", name="Other")


@pytest.fixture
def lead(project):
    user = make_user("lead")
    Membership.objects.create(user=user, project=project, role=Role.LEAD)
    return user


@pytest.fixture
def engineer(project):
    user = make_user("engineer")
    Membership.objects.create(user=user, project=project, role=Role.ENGINEER)
    return user


@pytest.fixture
def annotator(project):
    user = make_user("annotator")
    Membership.objects.create(user=user, project=project, role=Role.ANNOTATOR)
    return user


@pytest.fixture
def annotator2(project):
    user = make_user("annotator2")
    Membership.objects.create(user=user, project=project, role=Role.ANNOTATOR)
    return user


@pytest.fixture
def outsider(other_project):
    """Leads another project; a stranger to `project`."""
    user = make_user("outsider")
    Membership.objects.create(user=user, project=other_project, role=Role.LEAD)
    return user


def client_for(user) -> APIClient:
    """An API client with `user`'s session (anonymous for None), as a browser or the browsable API is."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def make_pairs(project: Project, n: int, *, prefix: str = "q") -> list[Pair]:
    return Pair.objects.bulk_create(
        Pair(
            project=project,
            context=f"\n\nHuman: {prefix} question {i}?",
            response_a=f" answer A{i}",
            response_b=f" answer B{i}",
            source_name="fixture",
            source_row=i,
            source_preference="a",
            content_hash=f"{prefix}-{i:060d}"[-64:],
        )
        for i in range(n)
    )


@pytest.fixture
def pairs(project) -> list[Pair]:
    return make_pairs(project, 20)


@pytest.fixture
def live_worker(transactional_db, settings):
    """A real Celery worker (threads, in this process) on the project's app and broker (Redis in CI).

    Tests that use it must be transactional: the worker reads with its own database connection."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs REDIS_URL")
    app.conf.broker_url = settings.CELERY_BROKER_URL
    # Messages left by an earlier run name rows of another test database: drop them first.
    app.control.purge()
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
        _worker_drain(app)


def _worker_drain(app, *, timeout: float = 120) -> None:
    """Wait until the worker has run every message queued by the test, including those the test did
    not wait for (the pair measures an import asks for). The worker stops with a cold shutdown, which
    leaves a running task's thread going: into the next test, where its open transaction deadlocks
    the database flush."""
    from celery.worker import state

    deadline = time.monotonic() + timeout
    with app.connection() as connection:
        client = connection.default_channel.client
        quiet = 0
        while quiet < 3 and time.monotonic() < deadline:
            busy = state.active_requests or state.reserved_requests or client.llen("celery")
            quiet = 0 if busy else quiet + 1
            time.sleep(0.05)


# The browser tests' fixtures. A module (or package) sets its own window size by overriding `viewport`,
# and e2e/ keeps one browser for the whole package by overriding `browser`. Module scope otherwise:
# Playwright (and its event loop) stops after each browser module, so the rest of the suite runs with
# Django's async-safety check intact (see tests.browser.chromium).
@pytest.fixture
def viewport() -> dict[str, int]:
    return {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser():
    from tests.browser import chromium

    yield from chromium()


@pytest.fixture
def page(browser, live_server, viewport):
    from tests.browser import new_page

    yield from new_page(browser, live_server, viewport)


@contextlib.contextmanager
def advisory_lock_held_elsewhere(key: int, object_id: int):
    """A session advisory lock (`annotate.services.jobs.job_held`'s) held by another connection, as a
    live worker running the job holds it; released on exit."""
    import psycopg

    database = connection.settings_dict
    with psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [key, object_id])
        yield
