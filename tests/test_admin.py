"""Every admin list page renders for a superuser (with some rows in it)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import make_pairs


@pytest.mark.django_db
def test_every_admin_changelist_renders(client, project):
    make_pairs(project, 3)
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(superuser)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def judge_every_pair(project, annotator) -> None:
    """One sitting in which `annotator` answers every pair open to them, always "left"."""
    from annotate.models import Side
    from annotate.services.annotating import assignment_next, judgment_submit, sitting_start

    sitting_start(project=project, annotator=annotator)
    while (assignment := assignment_next(project=project, annotator=annotator)[0]) is not None:
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side=Side.LEFT)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["judgment", "assignment"])
def test_the_judgment_and_assignment_lists_do_not_load_each_pair(
    client, django_assert_num_queries, project, annotator, annotator2, model
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    project.sitting_items = 50
    project.save()
    make_pairs(project, 2)
    judge_every_pair(project, annotator)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse(f"admin:annotate_{model}_changelist")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    make_pairs(project, 10, prefix="more")
    judge_every_pair(project, annotator2)
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200


def audit_events_add(project, lead, annotators) -> None:
    from annotate.models import AuditEvent

    for person in annotators:
        AuditEvent.objects.create(project=project, actor=lead, subject=person, action="paused", reason="slow")


def export_jobs_add(project, creators) -> None:
    from exporter.models import ExportJob

    for person in creators:
        ExportJob.objects.create(project=project, created_by=person, format="hh-rlhf", state="failed")


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "add"), [("annotate_auditevent", "audit"), ("exporter_exportjob", "export")])
def test_the_audit_and_export_lists_do_not_load_each_person(
    client, django_assert_num_queries, project, lead, engineer, model, add
):
    # Their people are nullable keys (an actor is null for the gold rule, a creator deleted since), which
    # the admin's own join leaves out: each row's person was read in a query of its own (found by the
    # scale audit: 61 queries for a page of 60 events).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_user

    def rows_add(people) -> None:
        if add == "audit":
            audit_events_add(project, lead, people)
        else:
            export_jobs_add(project, people)

    rows_add([engineer])
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse(f"admin:{model}_changelist")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    rows_add([make_user(f"person{n}") for n in range(8)])
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_project_page_does_not_read_each_member_in_queries_of_its_own(
    client, django_assert_num_queries, project, lead
):
    # Each membership row read its user and project for its title, and its user again for the user
    # autocomplete: three queries a member (found by the scale audit: 163 for 54 members).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotate.models import Membership, Role
    from tests.conftest import make_user

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse("admin:annotate_project_change", args=[project.pk])
    client.get(url)  # the first reads the content types, cached after it
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(5):
        Membership.objects.create(user=make_user(f"member{n}"), project=project, role=Role.ANNOTATOR)
    with django_assert_num_queries(len(few)):
        page = client.get(url).content.decode()
    # Each row still shows its own user, selected in its autocomplete.
    for name in ["lead", *(f"member{n}" for n in range(5))]:
        user = get_user_model().objects.get(username=name)
        assert f'<option value="{user.pk}" selected>{name}</option>' in page


@pytest.mark.django_db
def test_pairs_and_assignments_are_read_only_in_the_admin(client, project, annotator):
    from annotate.models import Assignment, Pair

    make_pairs(project, 1)
    judge_every_pair(project, annotator)
    pair, assignment = Pair.objects.get(), Assignment.objects.get()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    assert client.get(reverse("admin:annotate_pair_add")).status_code == 403
    assert client.get(reverse("admin:annotate_assignment_add")).status_code == 403
    edited = client.post(
        reverse("admin:annotate_pair_change", args=[pair.id]),
        {"project": project.id, "context": "edited", "response_a": "x", "response_b": "y", "gold_answer": "b"},
    )
    assert edited.status_code == 403
    swapped = client.post(
        reverse("admin:annotate_assignment_change", args=[assignment.id]),
        {"left_response": "b" if assignment.left_response == "a" else "a", "state": "leased"},
    )
    assert swapped.status_code == 403
    assert (
        client.post(reverse("admin:annotate_assignment_delete", args=[assignment.id]), {"post": "yes"}).status_code
        == 403
    )
    pair.refresh_from_db()
    assert (pair.context, pair.gold_answer) == ("\n\nHuman: q question 0?", "")
    assert Assignment.objects.get().left_response == assignment.left_response
    # They can still be looked at.
    assert client.get(reverse("admin:annotate_pair_change", args=[pair.id])).status_code == 200
    assert client.get(reverse("admin:annotate_assignment_change", args=[assignment.id])).status_code == 200


def project_form_data(project, **changes) -> dict:
    """The admin's change form of `project` as posted, with no membership rows."""
    import json

    from django.forms.models import model_to_dict

    data = model_to_dict(project) | {"criteria": json.dumps(project.criteria)} | changes
    data = {key: value for key, value in data.items() if value is not None and value is not False}
    management = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}
    return data | {f"memberships-{key}": value for key, value in management.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("criteria", ["5", '"helpfulness"', '{"helpfulness": 1}', "[1, 2]", '["a", ""]', '["a", "a"]'])
def test_the_project_form_refuses_criteria_that_are_not_a_list_of_names(client, project, annotator, criteria):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse("admin:annotate_project_change", args=[project.id])
    response = client.post(url, project_form_data(project, criteria=criteria))
    assert response.status_code == 200
    assert "criterion" in response.content.decode()
    project.refresh_from_db()
    assert project.criteria == []
    # The annotation page still opens (a number there was a 500).
    client.force_login(annotator)
    client.get(reverse("annotate:guidelines", kwargs={"slug": project.slug}))
    assert client.get(reverse("annotate:annotate", kwargs={"slug": project.slug})).status_code == 200


@pytest.mark.django_db
def test_the_project_form_saves_a_list_of_criteria(client, project):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse("admin:annotate_project_change", args=[project.id])
    response = client.post(url, project_form_data(project, criteria='["helpfulness", "harmlessness"]'))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.criteria == ["helpfulness", "harmlessness"]


@pytest.mark.django_db
def test_a_change_of_settings_in_the_admin_is_kept_and_shown_to_the_leads(client, project, lead):
    """Exports list a project's settings changes: one made in the admin, where k, the sittings and
    what each judgment asks change, is kept as one made on the Settings page is."""
    from annotate.models import Project, ProjectSettingsChange

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(root)
    url = reverse("admin:annotate_project_change", args=[project.id])
    # The browser sends the guidelines' lines with CRLF: the same guidelines, no change to list.
    project.guidelines = "Pick the better answer.\nTake your time."
    project.save()
    data = project_form_data(project, judgments_per_pair=4, allow_tie=False)
    data["guidelines"] = "Pick the better answer.\r\nTake your time."
    assert client.post(url, data).status_code == 302
    change = ProjectSettingsChange.objects.get()
    assert (change.actor, change.made_in) == (root, "admin")
    assert change.changes == {"allow_tie": [True, False], "judgments_per_pair": [3, 4]}
    assert Project.objects.get(pk=project.pk).guidelines == "Pick the better answer.\nTake your time."
    assert client.post(url, project_form_data(Project.objects.get(pk=project.pk))).status_code == 302
    assert ProjectSettingsChange.objects.count() == 1  # saved unchanged: nothing to keep
    client.force_login(lead)
    html = client.get(reverse("annotate:project_settings", kwargs={"slug": project.slug})).content.decode()
    rows = [line.strip() for line in html.splitlines() if '<th scope="row">' in line]
    assert rows == ['<th scope="row">Judgments per pair (k)</th>', '<th scope="row">allow_tie</th>']
    assert "root (in the admin)" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", ["annotate_auditevent", "annotate_importjob", "exporter_exportjob", "analytics_biasreport"]
)
def test_audit_rows_and_job_rows_cannot_be_added_in_the_admin(client, project, model):
    # Every field of theirs is read-only there: saving the empty form was a 500 (a NOT NULL column).
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse(f"admin:{model}_add")
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403


@pytest.mark.django_db
def test_deleting_a_lead_who_paused_an_annotator_is_refused_and_the_audit_log_keeps_their_name(
    client, project, lead, annotator
):
    from analytics.scorecards import audit_table
    from annotate.models import AuditEvent
    from annotate.services.members import membership_pause

    membership_pause(project=project, user=annotator, actor=lead, reason="Too fast on long pairs.")
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse("admin:auth_user_delete", args=[lead.id])
    page = client.get(url)
    assert page.status_code == 200
    assert "Cannot delete user" in page.content.decode()
    refused = client.post(url, {"post": "yes"})
    assert refused.status_code == 200
    assert "Cannot delete user" in refused.content.decode()
    # The pause is still the lead's: a deleted actor read as the automatic gold rule.
    assert get_user_model().objects.filter(pk=lead.pk).exists()
    assert AuditEvent.objects.get().actor_id == lead.id
    assert audit_table(project=project, subject_id=annotator.id).rows[0][2].text == "lead"


@pytest.mark.django_db
def test_deleting_a_user_never_deletes_the_audit_rows_about_them(project, lead, annotator):
    from django.db.models import ProtectedError

    from annotate.models import AuditEvent
    from annotate.services.members import membership_pause

    membership_pause(project=project, user=annotator, actor=lead, reason="Too fast on long pairs.")
    with pytest.raises(ProtectedError):
        annotator.delete()
    assert AuditEvent.objects.filter(subject=annotator).count() == 1


@pytest.mark.django_db
def test_sittings_are_read_only_in_the_admin(client, project, annotator, annotator2):
    from django.forms.models import model_to_dict

    from annotate.models import AnnotationSession

    make_pairs(project, 2)
    judge_every_pair(project, annotator)
    sitting = AnnotationSession.objects.get()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    data = {key: value for key, value in model_to_dict(sitting).items() if value is not None}
    for name in ("started_at", "deadline", "last_activity_at", "stretch_started_at"):
        data[f"{name}_0"], data[f"{name}_1"] = f"{data[name]:%Y-%m-%d}", f"{data[name]:%H:%M:%S}"
    # Handing the sitting, and the two judgments in it, to another annotator, its count reset.
    edited = client.post(
        reverse("admin:annotate_annotationsession_change", args=[sitting.id]),
        data | {"annotator": annotator2.id, "items_done": 0},
    )
    assert edited.status_code == 403
    sitting.refresh_from_db()
    assert (sitting.annotator_id, sitting.items_done) == (annotator.id, 2)
    assert client.get(reverse("admin:annotate_annotationsession_add")).status_code == 403
    # It can still be looked at.
    assert client.get(reverse("admin:annotate_annotationsession_change", args=[sitting.id])).status_code == 200


@pytest.mark.django_db
def test_a_staff_user_sets_up_a_project_of_their_own_in_the_admin_as_the_readme_says(client):
    """README "Your own project": people in Users, then a project with its members in Projects."""
    from annotate.models import Membership, Project, Role

    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    password = "a-long-pass-1"
    people = {"maria": Role.LEAD, "sam": Role.ENGINEER, "ana": Role.ANNOTATOR}
    for username in people:
        added = client.post(
            reverse("admin:auth_user_add"),
            {"username": username, "usable_password": "true", "password1": password, "password2": password},
        )
        assert added.status_code == 302, added.content.decode()[:2000]
    users = {user.username: user for user in get_user_model().objects.exclude(username="root")}
    form = {
        field.name: field.get_default()
        for field in Project._meta.fields
        if field.editable and not field.primary_key and field.has_default()
    }
    form = {name: value for name, value in form.items() if value is not False}  # unticked boxes are not sent
    form |= {"slug": "support-chats", "name": "Support chats", "guidelines": "Prefer the reply that solves it."}
    form["criteria"] = "[]"
    form |= {
        "memberships-TOTAL_FORMS": str(len(people)),
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, (username, role) in enumerate(people.items()):
        form |= {f"memberships-{i}-user": users[username].id, f"memberships-{i}-role": role}
    created = client.post(reverse("admin:annotate_project_add"), form)
    assert created.status_code == 302, created.content.decode()[:3000]
    project = Project.objects.get(slug="support-chats")
    assert dict(Membership.objects.filter(project=project).values_list("user__username", "role")) == people
    # Each can now log in and reach what their role opens.
    client.logout()
    assert client.login(username="ana", password=password)
    assert client.get(reverse("annotate:guidelines", kwargs={"slug": project.slug})).status_code == 200
    assert client.get(reverse("annotate:imports", kwargs={"slug": project.slug})).status_code == 404
    assert client.login(username="maria", password=password)
    assert client.get(reverse("annotate:imports", kwargs={"slug": project.slug})).status_code == 200


def membership_form(membership, **changes) -> dict:
    """The admin's change form of `membership` as posted (paused_at as its date and time fields)."""
    paused_at = changes.pop("paused_at", membership.paused_at)
    data = {
        "user": membership.user_id,
        "project": membership.project_id,
        "role": membership.role,
        "paused_reason": membership.paused_reason,
        "paused_at_0": paused_at.strftime("%Y-%m-%d") if paused_at else "",
        "paused_at_1": paused_at.strftime("%H:%M:%S") if paused_at else "",
    }
    return data | changes


@pytest.mark.django_db
def test_a_pause_and_a_resume_made_in_the_admin_are_kept_in_the_audit_log_and_restart_the_gold_window(
    client, project, annotator
):
    # The admin's pauses wrote no audit row, and its resume left the gold rule's window where it was:
    # the old wrong gold answers paused the annotator again at their next gold answer.
    import datetime as dt

    from django.utils import timezone

    from annotate.models import AuditEvent, Membership

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(root)
    membership = Membership.objects.get(project=project, user=annotator)
    window = membership.resumed_at
    url = reverse("admin:annotate_membership_change", args=[membership.pk])
    paused = timezone.now().replace(microsecond=0)
    response = client.post(url, membership_form(membership, paused_at=paused, paused_reason="Left-clicks everything"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(AuditEvent.objects.values_list("actor", "subject", "action", "reason")) == [
        (root.pk, annotator.pk, "paused", "Left-clicks everything")
    ]
    membership.refresh_from_db()
    before_resume = timezone.now() - dt.timedelta(seconds=1)
    assert client.post(url, membership_form(membership, paused_at=None)).status_code == 302
    membership.refresh_from_db()
    assert (membership.paused_at, membership.paused_reason) == (None, "")
    assert membership.resumed_at > before_resume and membership.resumed_at != window
    assert AuditEvent.objects.latest("id").action == "resumed"
    assert AuditEvent.objects.latest("id").reason == "in the admin"
    # A save that changes nothing of who, where, as what or paused writes nothing.
    assert client.post(url, membership_form(membership)).status_code == 302
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_additions_role_changes_and_removals_in_the_admin_are_kept_in_the_audit_log(client, project, annotator):
    from annotate.models import AuditEvent, Membership

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(root)
    newcomer = get_user_model().objects.create_user("newcomer", password="pw-newcomer-1")
    add = reverse("admin:annotate_membership_add")
    data = {"user": newcomer.pk, "project": project.pk, "role": "annotator", "paused_reason": ""}
    assert client.post(add, data | {"paused_at_0": "", "paused_at_1": ""}).status_code == 302
    added = Membership.objects.get(project=project, user=newcomer)
    change = reverse("admin:annotate_membership_change", args=[added.pk])
    assert client.post(change, membership_form(added, role="engineer")).status_code == 302
    delete = reverse("admin:annotate_membership_delete", args=[added.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    # The project page's membership rows too.
    membership = Membership.objects.get(project=project, user=annotator)
    form = project_form_data(project)
    form |= {"memberships-TOTAL_FORMS": 1, "memberships-INITIAL_FORMS": 1}
    form |= {"memberships-0-id": membership.pk, "memberships-0-project": project.pk, "memberships-0-user": annotator.pk}
    form |= {"memberships-0-role": "annotator", "memberships-0-DELETE": "on", "memberships-0-paused_reason": ""}
    response = client.post(reverse("admin:annotate_project_change", args=[project.pk]), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(AuditEvent.objects.order_by("id").values_list("subject", "action", "reason")) == [
        (newcomer.pk, "added", "as annotator (in the admin)"),
        # As the Members page writes a role change (found by the lead pages audit: a removal and an
        # addition read as a pause lifted).
        (newcomer.pk, "role changed", "was annotator, now engineer (in the admin)"),
        (newcomer.pk, "removed", "was engineer (in the admin)"),
        (annotator.pk, "removed", "was annotator (in the admin)"),
    ]
    assert set(AuditEvent.objects.values_list("actor", flat=True)) == {root.pk}


def membership_rows_as_shown(content: str) -> dict:
    """The project page's membership rows as its form posts them back, unchanged: each row's inputs
    (its id, pause and reason, and what it showed of the row, where the page keeps that) and choices."""
    import html
    import re

    fields = {}
    for name, value in re.findall(r'name="(memberships-\d+-[a-z_0-9]+)"[^>]*?value="([^"]*)"', content):
        fields[name] = html.unescape(value)
    for name, options in re.findall(r'<select name="(memberships-\d+-[a-z_]+)"[^>]*>(.*?)</select>', content, re.S):
        fields[name] = re.search(r'value="([^"]*)" selected', options).group(1)
    return fields


@pytest.mark.django_db
@pytest.mark.parametrize("meanwhile", ["paused", "made an engineer"])
def test_saving_the_project_page_never_undoes_a_members_change_made_since_it_was_opened(
    client, project, annotator, lead, meanwhile
):
    """A lead opened the project in the admin; meanwhile the gold rule (or another lead, on the
    scorecards or Members page) paused an annotator, or made them an engineer. Saving the page for a
    change of its own (its name) posted the row as it was shown, and put the annotator back as an
    unpaused annotator, in the lead's name in the audit log (found by the concurrency audit)."""
    from annotate.models import AuditEvent, Membership, Project
    from annotate.services.members import membership_pause, membership_role_change

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(root)
    url = reverse("admin:annotate_project_change", args=[project.pk])
    shown = membership_rows_as_shown(client.get(url).content.decode())
    if meanwhile == "paused":
        membership_pause(project=project, user=annotator, actor=None, reason="Gold accuracy 40%")
    else:
        membership_role_change(project=project, user_id=annotator.pk, role="engineer", actor=lead)
    events = AuditEvent.objects.count()
    rows = Membership.objects.filter(project=project).order_by("pk")
    form = project_form_data(project, name="Helpful, renamed") | shown
    form |= {"memberships-TOTAL_FORMS": rows.count(), "memberships-INITIAL_FORMS": rows.count()}
    response = client.post(url, form)
    membership = Membership.objects.get(project=project, user=annotator)
    assert (membership.role, membership.paused_at is not None) == (
        ("annotator", True) if meanwhile == "paused" else ("engineer", False)
    )
    assert AuditEvent.objects.count() == events
    # Nothing saved, and the page says why.
    assert response.status_code == 200
    assert "changed since this page was opened" in response.content.decode()
    assert Project.objects.get(pk=project.pk).name == "Helpful"


@pytest.mark.django_db
def test_saving_the_project_page_never_undoes_a_settings_change_made_since_it_was_opened(client, project, lead):
    """A lead opened the project in the admin to edit its guidelines; meanwhile another raised k and
    closed the project on its Settings page. The admin's save posted every field as shown, and put k
    and "open" back, unseen (found by the concurrency audit)."""
    import re

    from annotate.models import Project, ProjectSettingsChange
    from annotate.services.projects import project_settings_update

    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(root)
    url = reverse("admin:annotate_project_change", args=[project.pk])
    shown = dict(re.findall(r'name="(shown)"[^>]*?value="([^"]*)"', client.get(url).content.decode()))
    form = project_form_data(project, guidelines="Pick the better answer. Read both.") | shown
    project_settings_update(project=project, actor=lead, values={"judgments_per_pair": 5, "is_active": False})
    response = client.post(url, form)
    project = Project.objects.get(pk=project.pk)
    assert (project.judgments_per_pair, project.is_active, project.guidelines) == (5, False, "Pick the better answer.")
    assert ProjectSettingsChange.objects.count() == 1
    assert response.status_code == 200
    assert "changed since this page was opened" in response.content.decode()
    # Opened again, the page saves.
    shown = dict(re.findall(r'name="(shown)"[^>]*?value="([^"]*)"', client.get(url).content.decode()))
    form = project_form_data(project, guidelines="Pick the better answer. Read both.") | shown
    assert client.post(url, form).status_code == 302
    project = Project.objects.get(pk=project.pk)
    assert (project.judgments_per_pair, project.is_active, project.guidelines) == (5, False, form["guidelines"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["action", "page"])
@pytest.mark.parametrize("meanwhile", ["leased", "answered"])
@pytest.mark.parametrize("what", ["pair", "project"])
def test_a_pair_or_project_deleted_in_the_admin_is_kept_when_given_to_an_annotator_since_the_check(
    client, project, annotator, monkeypatch, how, meanwhile, what
):
    """The admin deletes a pair (or a project) only while nobody was ever given it. A pair leased to an
    annotator between that check and the deletion was deleted with the lease, and their answer refused
    as "No such assignment"; one answered meanwhile, or a project's pair leased, made the deletion a
    500 (found by the concurrency audit)."""
    import threading

    from django.db import connection

    from annotate.admin import PairAdmin, ProjectAdmin
    from annotate.models import Assignment, Pair, Project
    from annotate.services.annotating import assignment_next, judgment_submit, sitting_start

    make_pairs(project, 1)
    pair = Pair.objects.get()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    checked = {"pair": PairAdmin, "project": ProjectAdmin}[what].get_deleted_objects

    def given(errors: list) -> None:
        try:
            sitting_start(project=project, annotator=annotator)
            assignment, _ = assignment_next(project=project, annotator=annotator)
            if meanwhile == "answered":
                judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left")
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def given_just_after_the_check(self, objs, request):
        found = checked(self, objs, request)
        # By another request, on a connection of its own: committed before the deletion goes on.
        errors: list = []
        annotating = threading.Thread(target=given, args=(errors,))
        annotating.start()
        annotating.join(10)
        assert errors == []
        return found

    admin_class = PairAdmin if what == "pair" else ProjectAdmin
    monkeypatch.setattr(admin_class, "get_deleted_objects", given_just_after_the_check)
    model, deleted = (Pair, pair) if what == "pair" else (Project, project)
    if how == "action":
        data = {"action": "delete_selected", "_selected_action": [deleted.pk], "post": "yes"}
        response = client.post(reverse(f"admin:annotate_{what}_changelist"), data)
    else:
        response = client.post(reverse(f"admin:annotate_{what}_delete", args=[deleted.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert model.objects.filter(pk=deleted.pk).exists()
    assignment = Assignment.objects.get(pair=pair, annotator=annotator)
    if meanwhile == "leased":
        assert judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left").created


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    ["annotate_pair", "annotate_annotationsession", "annotate_assignment", "annotate_judgment", "annotate_auditevent"],
)
def test_the_big_lists_count_their_rows_once_a_page(client, project, lead, annotator, model):
    # Django counted the whole table a second time, for the "N total" beside a search or a filter: a scan
    # of millions of rows on every page of these lists (found by the query audit).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_pairs(project, 2)
    judge_every_pair(project, annotator)
    audit_events_add(project, lead, [annotator])
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse(f"admin:{model}_changelist")
    for query in ["", f"?project__id__exact={project.pk}"]:
        with CaptureQueriesContext(connection) as read:
            page = client.get(url + query)
        assert page.status_code == 200
        counts = [q["sql"] for q in read.captured_queries if "COUNT(" in q["sql"] and f'"{model}"' in q["sql"]]
        assert len(counts) == 1, counts
        rows = {"annotate_annotationsession": 1, "annotate_auditevent": 1}.get(model, 2)
        assert page.context["cl"].result_count == rows


@pytest.mark.django_db
def test_a_project_of_many_members_counts_them_and_links_to_them_instead_of_listing_them(
    client, django_assert_num_queries, project, lead, monkeypatch
):
    # Its page listed every member, each row an autocomplete, without a limit (found by the query audit).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotate.admin import ProjectAdmin
    from annotate.models import Membership, Project, Role
    from tests.conftest import make_user

    monkeypatch.setattr(ProjectAdmin, "members_inline_max", 3, raising=False)
    for n in range(3):
        Membership.objects.create(user=make_user(f"member{n}"), project=project, role=Role.ANNOTATOR)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse("admin:annotate_project_change", args=[project.pk])
    client.get(url)  # the first reads the content types, cached after it
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    read = len(few)  # counted now: each request starts the connection's log anew
    assert "memberships-TOTAL_FORMS" not in page
    assert "member0" not in page
    assert "4 (more than 3 are not listed here)" in page
    members = f"{reverse('admin:annotate_membership_changelist')}?project__id__exact={project.pk}"
    assert f'href="{members}"' in page
    assert len(client.get(members).context["cl"].result_list) == 4
    for n in range(3, 8):
        Membership.objects.create(user=make_user(f"member{n}"), project=project, role=Role.ANNOTATOR)
    with django_assert_num_queries(read):
        assert "9 (more than 3" in client.get(url).content.decode()
    # The page still saves, its members as they were.
    data = {key: value for key, value in project_form_data(project, name="Renamed").items() if "memberships" not in key}
    assert client.post(url, data).status_code == 302
    assert Project.objects.get(pk=project.pk).name == "Renamed"
    assert Membership.objects.filter(project=project).count() == 9


@pytest.mark.django_db
def test_the_project_page_saves_the_member_rows_it_showed_when_more_joined_since(
    client, project, lead, annotator, monkeypatch
):
    from annotate.admin import ProjectAdmin
    from annotate.models import Membership, Role
    from tests.conftest import make_user

    monkeypatch.setattr(ProjectAdmin, "members_inline_max", 2, raising=False)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    url = reverse("admin:annotate_project_change", args=[project.pk])
    shown = membership_rows_as_shown(client.get(url).content.decode())
    assert shown["memberships-1-user"] == str(annotator.pk)
    Membership.objects.create(user=make_user("newcomer"), project=project, role=Role.ANNOTATOR)
    form = project_form_data(project) | shown | {"memberships-1-role": "engineer"}
    form |= {"memberships-TOTAL_FORMS": 2, "memberships-INITIAL_FORMS": 2}
    assert client.post(url, form).status_code == 302
    assert Membership.objects.get(project=project, user=annotator).role == "engineer"
