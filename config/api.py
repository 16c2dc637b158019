"""How the API reads requests and pages lists: DRF's JSON parser, with a body nested too deeply for
Python's JSON decoder refused as a 400, an exception handler that answers a body too large in JSON,
and the cursor pages of the job lists."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import parsers, serializers, status, views
from rest_framework.exceptions import ParseError
from rest_framework.pagination import CursorPagination
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
    than Django's HTML "Bad Request" page, which an API client cannot read. A refusal with a `detail`
    carries its `code` too (not_found, permission_denied, not_authenticated, parse_error, …): without
    it, a client could switch on `code` for some refusals and had to read the words of the others
    (found by the API audit)."""
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than {limit:,} bytes.", "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    response = views.exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        code = getattr(response.data["detail"], "code", None)
        if isinstance(code, str):
            response.data["code"] = code
    return response


# A job slot frees when one of the project's running jobs ends: minutes, so a client polls gently.
BUSY_RETRY_AFTER_SECONDS = 30


def busy_response(error: Exception) -> Response:
    """429 for a project whose job places are all taken, with when to try again."""
    return Response(
        {"detail": str(error), "code": "busy"},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
    )


class JobPagination(CursorPagination):
    """A project's jobs (imports, exports), newest first, a page at a time: `{"next", "previous",
    "results"}`, with `?page_size=` up to 200. The lists were one answer of every job (imports) or the
    newest 100 with no way to the rest (exports). A cursor, not an offset, so a job started while a
    client pages does not move the next page, and the id orders it: unique, and the order jobs came in."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class UnknownFieldsRefused:
    """A serializer mixin: a field the serializer does not know is a 400 naming it, not dropped. A
    misspelled option (`min_agreeement`) was ignored, and the job ran without it, as if unfiltered.
    The CSRF token of a form posted with a session (the browsable API's) is no field."""

    IGNORED = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields) - self.IGNORED)
            if unknown:
                raise serializers.ValidationError(
                    {name: [f"No such field; the fields are: {', '.join(self.fields)}."] for name in unknown}
                )
        return super().to_internal_value(data)


class UnknownFieldsRefusedSchema(OpenApiSerializerExtension):
    """The schema of a request body whose unknown fields are refused (`UnknownFieldsRefused`) says so,
    `additionalProperties: false`, so that a client generated from it, or a validator, catches a
    misspelled field before the server does."""

    target_class = UnknownFieldsRefused
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class ErrorSerializer(serializers.Serializer):
    """A refusal with a message: not logged in (401, with `WWW-Authenticate: Token`; a browser
    session whose CSRF token is missing gets 403), forbidden (403: a member in another role; code
    not_annotator on the annotator's endpoints), not found (404: not a member of the project, or
    not one's own object), or too many jobs (429, code busy)."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


# The refusals a schema-built client must expect besides an operation's success: without them in the
# schema, its 400s, 403s, 404s and 429s were answers the schema said could not come.
INVALID = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="The request is refused: each field's messages under its name (`non_field_errors` for "
    "the whole), or `detail` (and `code`) for a body that is no JSON or an answer the project does not take.",
)
REFUSED = {401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
BUSY = {429: ErrorSerializer}
