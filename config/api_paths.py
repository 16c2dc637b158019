"""Which requests are the API's: config.urls mounts it under API_PREFIX, and a refusal made before a
view runs (a 404, a body too large) answers them in JSON, which an API client can read."""

from __future__ import annotations

from django.http import HttpRequest

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)
