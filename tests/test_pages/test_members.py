"""The Members page: a project's leads add existing users as annotators or engineers and remove
them; everyone else gets a 404; every change is in the audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from annotate.models import AnnotationSession, Assignment, AuditEvent, Judgment, Membership, Role, Side
from annotate.services.annotating import AnnotationError, assignment_next, judgment_submit, sitting_start
from tests.conftest import make_pairs, make_user

pytestmark = pytest.mark.django_db


def page_url(project) -> str:
    return reverse("annotate:members", kwargs={"slug": project.slug})


def remove_url(project, user) -> str:
    return reverse("annotate:member_remove", kwargs={"slug": project.slug, "user_id": user.pk})


def role_url(project, user) -> str:
    return reverse("annotate:member_role", kwargs={"slug": project.slug, "user_id": user.pk})


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def one_answered_one_held(project, annotator):
    """k = 1, three pairs; the annotator in a sitting with one pair answered and one held: both assignments."""
    project.judgments_per_pair = 1
    project.save()
    make_pairs(project, 3)
    sitting_start(project=project, annotator=annotator)
    answered, _ = assignment_next(project=project, annotator=annotator)
    judgment_submit(assignment_id=answered.id, annotator=annotator, side=Side.LEFT, dwell_ms=1)
    held, _ = assignment_next(project=project, annotator=annotator)
    return answered, held


def test_a_lead_sees_every_member_with_role_and_state(project, lead, engineer, annotator, annotator2):
    Membership.objects.filter(user=annotator2).update(paused_at="2026-11-01T09:00:00Z")
    get_user_model().objects.filter(pk=engineer.pk).update(is_active=False)
    html = signed_in(lead).get(page_url(project)).content.decode()
    assert "<caption>4 members</caption>" in html
    for name in ("lead", "engineer", "annotator", "annotator2"):
        assert f'<th scope="row">{name}</th>' in html
    assert html.count(">Paused<") == 1 and html.count(">Active<") == 1 and html.count(">Account deactivated<") == 1
    # Annotators and engineers can be removed, or given the other role, here; leads (the lead themself
    # among them) are the admin's.
    assert remove_url(project, annotator) in html and remove_url(project, engineer) in html
    assert role_url(project, annotator) in html and role_url(project, engineer) in html
    assert remove_url(project, lead) not in html and role_url(project, lead) not in html


@pytest.mark.parametrize("who", ["engineer", "annotator", "outsider"])
def test_anyone_but_the_projects_lead_gets_a_404(request, project, who, annotator):
    client = signed_in(request.getfixturevalue(who))
    assert client.get(page_url(project)).status_code == 404
    assert client.post(page_url(project), {"username": "x", "role": "annotator"}).status_code == 404
    assert client.post(remove_url(project, annotator)).status_code == 404
    assert client.get(role_url(project, annotator)).status_code == 404
    assert client.post(role_url(project, annotator), {"role": "engineer"}).status_code == 404
    assert Membership.objects.get(user=annotator, project=project).role == Role.ANNOTATOR


def test_an_anonymous_visitor_is_sent_to_log_in(project, annotator):
    for response in (
        Client().get(page_url(project)),
        Client().post(remove_url(project, annotator)),
        Client().get(role_url(project, annotator)),
        Client().post(role_url(project, annotator), {"role": "engineer"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_lead_adds_an_existing_user_as_annotator_and_it_is_audited(project, lead):
    newcomer = make_user("newcomer")
    response = signed_in(lead).post(page_url(project), {"username": " newcomer ", "role": "annotator"}, follow=True)
    assert response.redirect_chain == [(page_url(project), 302)]
    assert "newcomer is now an annotator here." in response.content.decode()
    assert Membership.objects.get(user=newcomer, project=project).role == Role.ANNOTATOR
    event = AuditEvent.objects.get(subject=newcomer)
    assert (event.project, event.actor, event.action, event.reason) == (project, lead, "added", "as annotator")
    # They can start annotating at once.
    assert signed_in(newcomer).get(reverse("annotate:guidelines", kwargs={"slug": project.slug})).status_code == 200


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"username": "nobody", "role": "annotator"}, "No active user is called &#x27;nobody&#x27;."),
        ({"username": "annotator", "role": "engineer"}, "annotator is already a member of this project (Annotator)."),
        ({"username": "sleeper", "role": "annotator"}, "No active user is called &#x27;sleeper&#x27;."),
        ({"username": "newcomer", "role": "lead"}, "Select a valid choice."),
        ({"username": "", "role": "annotator"}, "This field is required."),
    ],
)
def test_an_addition_that_cannot_be_made_says_why_and_changes_nothing(project, lead, annotator, form, said):
    make_user("newcomer")
    sleeper = make_user("sleeper")
    sleeper.is_active = False
    sleeper.save()
    before = set(Membership.objects.values_list("user__username", "project_id", "role"))
    response = signed_in(lead).post(page_url(project), form)
    assert response.status_code == 400
    assert said in response.content.decode()
    assert set(Membership.objects.values_list("user__username", "project_id", "role")) == before
    assert not AuditEvent.objects.exists()
    if form["role"] == "lead":
        # The select's aria-describedby names the error's id (found by the accessibility audit).
        html = response.content.decode()
        assert 'aria-describedby="id_role_error"' in html and 'id="id_role_error"' in html


def test_removing_an_annotator_ends_their_sitting_keeps_their_judgments_and_is_audited(
    django_capture_on_commit_callbacks, project, lead, annotator, annotator2
):
    answered, held = one_answered_one_held(project, annotator)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(lead).post(remove_url(project, annotator), follow=True)
    assert "annotator is no longer an annotator here" in response.content.decode()
    assert not Membership.objects.filter(user=annotator, project=project).exists()
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "removed"
    assert Assignment.objects.get(pk=held.pk).state == "released"
    assert Judgment.objects.filter(annotator=annotator).count() == 1
    event = AuditEvent.objects.get(subject=annotator)
    assert (event.actor, event.action, event.reason) == (lead, "removed", "was annotator")
    # The pair they held goes to someone else; the project is now a 404 for them.
    sitting_start(project=project, annotator=annotator2)
    pairs = set()
    while (assignment := assignment_next(project=project, annotator=annotator2)[0]) is not None:
        pairs.add(assignment.pair_id)
        judgment_submit(assignment_id=assignment.id, annotator=annotator2, side=Side.LEFT, dwell_ms=1)
    assert held.pair_id in pairs and answered.pair_id not in pairs
    assert signed_in(annotator).get(reverse("annotate:guidelines", kwargs={"slug": project.slug})).status_code == 404


@pytest.mark.parametrize(("url", "form"), [(remove_url, {}), (role_url, {"role": "engineer"})], ids=["remove", "role"])
def test_a_lead_cannot_remove_nor_change_the_role_of_a_lead_nor_a_member_of_another_project(
    project, other_project, lead, outsider, url, form
):
    second_lead = make_user("second-lead")
    Membership.objects.create(user=second_lead, project=project, role=Role.LEAD)
    # An annotator there, not here: a role a lead may manage, so only the project keeps them out of reach.
    elsewhere = make_user("elsewhere")
    Membership.objects.create(user=elsewhere, project=other_project, role=Role.ANNOTATOR)
    client = signed_in(lead)
    for user in (second_lead, lead, outsider, elsewhere):
        assert client.get(url(project, user)).status_code == 404
        # A POST says nothing changed, whoever the id is: it tells no more than the list shows.
        refused = client.post(url(project, user), form, follow=True)
        assert [str(m) for m in refused.context["messages"]] == [NOT_REMOVABLE]
    assert Membership.objects.filter(role=Role.LEAD).count() == 3
    assert Membership.objects.get(user=elsewhere, project=other_project).role == Role.ANNOTATOR
    assert not AuditEvent.objects.exists()


NOT_REMOVABLE = "That person is no annotator or engineer of this project (any more); nothing changed."


def test_a_removal_confirmed_twice_says_the_second_time_that_nothing_changed(project, lead, annotator):
    # Found by the lead walkthrough: the same confirmation page in two tabs, the second a bare 404.
    client = signed_in(lead)
    client.post(remove_url(project, annotator), follow=True)
    again = client.post(remove_url(project, annotator), follow=True)
    assert again.status_code == 200
    assert [str(m) for m in again.context["messages"]] == [NOT_REMOVABLE]
    assert AuditEvent.objects.filter(subject=annotator).count() == 1


def test_a_lead_removes_an_engineer_who_then_cannot_export(project, lead, engineer):
    response = signed_in(lead).post(remove_url(project, engineer), follow=True)
    assert "engineer is no longer an ML engineer here." in response.content.decode()
    assert not Membership.objects.filter(user=engineer, project=project).exists()
    assert AuditEvent.objects.get(subject=engineer).reason == "was engineer"
    assert signed_in(engineer).get(reverse("exporter:exports", kwargs={"slug": project.slug})).status_code == 404


def test_a_username_typed_in_another_unicode_form_finds_the_account(project, lead):
    zoe = make_user("Zo\u00eb")  # stored composed, as Django normalizes (NFKC) it
    response = signed_in(lead).post(page_url(project), {"username": "Zoe\u0308", "role": "annotator"})
    assert response.status_code == 302
    assert Membership.objects.get(user=zoe, project=project).role == Role.ANNOTATOR


def test_a_removal_is_confirmed_on_a_page_that_says_what_it_does(project, lead, annotator, annotator2):
    Membership.objects.filter(user=annotator2).update(paused_at="2026-11-01T09:00:00Z")
    client = signed_in(lead)
    page = client.get(remove_url(project, annotator2)).content.decode()
    assert "Remove annotator2 from Helpful?" in page and "annotator2 is an annotator here, paused." in page
    assert "A sitting they have open ends now" in page and "Their pause goes with them" in page
    assert 'name="csrfmiddlewaretoken"' in page
    # Asking changes nothing; a lead, or someone of no project here, has no such page.
    assert Membership.objects.filter(user=annotator2, project=project).exists()
    assert "Their pause goes with them" not in client.get(remove_url(project, annotator)).content.decode()
    assert client.get(remove_url(project, lead)).status_code == 404


def test_the_page_lists_the_changes_to_members_newest_first(project, lead, annotator):
    from annotate.services.members import membership_pause, membership_resume

    membership_pause(project=project, user=annotator, actor=lead, reason="Checking gold.")
    membership_resume(project=project, user=annotator, actor=lead, reason="All good.")
    newcomer = make_user("newcomer")
    client = signed_in(lead)
    client.post(page_url(project), {"username": "newcomer", "role": "engineer"})
    client.post(remove_url(project, newcomer))
    html = client.get(page_url(project)).content.decode()
    log = html[html.index('id="log-heading"') :]
    # Whole cells: "as engineer" is also part of "was engineer".
    cells = tuple(
        f'<td data-label="Details">{said}</td>'
        for said in ("was engineer", "as engineer", "All good.", "Checking gold.")
    )
    rows = [log.index(cell) for cell in cells]
    assert rows == sorted(rows)


def test_an_annotator_made_an_engineer_leaves_their_sitting_keeps_their_judgments_and_can_export(
    django_capture_on_commit_callbacks, project, lead, annotator, annotator2
):
    _answered, held = one_answered_one_held(project, annotator)
    client = signed_in(lead)
    page = client.get(role_url(project, annotator)).content.decode()
    assert "Make annotator an ML engineer?" in page and "A sitting they have open ends now" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(role_url(project, annotator), {"role": "engineer"}, follow=True)
    assert "annotator is now an ML engineer here" in response.content.decode()
    assert Membership.objects.get(user=annotator, project=project).role == Role.ENGINEER
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "removed"
    assert Assignment.objects.get(pk=held.pk).state == "released"
    assert Judgment.objects.filter(annotator=annotator).count() == 1
    event = AuditEvent.objects.get(subject=annotator)
    assert (event.actor, event.action, event.reason) == (lead, "role changed", "was annotator, now engineer")
    assert '<td data-label="Details">was annotator, now engineer</td>' in client.get(page_url(project)).content.decode()
    # The pair they held goes to someone else; they export now, and annotate no more.
    sitting_start(project=project, annotator=annotator2)
    assert assignment_next(project=project, annotator=annotator2)[0].pair_id == held.pair_id
    now_engineer = signed_in(annotator)
    assert now_engineer.get(reverse("exporter:exports", kwargs={"slug": project.slug})).status_code == 200
    assert now_engineer.get(reverse("annotate:annotate", kwargs={"slug": project.slug})).status_code == 404


def test_an_engineer_made_an_annotator_annotates_and_exports_no_more(project, lead, engineer):
    before = Membership.objects.get(user=engineer, project=project).resumed_at
    response = signed_in(lead).post(role_url(project, engineer), {"role": "annotator"}, follow=True)
    assert "engineer is now an annotator here." in response.content.decode()
    membership = Membership.objects.get(user=engineer, project=project)
    # The gold rule's window starts now, as for someone added.
    assert membership.role == Role.ANNOTATOR and membership.resumed_at is not None and membership.resumed_at != before
    now_annotator = signed_in(engineer)
    # The annotation page sends a newcomer to the guidelines first; to an engineer it was a 404.
    first = now_annotator.get(reverse("annotate:annotate", kwargs={"slug": project.slug}))
    assert first.status_code == 302 and first["Location"] == reverse(
        "annotate:guidelines", kwargs={"slug": project.slug}
    )
    assert now_annotator.get(reverse("exporter:exports", kwargs={"slug": project.slug})).status_code == 404
    sitting_start(project=project, annotator=engineer)


def test_a_paused_annotator_stays_paused_through_two_role_changes(project, lead, annotator):
    from annotate.services.members import membership_pause

    membership_pause(project=project, user=annotator, actor=lead, reason="Checking gold.")
    client = signed_in(lead)
    page = client.get(role_url(project, annotator)).content.decode()
    assert "annotator is an annotator here, paused." in page and "Their pause stays" in page
    client.post(role_url(project, annotator), {"role": "engineer"})
    assert "They are paused" in client.get(role_url(project, annotator)).content.decode()
    client.post(role_url(project, annotator), {"role": "annotator"})
    membership = Membership.objects.get(user=annotator, project=project)
    assert membership.role == Role.ANNOTATOR and membership.paused_at is not None
    with pytest.raises(AnnotationError) as refused:
        sitting_start(project=project, annotator=annotator)
    assert refused.value.code == "paused"


@pytest.mark.parametrize(
    ("role", "said"),
    [
        ("annotator", "annotator is an annotator here already; nothing changed."),
        ("lead", "Choose annotator or engineer; nothing changed."),
        ("", "Choose annotator or engineer; nothing changed."),
    ],
)
def test_a_role_change_that_changes_nothing_says_so(project, lead, annotator, role, said):
    response = signed_in(lead).post(role_url(project, annotator), {"role": role}, follow=True)
    assert response.redirect_chain == [(page_url(project), 302)]
    assert [str(m) for m in response.context["messages"]] == [said]
    assert Membership.objects.get(user=annotator, project=project).role == Role.ANNOTATOR
    assert not AuditEvent.objects.exists()


def test_a_removal_confirmed_after_another_lead_changed_the_role_changes_nothing(project, lead, annotator):
    # Found by the lead pages audit: the page said "an annotator", another tab made them an engineer,
    # and the confirmation removed the engineer.
    client = signed_in(lead)
    page = client.get(remove_url(project, annotator)).content.decode()
    assert 'name="role" value="annotator"' in page
    client.post(role_url(project, annotator), {"role": "engineer"})
    response = client.post(remove_url(project, annotator), {"role": "annotator"}, follow=True)
    said = [str(m) for m in response.context["messages"]][-1]  # after the role change's own
    assert said == (
        "annotator is an ML engineer here now (changed since you asked); nothing changed. "
        "Remove them again if you still want to."
    )
    assert Membership.objects.get(user=annotator, project=project).role == Role.ENGINEER


@pytest.mark.parametrize("shown", ["lead", "annotator\x00"])
def test_a_removal_confirming_a_role_no_annotator_nor_engineer_holds_changes_nothing(project, lead, annotator, shown):
    # A hand-edited confirmation. The role was looked up as sent, and one holding a NUL character was a
    # 500 on PostgreSQL, whose text cannot hold one (found by the security audit).
    response = signed_in(lead).post(remove_url(project, annotator), {"role": shown}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "annotator is an annotator here now (changed since you asked); nothing changed. "
        "Remove them again if you still want to."
    ]
    assert Membership.objects.get(user=annotator, project=project).role == Role.ANNOTATOR
    assert not AuditEvent.objects.exists()
