"""The Content-Security-Policy header on every response.

Every page's script is a static file (no inline `<script>`, no `on…=` attribute, no `eval`), so the
policy lets scripts come from this origin only: markup injected into a page, whatever the route,
cannot run code. Django 5.2 has no such middleware (Django 6 has); the policy is one fixed string,
built once from the settings, so a response pays a header assignment."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy_header(directives: dict[str, list[str]]) -> str:
    """`{"script-src": ["'self'"], ...}` as the header's value: `script-src 'self'; ...`."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds `settings.CONTENT_SECURITY_POLICY` to a response that does not set its own, except,
    under DEBUG, to Django's error page, whose inline scripts fold and unfold the traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = policy_header(settings.CONTENT_SECURITY_POLICY)
        self.debug = settings.DEBUG

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header and HEADER not in response and not (self.debug and response.status_code >= 500):
            response[HEADER] = self.header
        return response
