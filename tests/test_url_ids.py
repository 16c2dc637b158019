"""Ids in paths: at most 18 digits, so that an id no 64-bit integer holds matches no route (404)
rather than failing in SQLite's driver (a 500; found by the security audit)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404


def converters(patterns, prefix: str = ""):
    """(route, converter) for every path converter of the URLconf, the admin's and DRF's own left out."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(("admin/", "bench/")):
            continue
        for converter in getattr(entry.pattern, "converters", {}).values():
            yield route, converter
        if isinstance(entry, URLResolver):
            yield from converters(entry.url_patterns, route)
        else:
            assert isinstance(entry, URLPattern)


def test_no_route_of_ours_takes_an_id_of_any_length():
    found = list(converters(get_resolver().url_patterns))
    assert any(converter.regex == "[0-9]{1,18}" for _, converter in found)
    assert [route for route, converter in found if isinstance(converter, IntConverter)] == []


@pytest.mark.parametrize(
    "path",
    [
        "/projects/p/scorecards/{}/",
        "/projects/p/members/{}/remove/",
        "/projects/p/gold/{}/",
        "/api/assignments/{}/judgment/",
        "/api/projects/p/exports/{}/download/",
    ],
)
def test_an_id_of_19_digits_matches_no_route_and_one_of_18_does(path):
    with pytest.raises(Resolver404):
        resolve(path.format("9" * 19))
    assert list(resolve(path.format("9" * 18)).kwargs.values())[-1] == 10**18 - 1
