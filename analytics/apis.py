"""The bias report over the API: the latest one as JSON, and a request for a new one."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.models import BiasReport
from analytics.selectors import bias_report_latest, bias_report_live
from analytics.services import bias_report_request
from annotate.models import Role
from annotate.selectors import project_get_for_user
from config.api import REFUSED

READERS = (Role.LEAD, Role.ENGINEER)


class BiasReportSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = BiasReport
        fields = [
            "id",
            "project",
            "state",
            "parameters",
            "created_at",
            "computed_at",
            "duration_ms",
            "error",
            "judgments_seen",
            "payload",
        ]


class BiasReportStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = BiasReport
        fields = ["id", "state", "created_at", "started_at", "computed_at", "error"]


class BiasReportLatestSerializer(BiasReportSerializer):
    """The latest finished report, and the one being computed now: the answer had `computing`, which
    the schema did not name, so a client generated from it could not see that a newer one was coming."""

    computing = serializers.SerializerMethodField(help_text="The report being computed now, if any; else null.")

    class Meta(BiasReportSerializer.Meta):
        fields = [*BiasReportSerializer.Meta.fields, "computing"]

    @extend_schema_field(BiasReportStateSerializer(allow_null=True))
    def get_computing(self, report: BiasReport) -> dict | None:
        live = self.context["live"]
        return BiasReportStateSerializer(live).data if live else None


class BiasReportLatestApi(APIView):
    @extend_schema(responses={200: BiasReportLatestSerializer, **REFUSED})
    def get(self, request: Request, slug: str) -> Response:
        project, _ = project_get_for_user(user=request.user, slug=slug, roles=READERS)
        report = bias_report_latest(project=project)
        if report is None:
            raise NotFound("No report has been computed for this project yet.")
        live = bias_report_live(project=project)
        return Response(BiasReportLatestSerializer(report, context={"live": live}).data)


class BiasReportRequestApi(APIView):
    @extend_schema(request=None, responses={202: BiasReportStateSerializer, **REFUSED})
    def post(self, request: Request, slug: str) -> Response:
        project, membership = project_get_for_user(user=request.user, slug=slug, roles=READERS)
        if membership.role != Role.LEAD:
            raise PermissionDenied("Only project leads can ask for a report.")
        report, _ = bias_report_request(project=project, user=request.user)
        return Response(BiasReportStateSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class BiasReportStateApi(APIView):
    @extend_schema(responses={200: BiasReportStateSerializer, **REFUSED})
    def get(self, request: Request, slug: str, report_id: int) -> Response:
        project, _ = project_get_for_user(user=request.user, slug=slug, roles=READERS)
        report = BiasReport.objects.filter(project=project, pk=report_id).first()
        if report is None:
            raise NotFound("No such report.")
        return Response(BiasReportStateSerializer(report).data)


urlpatterns = [
    path("projects/<slug:slug>/bias-report/", BiasReportLatestApi.as_view(), name="bias-report-latest"),
    path("projects/<slug:slug>/bias-reports/", BiasReportRequestApi.as_view(), name="bias-report-request"),
    path("projects/<slug:slug>/bias-reports/<id:report_id>/", BiasReportStateApi.as_view(), name="bias-report-state"),
]
