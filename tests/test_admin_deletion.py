"""The admin's deletion pages count what a deletion would take, and what protects it, instead of
listing every row (`annotate.admin_deletion`): the same answer as Django's own listing, in as many
queries and rows for a big project as for a small one, and the deletions themselves unchanged."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import get_deleted_objects
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from annotate.models import AnnotationSession, AuditEvent, ImportJob, Membership, Pair, Project, Role
from tests.conftest import make_pairs, make_user
from tests.test_admin import judge_every_pair


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")


@pytest.fixture
def root_client(client, superuser):
    client.force_login(superuser)
    return client


@contextmanager
def reads():
    """Counts the queries run and the rows they return."""
    seen = {"queries": 0, "rows": 0}

    def counted(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        seen["queries"] += 1
        if sql.lstrip().upper().startswith("SELECT"):
            seen["rows"] += max(context["cursor"].rowcount, 0)
        return result

    with connection.execute_wrapper(counted):
        yield seen


def a_project_nobody_was_given(project, lead, *, audited: bool = True) -> None:
    """Pairs, members, an import, an export, a report, and (`audited`) a settings change and an audit
    row, which the admin may not delete: all of it would go with the project."""
    from analytics.models import BiasReport
    from annotate.models import ProjectSettingsChange
    from exporter.models import ExportJob

    make_pairs(project, 4)
    ImportJob.objects.create(project=project, source="x.jsonl", format="hh-rlhf", state="done")
    ExportJob.objects.create(project=project, created_by=lead, format="hh-rlhf", state="failed")
    BiasReport.objects.create(project=project, state="done")
    if not audited:
        return
    ProjectSettingsChange.objects.create(project=project, actor=lead, changes={"k": [3, 5]})
    AuditEvent.objects.create(project=project, actor=lead, subject=lead, action="paused")


def leased(project, annotator) -> None:
    from annotate.services.annotating import assignment_next, sitting_start

    sitting_start(project=project, annotator=annotator)
    assignment_next(project=project, annotator=annotator)


def protected_counts(protected) -> dict[str, int]:
    """{"Judgments": 2} from this module's lines, or from Django's own list of protected rows."""
    counts: dict[str, int] = {}
    for line in protected:
        if found := re.match(r"^(\w[\w ]*?): (\d+), protected", str(line)):
            counts[found[1]] = int(found[2])
        else:
            name = str(line).split(":")[0] + "s"
            counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case",
    [
        "project nobody was given",
        "project with leases",
        "project with judgments",
        "pair with judgments",
        "pairs nobody was given",
        "sitting with judgments",
        "annotator with judgments",
        "member with nothing else",
        "lead who paused someone",
    ],
)
def test_the_deletion_pages_count_what_djangos_own_listing_lists(
    project, other_project, lead, annotator, annotator2, superuser, case
):
    from annotate.services.members import membership_pause

    make_pairs(other_project, 2, prefix="other")
    if "nobody" in case:
        a_project_nobody_was_given(project, lead)
    else:
        make_pairs(project, 3)
    if case == "project with leases":
        leased(project, annotator)
    elif "judgments" in case:
        judge_every_pair(project, annotator)
    if case == "lead who paused someone":
        membership_pause(project=project, user=annotator2, actor=lead, reason="Slow.")
        # A row that refers to them twice (as actor and as subject) is one row protecting them.
        AuditEvent.objects.create(project=project, actor=lead, subject=lead, action="resumed")
    model, objs = {
        "project nobody was given": (Project, [project]),
        "project with leases": (Project, [project]),
        "project with judgments": (Project, [project]),
        "pair with judgments": (Pair, [Pair.objects.filter(project=project).first()]),
        "pairs nobody was given": (Pair, Pair.objects.filter(project=project)),
        "sitting with judgments": (AnnotationSession, [AnnotationSession.objects.first()]),
        "annotator with judgments": (get_user_model(), [annotator]),
        "member with nothing else": (get_user_model(), [annotator2]),
        "lead who paused someone": (get_user_model(), [lead]),
    }[case]
    request = RequestFactory().get("/")
    request.user = superuser

    _, counted, counted_perms, counted_protected = admin.site.get_model_admin(model).get_deleted_objects(objs, request)
    _, listed, listed_perms, listed_protected = get_deleted_objects(objs, request, admin.site)

    assert protected_counts(counted_protected) == protected_counts(listed_protected)
    if listed_protected:
        # Refused whatever else it would take: nothing more is counted.
        assert counted == {}
        assert case in {"project with judgments", "pair with judgments", "sitting with judgments"} | {
            "annotator with judgments",
            "lead who paused someone",
        }
    else:
        assert counted == listed
        assert counted_perms == listed_perms


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["project nobody was given", "project with judgments", "annotator", "action"])
def test_a_deletion_page_reads_as_much_for_a_big_project_as_for_a_small_one(
    root_client, project, lead, annotator, annotator2, case
):
    # Found by the query audit: a project's page read every pair, assignment and judgment (40 queries
    # and 503 rows for a tiny project, 185 and 72,401 for a modest one), a user's every judgment of theirs.
    project.sitting_items = 50
    project.save()
    make_pairs(project, 2)
    if case != "project nobody was given":
        judge_every_pair(project, annotator)
    if case == "annotator":
        url, data = reverse("admin:auth_user_delete", args=[annotator.pk]), None
    elif case == "action":
        url, data = (
            reverse("admin:annotate_project_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [project.pk],
            },
        )
    else:
        url, data = reverse("admin:annotate_project_delete", args=[project.pk]), None

    def page():
        response = root_client.post(url, data) if data else root_client.get(url)
        assert response.status_code == 200
        return response.content.decode()

    page()  # the first reads the content types, cached after it
    with reads() as small:
        page()
    make_pairs(project, 12, prefix="more")
    if case == "project nobody was given":
        for n in range(5):
            ImportJob.objects.create(project=project, source=f"{n}.jsonl", format="hh-rlhf")
    else:
        judge_every_pair(project, annotator2)
    if case == "annotator":
        # The bigger one is another annotator: the first has judged every pair of the first sitting.
        url = reverse("admin:auth_user_delete", args=[annotator2.pk])
    with reads() as big:
        shown = page()
    assert big == small
    if case == "project nobody was given":
        assert "Pairs: 14" in shown
        assert "Import jobs: 5" in shown
    else:
        judgments = 2 + 14 if case != "annotator" else 14
        assert f"Judgments: {judgments}, protected" in shown
        assert "Cannot delete" in shown


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["page", "action"])
def test_a_project_nobody_was_given_is_deleted_with_just_what_its_page_counted(
    root_client, project, other_project, lead, how
):
    a_project_nobody_was_given(project, lead, audited=False)
    make_pairs(other_project, 3, prefix="other")
    Membership.objects.create(user=make_user("other-lead"), project=other_project, role=Role.LEAD)
    if how == "page":
        url, confirm = reverse("admin:annotate_project_delete", args=[project.pk]), {}
    else:
        url = reverse("admin:annotate_project_changelist")
        confirm = {"action": "delete_selected", "_selected_action": [project.pk]}
    asked = root_client.post(url, confirm) if confirm else root_client.get(url)
    counted = dict(asked.context["model_count"])
    assert counted == {
        "projects": 1,
        "memberships": 1,
        "pairs": 4,
        "import jobs": 1,
        "export jobs": 1,
        "bias reports": 1,
    }
    before = row_counts()
    assert root_client.post(url, confirm | {"post": "yes"}).status_code == 302
    after = row_counts()
    gone = {apps.get_model(label)._meta.verbose_name_plural: before[label] - after[label] for label in before}
    # Django's admin writes one log entry for the deletion.
    assert {name: n for name, n in gone.items() if n} == counted | {"log entries": -1}
    assert Pair.objects.filter(project=other_project).count() == 3
    assert Membership.objects.filter(project=other_project).count() == 1


@pytest.mark.django_db
def test_a_user_with_nothing_but_a_membership_is_deleted_as_their_page_said(root_client, project, annotator):
    url = reverse("admin:auth_user_delete", args=[annotator.pk])
    assert dict(root_client.get(url).context["model_count"]) == {"users": 1, "memberships": 1}
    assert root_client.post(url, {"post": "yes"}).status_code == 302
    assert not get_user_model().objects.filter(pk=annotator.pk).exists()
    assert not Membership.objects.filter(project=project, user_id=annotator.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("what", ["project", "pair", "sitting", "user", "pairs by the action"])
def test_a_deletion_that_judgments_protect_is_still_refused_and_says_how_many(root_client, project, annotator, what):
    make_pairs(project, 3)
    judge_every_pair(project, annotator)
    pair = Pair.objects.first()
    url, data = {
        "project": (reverse("admin:annotate_project_delete", args=[project.pk]), {}),
        "pair": (reverse("admin:annotate_pair_delete", args=[pair.pk]), {}),
        "sitting": (reverse("admin:annotate_annotationsession_delete", args=[AnnotationSession.objects.get().pk]), {}),
        "user": (reverse("admin:auth_user_delete", args=[annotator.pk]), {}),
        "pairs by the action": (
            reverse("admin:annotate_pair_changelist"),
            {"action": "delete_selected", "_selected_action": list(Pair.objects.values_list("pk", flat=True))},
        ),
    }[what]
    before = row_counts()
    refused = root_client.post(url, data | {"post": "yes"})
    assert refused.status_code == 200
    shown = refused.content.decode()
    assert "Cannot delete" in shown
    assert f"Judgments: {1 if what == 'pair' else 3}, protected" in shown
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["page", "action"])
def test_a_project_with_pairs_leased_is_still_refused(root_client, project, annotator, how):
    # No judgment protects it, but its leases are the assignment service's (the admin may not delete one).
    make_pairs(project, 2)
    leased(project, annotator)
    if how == "page":
        url, data = reverse("admin:annotate_project_delete", args=[project.pk]), {}
    else:
        url = reverse("admin:annotate_project_changelist")
        data = {"action": "delete_selected", "_selected_action": [project.pk]}
    asked = root_client.post(url, data) if data else root_client.get(url)
    assert "assignment" in asked.context["perms_lacking"]
    before = row_counts()
    assert root_client.post(url, data | {"post": "yes"}).status_code == 403
    assert row_counts() == before
