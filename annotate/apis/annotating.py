"""The annotator's API: projects, progress, sittings, next pair, submit. One view per operation.

Every view resolves the project through `project_get_for_user`, so another project's objects are
404. Responses never say which response is `a` or `b`, nor the source's preference.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from annotate.models import AnnotationSession, Assignment, EndReason, Project, Role, Safety, Side
from annotate.selectors import context_turns, memberships_with_progress, progress_get, project_get_for_user
from annotate.services.annotating import (
    AnnotationError,
    assignment_next,
    judgment_submit,
    sitting_activity_record,
    sitting_end,
    sitting_refresh,
    sitting_start,
    sitting_start_refusal,
)
from config.api import INVALID, ErrorSerializer, UnknownFieldsRefused


def _seconds_until(moment: dt.datetime | None, now: dt.datetime) -> int:
    # Rounded up: a countdown that reached 0 a second early would offer a start the server refuses.
    return max(0, math.ceil((moment - now).total_seconds())) if moment else 0


class SittingSerializer(serializers.Serializer):
    """The shape of a sitting in every answer (for the schema); `_sitting_data` builds it."""

    id = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    item_limit = serializers.IntegerField()
    items_done = serializers.IntegerField()
    seconds_left = serializers.IntegerField(help_text="Server-computed; 0 once the sitting has ended.")
    idle_seconds_left = serializers.IntegerField(
        help_text="Until the idle timeout ends the sitting, unless an answer comes first; 0 once it has ended."
    )
    idle_timeout_seconds = serializers.IntegerField(
        help_text="The idle timeout this sitting runs under: the project's when it started (a lead's change "
        "applies from the next sitting)."
    )
    is_open = serializers.BooleanField()
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField(
        allow_blank=True,
        help_text="Empty while open; else "
        + ", ".join(f"{value} ({label.lower()})" for value, label in EndReason.choices)
        + ".",
    )
    break_until = serializers.DateTimeField(allow_null=True)
    break_seconds_left = serializers.IntegerField(help_text="0 when no break is running.")
    break_minutes = serializers.IntegerField(help_text="The break the project now gives after a sitting.")


class SittingEnvelopeSerializer(serializers.Serializer):
    """What the sitting endpoints answer: the sitting under `sitting`."""

    sitting = SittingSerializer()


class ElsewhereSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="Its annotation page.")


class RefusalSerializer(serializers.Serializer):
    """A request the rules refuse (409), or an answer that is not valid here (400): a message for
    people, a stable code for programs, and the sitting it concerns."""

    detail = serializers.CharField()
    code = serializers.CharField(
        help_text="no_sitting, sitting_ended, on_break, open_elsewhere, paused, closed, lease_expired, released, "
        "expired, invalid, invalid_side"
    )
    sitting = SittingSerializer(allow_null=True, required=False)
    break_until = serializers.DateTimeField(required=False, help_text="With code on_break.")
    break_seconds_left = serializers.IntegerField(required=False, help_text="With code on_break.")
    elsewhere = ElsewhereSerializer(
        required=False,
        help_text="When starting a sitting: the other project whose sitting is open (code open_elsewhere) or "
        "whose sitting's break runs (code on_break). `sitting` is then that project's sitting.",
    )


# The refusals every annotator endpoint may answer with, besides its own success.
UNAUTHORIZED = {401: ErrorSerializer}
REFUSALS = {**UNAUTHORIZED, 403: ErrorSerializer, 404: ErrorSerializer, 409: RefusalSerializer}


class TurnSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=["human", "assistant"])
    text = serializers.CharField()


def _sitting_data(sitting: AnnotationSession | None) -> dict | None:
    """The sitting as `SittingSerializer` describes it, built directly: it is on every hot request,
    where a serializer's per-field machinery would cost more than the rest of the answer."""
    if sitting is None:
        return None
    now = timezone.now()
    is_open = sitting.is_open
    idle = sitting.idle_timeout
    return {
        "id": sitting.id,
        "started_at": sitting.started_at,
        "deadline": sitting.deadline,
        "item_limit": sitting.item_limit,
        "items_done": sitting.items_done,
        "seconds_left": _seconds_until(sitting.deadline, now) if is_open else 0,
        # The page cannot see the server's idle clock; without this it left a pair on screen to be
        # read and answered after the sitting had gone idle, and the answer was refused.
        "idle_seconds_left": _seconds_until(sitting.last_activity_at + idle, now) if is_open else 0,
        "idle_timeout_seconds": int(idle.total_seconds()),
        "is_open": is_open,
        "ended_at": sitting.ended_at,
        "end_reason": sitting.end_reason,
        "break_until": sitting.break_until,
        "break_seconds_left": 0 if is_open else _seconds_until(sitting.break_until, now),
        # The project's, as it is now: a lead may change it during the sitting, and ending the sitting
        # by hand asks first, naming the break that will follow.
        "break_minutes": sitting.project.break_minutes,
    }


def _refusal(
    error: AnnotationError, http_status: int = status.HTTP_409_CONFLICT, *, project: Project | None = None
) -> ApiResponse:
    """The refusal; `project`: the one asked about, where the refusal may concern a sitting of another
    project (starting a sitting), which is then named under `elsewhere`."""
    return ApiResponse(_refusal_body(error, project=project), status=http_status)


def _refusal_body(error: AnnotationError, *, project: Project | None = None) -> dict:
    body = {"detail": str(error), "code": error.code, "sitting": _sitting_data(error.sitting)}
    if error.code == "on_break" and error.sitting is not None:
        ends = error.break_until or error.sitting.break_until  # for the project asked about
        body["break_until"] = ends
        body["break_seconds_left"] = _seconds_until(ends, timezone.now())
    if project is not None and error.sitting is not None and error.sitting.project_id != project.id:
        other = error.sitting.project
        body["elsewhere"] = {
            "slug": other.slug,
            "name": other.name,
            "url": reverse("annotate:annotate", kwargs={"slug": other.slug}),
        }
    return body


def _annotator_project(request: Request, slug: str):
    """The project, if the user may annotate in it: 404 for strangers, 403 for other roles."""
    project, membership = project_get_for_user(user=request.user, slug=slug)
    if membership.role != Role.ANNOTATOR:
        return project, ApiResponse(
            {"detail": "Only annotators of this project can annotate.", "code": "not_annotator"},
            status=status.HTTP_403_FORBIDDEN,
        )
    return project, None


class ProjectListApi(APIView):
    class ProjectListOutputSerializer(serializers.Serializer):
        slug = serializers.CharField()
        name = serializers.CharField()
        role = serializers.CharField()
        pairs_total = serializers.IntegerField()
        my_judgments = serializers.IntegerField()

    @extend_schema(responses={200: ProjectListOutputSerializer(many=True), **UNAUTHORIZED})
    def get(self, request: Request) -> ApiResponse:
        # Queue pairs only, as in the progress API and on "My projects": gold pairs never reach k, so a
        # total that counted them said something else under the same name.
        rows = [
            {
                "slug": membership.project.slug,
                "name": membership.project.name,
                "role": membership.role,
                "pairs_total": membership.pairs_total,
                "my_judgments": membership.my_judgments,
            }
            for membership in memberships_with_progress(user=request.user)
        ]
        return ApiResponse(self.ProjectListOutputSerializer(rows, many=True).data)


class ProgressProjectSerializer(serializers.Serializer):
    """The project as its annotators need it: the sitting's rules and what each answer must carry."""

    slug = serializers.CharField()
    name = serializers.CharField()
    allow_tie = serializers.BooleanField()
    allow_skip = serializers.BooleanField()
    ask_strength = serializers.BooleanField()
    ask_rationale = serializers.BooleanField()
    # What a judgment must carry here: a client that cannot see these had a submit refused (400)
    # by rules it could not read, the criteria's names only in the refusal's message.
    rationale_min_chars = serializers.SerializerMethodField(
        help_text="The shortest rationale accepted (with ask_rationale); 0 when none is required."
    )
    ask_safety = serializers.BooleanField(help_text="A safety label (`safety`) is required with each answer.")
    criteria = serializers.SerializerMethodField(
        help_text="Each answer but a skip gives left, right or tie for every one of these (`criteria`)."
    )
    sitting_minutes = serializers.IntegerField()
    sitting_items = serializers.IntegerField()
    break_minutes = serializers.IntegerField()

    def get_rationale_min_chars(self, project: Project) -> int:
        return project.rationale_min_chars if project.ask_rationale else 0

    def get_criteria(self, project: Project) -> list[str]:
        return list(project.criteria or [])


class ProgressApi(APIView):
    class ProgressOutputSerializer(serializers.Serializer):
        project = ProgressProjectSerializer()
        my_judgments = serializers.IntegerField()
        my_judgments_today = serializers.IntegerField()
        pairs_total = serializers.IntegerField()
        pairs_complete = serializers.IntegerField()
        sitting = SittingSerializer(allow_null=True)
        on_break = serializers.BooleanField()
        break_seconds_left = serializers.IntegerField()
        paused = serializers.BooleanField(
            help_text="Whether the project's lead (or its gold rule) has paused this annotator here now."
        )
        start_refused = RefusalSerializer(
            allow_null=True,
            help_text="For an annotator with no sitting open and no break running in this project: what starting "
            "one would answer now if refused because of another project (code open_elsewhere, or on_break "
            "with `elsewhere`), so that a page opens on it; null otherwise.",
        )

    @extend_schema(responses={200: ProgressOutputSerializer, **UNAUTHORIZED, 404: ErrorSerializer})
    def get(self, request: Request, slug: str) -> ApiResponse:
        project, membership = project_get_for_user(user=request.user, slug=slug)
        now = timezone.now()
        # Only annotators have sittings; theirs is closed first if a limit has passed.
        sitting = (
            sitting_refresh(project=project, annotator=request.user, now=now)
            if membership.role == Role.ANNOTATOR
            else None
        )
        progress = progress_get(project=project, user=request.user, now=now)
        break_left = _seconds_until(sitting.break_until, now) if sitting and not sitting.is_open else 0
        start_refused = None
        if membership.role == Role.ANNOTATOR and not (sitting and sitting.is_open) and break_left == 0:
            refusal = sitting_start_refusal(project=project, annotator=request.user, now=now)
            if refusal is not None and refusal.sitting is not None and refusal.sitting.project_id != project.id:
                start_refused = _refusal_body(refusal, project=project)
        data = self.ProgressOutputSerializer(
            {
                "project": project,
                **progress,
                "sitting": _sitting_data(sitting),
                "on_break": break_left > 0,
                "break_seconds_left": break_left,
                "paused": membership.role == Role.ANNOTATOR and membership.paused_at is not None,
                "start_refused": start_refused,
            }
        ).data
        return ApiResponse(data)


class SittingStartApi(APIView):
    @extend_schema(request=None, responses={200: SittingEnvelopeSerializer, 201: SittingEnvelopeSerializer, **REFUSALS})
    def post(self, request: Request, slug: str) -> ApiResponse:
        project, refusal = _annotator_project(request, slug)
        if refusal:
            return refusal
        try:
            sitting, created = sitting_start(project=project, annotator=request.user)
        except AnnotationError as error:
            return _refusal(error, project=project)
        return ApiResponse(
            {"sitting": _sitting_data(sitting)}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def _open_sitting_write(request: Request, slug: str, write) -> ApiResponse:
    """`write(project=, annotator=)` on the annotator's open sitting, answered with the sitting: a 404
    when there is none, a 409 when another than the one meant is open (sitting_ended)."""
    project, refusal = _annotator_project(request, slug)
    if refusal:
        return refusal
    try:
        sitting = write(project=project, annotator=request.user)
    except AnnotationError as error:
        return _refusal(error, status.HTTP_409_CONFLICT if error.code == "sitting_ended" else status.HTTP_404_NOT_FOUND)
    return ApiResponse({"sitting": _sitting_data(sitting)})


class SittingEndApi(APIView):
    class SittingEndInputSerializer(UnknownFieldsRefused, serializers.Serializer):
        sitting = serializers.IntegerField(
            min_value=1,
            required=False,
            help_text="The sitting to end: refused (409 sitting_ended) when another one is open now.",
        )

    @extend_schema(
        request=SittingEndInputSerializer,
        responses={
            200: SittingEnvelopeSerializer,
            400: INVALID,
            **UNAUTHORIZED,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: RefusalSerializer,
        },
    )
    def post(self, request: Request, slug: str) -> ApiResponse:
        params = self.SittingEndInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        meant = params.validated_data.get("sitting")
        return _open_sitting_write(request, slug, functools.partial(sitting_end, sitting_id=meant))


class SittingActivityApi(APIView):
    """The page's word that the annotator is at work on the pair on screen (typing, scrolling,
    choosing) without answering yet: the sitting's idle timeout runs from now, and so does the lease
    of that pair. Sent at most every half minute, and only on the annotator's own input."""

    class SittingActivityInputSerializer(UnknownFieldsRefused, serializers.Serializer):
        assignment = serializers.IntegerField(
            min_value=1, required=False, help_text="The pair on screen: its lease is renewed too."
        )

    @extend_schema(
        request=SittingActivityInputSerializer,
        responses={
            200: SittingEnvelopeSerializer,
            400: INVALID,
            **UNAUTHORIZED,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request: Request, slug: str) -> ApiResponse:
        params = self.SittingActivityInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        assignment_id = params.validated_data.get("assignment")
        return _open_sitting_write(
            request, slug, functools.partial(sitting_activity_record, assignment_id=assignment_id)
        )


class SittingCurrentApi(APIView):
    @extend_schema(
        responses={200: SittingEnvelopeSerializer, **UNAUTHORIZED, 403: ErrorSerializer, 404: RefusalSerializer}
    )
    def get(self, request: Request, slug: str) -> ApiResponse:
        # As the other sitting endpoints answer: 403 not_annotator for a lead or an engineer, and 404
        # no_sitting. This one answered both with a 404 without a code, the answer of "not a member".
        project, refusal = _annotator_project(request, slug)
        if refusal:
            return refusal
        sitting = sitting_refresh(project=project, annotator=request.user)
        if sitting is None:
            return _refusal(AnnotationError("No sitting yet.", code="no_sitting"), status.HTTP_404_NOT_FOUND)
        return ApiResponse({"sitting": _sitting_data(sitting)})


class NextPairApi(APIView):
    class NextPairInputSerializer(UnknownFieldsRefused, serializers.Serializer):
        exclude = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=10)

    class NextPairAssignmentSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        context = TurnSerializer(many=True)
        left = serializers.CharField()
        right = serializers.CharField()
        served_at = serializers.DateTimeField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=NextPairInputSerializer,
        responses={
            200: inline_serializer(
                "NextPairOutput",
                fields={
                    "assignment": NextPairAssignmentSerializer(allow_null=True),
                    "sitting": SittingSerializer(),
                    "detail": serializers.CharField(required=False, help_text="Only when no pair is available."),
                },
            ),
            400: INVALID,
            **REFUSALS,
        },
    )
    def post(self, request: Request, slug: str) -> ApiResponse:
        project, refusal = _annotator_project(request, slug)
        if refusal:
            return refusal
        params = self.NextPairInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            assignment, sitting = assignment_next(
                project=project, annotator=request.user, exclude=params.validated_data.get("exclude", [])
            )
        except AnnotationError as error:
            return _refusal(error)
        if assignment is None:
            return ApiResponse(
                {"assignment": None, "sitting": _sitting_data(sitting), "detail": "No pair is available right now."}
            )
        pair = assignment.pair
        data = {
            "id": assignment.id,
            "context": context_turns(pair.context),
            "left": pair.response(assignment.left_response),
            "right": pair.response(assignment.right_response),
            "served_at": assignment.served_at,
            "expires_at": assignment.expires_at,
        }
        return ApiResponse(
            {"assignment": self.NextPairAssignmentSerializer(data).data, "sitting": _sitting_data(sitting)}
        )


class JudgmentSubmitApi(APIView):
    class JudgmentSubmitInputSerializer(UnknownFieldsRefused, serializers.Serializer):
        side = serializers.ChoiceField(choices=Side.choices)
        strength = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
        rationale = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        criteria = serializers.DictField(
            child=serializers.ChoiceField(choices=[Side.LEFT, Side.RIGHT, Side.TIE]), required=False, allow_empty=True
        )
        safety = serializers.ChoiceField(choices=Safety.choices, required=False, allow_blank=True, default="")
        dwell_ms = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=0,
            max_value=86_400_000,
            help_text="Milliseconds the pair was visible. Longer than the time since it was served (give or take"
            " a second) is refused; longer than the time since the sitting's answer before it is stored cut to that"
            " time, since the page shows a prefetched pair only then. Without it none is stored, and that time"
            " decides whether the answer was fast.",
        )
        viewport_width = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)
        viewport_height = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)

    class JudgmentSubmitOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        assignment = serializers.IntegerField(source="assignment_id")
        side = serializers.CharField()
        index_in_sitting = serializers.IntegerField()
        answered_at = serializers.DateTimeField()
        fast = serializers.BooleanField()

    JudgmentSubmitEnvelope = inline_serializer(
        "JudgmentSubmitEnvelope",
        fields={
            "judgment": JudgmentSubmitOutputSerializer(),
            "sitting": SittingSerializer(),
            "fast_streak": serializers.IntegerField(),
        },
    )

    @extend_schema(
        request=JudgmentSubmitInputSerializer,
        responses={
            # A judgment is written once: a repeat (a retry after a lost reply, another tab) gets the
            # stored one back, whatever it sends; the schema said nothing of it (found by the API audit).
            200: OpenApiResponse(
                JudgmentSubmitEnvelope,
                description="Answered before: the stored judgment, unchanged; this request's answer is not used.",
            ),
            201: OpenApiResponse(JudgmentSubmitEnvelope, description="Recorded."),
            400: INVALID,
            **REFUSALS,
        },
    )
    def post(self, request: Request, assignment_id: int) -> ApiResponse:
        params = self.JudgmentSubmitInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            result = judgment_submit(assignment_id=assignment_id, annotator=request.user, **params.validated_data)
        except Assignment.DoesNotExist as missing:
            raise NotFound("No such assignment.") from missing
        except AnnotationError as error:
            if error.code in {"invalid_side", "invalid"}:
                return ApiResponse({"detail": str(error), "code": error.code}, status=status.HTTP_400_BAD_REQUEST)
            return _refusal(error)
        return ApiResponse(
            {
                "judgment": self.JudgmentSubmitOutputSerializer(result.judgment).data,
                "sitting": _sitting_data(result.sitting),
                # The page asks, gently, for full reading after repeated fast answers.
                "fast_streak": result.sitting.fast_streak,
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


urlpatterns = [
    path("projects/", ProjectListApi.as_view(), name="project-list"),
    path("projects/<slug:slug>/progress/", ProgressApi.as_view(), name="progress"),
    path("projects/<slug:slug>/sittings/", SittingStartApi.as_view(), name="sitting-start"),
    path("projects/<slug:slug>/sittings/current/", SittingCurrentApi.as_view(), name="sitting-current"),
    path("projects/<slug:slug>/sittings/current/end/", SittingEndApi.as_view(), name="sitting-end"),
    path("projects/<slug:slug>/sittings/current/activity/", SittingActivityApi.as_view(), name="sitting-activity"),
    path("projects/<slug:slug>/next/", NextPairApi.as_view(), name="next-pair"),
    path("assignments/<id:assignment_id>/judgment/", JudgmentSubmitApi.as_view(), name="judgment-submit"),
]
