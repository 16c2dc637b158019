"""A path under /api/ that no route matches is a JSON 404, as the API's own are."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/assignments/-1/judgment/", "/api/no-such-thing/", "/api/projects/x/y/z/"])
def test_an_unmatched_api_path_is_a_json_404(client, annotator, path):
    client.force_login(annotator)
    response = client.post(path, {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_unmatched_page_is_still_an_html_404(client, annotator):
    client.force_login(annotator)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    # The site's page, with its header, a viewport and a way back, not Django's bare one (found by the
    # accessibility audit).
    html = response.content.decode()
    assert "<title>Not found" in html and 'name="viewport"' in html and 'href="/"' in html


def test_a_refusal_page_says_why_in_the_sites_page(client, engineer, project):
    from django.urls import reverse

    client.force_login(engineer)
    response = client.post(reverse("analytics:recompute", kwargs={"slug": project.slug}))
    assert response.status_code == 403
    html = response.content.decode()
    assert "<title>Not allowed" in html and "Only project leads can ask for a report." in html


def test_an_error_no_view_handled_is_json_under_the_api(rf):
    from config.urls import server_error

    response = server_error(rf.get("/api/projects/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert server_error(rf.get("/")).status_code == 500
