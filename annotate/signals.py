"""Receivers that hand a membership's change to its service once the change has committed."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from annotate.models import Membership, Role
from annotate.services.members import MembershipHeld

# The fields whose change can take an annotator out of a project.
_WHO_WHERE_AS = ("project", "user", "role")


def _left_on_commit(*, project_id: int, user_id: int) -> None:
    from annotate.services.members import membership_left

    # robust: the change has committed by then; a failure here is logged (the sitting then ends at the
    # idle sweep, as before) rather than turned into an error page for a change that was made.
    transaction.on_commit(lambda: membership_left(project_id=project_id, user_id=user_id), robust=True)


def membership_deleted(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    if instance.role == Role.ANNOTATOR:
        _left_on_commit(project_id=instance.project_id, user_id=instance.user_id)


def membership_saving(
    sender: type[Membership], instance: Membership, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    # What the row held before: the admin can change a membership's role, and its user or project too,
    # and either takes the annotator it named out of the project. A save of other fields (a pause)
    # changes none of them and costs no query. The admin's audit rows read it too (with paused_at):
    # `annotate.admin`, after its save.
    instance._held_before = None
    if instance.pk is not None and (update_fields is None or set(update_fields) & set(_WHO_WHERE_AS)):
        held = Membership.objects.filter(pk=instance.pk).values_list(*MembershipHeld.FIELDS).first()
        instance._held_before = MembershipHeld(*held) if held is not None else None


def membership_saved(sender: type[Membership], instance: Membership, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_held_before", None)
    if created or before is None:
        return
    project_id, user_id, role = before.project_id, before.user_id, before.role
    if role == Role.ANNOTATOR and (instance.project_id, instance.user_id, instance.role) != (project_id, user_id, role):
        # An annotator made lead or engineer, or their membership given to someone else or moved to
        # another project: the service ends their sitting there only if one is open.
        _left_on_commit(project_id=project_id, user_id=user_id)
