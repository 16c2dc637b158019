"""A multipart body over what its request may send is refused before it is read, whoever sends it."""

from __future__ import annotations

import pytest
from django.test import Client

from annotate.models import ImportJob
from config.uploads import multipart_body_limit

pytestmark = pytest.mark.django_db

BOUNDARY = "pairwise-boundary"
GIB = 1024**3
NOT_AN_IMPORT = "This request is too large: only an import by a lead of the project may send a file."


def post_declaring(client: Client, path: str, length: int, **extra):
    """A small multipart body that declares `length` bytes: were it read that far, the test client's
    payload would fail the test ("Cannot read more than the available bytes")."""
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n'
        f"xxxx\r\n--{BOUNDARY}--\r\n"
    ).encode()
    return client.generic(
        "POST",
        path,
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(length),
        **extra,
    )


def test_a_stranger_declaring_a_huge_upload_is_refused_before_the_body_is_read(client, project, upload_dir):
    response = post_declaring(client, f"/projects/{project.slug}/imports/", 10 * GIB)
    assert response.status_code == 413
    assert NOT_AN_IMPORT in response.content.decode()
    assert not upload_dir.exists()


@pytest.mark.parametrize("path", ["/accounts/login/", "/projects/helpful/imports/", "/api/projects/helpful/imports/"])
def test_a_stranger_may_send_no_more_than_a_forms_fields_anywhere(path, project):
    # The CSRF check read the login form's body whatever its size, spooling its files to disk:
    # anyone could send upload-sized bodies there, many at once.
    client = Client()
    client.get("/accounts/login/")  # a CSRF cookie, as an attacker would fetch one
    response = post_declaring(client, path, multipart_body_limit(upload=False) + 1)
    assert response.status_code == 413
    assert NOT_AN_IMPORT in response.content.decode()


@pytest.mark.parametrize("path", ["/projects/helpful/imports/", "/projects/nowhere/imports/"])
def test_a_member_who_is_not_a_lead_may_not_send_a_file_to_an_import(client, project, annotator, engineer, path):
    # The CSRF check read their whole body before the view answered 404: any account could fill the disk.
    for user in (annotator, engineer):
        client.force_login(user)
        response = post_declaring(client, path, multipart_body_limit(upload=False) + 1)
        assert response.status_code == 413
        assert NOT_AN_IMPORT in response.content.decode()


def test_a_logged_in_user_may_not_send_an_upload_sized_body_elsewhere(client, project, annotator):
    client.force_login(annotator)
    response = post_declaring(client, "/accounts/password/", multipart_body_limit(upload=False) + 1)
    assert response.status_code == 413


def test_a_lead_gets_the_upload_limit_in_json_from_the_api(client, project, lead, upload_dir):
    client.force_login(lead)
    response = post_declaring(client, f"/api/projects/{project.slug}/imports/", 10 * GIB)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The file is over 512 MiB, the most an upload may be.",
        "code": "upload_too_large",
    }
    assert not ImportJob.objects.exists()


def test_a_lead_gets_a_page_that_says_what_to_do(client, project, lead, settings):
    settings.PAIRWISE_MAX_UPLOAD_MB = 1
    client.force_login(lead)
    response = post_declaring(client, f"/projects/{project.slug}/imports/", multipart_body_limit(upload=True) + 1)
    assert response.status_code == 413
    page = response.content.decode()
    assert "The file is over 1 MiB, the most an upload may be." in page
    assert "import_pairs" in page
    assert "Signed in as <strong>lead</strong>" in page


def test_the_limits_leave_room_for_the_forms_fields_and_for_an_import_the_largest_file(settings):
    settings.PAIRWISE_MAX_UPLOAD_MB = 1
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert multipart_body_limit(upload=False) == 1000 + 64 * 1024
    assert multipart_body_limit(upload=True) == 1024 * 1024 + 1000 + 64 * 1024


@pytest.mark.parametrize("where", ["page", "api"])
def test_an_upload_at_the_limit_reaches_the_view(client, project, lead, settings, upload_dir, where):
    # Declared at the limit, it is read: the client's payload is shorter, so reading it fails the
    # way a truncated upload does, which shows the middleware let it through.
    client.force_login(lead)
    settings.PAIRWISE_MAX_UPLOAD_MB = 1
    path = f"/projects/{project.slug}/imports/" if where == "page" else f"/api/projects/{project.slug}/imports/"
    with pytest.raises(AssertionError, match="Cannot read more than the available bytes"):
        post_declaring(client, path, multipart_body_limit(upload=True))


def test_an_api_upload_with_a_wrong_token_is_refused_before_its_body_is_read(project, settings):
    settings.PAIRWISE_MAX_UPLOAD_MB = 1
    response = post_declaring(
        Client(),
        f"/api/projects/{project.slug}/imports/",
        multipart_body_limit(upload=True),
        HTTP_AUTHORIZATION="Token not-a-token",
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_other_bodies_are_left_to_djangos_own_limit(client, project, annotator, pairs):
    # A JSON body is refused by Django before it is read (DATA_UPLOAD_MAX_MEMORY_SIZE), as before.
    client.force_login(annotator)
    assert client.post(f"/api/projects/{project.slug}/sittings/").status_code == 201
    response = client.generic(
        "POST",
        f"/api/projects/{project.slug}/next/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(10 * GIB),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


@pytest.mark.parametrize("authorization", ["Bearer x", "Basic eDp5", "Token", "token-less"])
def test_a_header_that_is_no_token_gives_a_session_user_no_upload_allowance(project, annotator, authorization):
    # Found in review: any Authorization header passed for API credentials; DRF ignores other
    # schemes, the session then authenticates the request, and its CSRF check read the whole body.
    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)
    response = post_declaring(
        client,
        f"/api/projects/{project.slug}/imports/",
        multipart_body_limit(upload=True),
        HTTP_AUTHORIZATION=authorization,
    )
    assert response.status_code == 413
