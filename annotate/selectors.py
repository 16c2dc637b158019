"""Reads of the annotate app, and the one place where access to a project is decided."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from redis.exceptions import RedisError

from annotate.importers import TURN_MARKER
from annotate.models import AnnotationSession, Judgment, Membership, Pair, Project, Role

logger = logging.getLogger(__name__)

ALL_ROLES = (Role.ANNOTATOR, Role.LEAD, Role.ENGINEER)


def project_get_for_user(
    *, user: AbstractBaseUser | AnonymousUser, slug: str, roles: Iterable[str] = ALL_ROLES
) -> tuple[Project, Membership]:
    """Fetch-and-authorize: the project `slug` and the user's membership in it, if the user holds one
    of `roles` there. Anything else is a 404, so that outsiders learn nothing of other projects."""
    if not user.is_authenticated:
        raise Http404("No such project.")
    membership = (
        Membership.objects.select_related("project").filter(user=user, project__slug=slug, role__in=list(roles)).first()
    )
    if membership is None:
        raise Http404("No such project.")
    return membership.project, membership


def projects_for_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("project").order_by("project__name")


def _count(queryset) -> Coalesce:
    """A correlated COUNT(*) usable as an annotation (one query for the whole list)."""
    return Coalesce(
        Subquery(queryset.order_by().values("project").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def memberships_with_progress(*, user: AbstractBaseUser) -> list[Membership]:
    """The user's memberships (`projects_for_user`), each with its progress: `my_judgments`,
    `sitting_open` (one sitting at a time, in any project: the open one's card says so, even in a
    project closed since it started, where it runs to its end), and the project's `pairs_total` and
    `pairs_complete` (`projects_pair_counts`). One query for the memberships, whatever their number."""
    memberships = list(
        projects_for_user(user=user).annotate(
            my_judgments=_count(Judgment.objects.filter(project=OuterRef("project"), annotator=user)),
            sitting_open=Exists(
                AnnotationSession.objects.filter(project=OuterRef("project"), annotator=user, ended_at__isnull=True)
            ),
        )
    )
    counts = projects_pair_counts(projects=[membership.project for membership in memberships])
    for membership in memberships:
        membership.pairs_total = counts[membership.project_id]["pairs_total"]
        membership.pairs_complete = counts[membership.project_id]["pairs_complete"]
    return memberships


def project_pair_counts(*, project: Project) -> dict[str, int]:
    """{"pairs_total", "pairs_complete"}: the project's queue pairs, and those holding its k judgments
    (`projects_pair_counts` for one project)."""
    return projects_pair_counts(projects=[project])[project.pk]


def projects_pair_counts(*, projects: Iterable[Project]) -> dict[int, dict[str, int]]:
    """Per project id, {"pairs_total", "pairs_complete"}: its queue pairs, and those holding its k
    judgments. Gold pairs, outside the k-queue, are in neither. Counting reads every pair of a project,
    and every annotator's page asks at every sitting, so the counts are
    kept in the cache for PAIRWISE_PAIR_COUNTS_CACHE_SECONDS, under the k they were counted for; one
    query counts both. The cache is asked once for all the projects, and not again when it fails: a
    Redis that does not answer costs one timeout and the counts, not a timeout per project."""
    projects = list(projects)
    seconds = settings.PAIRWISE_PAIR_COUNTS_CACHE_SECONDS
    keys = {project.pk: f"pair-counts:{project.pk}:{project.judgments_per_pair}" for project in projects}
    found: dict = {}
    cache_answers = bool(seconds)
    if cache_answers:
        try:
            found = cache.get_many(list(keys.values()))
        except RedisError:
            logger.warning("pair counts not read from the cache", exc_info=True)
            cache_answers = False
    counts, counted = {}, {}
    for project in projects:
        key = keys[project.pk]
        if key in found:
            counts[project.pk] = found[key]
            continue
        counts[project.pk] = counted[key] = Pair.objects.filter(project=project, gold_answer="").aggregate(
            pairs_total=Count("id"),
            pairs_complete=Count("id", filter=Q(judgment_count__gte=project.judgments_per_pair)),
        )
    if cache_answers and counted:
        try:
            cache.set_many(counted, timeout=seconds)
        except RedisError:
            logger.warning("pair counts not kept in the cache", exc_info=True)
    return counts


def progress_get(*, project: Project, user: AbstractBaseUser, now: dt.datetime | None = None) -> dict:
    """The user's judgments in a project and the project's pairs done (`project_pair_counts`): read
    when a page opens or a sitting ends, not for every pair."""
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Judgment.objects.filter(project=project, annotator=user)
    return {
        "my_judgments": mine.count(),
        "my_judgments_today": mine.filter(answered_at__gte=day_start).count(),
        **project_pair_counts(project=project),
    }


CONTEXT_TURN = TURN_MARKER
LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\n]*\n)+")


def text_shown(text: str) -> str:
    """A turn's or a response's text as the pages show it (annotate.js's `responseShown` on the
    annotation page, this on the server's): without the blank lines before it and the white space
    after it, and without the one space that follows "Human:" or "Assistant:" in HH-RLHF. An
    indentation of its own (code, a nested list) is kept: stripped whole, a function's first line
    stood left of its body."""
    body = LEADING_BLANK_LINES.sub("", text).rstrip()
    return body[1:] if body[:1] == " " and body[1:2].strip() else body


def context_turns(context: str) -> list[dict[str, str]]:
    """Split an HH-RLHF-style context into turns for display (`text_shown`); text without markers is
    one human turn."""
    parts = CONTEXT_TURN.split(context)
    turns = []
    if parts[0].strip():
        turns.append({"role": "human", "text": text_shown(parts[0])})
    for role, text in zip(parts[1::2], parts[2::2], strict=True):
        turns.append({"role": role.lower(), "text": text_shown(text)})
    return turns
