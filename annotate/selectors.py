"""Reads of the annotate app, and the one place where access to a project is decided."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from annotate.models import Judgment, Membership, Pair, Project, Role

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


def progress_get(*, project: Project, user: AbstractBaseUser, now: dt.datetime | None = None) -> dict:
    """The user's judgments in a project and the project's pairs done. Counts the project's pairs:
    read when a page opens or a sitting ends, not for every pair. Gold pairs, outside the k-queue,
    are in neither pair count."""
    now = now or timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    mine = Judgment.objects.filter(project=project, annotator=user)
    queue = Pair.objects.filter(project=project, gold_answer="")
    return {
        "my_judgments": mine.count(),
        "my_judgments_today": mine.filter(answered_at__gte=day_start).count(),
        "pairs_total": queue.count(),
        "pairs_complete": queue.filter(judgment_count__gte=project.judgments_per_pair).count(),
    }


CONTEXT_TURN = re.compile(r"\n\n(Human|Assistant):")


def context_turns(context: str) -> list[dict[str, str]]:
    """Split an HH-RLHF-style context into turns for display; text without markers is one human turn."""
    parts = CONTEXT_TURN.split(context)
    turns = []
    if parts[0].strip():
        turns.append({"role": "human", "text": parts[0].strip()})
    for role, text in zip(parts[1::2], parts[2::2], strict=True):
        turns.append({"role": role.lower(), "text": text.strip()})
    return turns
