"""Exports over the API: start one, see its state, download its archive."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.hub import HubIdError, hub_id_check
from annotate.models import JobState
from annotate.services.jobs import JobsBusyError
from config.api import BUSY, INVALID, REFUSED, JobPagination, UnknownFieldsRefused, busy_response
from exporter.models import ExportJob
from exporter.selectors import ExportExpired, export_archive_open, export_job_get, export_project_get
from exporter.services import (
    AGGREGATES,
    FORMATS,
    MAX_LENGTH_RANGE,
    WRITERS,
    ExportError,
    ExportOptions,
    aware_in_site_zone,
    export_job_create,
)


class SiteTimeField(serializers.DateTimeField):
    """A date and time; one without a zone is in the site's TIME_ZONE, read as the Exports page and the
    command read it (`aware_in_site_zone`): a time its clocks skip or show twice is refused, naming the field.
    DRF's own check let both through, and a late time such as 9999-12-31T23:59:59, without a zone in a
    zone west of UTC, was a 500 (OverflowError) where the page and the command took it."""

    def enforce_timezone(self, value):
        try:
            return aware_in_site_zone(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class ExportJobSerializer(serializers.ModelSerializer):
    expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the archive will be deleted (PAIRWISE_EXPORT_KEEP_DAYS after the export finished); "
        "null without an archive, or where archives are kept for good.",
    )

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "format",
            "options",
            "state",
            "counts",
            "filter_effects",
            "size",
            "sha256",
            "expires_at",
            "expired_at",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ExportOptionsSerializer(UnknownFieldsRefused, serializers.Serializer):
    """The options of an export, as `manage.py export_preferences` takes them; a field not named here
    is refused (400) rather than dropped."""

    format = serializers.ChoiceField(choices=FORMATS, default="hh-rlhf")
    writer = serializers.ChoiceField(choices=WRITERS, default="jsonl")
    per_judgment = serializers.BooleanField(default=False)
    with_metadata = serializers.BooleanField(default=False)
    aggregate = serializers.ChoiceField(choices=AGGREGATES, default="majority")
    include_gold = serializers.BooleanField(default=False)
    include_probes = serializers.BooleanField(default=False)
    min_judgments = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    min_agreement = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    max_similarity = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    max_response_similarity = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    exclude_flagged = serializers.BooleanField(default=False)
    exclude_paused = serializers.BooleanField(
        default=False, help_text="Leave out the judgments of annotators paused in the project when the export runs."
    )
    max_sitting_minutes = serializers.FloatField(required=False, allow_null=True, min_value=0)
    max_index_in_sitting = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    since = SiteTimeField(required=False, allow_null=True)
    until = SiteTimeField(required=False, allow_null=True)
    source = serializers.CharField(required=False, allow_null=True, allow_blank=False)
    test_size = serializers.FloatField(default=0.1, min_value=0, max_value=1)
    seed = serializers.IntegerField(default=0)
    # Local tokenizer paths are the server's business: over the API only a Hub id, loaded by transformers.
    tokenizer = serializers.CharField(default="gpt2", max_length=200)
    max_length = serializers.IntegerField(default=512, min_value=MAX_LENGTH_RANGE[0], max_value=MAX_LENGTH_RANGE[1])

    def validate(self, attrs: dict) -> dict:
        # Checked where one is loaded or given: the default of another format names nothing to load.
        if attrs["format"] == "tokenized" or "tokenizer" in self.initial_data:
            try:
                hub_id_check(attrs["tokenizer"], what="The tokenizer")
            except HubIdError as error:
                raise serializers.ValidationError({"tokenizer": [str(error)]}) from error
        return attrs


class ExportListApi(APIView):
    pagination_class = JobPagination

    @extend_schema(responses={200: ExportJobSerializer(many=True), **REFUSED})
    def get(self, request: Request, slug: str) -> Response:
        project = export_project_get(user=request.user, slug=slug)
        pages = self.pagination_class()
        jobs = pages.paginate_queryset(ExportJob.objects.filter(project=project), request, view=self)
        return pages.get_paginated_response(ExportJobSerializer(jobs, many=True).data)

    @extend_schema(
        request=ExportOptionsSerializer, responses={202: ExportJobSerializer, 400: INVALID, **REFUSED, **BUSY}
    )
    def post(self, request: Request, slug: str) -> Response:
        project = export_project_get(user=request.user, slug=slug)
        params = ExportOptionsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            job = export_job_create(project=project, user=request.user, options=ExportOptions(**params.validated_data))
        except ExportError as error:
            return Response({"detail": str(error), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
        except JobsBusyError as error:
            return busy_response(error)
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    @extend_schema(responses={200: ExportJobSerializer, **REFUSED})
    def get(self, request: Request, slug: str, job_id: int) -> Response:
        return Response(ExportJobSerializer(export_job_get(user=request.user, slug=slug, job_id=job_id)).data)


class ExportNoFileSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="no_file")
    state = serializers.CharField(help_text="The export's state: pending, running or failed.")


class ExportExpiredSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="expired")
    expired_at = serializers.DateTimeField()


class ExportDownloadApi(APIView):
    @extend_schema(
        responses={
            (200, "application/zip"): bytes,
            **REFUSED,
            409: OpenApiResponse(
                ExportNoFileSerializer, description="The export has no file: pending or running (yet), or failed."
            ),
            410: OpenApiResponse(
                ExportExpiredSerializer,
                description="The export's archive was deleted for age (PAIRWISE_EXPORT_KEEP_DAYS): run it again.",
            ),
        }
    )
    def get(self, request: Request, slug: str, job_id: int) -> FileResponse | Response:
        job = export_job_get(user=request.user, slug=slug, job_id=job_id)
        if job.state != JobState.DONE:
            # Not a 404, the answer of an export that does not exist (found by the API audit).
            return Response(
                {"detail": f"This export has no file: it is {job.state}.", "code": "no_file", "state": job.state},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            archive = export_archive_open(job=job)
        except ExportExpired as expired:
            return Response(
                {"detail": str(expired), "code": "expired", "expired_at": expired.job.expired_at},
                status=status.HTTP_410_GONE,
            )
        return FileResponse(archive, as_attachment=True, content_type="application/zip")


urlpatterns = [
    path("projects/<slug:slug>/exports/", ExportListApi.as_view(), name="export-list"),
    path("projects/<slug:slug>/exports/<id:job_id>/", ExportDetailApi.as_view(), name="export-detail"),
    path("projects/<slug:slug>/exports/<id:job_id>/download/", ExportDownloadApi.as_view(), name="export-download"),
]
