"""Pausing and resuming an annotator: the services, the lead's actions on the card, the audit log,
and the annotator's API refusing a new sitting while paused."""

from __future__ import annotations

import datetime as dt
import threading
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from analytics.scorecards import NO_ANNOTATOR
from annotate.models import AnnotationSession, Assignment, AuditEvent, Judgment, Membership, Pair, Side
from annotate.services import members as members_module
from annotate.services.annotating import AnnotationError, assignment_next, judgment_submit, sitting_end, sitting_start
from annotate.services.members import membership_pause, membership_resume
from tests.conftest import make_pairs
from tests.test_annotating.test_races import in_thread
from tests.test_scorecards.conftest import judge, nine_am, table_rows

pytestmark = pytest.mark.django_db


def action_url(project, user_id: int, action: str) -> str:
    return reverse(f"analytics:scorecard_{action}", kwargs={"slug": project.slug, "user_id": user_id})


def card_url(project, user_id: int) -> str:
    return reverse("analytics:scorecard", kwargs={"slug": project.slug, "user_id": user_id})


def start_sitting(client, project):
    return client.post(reverse("api:sitting-start", kwargs={"slug": project.slug}))


# The services. ------------------------------------------------------------------------------------


def test_pausing_sets_the_membership_and_writes_one_audit_row(project, lead, annotator):
    change = membership_pause(project=project, user=annotator, actor=lead, reason="  Reading too fast.  ")
    membership = Membership.objects.get(user=annotator, project=project)
    assert change.changed
    assert membership.paused_at is not None
    assert membership.paused_reason == "Reading too fast."
    event = AuditEvent.objects.get(project=project, subject=annotator)
    assert (event.action, event.actor, event.reason) == ("paused", lead, "Reading too fast.")


def test_pausing_twice_changes_nothing_the_second_time(project, lead, annotator):
    first = membership_pause(project=project, user=annotator, actor=lead, reason="One.")
    second = membership_pause(project=project, user=annotator, actor=lead, reason="Two.")
    assert first.changed and not second.changed
    membership = Membership.objects.get(user=annotator, project=project)
    assert membership.paused_at == first.membership.paused_at
    assert membership.paused_reason == "One."
    assert AuditEvent.objects.filter(subject=annotator).count() == 1


def test_resuming_clears_the_pause_and_writes_an_audit_row_and_is_idempotent(project, lead, annotator):
    membership_pause(project=project, user=annotator, actor=lead, reason="Checking gold.")
    change = membership_resume(project=project, user=annotator, actor=lead, reason="Talked it through.")
    again = membership_resume(project=project, user=annotator, actor=lead, reason="Again.")
    assert change.changed and not again.changed
    membership = Membership.objects.get(user=annotator, project=project)
    assert membership.paused_at is None and membership.paused_reason == ""
    assert list(AuditEvent.objects.filter(subject=annotator).order_by("id").values_list("action", "reason")) == [
        ("paused", "Checking gold."),
        ("resumed", "Talked it through."),
    ]


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_the_services_refuse_a_missing_or_overlong_reason(project, lead, annotator, reason):
    with pytest.raises(ValidationError):
        membership_pause(project=project, user=annotator, actor=lead, reason=reason)
    membership_pause(project=project, user=annotator, actor=lead, reason="Fine.")
    with pytest.raises(ValidationError):
        membership_resume(project=project, user=annotator, actor=lead, reason=reason)
    assert AuditEvent.objects.filter(subject=annotator).count() == 1


def test_only_annotators_can_be_paused(project, lead, engineer, outsider):
    for user in (lead, engineer, outsider):
        with pytest.raises(Membership.DoesNotExist):
            membership_pause(project=project, user=user, actor=lead, reason="No.")
    assert not AuditEvent.objects.exists()


# The lead's actions on the card. -----------------------------------------------------------------


def test_a_lead_pauses_an_annotator_who_then_cannot_start_a_sitting(client, project, lead, annotator, pairs):
    client.force_login(lead)
    response = client.post(action_url(project, annotator.id, "pause"), {"reason": "Gold accuracy is low."})
    assert response.status_code == 302
    assert response["Location"] == card_url(project, annotator.id)
    membership = Membership.objects.get(user=annotator, project=project)
    assert membership.paused_at is not None and membership.paused_reason == "Gold accuracy is low."
    event = AuditEvent.objects.get(subject=annotator)
    assert (event.action, event.actor, event.reason) == ("paused", lead, "Gold accuracy is low.")
    page = client.get(response["Location"]).content.decode()
    assert "annotator is paused: they cannot start new sittings until resumed." in page

    client.force_login(annotator)
    refused = start_sitting(client, project)
    assert refused.status_code == 409
    assert refused.json()["code"] == "paused"


def test_the_lead_is_told_when_the_pause_ended_a_sitting_the_annotator_had_open(
    client, project, lead, annotator, pairs
):
    client.force_login(annotator)
    assert start_sitting(client, project).status_code == 201
    client.force_login(lead)
    response = client.post(action_url(project, annotator.id, "pause"), {"reason": "Too fast on gold."})
    page = client.get(response["Location"]).content.decode()
    assert "annotator is paused: the sitting they had open has ended" in page
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "paused"


def test_a_lead_resumes_a_paused_annotator_who_then_can_start_a_sitting(client, project, lead, annotator, pairs):
    membership_pause(project=project, user=annotator, actor=lead, reason="Checking.")
    client.force_login(lead)
    response = client.post(action_url(project, annotator.id, "resume"), {"reason": "Checked, all fine."})
    assert response.status_code == 302
    assert Membership.objects.get(user=annotator, project=project).paused_at is None
    assert list(AuditEvent.objects.order_by("id").values_list("action", "actor", "reason")) == [
        ("paused", lead.id, "Checking."),
        ("resumed", lead.id, "Checked, all fine."),
    ]
    assert "annotator can start sittings again." in client.get(response["Location"]).content.decode()

    client.force_login(annotator)
    assert start_sitting(client, project).status_code == 201


def test_pausing_a_paused_annotator_again_says_nothing_changed(client, project, lead, annotator):
    membership_pause(project=project, user=annotator, actor=lead, reason="First.")
    client.force_login(lead)
    response = client.post(action_url(project, annotator.id, "pause"), {"reason": "Second."}, follow=True)
    assert "annotator was already paused; nothing changed." in response.content.decode()
    assert AuditEvent.objects.count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_the_reason_is_required(client, project, lead, annotator, reason):
    client.force_login(lead)
    response = client.post(action_url(project, annotator.id, "pause"), {"reason": reason})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true" aria-describedby="reason-error"' in html
    assert '<p id="reason-error" class="field-error" role="alert">This field is required.</p>' in html
    assert Membership.objects.get(user=annotator, project=project).paused_at is None
    assert not AuditEvent.objects.exists()


def test_engineers_get_a_403_on_the_actions(client, project, lead, engineer, annotator):
    client.force_login(engineer)
    assert client.post(action_url(project, annotator.id, "pause"), {"reason": "No."}).status_code == 403
    membership_pause(project=project, user=annotator, actor=lead, reason="Yes.")
    assert client.post(action_url(project, annotator.id, "resume"), {"reason": "No."}).status_code == 403
    assert Membership.objects.get(user=annotator, project=project).paused_at is not None
    assert AuditEvent.objects.count() == 1


def test_annotators_and_outsiders_get_a_404_on_the_actions(client, project, annotator, annotator2, outsider):
    for user in (annotator, annotator2, outsider):
        client.force_login(user)
        for action in ("pause", "resume"):
            assert client.post(action_url(project, annotator2.id, action), {"reason": "No."}).status_code == 404
    assert not AuditEvent.objects.exists()


def test_an_action_on_someone_who_is_not_an_annotator_says_nothing_changed(client, project, lead, engineer):
    # A lead whose card was opened before a removal got a bare 404 (found by the lead walkthrough).
    client.force_login(lead)
    for user_id in (lead.id, engineer.id, 999_999):
        response = client.post(action_url(project, user_id, "pause"), {"reason": "No."}, follow=True)
        assert [str(m) for m in response.context["messages"]] == [NO_ANNOTATOR]
    assert not AuditEvent.objects.exists()


def test_the_actions_want_a_post_with_a_csrf_token(project, lead, annotator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    assert client.get(action_url(project, annotator.id, "pause")).status_code == 405
    assert client.post(action_url(project, annotator.id, "pause"), {"reason": "No token."}).status_code == 403
    assert Membership.objects.get(user=annotator, project=project).paused_at is None


def test_an_anonymous_visitor_is_sent_to_log_in(client, project, annotator):
    response = client.post(action_url(project, annotator.id, "pause"), {"reason": "Who?"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Membership.objects.get(user=annotator, project=project).paused_at is None


def test_pausing_ends_the_open_sitting_and_its_pairs_go_to_other_annotators(project, lead, annotator, annotator2):
    project.judgments_per_pair = 1
    project.save()
    make_pairs(project, 2)
    t0 = nine_am(0)
    sitting_start(project=project, annotator=annotator, now=t0)
    shown, _ = assignment_next(project=project, annotator=annotator, now=t0)
    prefetched, _ = assignment_next(project=project, annotator=annotator, exclude=[shown.id], now=t0)
    paused_at = t0 + dt.timedelta(seconds=30)
    change = membership_pause(project=project, user=annotator, actor=lead, reason="Checking gold.", now=paused_at)
    assert change.sitting_ended
    sitting = AnnotationSession.objects.get(annotator=annotator)
    assert (sitting.end_reason, sitting.ended_at) == ("paused", paused_at)
    assert set(Assignment.objects.filter(annotator=annotator).values_list("state", flat=True)) == {"released"}
    # The answer to the pair still on their screen comes too late.
    with pytest.raises(AnnotationError) as refused:
        judgment_submit(
            assignment_id=shown.id,
            annotator=annotator,
            side=Side.LEFT,
            dwell_ms=20_000,
            now=paused_at + dt.timedelta(seconds=5),
        )
    assert refused.value.code == "sitting_ended"
    assert not Judgment.objects.exists()
    later = paused_at + dt.timedelta(minutes=1)
    sitting_start(project=project, annotator=annotator2, now=later)
    first, _ = assignment_next(project=project, annotator=annotator2, now=later)
    second, _ = assignment_next(project=project, annotator=annotator2, exclude=[first.id], now=later)
    assert {first.pair_id, second.pair_id} == {shown.pair_id, prefetched.pair_id}


def test_pausing_after_a_sitting_went_idle_keeps_the_idle_timeout_as_its_end(project, lead, annotator):
    make_pairs(project, 2)
    t0 = nine_am(0)
    sitting_start(project=project, annotator=annotator, now=t0)
    assignment_next(project=project, annotator=annotator, now=t0)
    idle_end = t0 + dt.timedelta(minutes=project.idle_timeout_minutes)
    change = membership_pause(
        project=project, user=annotator, actor=lead, reason="Away.", now=idle_end + dt.timedelta(minutes=1)
    )
    assert not change.sitting_ended
    sitting = AnnotationSession.objects.get(annotator=annotator)
    assert (sitting.end_reason, sitting.ended_at) == ("idle", idle_end)


def a_query_waits_for_a_lock(timeout: float = 10.0) -> bool:
    """Whether, within `timeout` seconds, a statement of this database waits for a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


def test_a_lead_pausing_while_an_answer_is_on_its_way_refuses_the_answer_and_nothing_deadlocks(
    transactional_db, project, lead, annotator, monkeypatch
):
    """The pause takes the sitting's lock before the membership's, as an answer that trips the gold
    rule does. Stopped once it holds the membership, it makes that answer wait at the sitting; taken
    the other way round, the answer would hold the sitting and wait for the membership: a deadlock."""
    project.gold_rate, project.gold_recent, project.gold_min_accuracy = 1.0, 1, 1.0
    project.save()
    make_pairs(project, 3)
    Pair.objects.update(gold_answer="a")
    t0 = timezone.now()
    sitting_start(project=project, annotator=annotator, now=t0)
    gold, _ = assignment_next(project=project, annotator=annotator, now=t0)
    assert gold.is_gold
    locked, go, errors = threading.Event(), threading.Event(), []
    original = members_module._annotator_lock

    def lock_then_wait(**kwargs):
        membership = original(**kwargs)
        locked.set()
        go.wait(10)
        return membership

    monkeypatch.setattr(members_module, "_annotator_lock", lock_then_wait)
    pause = in_thread(lambda: membership_pause(project=project, user=annotator, actor=lead, reason="Now."), errors)
    assert locked.wait(10)
    refusals = []

    def answer_wrong():
        try:
            judgment_submit(assignment_id=gold.id, annotator=annotator, side=wrong_on_gold(gold), dwell_ms=1_000)
        except AnnotationError as refusal:
            refusals.append(refusal.code)

    answer = in_thread(answer_wrong, errors)
    assert a_query_waits_for_a_lock(), "the answer never reached the sitting's lock"
    go.set()
    pause.join()
    answer.join()
    assert errors == []
    assert refusals == ["sitting_ended"]
    assert not Judgment.objects.exists()
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "paused"
    assert list(AuditEvent.objects.values_list("action", "actor")) == [("paused", lead.id)]


def test_pausing_an_annotator_already_paused_in_the_admin_still_ends_the_sitting_they_have_open(
    project, lead, annotator
):
    make_pairs(project, 3)
    t0 = nine_am(0)
    sitting_start(project=project, annotator=annotator, now=t0)
    assignment_next(project=project, annotator=annotator, now=t0)
    Membership.objects.filter(user=annotator).update(paused_at=t0, paused_reason="Set in the admin.")
    change = membership_pause(
        project=project, user=annotator, actor=lead, reason="Again.", now=t0 + dt.timedelta(seconds=5)
    )
    assert not change.changed and change.sitting_ended
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "paused"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (lambda project, user, at: assignment_next(project=project, annotator=user, now=at), "sitting_ended"),
        (lambda project, user, at: sitting_start(project=project, annotator=user, now=at), "paused"),
    ],
    ids=["next pair", "start"],
)
def test_a_sitting_left_open_by_a_pause_set_another_way_ends_at_its_next_request(project, annotator, request_, code):
    make_pairs(project, 3)
    t0 = nine_am(0)
    sitting_start(project=project, annotator=annotator, now=t0)
    shown, _ = assignment_next(project=project, annotator=annotator, now=t0)
    # Paused in the admin (or before a pause ended sittings): nothing closed the sitting then.
    Membership.objects.filter(user=annotator).update(paused_at=t0, paused_reason="Set in the admin.")
    later = t0 + dt.timedelta(seconds=20)
    with pytest.raises(AnnotationError) as refused:
        request_(project, annotator, later)
    assert refused.value.code == code
    sitting = AnnotationSession.objects.get(annotator=annotator)
    assert (sitting.end_reason, sitting.ended_at) == ("paused", later)
    assert Assignment.objects.get(pk=shown.pk).state == "released"
    with pytest.raises(AnnotationError) as answer:
        judgment_submit(assignment_id=shown.id, annotator=annotator, side=Side.LEFT, dwell_ms=10_000, now=later)
    assert answer.value.code == "sitting_ended"


def test_a_paused_annotator_with_an_ended_sitting_behind_them_cannot_start_another(project, lead, annotator):
    """The start reads the pause from the statement that locks their latest sitting (a first sitting
    has none to lock, and reads it apart): refused here too."""
    make_pairs(project, 3)
    t0 = nine_am(0)
    sitting_start(project=project, annotator=annotator, now=t0)
    sitting_end(project=project, annotator=annotator, now=t0 + dt.timedelta(minutes=1))
    membership_pause(
        project=project, user=annotator, actor=lead, reason="Checking gold.", now=t0 + dt.timedelta(minutes=2)
    )
    after_the_break = t0 + dt.timedelta(minutes=1 + project.break_minutes + 1)
    with pytest.raises(AnnotationError) as refused:
        sitting_start(project=project, annotator=annotator, now=after_the_break)
    assert refused.value.code == "paused"
    assert AnnotationSession.objects.filter(annotator=annotator).count() == 1


# The automatic pause, seen on the card. ------------------------------------------------------------


def wrong_on_gold(assignment) -> str:
    """Always response B, which is wrong on the gold pairs (their answer is A)."""
    return Side.LEFT if assignment.left_response == "b" else Side.RIGHT


def wrong_on_two_gold_pairs(project, annotator, *, days_ago: int, item_limit: int) -> None:
    """One sitting `days_ago` days back: six ordinary pairs, then two gold pairs answered wrongly, the
    second of which pauses the annotator (and ends the sitting) under `gold_project`'s rule."""
    judge(
        project,
        annotator,
        start=nine_am(days_ago),
        step=dt.timedelta(seconds=30),
        dwell=lambda i: 20_000,
        choose=wrong_on_gold,
        item_limit=item_limit,
        phases=(("ordinary", 6), ("gold", 2)),
    )


@pytest.fixture
def gold_project(project):
    project.gold_recent = 2
    project.gold_min_accuracy = 0.6
    project.judgments_per_pair = 1
    project.probe_min_gap = 1
    project.sitting_minutes = 60
    project.save()
    make_pairs(project, 10)
    Pair.objects.filter(id__in=[p.id for p in make_pairs(project, 6, prefix="gold")]).update(gold_answer="a")
    return project


def test_the_gold_rule_pause_shows_on_the_card_as_automatic(client, gold_project, lead, annotator):
    wrong_on_two_gold_pairs(gold_project, annotator, days_ago=1, item_limit=13)
    membership = Membership.objects.get(user=annotator, project=gold_project)
    assert membership.paused_at is not None
    client.force_login(lead)
    html = client.get(card_url(gold_project, annotator.id)).content.decode()
    log = table_rows(html, "Audit log")
    assert [row[1:3] for row in log[1:]] == [["paused", "automatic (gold accuracy rule)"]]
    assert log[1][3].startswith("Gold accuracy 0% over the last 2 gold pairs")


def one_right_gold_answer(project, annotator, *, at: dt.datetime) -> None:
    """A sitting started at `at` in which the annotator answers one gold pair rightly."""
    sitting_start(project=project, annotator=annotator, now=at)
    project.gold_rate = 1.0
    project.save(update_fields=["gold_rate"])
    assignment, _ = assignment_next(project=project, annotator=annotator, now=at + dt.timedelta(seconds=30))
    assert assignment.is_gold
    side = Side.LEFT if assignment.left_response == "a" else Side.RIGHT
    judgment_submit(
        assignment_id=assignment.id, annotator=annotator, side=side, dwell_ms=10_000, now=at + dt.timedelta(seconds=40)
    )


def test_a_resumed_annotator_is_judged_on_gold_answered_after_the_resume(gold_project, lead, annotator):
    wrong_on_two_gold_pairs(gold_project, annotator, days_ago=2, item_limit=13)
    later = nine_am(1)
    membership_resume(
        project=gold_project, user=annotator, actor=lead, reason="Retrained on the guidelines.", now=later
    )
    # Now right on every gold pair: one correct answer after the resume must not pause again.
    one_right_gold_answer(gold_project, annotator, at=later)
    assert Membership.objects.get(user=annotator, project=gold_project).paused_at is None


def test_an_annotator_paused_by_the_gold_rule_removed_and_added_again_is_judged_on_new_gold_only(
    gold_project, lead, annotator
):
    wrong_on_two_gold_pairs(gold_project, annotator, days_ago=2, item_limit=13)
    # The lead takes them off the Members page and adds them again: the pause goes with the membership.
    members_module.membership_remove(project=gold_project, user_id=annotator.pk, actor=lead)
    members_module.membership_add(project=gold_project, username="annotator", role="annotator", actor=lead)
    one_right_gold_answer(gold_project, annotator, at=timezone.now())
    # A right answer, so not paused again on the strength of the wrong ones before the removal.
    assert Membership.objects.get(user=annotator, project=gold_project).paused_at is None


def test_a_gold_answer_that_pauses_on_the_sittings_last_item_ends_it_as_paused_not_as_full(gold_project, annotator):
    # Eight items: the second wrong gold answer, which pauses, is also the sitting's last.
    wrong_on_two_gold_pairs(gold_project, annotator, days_ago=1, item_limit=8)
    sitting = AnnotationSession.objects.get(annotator=annotator)
    assert (sitting.items_done, sitting.end_reason) == (8, "paused")


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_a_pause_or_resume_that_meets_a_removal_says_so_not_an_error(client, project, lead, annotator, action):
    # The other lead's removal on the Members page commits between the card's read of the annotator
    # and the service's lock on their membership.
    real = {"pause": membership_pause, "resume": membership_resume}[action]

    def after_a_removal(**kwargs):
        members_module.membership_remove(project=project, user_id=annotator.pk, actor=lead)
        return real(**kwargs)

    client.force_login(lead)
    with mock.patch(f"analytics.scorecards.membership_{action}", after_a_removal):
        response = client.post(action_url(project, annotator.pk, action), {"reason": "Checking."}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [NO_ANNOTATOR]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["removed"]
