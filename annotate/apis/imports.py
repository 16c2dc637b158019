"""Import API: leads start imports (an uploaded file or a Hugging Face dataset) and follow their jobs.

`POST /api/projects/<slug>/imports/` → 202 with the job; `GET` lists the project's jobs, newest
first, a page at a time (`config.api.JobPagination`); `GET /api/projects/<slug>/imports/<id>/` shows
one. Non-members get 404, members who are not leads of the project 403, requests without credentials
401.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.hub import HubIdError, hub_id_check
from annotate.importers import HF, ROW_FORMATS
from annotate.models import ImportJob, Project, Role
from annotate.selectors import project_get_for_user
from annotate.services.imports import import_job_create, upload_size_check
from annotate.services.jobs import JobsBusyError
from config.api import BUSY, INVALID, REFUSED, JobPagination, JSONParser, UnknownFieldsRefused, busy_response


def _project_for_lead(request: Request, slug: str) -> Project:
    """The project if the user leads it: 404 for non-members, 403 for members in another role."""
    project, membership = project_get_for_user(user=request.user, slug=slug)
    if membership.role != Role.LEAD:
        raise PermissionDenied("Only the project's leads can import pairs.")
    return project


class ImportJobOutputSerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="original_name")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "state",
            "source_name",
            "format",
            "split",
            "skip_invalid",
            "rows_read",
            "pairs_created",
            "duplicates_skipped",
            "invalid_rows",
            "errors",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ImportJobListedSerializer(ImportJobOutputSerializer):
    """A job in the list: its counts without the bad rows themselves (up to a thousand a job, two
    hundred jobs a page); the job's own answer has them."""

    class Meta(ImportJobOutputSerializer.Meta):
        fields = [name for name in ImportJobOutputSerializer.Meta.fields if name != "errors"]


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file uploaded in a multipart body, as the schema says: drf-spectacular describes a FileField
    as a URL (`format: uri`), so a client generated from the schema sent a string and was refused
    ("The submitted data was not a file")."""


class ImportStartInputSerializer(UnknownFieldsRefused, serializers.Serializer):
    """Either `file` (format optional: detected when empty) or `format: "hf"` with `dataset`."""

    file = UploadField(required=False)
    format = serializers.ChoiceField(choices=[*ROW_FORMATS, HF], required=False, allow_blank=True, default="")
    dataset = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    split = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    skip_invalid = serializers.BooleanField(required=False, default=False)

    def validate_file(self, upload: UploadedFile) -> UploadedFile:
        upload_size_check(upload=upload)  # DRF reports Django's ValidationError as the field's error
        return upload

    def validate(self, attrs: dict) -> dict:
        upload, dataset, fmt = attrs.get("file"), attrs["dataset"].strip(), attrs["format"]
        if upload is not None and dataset:
            raise serializers.ValidationError("Give a file or a dataset, not both.")
        if upload is not None and fmt == HF:
            raise serializers.ValidationError(
                {"format": 'An uploaded file has format "hh-rlhf", "preference" or "pairs".'}
            )
        if upload is not None and attrs["split"]:
            # Refused now, not as a failed job (the importer refuses it too).
            raise serializers.ValidationError({"split": "A split belongs to a dataset (format hf), not to a file."})
        if upload is None:
            if not dataset:
                raise serializers.ValidationError('Give a file, or format "hf" with a dataset.')
            if fmt != HF:
                raise serializers.ValidationError({"format": 'A dataset import needs format "hf".'})
            try:
                hub_id_check(dataset, what="The dataset")
            except HubIdError as error:
                raise serializers.ValidationError({"dataset": str(error)}) from error
        attrs["dataset"] = dataset
        return attrs


class ImportJobListApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    pagination_class = JobPagination

    @extend_schema(responses={200: ImportJobListedSerializer(many=True), **REFUSED})
    def get(self, request: Request, slug: str) -> Response:
        project = _project_for_lead(request, slug)
        pages = self.pagination_class()
        listed = ImportJob.objects.filter(project=project).defer("errors")
        jobs = pages.paginate_queryset(listed, request, view=self)
        return pages.get_paginated_response(ImportJobListedSerializer(jobs, many=True).data)

    @extend_schema(
        request=ImportStartInputSerializer, responses={202: ImportJobOutputSerializer, 400: INVALID, **REFUSED, **BUSY}
    )
    def post(self, request: Request, slug: str) -> Response:
        project = _project_for_lead(request, slug)
        data = ImportStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = import_job_create(
                project=project,
                user=request.user,
                fmt=data.validated_data["format"],
                skip_invalid=data.validated_data["skip_invalid"],
                upload=data.validated_data.get("file"),
                dataset=data.validated_data["dataset"],
                split=data.validated_data["split"],
            )
        except JobsBusyError as error:
            return busy_response(error)
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(APIView):
    @extend_schema(responses={200: ImportJobOutputSerializer, **REFUSED})
    def get(self, request: Request, slug: str, job_id: int) -> Response:
        project = _project_for_lead(request, slug)
        job = get_object_or_404(ImportJob, project=project, pk=job_id)
        return Response(ImportJobOutputSerializer(job).data)


urlpatterns = [
    path("projects/<slug:slug>/imports/", ImportJobListApi.as_view(), name="imports"),
    path("projects/<slug:slug>/imports/<id:job_id>/", ImportJobDetailApi.as_view(), name="import_detail"),
]
