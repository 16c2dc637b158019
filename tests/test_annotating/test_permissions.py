"""Who may call what: every annotating endpoint against the whole cast."""

from __future__ import annotations

import pytest

from annotate.models import Membership, Role
from annotate.services.annotating import assignment_next, sitting_start
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CAST = ["annotator", "other_annotator", "lead", "engineer", "anonymous"]


@pytest.fixture
def cast(project, other_project, annotator, lead, engineer):
    other_annotator = make_user("other-annotator")
    Membership.objects.create(user=other_annotator, project=other_project, role=Role.ANNOTATOR)
    return {
        "annotator": annotator,
        "other_annotator": other_annotator,
        "lead": lead,
        "engineer": engineer,
        "anonymous": None,
    }


def call(api, user, method, url, data=None):
    client = api(user)
    return getattr(client, method)(url, data or {}, format="json")


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        (
            "get",
            "/api/projects/helpful/progress/",
            {"annotator": 200, "other_annotator": 404, "lead": 200, "engineer": 200, "anonymous": 401},
        ),
        (
            "post",
            "/api/projects/helpful/sittings/",
            {"annotator": 201, "other_annotator": 404, "lead": 403, "engineer": 403, "anonymous": 401},
        ),
        (
            "get",
            "/api/projects/helpful/sittings/current/",
            {"annotator": 404, "other_annotator": 404, "lead": 403, "engineer": 403, "anonymous": 401},
        ),
        (
            "post",
            "/api/projects/helpful/sittings/current/end/",
            {"annotator": 404, "other_annotator": 404, "lead": 403, "engineer": 403, "anonymous": 401},
        ),
        (
            "post",
            "/api/projects/helpful/sittings/current/activity/",
            {"annotator": 404, "other_annotator": 404, "lead": 403, "engineer": 403, "anonymous": 401},
        ),
        (
            "post",
            "/api/projects/helpful/next/",
            {"annotator": 409, "other_annotator": 404, "lead": 403, "engineer": 403, "anonymous": 401},
        ),
        (
            "get",
            "/api/projects/nope/progress/",
            {"annotator": 404, "other_annotator": 404, "lead": 404, "engineer": 404, "anonymous": 401},
        ),
    ],
)
@pytest.mark.parametrize("who", CAST)
def test_each_endpoint_answers_each_member_of_the_cast_as_expected(api, cast, pairs, method, url, expected, who):
    assert call(api, cast[who], method, url).status_code == expected[who]


@pytest.mark.parametrize("who", CAST)
def test_only_the_assignee_may_answer_an_assignment(api, cast, project, pairs, who):
    sitting_start(project=project, annotator=cast["annotator"])
    assignment, _ = assignment_next(project=project, annotator=cast["annotator"])
    response = call(api, cast[who], "post", f"/api/assignments/{assignment.id}/judgment/", {"side": "left"})
    assert response.status_code == {"annotator": 201, "anonymous": 401}.get(who, 404)


def test_the_project_list_shows_only_the_users_own_projects(api, cast, pairs):
    rows = call(api, cast["annotator"], "get", "/api/projects/").json()
    assert [(row["slug"], row["role"], row["pairs_total"]) for row in rows] == [("helpful", "annotator", 20)]
    assert [row["slug"] for row in call(api, cast["other_annotator"], "get", "/api/projects/").json()] == ["other"]
    assert call(api, None, "get", "/api/projects/").status_code == 401


def test_the_api_schema_and_its_docs_are_served_to_users_who_are_logged_in(client, annotator):
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").url.startswith("/accounts/login/?next=/api/docs/")
    client.force_login(annotator)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/projects/{slug}/next/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200


def test_the_api_docs_load_swagger_ui_from_our_static_files_not_a_cdn(client, annotator):
    import re

    from django.contrib.staticfiles import finders

    client.force_login(annotator)
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert not [asset for asset in assets if "//" in asset], "an asset from another host: blank page offline"
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset


def test_a_token_authenticates_the_api(project, annotator, pairs):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=annotator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.post("/api/projects/helpful/sittings/").status_code == 201
    assert client.post("/api/projects/helpful/next/", {}, format="json").json()["assignment"] is not None


def test_session_auth_requires_csrf_on_writes(project, annotator, pairs):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.login(username="annotator", password="pw-annotator")
    assert client.post("/api/projects/helpful/sittings/").status_code == 403
