"""How the API reads requests: DRF's JSON parser, with a body nested too deeply for Python's JSON
decoder refused as a 400, and an exception handler that answers a body too large in JSON."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers, status, views
from rest_framework.exceptions import ParseError
from rest_framework.response import Response


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser turns a malformed body into a 400 (ParseError) but lets RecursionError
    through: `[[[[...` about 1,000 levels deep (2 KB, under every size limit) was a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - nested too deeply.") from error


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, and a body over DATA_UPLOAD_MAX_MEMORY_SIZE answered as JSON (413) rather
    than Django's HTML "Bad Request" page, which an API client cannot read."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than {limit:,} bytes.", "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return views.exception_handler(exc, context)
