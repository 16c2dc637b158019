"""A multipart body larger than any upload may be is refused before a byte of it is read.

Django bounds other bodies by DATA_UPLOAD_MAX_MEMORY_SIZE before reading them, but a multipart body's
files are spooled to a temporary file whatever their size, and the first reader may be the CSRF check,
before a view can look at who is asking: anyone, logged in or not, could fill the disk. The largest
body any page or endpoint needs is an import's file (PAIRWISE_MAX_UPLOAD_MB) with the form's other
fields (DATA_UPLOAD_MAX_MEMORY_SIZE), so a longer declared Content-Length is answered 413 at once.
A request without a Content-Length has no body for Django (it reads that many bytes)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

# Room for the multipart boundaries and each part's headers.
MULTIPART_OVERHEAD = 64 * 1024


def multipart_body_limit() -> int:
    """The most bytes a multipart body may declare: the largest upload and the form's other fields."""
    return (
        settings.PAIRWISE_MAX_UPLOAD_MB * 1024 * 1024 + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) + MULTIPART_OVERHEAD
    )


def declared_length(request: HttpRequest) -> int:
    """The body's length as the client declared it (0 when absent or not a number)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class MultipartBodyLimitMiddleware:
    """Answers 413 to a multipart request whose declared body is over `multipart_body_limit()`.

    Runs in the middleware's request phase, before any view and before the CSRF check (a view
    hook), which are the first to read a body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("CONTENT_TYPE", "").startswith("multipart/") and declared_length(request) > (
            multipart_body_limit()
        ):
            return self.too_large(request)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest) -> HttpResponse:
        limit_mb: int = settings.PAIRWISE_MAX_UPLOAD_MB
        message = f"The file is over {limit_mb:,} MiB, the most an upload may be."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "upload_too_large"}, status=413)
        return render(request, "upload_too_large.html", {"message": message}, status=413)
