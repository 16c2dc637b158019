import hashlib
import json

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils.html import format_html

from annotate.admin_deletion import CountedDeletion
from annotate.models import (
    AnnotationSession,
    Assignment,
    AuditEvent,
    ImportJob,
    Judgment,
    Membership,
    Pair,
    Project,
    ProjectSettingsChange,
)
from annotate.services.annotating import pair_statuses_refresh
from annotate.services.members import membership_admin_deleted, membership_admin_saved

# Admin changes to memberships are kept in the audit log, as the Members page keeps its own: an
# addition, a removal, a role changed, a pause and a resume (which also restarts the gold rule's
# window). What a row held before its save is what `annotate.signals.membership_saving` read then.


def _held_before(membership: Membership):
    return getattr(membership, "_held_before", None)


class UnchangedSinceShownForm(forms.ModelForm):
    """A change form refused when its row changed since the page was opened. A form posts back every
    field as shown, so a save of one field put back the others as they were, over a change made
    meanwhile elsewhere (found by the concurrency audit). `shown_now` is what the form shows of the row
    (its hidden `shown` keeps it from the page's opening); `changed_message` says what changed."""

    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def shown_now(self) -> str:
        raise NotImplementedError

    def changed_message(self) -> str:
        raise NotImplementedError

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["shown"] = self.shown_now()

    def clean(self) -> dict:
        cleaned = super().clean()
        shown = cleaned.get("shown")
        # `instance` is the row as read by this request: `construct_instance` comes after `clean`.
        if self.instance.pk is not None and shown and shown != self.shown_now():
            raise ValidationError(self.changed_message())
        return cleaned


class MembershipForm(UnchangedSinceShownForm):
    """A membership's row, refused when its role or pause changed since the page was opened: saving a
    project's page (its name) resumed an annotator paused meanwhile, by the gold rule or by a lead on
    the scorecards, in the saving lead's name, and turned one made an engineer on the Members page back into an
    annotator."""

    class Meta:
        model = Membership
        fields = ["project", "user", "role", "paused_at", "paused_reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The row's user, read with the row (`MembershipInline.get_queryset`), for its autocomplete.
        widget = getattr(self.fields["user"].widget, "widget", None)
        if isinstance(widget, RowUserAutocomplete) and self.instance.pk is not None:
            widget.row_user = self.instance.user

    def shown_now(self) -> str:
        """Role and pause (to the second, as the form shows the time)."""
        paused_at = self.instance.paused_at
        return f"{self.instance.role}|{paused_at.replace(microsecond=0).isoformat() if paused_at else ''}"

    def changed_message(self) -> str:
        paused = "paused" if self.instance.paused_at is not None else "not paused"
        return (
            f"This membership changed since this page was opened (now: {self.instance.get_role_display()}, "
            f"{paused}); nothing was saved. Reload the page to see it, then make your change again."
        )


class RowUserAutocomplete(AutocompleteSelect):
    """The user autocomplete of a membership row, showing the row's own user (`row_user`, set by the
    form) as its selected option without a query; the admin's widget reads it in a query of its own, a
    query per member on a project's page. Any other value (a form sent back with another user) is read
    as the admin reads it."""

    row_user = None

    def optgroups(self, name, value, attr=None):
        user = self.row_user
        if user is None or [str(v) for v in value] != [str(user.pk)]:
            return super().optgroups(name, value, attr)
        label = self.choices.field.label_from_instance(user)
        return [(None, [self.create_option(name, user.pk, label, {str(user.pk)}, 0)], 0)]


# The membership rows' form prefix on a project's page (`BaseInlineFormSet.get_default_prefix`).
MEMBERS_PREFIX = "memberships"


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["resumed_at"]

    def get_queryset(self, request):
        # Each row's title is the membership's name, its user's and its project's: read with the rows,
        # not in two queries a row.
        return super().get_queryset(request).select_related("user", "project")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["widget"] = RowUserAutocomplete(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProjectForm(UnchangedSinceShownForm):
    """A project's change form, refused when the project changed since the page was opened: a save of
    the guidelines undid a k or a close that a lead made on the Settings page meanwhile, unseen. The
    Settings page refuses the same (`project_settings_update`'s `expected`)."""

    class Meta:
        model = Project
        fields = [field.name for field in Project._meta.fields if field.editable and not field.auto_created]

    def shown_now(self) -> str:
        """A digest of the row's values of this form's fields (the guidelines may be long)."""
        values = model_to_dict(self.instance, fields=[name for name in self.fields if name != "shown"])
        return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()

    def changed_message(self) -> str:
        return (
            "This project changed since this page was opened (its settings history says how); nothing was "
            "saved. Reload the page to see it, then make your change again."
        )


class DeletedOnlyUngiven:
    """For a model admin whose rows own pairs: rows are deleted only while none of their pairs was ever
    given to anyone, as the deletion page checks, checked again once those pairs are locked in id order
    (a next pair or an answer in flight holds its pair's lock: waited for; claims after skip locked
    pairs). A pair given after the page's check was deleted with the lease (the answer then refused as
    "No such assignment", and a project's open sitting with it), or, answered, made the deletion a 500
    (found by the concurrency audit). `pairs_of(rows)`: their pairs; `refusal`: the 403's words."""

    refusal = ""

    def pairs_of(self, rows):
        raise NotImplementedError

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            self._lock_ungiven(self.pairs_of(queryset))
            super().delete_queryset(request, queryset)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            self._lock_ungiven(self.pairs_of(type(obj).objects.filter(pk=obj.pk)))
            super().delete_model(request, obj)

    def _lock_ungiven(self, pairs) -> None:
        list(pairs.select_for_update().order_by("pk").values_list("pk", flat=True))
        if Assignment.objects.filter(pair__in=pairs).exists():
            raise PermissionDenied(self.refusal)


class BigList:
    """For a model admin whose list grows with the data (pairs, sittings, leases, judgments, audit rows):
    each page counts its rows once, the count that pages them (filtered). Django counts the whole table
    too, only to say "N total" beside a search or a filter: a scan of millions of rows a page."""

    show_full_result_count = False


@admin.register(Project)
class ProjectAdmin(DeletedOnlyUngiven, CountedDeletion, admin.ModelAdmin):
    form = ProjectForm
    refusal = "A project given to annotators since the deletion was asked for is kept."
    list_display = [
        "name",
        "slug",
        "judgments_per_pair",
        "sitting_minutes",
        "sitting_items",
        "break_minutes",
        "is_active",
    ]
    list_filter = ["is_active", "allow_tie", "ask_strength", "ask_rationale"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    # A project of more members than this lists none of them on its page, which counts them and links to
    # the Memberships list filtered by the project: a page of every row, each an autocomplete, does not
    # open for thousands of annotators.
    members_inline_max = 50

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "members"] if obj is not None else []

    @admin.display(description="Members")
    def members(self, obj) -> str:
        count = self._member_count(obj)
        url = f"{reverse('admin:annotate_membership_changelist')}?project__id__exact={obj.pk}"
        if count > self.members_inline_max:
            return format_html(
                '{} (more than {} are not listed here): <a href="{}">see and edit them in Memberships</a>',
                count,
                self.members_inline_max,
                url,
            )
        return format_html('{}, listed below (also in <a href="{}">Memberships</a>)', count, url)

    def get_inlines(self, request, obj):
        if obj is None:
            return self.inlines
        if request.method == "POST":
            # The rows the page showed are edited, whatever the count is now: a member added since it
            # opened neither drops the edits it posts nor asks for rows it never had.
            return self.inlines if f"{MEMBERS_PREFIX}-TOTAL_FORMS" in request.POST else []
        return self.inlines if self._member_count(obj) <= self.members_inline_max else []

    def _member_count(self, obj) -> int:
        # Asked for by the inlines and by the Members line: counted once a request (the page's object).
        if not hasattr(obj, "_member_count"):
            obj._member_count = obj.memberships.count()
        return obj._member_count

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            return
        # Kept as the Settings page keeps its own: exports list them (k or sittings changed midway).
        # Compared as saved (the model's clean writes guidelines' line ends as "\n"), in the form
        # `form.initial` holds them: what the form calls changed and is the same value is none.
        saved = model_to_dict(obj, fields=form.changed_data)
        changes = {
            name: [form.initial.get(name), value] for name, value in saved.items() if form.initial.get(name) != value
        }
        if changes:
            ProjectSettingsChange.objects.create(
                project=obj, actor=request.user, changes=changes, made_in=ProjectSettingsChange.MadeIn.ADMIN
            )
        if "judgments_per_pair" in form.changed_data:
            # The queue's status of every pair follows from k: recompute it in the same transaction.
            pair_statuses_refresh(project=obj)

    def pairs_of(self, rows):
        return Pair.objects.filter(project__in=rows)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        super().save_formset(request, form, formset, change)
        for membership in formset.deleted_objects:
            membership_admin_deleted(membership=membership, actor=request.user)
        for membership in formset.new_objects:
            membership_admin_saved(membership=membership, before=None, actor=request.user)
        for membership, _ in formset.changed_objects:
            membership_admin_saved(membership=membership, before=_held_before(membership), actor=request.user)


@admin.register(Membership)
class MembershipAdmin(CountedDeletion, admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "project", "role", "paused_at", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user"]
    readonly_fields = ["resumed_at"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        membership_admin_saved(membership=obj, before=_held_before(obj) if change else None, actor=request.user)

    def delete_model(self, request, obj) -> None:
        membership_admin_deleted(membership=obj, actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset:
            membership_admin_deleted(membership=membership, actor=request.user)
        super().delete_queryset(request, queryset)


@admin.register(Pair)
class PairAdmin(DeletedOnlyUngiven, CountedDeletion, BigList, admin.ModelAdmin):
    refusal = "A pair given to an annotator since the deletion was asked for is kept."
    list_display = [
        "id",
        "project",
        "source_name",
        "source_row",
        "source_preference",
        "status",
        "judgment_count",
        "lease_count",
    ]
    list_filter = ["project", "status", "source_format", "source_preference", "gold_answer"]
    search_fields = ["context", "source_name", "content_hash"]
    readonly_fields = ["content_hash", "judgment_count", "lease_count", "a_left_count", "b_left_count", "status"]
    list_select_related = ["project"]

    # Read-only: a pair is written by an import (its content hash refuses duplicates; a pair added
    # here had an empty one, so the second was a 500), its texts are what its judgments judged, and
    # its gold answer changes on the gold page, which keeps the audit log.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def pairs_of(self, rows):
        return rows


@admin.register(AnnotationSession)
class AnnotationSessionAdmin(CountedDeletion, BigList, admin.ModelAdmin):
    list_display = ["id", "annotator", "project", "started_at", "items_done", "item_limit", "ended_at", "end_reason"]
    list_filter = ["project", "end_reason"]
    search_fields = ["annotator__username"]
    date_hierarchy = "started_at"
    list_select_related = ["annotator", "project"]

    # Read-only: a sitting's judgments copy its facts (index, ordinal, elapsed time) when they are
    # written, and its counters and limits are kept by the sitting service; an edited sitting held
    # judgments of another annotator, or numbered its next answers again from 1.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(BigList, admin.ModelAdmin):
    # `pair_id`, not `pair`: a pair is one more query per row, with its whole texts.
    list_display = ["id", "annotator", "project", "pair_id", "left_response", "state", "served_at", "expires_at"]
    list_filter = ["project", "state", "left_response"]
    search_fields = ["annotator__username"]
    raw_id_fields = ["pair", "sitting"]
    list_select_related = ["annotator", "project"]

    # Read-only: the side the server put response A on is what the answer is mapped through, and
    # the state and the pair's lease counters are kept together by the assignment service.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Judgment)
class JudgmentAdmin(BigList, admin.ModelAdmin):
    list_display = [
        "id",
        "annotator",
        "project",
        "pair_id",
        "side",
        "chosen_response",
        "left_response",
        "dwell_ms",
        "index_in_sitting",
        "answered_at",
    ]
    list_filter = ["project", "side", "left_response"]
    search_fields = ["annotator__username"]
    date_hierarchy = "answered_at"
    list_select_related = ["annotator", "project"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # written once, never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(CountedDeletion, admin.ModelAdmin):
    list_display = [
        "id",
        "project",
        "format",
        "state",
        "rows_read",
        "pairs_created",
        "duplicates_skipped",
        "invalid_rows",
        "created_at",
    ]
    list_filter = ["state", "format", "project"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # imports start from the Imports page, the API or import_pairs


@admin.register(AuditEvent)
class AuditEventAdmin(BigList, admin.ModelAdmin):
    list_display = ["created_at", "project", "subject", "action", "actor", "reason"]
    # Named: the admin's own join follows only the non-null keys, so each row's actor (null for the gold
    # rule) was a query of its own.
    list_select_related = ["project", "subject", "actor"]
    list_filter = ["action", "project"]
    search_fields = ["subject__username", "reason"]
    readonly_fields = ["project", "actor", "subject", "action", "reason", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # written by the services that pause, resume and change gold answers

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # an audit log is kept as written

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProjectSettingsChange)
class ProjectSettingsChangeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "project", "actor", "made_in", "changes"]
    list_filter = ["project", "made_in"]
    search_fields = ["actor__username"]
    readonly_fields = ["project", "actor", "made_in", "changes", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # written by the Settings page's service

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # kept as written

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Django's own user admin, its deletion pages counted: a user's listed every judgment (and lease, and
# sitting) of theirs, each a row read (found by the query audit: 1,013 rows for a modest annotator).
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class CountedUserAdmin(CountedDeletion, UserAdmin):
    pass
