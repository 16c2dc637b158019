"""Receivers that hand a membership's change to its service once the change has committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from annotate.models import Membership, Role


def _left_on_commit(membership: Membership) -> None:
    from annotate.services.members import membership_left

    project_id, user_id = membership.project_id, membership.user_id
    transaction.on_commit(lambda: membership_left(project_id=project_id, user_id=user_id))


def membership_deleted(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    if instance.role == Role.ANNOTATOR:
        _left_on_commit(instance)


def membership_saved(sender: type[Membership], instance: Membership, created: bool, **kwargs: Any) -> None:
    if not created and instance.role != Role.ANNOTATOR:
        # Possibly an annotator made lead or engineer: the service ends a sitting only if one is open.
        _left_on_commit(instance)
