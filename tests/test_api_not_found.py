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


def test_an_error_no_view_handled_is_json_under_the_api(rf):
    from config.urls import server_error

    response = server_error(rf.get("/api/projects/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert server_error(rf.get("/")).status_code == 500
