"""An address that only takes a form's submission, opened by GET, answers with a page that says so."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_opening_a_form_only_address_shows_a_page_not_an_empty_405(client, project, lead, annotator):
    # Chromium showed "HTTP ERROR 405" for the empty answer (found by the lead walkthrough).
    client.force_login(lead)
    url = reverse("analytics:scorecard_pause", kwargs={"slug": project.slug, "user_id": annotator.id})
    response = client.get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "This address only takes a form's submission" in page
    assert "Signed in as <strong>lead</strong>" in page


def test_the_api_keeps_its_own_405(client, project, annotator):
    client.force_login(annotator)
    response = client.get(f"/api/projects/{project.slug}/next/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.', "code": "method_not_allowed"}


def test_a_post_where_only_a_get_is_taken_keeps_djangos_answer(client, project, lead):
    client.force_login(lead)
    response = client.put(reverse("annotate:members", kwargs={"slug": project.slug}))
    assert response.status_code == 405
    assert response.content == b""
