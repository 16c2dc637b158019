"""What a logged-in person was shown, and every API answer, is not kept by a browser or a proxy."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_annotation_page_and_its_api_answers_are_not_stored(client, project, annotator, pairs):
    client.force_login(annotator)
    assert client.get(f"/projects/{project.slug}/guidelines/").status_code == 200
    assert client.post(f"/projects/{project.slug}/annotate/").status_code == 302
    for response in (
        client.get(f"/projects/{project.slug}/annotate/"),
        client.get(f"/api/projects/{project.slug}/progress/"),
        client.post(f"/api/projects/{project.slug}/sittings/"),
        client.get("/"),
    ):
        assert response.status_code in (200, 201)
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_an_api_refusal_to_a_stranger_is_not_stored_either(client, project):
    response = client.get(f"/api/projects/{project.slug}/progress/")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


def test_an_answer_to_anyone_outside_the_api_keeps_the_default(client):
    assert not client.get("/healthz").has_header("Cache-Control")


def test_static_files_stay_cacheable_for_a_logged_in_user(client, annotator, settings):
    # WhiteNoise answers before the middleware runs. Its own Cache-Control, which the middleware leaves
    # alone, is turned off here, so that the test fails if the middleware ever comes first.
    settings.WHITENOISE_USE_FINDERS = True  # read when the client's first request builds the middleware
    settings.WHITENOISE_MAX_AGE = None
    client.force_login(annotator)
    response = client.get("/static/annotate/js/annotate.js")
    assert response.status_code == 200
    assert not response.has_header("Cache-Control")


def test_the_header_is_what_djangos_never_cache_writes():
    from django.http import HttpResponse
    from django.utils.cache import add_never_cache_headers

    from config.caching import NO_STORE

    response = HttpResponse()
    add_never_cache_headers(response)
    assert sorted(response["Cache-Control"].split(", ")) == sorted(NO_STORE.split(", "))
