"""Reads of the annotate app, and the one place where access to a project is decided."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404

from annotate.models import Membership, Project, Role

ALL_ROLES = (Role.ANNOTATOR, Role.LEAD, Role.ENGINEER)


def membership_get(*, user: AbstractBaseUser | AnonymousUser, project: Project) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, project=project).first()


def project_get_for_user(
    *, user: AbstractBaseUser | AnonymousUser, slug: str, roles: Iterable[str] = ALL_ROLES
) -> tuple[Project, Membership]:
    """Fetch-and-authorize: the project `slug` and the user's membership in it, if the user holds one
    of `roles` there. Anything else is a 404, so that outsiders learn nothing of other projects."""
    if not user.is_authenticated:
        raise Http404("No such project.")
    membership = (
        Membership.objects.select_related("project")
        .filter(user=user, project__slug=slug, role__in=list(roles))
        .first()
    )
    if membership is None:
        raise Http404("No such project.")
    return membership.project, membership


def projects_for_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("project").order_by("project__name")
