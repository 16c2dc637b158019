"""A multipart body larger than its request may send is refused before a byte of it is read.

Django bounds other bodies by DATA_UPLOAD_MAX_MEMORY_SIZE before reading them, but a multipart body's
files are spooled to a temporary file whatever their size, and the first reader may be the CSRF check,
before a view can look at who is asking: anyone, logged in or not, could fill the disk. Only an
import takes a file (PAIRWISE_MAX_UPLOAD_MB), and only from a lead of its project (a session user
who leads it, or over the API a token, which DRF and the view check before reading a body); every
other multipart body may hold the form fields Django allows and no more. A longer declared
Content-Length is answered 413 at once. A request without a Content-Length has no body for Django
(it reads that many bytes).

This holds under WSGI (gunicorn, runserver), as the app is served. Under ASGI Django reads the whole
body into a temporary file before any middleware runs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

from config.api_paths import is_api_request

# Room for the multipart boundaries and each part's headers.
MULTIPART_OVERHEAD = 64 * 1024
# The views that take an import's file: the import page and the API's import list.
UPLOAD_VIEWS = frozenset({"annotate:imports", "api:imports"})


def upload_too_large_message(limit_mb: int) -> str:
    return f"The file is over {limit_mb:,} MiB, the most an upload may be."


def multipart_body_limit(*, upload: bool) -> int:
    """The most bytes a multipart body may declare: the form's fields (DATA_UPLOAD_MAX_MEMORY_SIZE),
    and with `upload` the largest file an import takes."""
    fields = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) + MULTIPART_OVERHEAD
    return fields + (settings.PAIRWISE_MAX_UPLOAD_MB * 1024 * 1024 if upload else 0)


def declared_length(request: HttpRequest) -> int:
    """The body's length as the client declared it (0 when absent or not a number)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _token_credentials(request: HttpRequest) -> bool:
    """Whether the request carries API token credentials (`Authorization: Token <key>`), which DRF
    checks before anything reads the body. Another scheme is ignored by it, and the session then
    authenticates the request, whose CSRF check reads the body."""
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "token" and bool(key.strip())


def may_upload(request: HttpRequest) -> bool:
    """Whether the request goes to a view that takes an import's file, from a lead of its project: a
    session user who leads it, or over the API a request carrying a token (DRF refuses a wrong
    token, and the view a user who is not a lead, before either reads the body). Anyone else's body
    is read by the CSRF check before the view refuses them, so they may send no file."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    if match.view_name not in UPLOAD_VIEWS:
        return False
    if is_api_request(request) and _token_credentials(request):
        return True
    if not request.user.is_authenticated:
        return False
    from annotate.models import Membership, Role  # the app's models: loaded after the settings

    return Membership.objects.filter(user=request.user, project__slug=match.kwargs["slug"], role=Role.LEAD).exists()


class MultipartBodyLimitMiddleware:
    """Answers 413 to a multipart request whose declared body is over its `multipart_body_limit`.

    Runs in the middleware's request phase, before any view and before the CSRF check (a view
    hook), which are the first to read a body; after AuthenticationMiddleware, which it asks."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
            length = declared_length(request)
            # Only a body over the form fields' allowance needs to know where it goes.
            if length > multipart_body_limit(upload=False):
                upload = may_upload(request)
                if length > multipart_body_limit(upload=upload):
                    return self.too_large(request, upload=upload)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest, *, upload: bool) -> HttpResponse:
        if upload:
            message = upload_too_large_message(settings.PAIRWISE_MAX_UPLOAD_MB)
        else:
            message = "This request is too large: only an import by a lead of the project may send a file."
        if is_api_request(request):
            return JsonResponse({"detail": message, "code": "upload_too_large"}, status=413)
        return render(request, "upload_too_large.html", {"message": message}, status=413)
