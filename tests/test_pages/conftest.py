"""Fixtures of the page tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache


def _locmem_clear() -> None:
    # The tests' in-process cache only: on Redis, clear() would flush the broker's queues too.
    if isinstance(caches["default"], LocMemCache):
        cache.clear()


@pytest.fixture
def fresh_login_counts():
    """No login failure (config.auth) counted by an earlier test, nor left for a later one."""
    _locmem_clear()
    yield
    _locmem_clear()
