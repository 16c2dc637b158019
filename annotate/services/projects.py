"""A lead's changes to a project's settings (its Settings page). What each judgment asks (ties, skips,
strength, rationale, safety, criteria) is not among them: changed mid-project, it would make the
project's judgments answer different questions; it stays with the admin, as do the slug and creating
projects. Every change is kept (`ProjectSettingsChange`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotate.models import Project, ProjectSettingsChange
from annotate.services.annotating import pair_statuses_refresh

# In the order the page shows them.
SETTINGS_LEADS_CHANGE = (
    "name",
    "guidelines",
    "is_active",
    "sitting_minutes",
    "sitting_items",
    "break_minutes",
    "idle_timeout_minutes",
    "lease_minutes",
    "judgments_per_pair",
    "gold_rate",
    "gold_min_accuracy",
    "gold_recent",
    "probe_rate",
    "probe_min_gap",
    "reading_factor",
)


class SettingsConflictError(Exception):
    """Someone changed a setting since the page that changes it was opened: `fields` maps each such
    field to its value now."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        super().__init__(f"changed meanwhile: {', '.join(fields)}")


def _same_setting(a: Any, b: Any) -> bool:
    # As the form reads text: a browser sends line breaks as "\r\n" (the model keeps "\n",
    # Project.clean), and the form strips what surrounds the text (a value stored by seed_demo, the
    # shell or the admin may end in "\n").
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    return a == b


def project_settings_update(
    *,
    project: Project,
    actor: AbstractBaseUser,
    values: dict[str, Any],
    expected: dict[str, Any] | None = None,
) -> ProjectSettingsChange | None:
    """Set `values` (fields of SETTINGS_LEADS_CHANGE) on the project, validated as the model validates
    them, and keep the change; None if nothing changed. A new k recomputes every pair's queue status
    in the same transaction. Sittings already open keep the deadline and item limit they started
    with; the rest applies from the next request. `expected` holds what the lead saw of the fields
    (the page's initial values): one changed meanwhile to something else than this lead's value
    raises SettingsConflictError, and nothing is saved, rather than the last save winning unseen.
    Raises ValueError for a field leads do not set, ValidationError for a bad value (nothing saved)."""
    unknown = set(values) - set(SETTINGS_LEADS_CHANGE)
    if unknown:
        raise ValueError(f"Not a setting leads change: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
        before = {field: getattr(locked, field) for field in values}
        conflicts = {
            field: before[field]
            for field, seen in (expected or {}).items()
            if field in values
            and not _same_setting(before[field], seen)
            and not _same_setting(before[field], values[field])
        }
        if conflicts:
            raise SettingsConflictError(conflicts)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.full_clean(exclude=["slug"], validate_unique=False)
        # Compared as cleaned: guidelines sent with "\r\n" line ends are the same guidelines.
        changes = {
            field: [before[field], getattr(locked, field)]
            for field in values
            if getattr(locked, field) != before[field]
        }
        if not changes:
            return None
        locked.save(update_fields=list(changes))
        if "judgments_per_pair" in changes:
            pair_statuses_refresh(project=locked)
        for field, (_, value) in changes.items():
            setattr(project, field, value)
        return ProjectSettingsChange.objects.create(project=locked, actor=actor, changes=changes)
