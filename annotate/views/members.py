"""The Members page of a project, for its leads: who is in it and in what role, and the lead's hand
on its annotators and engineers (add an existing user, change one's role, remove one). Writes go through
`annotate.services.members`; each is kept in the audit log.

Who may see what: leads only. Engineers, annotators, outsiders and unknown projects are a 404
(`project_get_for_user`), and so is removing, or changing the role of, someone who is no annotator or
engineer of the project; anonymous users go to the login. Leads themselves are named and removed in
the admin. A removal and a role change are each confirmed on a page of their own first (either can
end a sitting; a removal lifts a pause). The page lists the last AUDIT_SHOWN changes to members:
additions, removals, role changes, pauses and resumptions.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from annotate.models import AuditEvent, Membership, Role
from annotate.selectors import project_get_for_user
from annotate.services.members import (
    ADDED,
    PAUSED,
    REMOVED,
    RESUMED,
    ROLE_CHANGED,
    ROLES_LEADS_MANAGE,
    members_removable,
    membership_add,
    membership_remove,
    membership_role_change,
)

# The audit rows about members (the gold page keeps the ones about pairs), newest first.
MEMBER_ACTIONS = (ADDED, REMOVED, ROLE_CHANGED, PAUSED, RESUMED)
AUDIT_SHOWN = 50
AS_A = {Role.ANNOTATOR: "an annotator", Role.ENGINEER: "an ML engineer"}
# A removal or role change posted for someone who is no annotator or engineer here: changed meanwhile
# (a second tab, another lead), or never one. It tells no more than the list shows.
NOT_MANAGED = "That person is no annotator or engineer of this project (any more); nothing changed."
# What a removal, or a role change that takes an annotator off the annotators, did to their sitting.
SITTING_ENDED = "any sitting they had open has ended, its unanswered pairs back in the pool; their judgments stay."


class AddMemberForm(forms.Form):
    username = forms.CharField(max_length=150, strip=True, label="Username (an existing account)")
    role = forms.ChoiceField(choices=[(role.value, role.label) for role in ROLES_LEADS_MANAGE], initial=Role.ANNOTATOR)


def _page(
    request: HttpRequest, project, membership: Membership, form: AddMemberForm, status: int = 200
) -> HttpResponse:
    members = Membership.objects.filter(project=project).select_related("user").order_by("role", "user__username")
    events = (
        AuditEvent.objects.filter(project=project, action__in=MEMBER_ACTIONS)
        .select_related("actor", "subject")
        .order_by("-created_at", "-id")[:AUDIT_SHOWN]
    )
    context = {
        "project": project,
        "membership": membership,
        "members": members,
        "form": form,
        "removable": set(ROLES_LEADS_MANAGE),
        "events": events,
        "audit_shown": AUDIT_SHOWN,
    }
    return render(request, "annotate/members.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def members_page(request: HttpRequest, slug: str) -> HttpResponse:
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=[Role.LEAD])
    if request.method == "GET":
        return _page(request, project, membership, AddMemberForm())
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        return _page(request, project, membership, form, status=400)
    try:
        added = membership_add(
            project=project, username=form.cleaned_data["username"], role=form.cleaned_data["role"], actor=request.user
        )
    except ValidationError as error:
        form.add_error("username", error)
        return _page(request, project, membership, form, status=400)
    messages.success(request, f"{added.user.get_username()} is now {AS_A[added.role]} here.")
    return redirect("annotate:members", slug=project.slug)


def _to_members(request: HttpRequest, project, said: str, level: int = messages.INFO) -> HttpResponse:
    """Back to the Members page, saying `said`."""
    messages.add_message(request, level, said)
    return redirect("annotate:members", slug=project.slug)


def _managed_member_or_404(*, project, user_id: int) -> Membership:
    """The project's annotator or engineer `user_id`, for a confirmation page; a 404 for anyone else."""
    member = members_removable(project=project).filter(user_id=user_id).first()
    if member is None:
        raise Http404("No such annotator or engineer in this project.")
    return member


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """GET asks the lead to confirm (a removal ends a sitting and lifts a pause); POST removes."""
    project, _ = project_get_for_user(user=request.user, slug=slug, roles=[Role.LEAD])
    if request.method == "GET":
        member = _managed_member_or_404(project=project, user_id=user_id)
        return render(
            request, "annotate/member_remove.html", {"project": project, "member": member, "as_a": AS_A[member.role]}
        )
    try:
        # The role the confirmation showed: one changed since (another tab, another lead) is not what the
        # lead confirmed removing (found by the lead pages audit).
        shown = request.POST.get("role") or None
        removed = membership_remove(project=project, user_id=user_id, actor=request.user, role=shown)
    except Membership.DoesNotExist:
        now = members_removable(project=project).filter(user_id=user_id).first()
        if now is None:
            return _to_members(request, project, NOT_MANAGED)
        return _to_members(
            request,
            project,
            f"{now.user.get_username()} is {AS_A[now.role]} here now (changed since you asked); nothing changed. "
            "Remove them again if you still want to.",
        )
    name = removed.user.get_username()
    ended = f": {SITTING_ENDED}" if removed.role == Role.ANNOTATOR else "."
    return _to_members(request, project, f"{name} is no longer {AS_A[removed.role]} here{ended}", messages.SUCCESS)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(role.value, role.label) for role in ROLES_LEADS_MANAGE], label="New role")


@login_required
@require_http_methods(["GET", "POST"])
def member_role(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """GET asks the lead to confirm the change (an annotator made an engineer leaves their sitting);
    POST makes it."""
    project, _ = project_get_for_user(user=request.user, slug=slug, roles=[Role.LEAD])
    if request.method == "GET":
        member = _managed_member_or_404(project=project, user_id=user_id)
        other = next(role for role in ROLES_LEADS_MANAGE if role != member.role)
        context = {"project": project, "member": member, "as_a": AS_A[member.role], "to": other, "to_a": AS_A[other]}
        return render(request, "annotate/member_role.html", context)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _to_members(request, project, "Choose annotator or engineer; nothing changed.", messages.ERROR)
    try:
        change = membership_role_change(
            project=project, user_id=user_id, role=form.cleaned_data["role"], actor=request.user
        )
    except Membership.DoesNotExist:
        return _to_members(request, project, NOT_MANAGED)
    member = change.membership
    name = member.user.get_username()
    if not change.changed:
        return _to_members(request, project, f"{name} is {AS_A[member.role]} here already; nothing changed.")
    ended = f": {SITTING_ENDED}" if member.role == Role.ENGINEER else "."
    return _to_members(request, project, f"{name} is now {AS_A[member.role]} here{ended}", messages.SUCCESS)


urlpatterns = [
    path("projects/<slug:slug>/members/", members_page, name="members"),
    path("projects/<slug:slug>/members/<id:user_id>/remove/", member_remove, name="member_remove"),
    path("projects/<slug:slug>/members/<id:user_id>/role/", member_role, name="member_role"),
]
