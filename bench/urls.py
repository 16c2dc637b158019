"""The project's URLs plus the baseline the annotator benchmark compares against.

`GET /bench/pair/<id>/` is the cheapest useful DRF request: the same authentication, permission
and renderer as the annotator API, one indexed read of one row. `/bench/noop/` does nothing behind
the same machinery (the per-request floor). They live only in the bench urlconf.
"""

from __future__ import annotations

from django.urls import path
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.models import Pair
from config.urls import urlpatterns as project_urlpatterns


class PairPeekApi(APIView):
    """One pair's id and sort key, read by primary key (the benchmark's baseline request)."""

    def get(self, request: Request, pair_id: int) -> Response:
        row = Pair.objects.filter(pk=pair_id).values("id", "sort_key").first()
        if row is None:
            raise NotFound("No such pair.")
        return Response(row)


class NoopApi(APIView):
    """No work at all behind the same authentication, permission and renderer: what any request to
    the API costs before its own work (the floor under next and submit). POST reads its JSON body."""

    def get(self, request: Request) -> Response:
        return Response({})

    def post(self, request: Request) -> Response:
        return Response({"keys": len(request.data)})


urlpatterns = [
    path("bench/pair/<int:pair_id>/", PairPeekApi.as_view(), name="bench-pair-peek"),
    path("bench/noop/", NoopApi.as_view(), name="bench-noop"),
    *project_urlpatterns,
]
