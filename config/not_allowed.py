"""A page opened by GET at an address that only takes a form's submission says so.

Django's `require_POST` answers 405 with no body, which Chromium shows as "HTTP ERROR 405". A lead gets
there by pressing Enter in the address bar after a refused form (pause, gold from source), whose
page kept the form's address. The API's clients read the status and the Allow header, so its answers
are left alone."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.api_paths import is_api_request


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.method in ("GET", "HEAD")
            and not is_api_request(request)
            and not getattr(response, "streaming", False)
            and not response.content
        ):
            page = render(request, "method_not_allowed.html", status=405)
            page["Allow"] = response["Allow"]
            return page
        return response
