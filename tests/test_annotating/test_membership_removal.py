"""An annotator who leaves a project in the admin (membership deleted, or made lead or engineer) has
their open sitting there ended at once, and the pairs it held go to others, not at the idle sweep."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from annotate.models import AnnotationSession, Assignment, Judgment, Membership, Role
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from annotate.services.members import membership_left
from tests.conftest import make_pairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw-root"))
    return client


@pytest.fixture
def holding(project, annotator):
    """The annotator mid-sitting, holding the only two pairs of a k = 1 project (one on screen, one
    prefetched)."""
    project.judgments_per_pair = 1
    project.save()
    make_pairs(project, 2)
    sitting_start(project=project, annotator=annotator)
    shown, _ = assignment_next(project=project, annotator=annotator)
    prefetched, _ = assignment_next(project=project, annotator=annotator, exclude=[shown.id])
    return {shown.pair_id, prefetched.pair_id}


def others_get(project, annotator2) -> set[int]:
    sitting_start(project=project, annotator=annotator2)
    first, _ = assignment_next(project=project, annotator=annotator2)
    second, _ = assignment_next(project=project, annotator=annotator2, exclude=[first.id] if first else [])
    return {a.pair_id for a in (first, second) if a is not None}


def admin_change(client, capture_on_commit, membership: Membership, *, user, role: str) -> None:
    """Save `membership` through the admin's change form with `user` and `role`, running what waits
    for the commit."""
    form = {"user": user.pk, "project": membership.project_id, "role": role, "paused_reason": ""}
    with capture_on_commit(execute=True):
        changed = client.post(reverse("admin:annotate_membership_change", args=[membership.pk]), form)
    assert changed.status_code == 302, changed.content.decode()[:2000]


def test_deleting_the_membership_in_the_admin_ends_the_sitting_and_frees_its_pairs(
    staff_client, django_capture_on_commit_callbacks, project, annotator, annotator2, holding
):
    membership = Membership.objects.get(project=project, user=annotator)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = staff_client.post(reverse("admin:annotate_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    sitting = AnnotationSession.objects.get(annotator=annotator)
    assert sitting.end_reason == "removed" and sitting.ended_at is not None
    assert set(Assignment.objects.filter(annotator=annotator).values_list("state", flat=True)) == {"released"}
    assert others_get(project, annotator2) == holding


def test_making_the_annotator_a_lead_in_the_admin_ends_the_sitting_too(
    staff_client, django_capture_on_commit_callbacks, project, annotator, annotator2, holding
):
    membership = Membership.objects.get(project=project, user=annotator)
    admin_change(staff_client, django_capture_on_commit_callbacks, membership, user=annotator, role=Role.LEAD)
    assert Membership.objects.get(pk=membership.pk).role == Role.LEAD
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "removed"
    assert others_get(project, annotator2) == holding


def test_giving_the_membership_to_another_user_in_the_admin_ends_the_first_ones_sitting(
    staff_client, django_capture_on_commit_callbacks, project, annotator, annotator2, holding
):
    # Still an annotator's membership, but no longer theirs: they left the project all the same.
    membership = Membership.objects.get(project=project, user=annotator)
    Membership.objects.filter(project=project, user=annotator2).delete()
    admin_change(staff_client, django_capture_on_commit_callbacks, membership, user=annotator2, role=Role.ANNOTATOR)
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "removed"
    Membership.objects.create(project=project, user=get_user_model().objects.create_user("third"), role=Role.ANNOTATOR)
    assert others_get(project, get_user_model().objects.get(username="third")) == holding


def test_an_annotator_who_stays_one_keeps_their_sitting(
    django_capture_on_commit_callbacks, monkeypatch, project, annotator, annotator2, holding
):
    from annotate.services import members

    called = []
    monkeypatch.setattr(members, "membership_left", lambda **kwargs: called.append(kwargs))
    membership = Membership.objects.get(project=project, user=annotator)
    with django_capture_on_commit_callbacks(execute=True):
        membership.paused_reason = ""
        membership.save()
    # The receivers saw no change of project, user or role: nothing is handed to the service.
    assert called == []
    monkeypatch.undo()
    assert AnnotationSession.objects.get(annotator=annotator).is_open
    # Removed and added back before the service ran: nothing to end.
    assert membership_left(project_id=project.id, user_id=annotator.id) is False
    assert AnnotationSession.objects.get(annotator=annotator).is_open
    assert others_get(project, annotator2) == set()


def test_a_failure_to_end_the_sitting_is_logged_not_an_error_page_for_a_deletion_that_was_made(
    staff_client, django_capture_on_commit_callbacks, monkeypatch, caplog, project, annotator, holding
):
    from django.db import OperationalError

    from annotate.services import members

    def failing(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(members, "membership_left", failing)
    membership = Membership.objects.get(project=project, user=annotator)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = staff_client.post(reverse("admin:annotate_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert deleted.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert "the database went away" in caplog.text


def test_an_annotator_made_an_engineer_cannot_answer_a_pair_their_sitting_still_holds(project, annotator, holding):
    # The role decides even where the sitting was not ended: here the role changed without the signal
    # that ends it (as when ending it failed, or the row was changed outside Django).
    held = Assignment.objects.filter(annotator=annotator).first()
    Membership.objects.filter(project=project, user=annotator).update(role=Role.ENGINEER)
    assert AnnotationSession.objects.get(annotator=annotator).is_open
    with pytest.raises(Assignment.DoesNotExist):
        judgment_submit(assignment_id=held.id, annotator=annotator, side="left")
    assert not Judgment.objects.exists()
