"""Writes on memberships by a project's lead: adding, removing and changing the role of annotators
and engineers, pausing and resuming an annotator, each kept in the audit log (`AuditEvent`) with who
did it (and, for a pause or a resume, why).

An annotator who leaves a project (their membership deleted, or its role changed, in the admin)
has their open sitting there ended at once too (end reason "removed"), by `membership_left`.

A pause ends the annotator's open sitting in the project at once (end reason "paused", its
unanswered leases back to the pool), and a paused annotator cannot start sittings
(`annotating.sitting_start` refuses with code "paused"). The gold rule in `annotating._gold_pause_check` pauses
automatically with `actor=None`; these services are the lead's hand on the same switch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from annotate.models import AnnotationSession, AuditEvent, EndReason, Membership, Project, Role
from annotate.services.annotating.sittings import _sitting_end_now, _sitting_lock_latest

PAUSED = "paused"
RESUMED = "resumed"
ADDED = "added"
REMOVED = "removed"
ROLE_CHANGED = "role changed"
# The roles a lead gives and takes on the Members page; leads themselves are the admin's to name.
ROLES_LEADS_MANAGE = (Role.ANNOTATOR, Role.ENGINEER)
REASON_MAX_CHARS = AuditEvent._meta.get_field("reason").max_length


@dataclass(frozen=True)
class MembershipChange:
    """The membership after the request, the audit row written (None when nothing changed), and
    whether a pause ended a sitting the annotator had open."""

    membership: Membership
    event: AuditEvent | None
    sitting_ended: bool = False

    @property
    def changed(self) -> bool:
        return self.event is not None


def _reason_clean(reason: str) -> str:
    """The reason, stripped; a ValidationError when it is empty or too long for the audit row."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ValidationError("Give a reason: it is kept in the audit log.", code="required")
    if len(cleaned) > REASON_MAX_CHARS:
        raise ValidationError(f"Keep the reason under {REASON_MAX_CHARS} characters.", code="max_length")
    return cleaned


def _annotator_lock(*, project: Project, user: AbstractBaseUser) -> Membership:
    """The user's annotator membership in the project, row-locked. Raises Membership.DoesNotExist
    when the user is not an annotator there. Precondition: inside a transaction."""
    return Membership.objects.select_for_update().get(project=project, user=user, role=Role.ANNOTATOR)


def membership_pause(
    *,
    project: Project,
    user: AbstractBaseUser,
    actor: AbstractBaseUser | None,
    reason: str,
    now: dt.datetime | None = None,
) -> MembershipChange:
    """Pause an annotator of the project: their open sitting there ends now, and no new one starts
    until they are resumed.

    `reason` is required (stripped, non-empty, at most REASON_MAX_CHARS): it is stored on the
    membership and in the audit row. Idempotent: pausing a paused annotator changes nothing and
    writes no audit row (its `event` is None), but still ends a sitting of theirs left open. Raises
    ValidationError for a bad reason and Membership.DoesNotExist when `user` is not an annotator of
    `project`."""
    cleaned = _reason_clean(reason)
    now = now or timezone.now()
    with transaction.atomic():
        # The sitting's lock before the membership's, as an answer that trips the gold rule takes them.
        sitting = _sitting_lock_latest(project=project, annotator=user)
        membership = _annotator_lock(project=project, user=user)
        if membership.paused_at is not None:
            # Already paused, but a sitting may still be open (paused in the admin, or before pauses
            # ended sittings): it ends now all the same.
            ended = _sitting_end_now(sitting=sitting, reason=EndReason.PAUSED, now=now)
            return MembershipChange(membership=membership, event=None, sitting_ended=ended)
        membership.paused_at = now
        membership.paused_reason = cleaned
        membership.save(update_fields=["paused_at", "paused_reason"])
        event = AuditEvent.objects.create(project=project, actor=actor, subject=user, action=PAUSED, reason=cleaned)
        ended = _sitting_end_now(sitting=sitting, reason=EndReason.PAUSED, now=now)
    return MembershipChange(membership=membership, event=event, sitting_ended=ended)


def membership_resume(
    *,
    project: Project,
    user: AbstractBaseUser,
    actor: AbstractBaseUser | None,
    reason: str,
    now: dt.datetime | None = None,
) -> MembershipChange:
    """Let a paused annotator of the project start sittings again.

    `reason` is required as for `membership_pause` and kept in the audit row; the pause's reason
    is cleared from the membership (the audit log keeps it). Idempotent: resuming an annotator who
    is not paused changes nothing and writes no audit row. Raises as `membership_pause` does."""
    cleaned = _reason_clean(reason)
    with transaction.atomic():
        membership = _annotator_lock(project=project, user=user)
        if membership.paused_at is None:
            return MembershipChange(membership=membership, event=None)
        membership.paused_at = None
        membership.paused_reason = ""
        # The gold rule reads only answers after this, so old mistakes do not pause them again.
        membership.resumed_at = now or timezone.now()
        membership.save(update_fields=["paused_at", "paused_reason", "resumed_at"])
        event = AuditEvent.objects.create(project=project, actor=actor, subject=user, action=RESUMED, reason=cleaned)
    return MembershipChange(membership=membership, event=event)


def membership_left(*, project_id: int, user_id: int, now: dt.datetime | None = None) -> bool:
    """End the open sitting in the project of a user who is no longer one of its annotators (their
    membership deleted, or its role changed): its unanswered pairs go back to the pool now, not at
    the idle sweep, and the sitting says why it ended. A limit that already passed is its true end.
    Nothing happens while the user is an annotator there (re-added since). Whether an open sitting
    ended (for the removal, or for a limit that had passed).

    Call after the change has committed (`annotate.signals` does, on commit): this takes the
    sitting's lock in a transaction of its own, never after a membership's."""
    if Membership.objects.filter(project_id=project_id, user_id=user_id, role=Role.ANNOTATOR).exists():
        return False
    now = now or timezone.now()
    with transaction.atomic():
        sitting = (
            AnnotationSession.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(project_id=project_id, annotator_id=user_id, ended_at__isnull=True)
            .first()
        )
        if sitting is None:
            return False
        _sitting_end_now(sitting=sitting, reason=EndReason.REMOVED, now=now)
    return True


def membership_add(*, project: Project, username: str, role: str, actor: AbstractBaseUser) -> Membership:
    """Make an existing, active user an annotator or engineer of the project (kept in the audit log).
    Raises ValidationError when the role is not one a lead gives, no active user has that username,
    or the user is already a member (in any role)."""
    if role not in ROLES_LEADS_MANAGE:
        raise ValidationError("A lead adds annotators and engineers; leads are named in the admin.", code="role")
    # Normalized (NFKC) as usernames are when saved and at the login form, so that a name typed in
    # another Unicode form (a decomposed "ë") still finds the account its owner logs in with.
    model = get_user_model()
    user = model.objects.filter(username=model.normalize_username((username or "").strip()), is_active=True).first()
    if user is None:
        raise ValidationError(f"No active user is called {username.strip()!r}.", code="no_user")
    with transaction.atomic():
        # resumed_at: the gold rule reads only gold answers after it. One who was here before (and
        # perhaps paused by the rule, a pause their removal lifted) starts a fresh window, as a resume
        # does; else their old wrong answers paused them again at their first gold answer, right or not.
        membership, created = Membership.objects.get_or_create(
            project=project, user=user, defaults={"role": role, "resumed_at": timezone.now()}
        )
        if not created:
            raise ValidationError(
                f"{user.get_username()} is already a member of this project ({membership.get_role_display()}).",
                code="member",
            )
        AuditEvent.objects.create(project=project, actor=actor, subject=user, action=ADDED, reason=f"as {role}")
    return membership


def members_removable(*, project: Project) -> QuerySet[Membership]:
    """The project's members a lead may remove (annotators and engineers; leads are the admin's),
    with their users: what the removal page asks about and `membership_remove` removes."""
    return Membership.objects.filter(project=project, role__in=ROLES_LEADS_MANAGE).select_related("user")


def membership_remove(
    *, project: Project, user_id: int, actor: AbstractBaseUser, role: str | None = None
) -> Membership:
    """Take an annotator or engineer out of the project (kept in the audit log); an annotator's open
    sitting there ends once this commits (`membership_left`), and their judgments stay. Returns the
    deleted membership. Raises Membership.DoesNotExist when the user is no annotator or engineer of
    the project (leads are the admin's to remove), or not in `role` when one is given (the role the
    confirmation page showed: another lead may have changed it since)."""
    if role is not None and role not in ROLES_LEADS_MANAGE:
        # Held by no annotator nor engineer; and a hand-edited one holding a NUL character, looked up,
        # was a 500 on PostgreSQL, whose text cannot hold it.
        raise Membership.DoesNotExist(f"No annotator or engineer holds the role {role!r}.")
    with transaction.atomic():
        # of=self: the user row joined in is not locked with it. FOR UPDATE on it stalled every commit
        # of that person's, in any project (each checks its foreign keys to the user), and their starts.
        members = members_removable(project=project).select_for_update(of=("self",))
        if role is not None:
            members = members.filter(role=role)
        membership = members.get(user_id=user_id)
        AuditEvent.objects.create(
            project=project, actor=actor, subject=membership.user, action=REMOVED, reason=f"was {membership.role}"
        )
        membership.delete()
    return membership


def membership_role_change(*, project: Project, user_id: int, role: str, actor: AbstractBaseUser) -> MembershipChange:
    """Make an annotator of the project an engineer, or an engineer an annotator (kept in the audit
    log). An annotator's open sitting there ends once this commits (`membership_left`, from the
    membership's signals), and their judgments stay. One made an annotator starts the gold rule's
    window afresh, as one added is (`membership_add`). A pause stays with the membership: a paused
    annotator made an engineer and then an annotator again is still paused (a role change is no way
    round a pause; a removal is, and its page says so). Changing to the role held already changes
    nothing and writes no audit row. Raises ValidationError when the role is not one a lead gives,
    and Membership.DoesNotExist when the user is no annotator or engineer of the project."""
    if role not in ROLES_LEADS_MANAGE:
        raise ValidationError(
            "A lead gives the roles annotator and engineer; leads are named in the admin.", code="role"
        )
    with transaction.atomic():
        # of=self, as for a removal: the user row stays unlocked.
        membership = members_removable(project=project).select_for_update(of=("self",)).get(user_id=user_id)
        was = membership.role
        if was == role:
            return MembershipChange(membership=membership, event=None)
        membership.role = role
        fields = ["role"]
        if role == Role.ANNOTATOR:
            membership.resumed_at = timezone.now()
            fields.append("resumed_at")
        membership.save(update_fields=fields)
        event = AuditEvent.objects.create(
            project=project, actor=actor, subject=membership.user, action=ROLE_CHANGED, reason=f"was {was}, now {role}"
        )
    return MembershipChange(membership=membership, event=event)


# Changes made in the Django admin ---------------------------------------------------------------

ADMIN_NOTE = "in the admin"


@dataclass(frozen=True)
class MembershipHeld:
    """What a membership held before an admin's change: what its audit rows are read from."""

    project_id: int
    user_id: int
    role: str
    paused_at: dt.datetime | None

    # The columns, in the fields' order: `annotate.signals.membership_saving` reads them before a save.
    FIELDS: ClassVar[tuple[str, ...]] = ("project_id", "user_id", "role", "paused_at")


def membership_admin_saved(
    *, membership: Membership, before: MembershipHeld | None, actor: AbstractBaseUser, now: dt.datetime | None = None
) -> list[AuditEvent]:
    """The audit rows of a membership the admin just saved (`before`: what it held, None when it was
    added), as the Members page and its services write them: an addition, a pause (with the
    membership's reason) and a resume. A resume made in the admin also starts the gold rule's window
    afresh (`resumed_at`), as `membership_resume` does: without it, the old wrong gold answers paused
    the annotator again at their next gold answer. Call in the admin's transaction, after the save."""
    now = now or timezone.now()
    events = []

    def event(action: str, reason: str, project_id: int, user_id: int) -> None:
        events.append(
            AuditEvent.objects.create(
                project_id=project_id, actor=actor, subject_id=user_id, action=action, reason=reason[:REASON_MAX_CHARS]
            )
        )

    here = (membership.project_id, membership.user_id)
    if before is None or (before.project_id, before.user_id) != here:
        if before is not None:
            event(REMOVED, f"was {before.role} ({ADMIN_NOTE})", before.project_id, before.user_id)
        event(ADDED, f"as {membership.role} ({ADMIN_NOTE})", *here)
    elif before.role != membership.role:
        # As the Members page writes it: a removal and an addition read as a pause lifted, which a role
        # change does not do (found by the lead pages audit).
        event(ROLE_CHANGED, f"was {before.role}, now {membership.role} ({ADMIN_NOTE})", *here)
    was_paused = before is not None and before.paused_at is not None and (before.project_id, before.user_id) == here
    if membership.paused_at is not None and not was_paused:
        event(PAUSED, membership.paused_reason.strip() or ADMIN_NOTE, *here)
    elif membership.paused_at is None and was_paused:
        membership.paused_reason = ""
        membership.resumed_at = now
        membership.save(update_fields=["paused_reason", "resumed_at"])
        event(RESUMED, ADMIN_NOTE, *here)
    return events


def membership_admin_deleted(*, membership: Membership, actor: AbstractBaseUser) -> AuditEvent:
    """The audit row of a membership the admin deletes (before or after the delete, in its transaction)."""
    return AuditEvent.objects.create(
        project_id=membership.project_id,
        actor=actor,
        subject_id=membership.user_id,
        action=REMOVED,
        reason=f"was {membership.role} ({ADMIN_NOTE})",
    )
