"""Every response carries the Content-Security-Policy: scripts from this origin only."""

from __future__ import annotations

import pytest
from django.test import override_settings

from config.content_security import HEADER, policy_header

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in response[HEADER].split(";"))}


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/docs/", "/admin/login/", "/healthz"])
def test_it_lets_scripts_come_from_this_origin_only(client, annotator, path):
    client.force_login(annotator)
    policy = directives(client.get(path))
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]


def test_it_is_on_the_pages_and_the_api_of_a_logged_in_user(client, project, annotator):
    client.force_login(annotator)
    for path in ("/", f"/projects/{project.slug}/guidelines/", "/api/projects/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in directives(response)["script-src"], path


def test_swagger_ui_starts_from_a_script_file_not_an_inline_script(client, annotator):
    client.force_login(annotator)
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_a_response_that_sets_its_own_policy_keeps_it(rf):
    from django.http import HttpResponse

    from config.content_security import ContentSecurityPolicyMiddleware

    def own_policy(request):
        response = HttpResponse("ok")
        response[HEADER] = "default-src 'none'"
        return response

    assert ContentSecurityPolicyMiddleware(own_policy)(rf.get("/"))[HEADER] == "default-src 'none'"


@override_settings(CONTENT_SECURITY_POLICY={})
def test_an_empty_policy_sends_no_header(rf):
    from django.http import HttpResponse

    from config.content_security import ContentSecurityPolicyMiddleware

    assert HEADER not in ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))(rf.get("/"))


def test_djangos_debug_error_page_keeps_its_scripts_under_debug_only(rf, settings):
    from django.http import HttpResponseServerError

    from config.content_security import ContentSecurityPolicyMiddleware

    def error(request):
        return HttpResponseServerError("traceback")

    settings.DEBUG = True
    assert HEADER not in ContentSecurityPolicyMiddleware(error)(rf.get("/"))
    settings.DEBUG = False
    assert HEADER in ContentSecurityPolicyMiddleware(error)(rf.get("/"))


def test_the_header_is_built_from_the_directives_in_order():
    assert policy_header({"default-src": ["'self'"], "img-src": ["'self'", "data:"]}) == (
        "default-src 'self'; img-src 'self' data:"
    )
