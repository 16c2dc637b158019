"""No browser or proxy keeps what one person's session was shown.

Without a Cache-Control header, Chromium answered Back and Forward from its disk cache: the annotation
page with a sitting request already used, and the API's progress answer from before a sitting
started or ended. The page then showed a break over an open sitting, or started a sitting nobody
asked for. On a shared computer, Back after logging out also showed the last person's pages. So
every answer to a logged-in user, and every API answer, says `no-store` (the Cache-Control of Django's
never_cache), unless the view chose its own; static files are served before this runs, cacheable."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.api_paths import is_api_request

# What django.utils.cache.add_never_cache_headers writes, as one constant: that function parses and
# rewrites the header and formats an Expires date, about twenty times the constant's cost on every API
# answer (bench/middleware_cost.py, docs/benchmarks.md); max-age=0 makes Expires moot.
NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


class PrivateNoStoreMiddleware:
    """After AuthenticationMiddleware: `request.user` tells a logged-in request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and (is_api_request(request) or request.user.is_authenticated):
            response["Cache-Control"] = NO_STORE
        return response
