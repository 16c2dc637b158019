from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone
from rest_framework.test import APIClient


class Clock:
    """Server time that tests move by hand; services and views read it through timezone.now()."""

    def __init__(self) -> None:
        self.now = timezone.now().replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def api():
    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture(autouse=True)
def seeded_random():
    """The server draws first sides, gold and probes from `random`: a fixed seed keeps the rate
    tests' counts the same on every run (they are checked against binomial bounds)."""
    state = random.getstate()
    random.seed(20261127)
    yield
    random.setstate(state)
