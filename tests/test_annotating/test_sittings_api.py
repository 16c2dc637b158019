"""Sittings over the API: start, limits enforced by the server clock, breaks, leases released."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from annotate.models import AnnotationSession, Assignment, AssignmentState, Judgment, Pair

pytestmark = pytest.mark.django_db


def start(client, slug="helpful"):
    return client.post(f"/api/projects/{slug}/sittings/", format="json")


def next_pair(client, slug="helpful", exclude=()):
    return client.post(f"/api/projects/{slug}/next/", {"exclude": list(exclude)}, format="json")


def submit(client, assignment_id, side="left", **extra):
    return client.post(f"/api/assignments/{assignment_id}/judgment/", {"side": side, **extra}, format="json")


def test_it_starts_a_sitting_and_returns_the_open_one_again(api, annotator, pairs, clock):
    client = api(annotator)
    first = start(client)
    assert first.status_code == 201
    again = start(client)
    assert again.status_code == 200
    assert again.json()["sitting"]["id"] == first.json()["sitting"]["id"]
    assert first.json()["sitting"]["seconds_left"] == 25 * 60


def test_it_serves_a_pair_without_revealing_a_or_b(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    body = next_pair(client).json()["assignment"]
    assert set(body) == {"id", "context", "left", "right", "served_at", "expires_at"}
    assignment = Assignment.objects.get(pk=body["id"])
    pair = assignment.pair
    assert body["left"] == pair.response(assignment.left_response).strip() or body["left"] == pair.response(
        assignment.left_response
    )
    assert "source_preference" not in str(body)
    assert body["context"][0]["role"] == "human"


def test_it_refuses_next_without_a_sitting(api, annotator, pairs):
    response = next_pair(api(annotator))
    assert response.status_code == 409
    assert response.json()["code"] == "no_sitting"


def test_the_time_limit_is_enforced_by_the_server(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    clock.advance(minutes=4)
    submit(client, assignment_id)
    for _ in range(5):
        clock.advance(minutes=4)
        next_id = next_pair(client).json()["assignment"]["id"]
        submit(client, next_id)
    clock.advance(minutes=2)  # 26 minutes in: past the 25-minute limit
    response = next_pair(client)
    assert response.status_code == 409
    sitting = response.json()["sitting"]
    assert response.json()["code"] == "sitting_ended"
    assert sitting["end_reason"] == "time"
    assert sitting["break_seconds_left"] == 5 * 60 - 60
    stored = AnnotationSession.objects.get()
    assert stored.ended_at == stored.deadline


def test_a_submit_after_the_deadline_is_refused_and_writes_nothing(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    clock.advance(minutes=4)
    next_pair(client, exclude=[assignment_id])
    clock.advance(minutes=22)
    response = submit(client, assignment_id)
    assert response.status_code == 409
    assert response.json()["code"] == "sitting_ended"
    assert not Judgment.objects.exists()
    assert Assignment.objects.filter(state=AssignmentState.RELEASED).count() == 2


def test_the_item_limit_ends_the_sitting_and_the_break_is_enforced(api, project, annotator, pairs, clock):
    project.sitting_items = 3
    project.save()
    client = api(annotator)
    start(client)
    for _ in range(3):
        assignment_id = next_pair(client).json()["assignment"]["id"]
        clock.advance(seconds=20)
        last = submit(client, assignment_id)
    sitting = last.json()["sitting"]
    assert sitting["is_open"] is False
    assert sitting["end_reason"] == "items"
    assert sitting["break_seconds_left"] == 5 * 60
    clock.advance(minutes=4)
    refused = start(client)
    assert refused.status_code == 409
    assert refused.json()["code"] == "on_break"
    assert refused.json()["break_seconds_left"] == 60
    clock.advance(minutes=1)
    assert start(client).status_code == 201


def test_the_idle_timeout_ends_the_sitting(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    next_pair(client)
    clock.advance(minutes=5, seconds=1)
    response = next_pair(client)
    assert response.status_code == 409
    assert response.json()["sitting"]["end_reason"] == "idle"


def test_a_lease_released_at_sitting_end_goes_to_someone_else(api, project, annotator, annotator2, clock):
    from tests.conftest import make_pairs

    (only,) = make_pairs(project, 1)
    project.judgments_per_pair = 1
    project.save()
    first, second = api(annotator), api(annotator2)
    start(first)
    assert next_pair(first).json()["assignment"] is not None
    start(second)
    assert next_pair(second).json()["assignment"] is None  # k=1 and the only pair is leased
    assert first.post("/api/projects/helpful/sittings/current/end/").json()["sitting"]["end_reason"] == "manual"
    only.refresh_from_db()
    assert only.lease_count == 0
    served = next_pair(second).json()["assignment"]
    assert Assignment.objects.get(pk=served["id"]).pair_id == only.id


def test_an_expired_lease_goes_back_to_the_pool(api, project, annotator, annotator2, clock):
    from tests.conftest import make_pairs

    (only,) = make_pairs(project, 1)
    project.judgments_per_pair = 1
    project.lease_minutes = 2
    project.save()
    first, second = api(annotator), api(annotator2)
    start(first)
    leased = next_pair(first).json()["assignment"]["id"]
    start(second)
    clock.advance(minutes=2)
    served = next_pair(second).json()["assignment"]
    assert served is not None
    assert Assignment.objects.get(pk=leased).state == AssignmentState.EXPIRED
    response = submit(first, leased)
    assert response.status_code == 409
    assert response.json()["code"] == "expired"
    assert Pair.objects.get(pk=only.pk).lease_count == 1


def test_progress_reports_a_sitting_past_its_limit_as_ended(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    clock.advance(minutes=7)
    body = client.get("/api/projects/helpful/progress/").json()
    assert body["sitting"]["is_open"] is False
    assert body["sitting"]["end_reason"] == "idle"  # ended at 5 minutes idle; the break runs to 10
    assert body["on_break"] is True
    assert body["break_seconds_left"] == 3 * 60


def test_the_periodic_sweep_closes_stale_sittings_and_frees_their_leases(api, project, annotator, pairs, clock):
    from annotate.tasks import close_stale_sittings_task

    client = api(annotator)
    start(client)
    leased = next_pair(client).json()["assignment"]["id"]
    clock.advance(minutes=6)  # past the 5-minute idle timeout; nobody asks for anything
    close_stale_sittings_task()  # what beat runs every minute
    sitting = AnnotationSession.objects.get()
    assert sitting.end_reason == "idle" and sitting.ended_at == sitting.started_at + dt.timedelta(minutes=5)
    assert Assignment.objects.get(pk=leased).state == AssignmentState.RELEASED
    assert Pair.objects.get(assignments__id=leased).lease_count == 0


def test_it_tells_the_page_when_the_sitting_goes_idle_and_an_answer_moves_that_on(api, annotator, pairs, clock):
    client = api(annotator)
    assert start(client).json()["sitting"]["idle_seconds_left"] == 5 * 60
    assignment = next_pair(client).json()["assignment"]
    clock.advance(minutes=2)
    assert next_pair(client, exclude=[assignment["id"]]).json()["sitting"]["idle_seconds_left"] == 3 * 60
    assert submit(client, assignment["id"]).json()["sitting"]["idle_seconds_left"] == 5 * 60


def activity(client, slug="helpful"):
    return client.post(f"/api/projects/{slug}/sittings/current/activity/", format="json")


def test_an_annotator_at_work_without_answering_is_not_idle(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    clock.advance(minutes=4)  # reading a long pair, writing a rationale: no answer for 4 of the 5 minutes
    reply = activity(client)
    assert reply.status_code == 200
    assert reply.json()["sitting"]["idle_seconds_left"] == 5 * 60
    clock.advance(minutes=4)  # 8 minutes since the last answer, 4 since the annotator was last at work
    assert submit(client, assignment_id, "right").status_code == 201
    assert AnnotationSession.objects.get().is_open


def test_word_of_activity_renews_the_lease_of_the_pair_on_screen_only(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    reading = next_pair(client).json()["assignment"]["id"]
    other = next_pair(client, exclude=[reading]).json()["assignment"]["id"]  # prefetched, not on screen
    for _ in range(3):  # 12 minutes on one pair, past its 10-minute lease, at work all along
        clock.advance(minutes=4)
        assert (
            client.post(
                "/api/projects/helpful/sittings/current/activity/", {"assignment": reading}, format="json"
            ).status_code
            == 200
        )
    leases = dict(Assignment.objects.values_list("id", "expires_at"))
    assert leases[reading] == clock() + dt.timedelta(minutes=10)
    assert leases[other] < clock()  # ran out: the sweep sends it back
    assert submit(client, reading, "right").status_code == 201
    # A lease that already ran out is not brought back to life; a value that is no id is refused.
    assert (
        client.post(
            "/api/projects/helpful/sittings/current/activity/", {"assignment": other}, format="json"
        ).status_code
        == 200
    )
    assert Assignment.objects.get(pk=other).expires_at == leases[other]
    assert (
        client.post("/api/projects/helpful/sittings/current/activity/", {"assignment": "x"}, format="json").status_code
        == 400
    )


def test_an_answer_renews_the_lease_of_the_pair_prefetched_behind_it(api, project, annotator, pairs, clock):
    # Found by the annotator page audit: the prefetched pair's lease ran from the prefetch, so a reader
    # who took most of a lease over one pair, then a minute and a half over the next, was refused.
    project.lease_minutes = project.idle_timeout_minutes = 5
    project.save(update_fields=["lease_minutes", "idle_timeout_minutes"])
    client = api(annotator)
    start(client)
    reading = next_pair(client).json()["assignment"]["id"]
    prefetched = next_pair(client, exclude=[reading]).json()["assignment"]["id"]
    clock.advance(minutes=4)  # a careful read, with no input the page reports
    assert submit(client, reading).status_code == 201
    assert Assignment.objects.get(pk=prefetched).expires_at == clock() + dt.timedelta(minutes=5)
    clock.advance(minutes=1, seconds=30)
    assert submit(client, prefetched, "right").status_code == 201
    # A lease already run out at the answer stays run out (the page does not show it): not revived.
    third = next_pair(client).json()["assignment"]["id"]
    fourth = next_pair(client, exclude=[third]).json()["assignment"]["id"]
    ran_out = clock() - dt.timedelta(seconds=1)
    Assignment.objects.filter(pk=fourth).update(expires_at=ran_out)
    clock.advance(seconds=30)
    assert submit(client, third).status_code == 201
    assert Assignment.objects.get(pk=fourth).expires_at == ran_out


def test_word_of_activity_does_not_reopen_a_sitting_already_idle_nor_stretch_its_time(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    next_pair(client)
    clock.advance(minutes=6)
    reply = activity(client)
    assert reply.status_code == 200
    assert (reply.json()["sitting"]["is_open"], reply.json()["sitting"]["end_reason"]) == (False, "idle")
    assert activity(client).status_code == 404  # no open sitting
    assert start(client).status_code == 409  # the break still follows
    sitting = AnnotationSession.objects.get()
    assert sitting.ended_at == sitting.started_at + dt.timedelta(minutes=5)
    clock.advance(minutes=10)
    start(client)
    for _ in range(7):  # at work all along, but the sitting's 25 minutes still end it
        clock.advance(minutes=4)
        activity(client)
    latest = AnnotationSession.objects.order_by("-id").first()
    assert (latest.is_open, latest.end_reason) == (False, "time")


def test_a_closed_project_starts_no_sitting_and_one_already_open_runs_to_its_end(api, project, annotator, pairs, clock):
    client = api(annotator)
    assert start(client).status_code == 201
    project.is_active = False
    project.save(update_fields=["is_active"])
    served = next_pair(client)
    assert served.status_code == 200
    clock.advance(seconds=20)
    assert submit(client, served.json()["assignment"]["id"]).status_code == 201
    assert client.post("/api/projects/helpful/sittings/current/end/", format="json").status_code == 200
    clock.advance(hours=1)  # past any break
    refused = start(client)
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["detail"]) == ("closed", "This project is closed for annotation.")
    assert AnnotationSession.objects.filter(annotator=annotator).count() == 1


def test_the_sweep_closes_a_stale_sitting_behind_idle_ones_that_are_not_stale(
    api, project, other_project, annotator, annotator2, clock
):
    """Each sitting by its own idle timeout, in the query: the sweep took the first of the sittings idle
    for a minute and only then checked each, so more of them than its limit kept a stale one open."""
    from annotate.models import Membership, Role
    from annotate.services.annotating import sittings_close_stale
    from tests.conftest import make_pairs

    other_project.idle_timeout_minutes = 30
    other_project.lease_minutes = 30
    other_project.save()
    Membership.objects.create(user=annotator2, project=other_project, role=Role.ANNOTATOR)
    make_pairs(project, 2)
    make_pairs(other_project, 2)
    assert start(api(annotator2), slug="other").status_code == 201  # reading a long pair: idle, not stale
    assert start(api(annotator)).status_code == 201
    clock.advance(minutes=6)  # past the 5-minute idle timeout of the sitting started second
    assert sittings_close_stale(limit=1) == 1
    open_now = dict(AnnotationSession.objects.values_list("annotator__username", "ended_at"))
    assert open_now["annotator2"] is None and open_now["annotator"] is not None


def test_the_periodic_sweep_expires_leases_in_a_closed_projects_open_sitting(api, project, annotator, pairs, clock):
    from annotate.tasks import close_stale_sittings_task

    project.lease_minutes = 1
    project.save()
    client = api(annotator)
    start(client)
    leased = next_pair(client).json()["assignment"]["id"]
    project.is_active = False
    project.save(update_fields=["is_active"])
    clock.advance(minutes=2)  # the lease has run out; the sitting (5-minute idle timeout) is still open
    close_stale_sittings_task()
    assert AnnotationSession.objects.get().is_open
    assert Assignment.objects.get(pk=leased).state == AssignmentState.EXPIRED
    assert Pair.objects.get(assignments__id=leased).lease_count == 0


def test_progress_says_whether_the_annotator_is_paused_now(api, project, annotator, lead, pairs, clock):
    from annotate.services.members import membership_pause, membership_resume

    client = api(annotator)
    start(client)

    def paused() -> bool:
        return client.get("/api/projects/helpful/progress/").json()["paused"]

    assert paused() is False
    membership_pause(project=project, user=annotator, actor=lead, reason="Checking gold.")
    assert paused() is True
    membership_resume(project=project, user=annotator, actor=lead, reason="Fine.")
    assert paused() is False
    # Others have no pause to tell.
    assert api(lead).get("/api/projects/helpful/progress/").json()["paused"] is False


def test_an_open_sitting_keeps_the_idle_timeout_it_started_with(api, project, annotator, lead, pairs, clock):
    # Found by the annotator page audit: a lead who lowered the idle timeout from 5 minutes to 1 ended
    # sittings open at the time, backdated, and the answer in hand was refused with a break to follow.
    # Raised, it brought back to life sittings that had gone idle unswept.
    from annotate.services.projects import project_settings_update

    client = api(annotator)
    start(client)
    reading = next_pair(client).json()["assignment"]["id"]
    clock.advance(minutes=4)
    project_settings_update(project=project, actor=lead, values={"idle_timeout_minutes": 1, "lease_minutes": 1})
    answered = submit(client, reading)
    assert answered.status_code == 201
    assert answered.json()["sitting"]["idle_seconds_left"] == 5 * 60
    # Its leases run as long as the idle timeout it kept, not the project's new minute (found by the
    # review of this change: an answer two minutes on was refused as run out).
    served = next_pair(client).json()["assignment"]
    assert Assignment.objects.get(pk=served["id"]).expires_at == clock() + dt.timedelta(minutes=5)
    # Gone idle, and not yet closed by anyone when the lead raises the idle timeout: not revived.
    clock.advance(minutes=5, seconds=1)
    project_settings_update(project=project, actor=lead, values={"idle_timeout_minutes": 30, "lease_minutes": 30})
    assert activity(client).json()["sitting"]["end_reason"] == "idle"
    sitting = AnnotationSession.objects.get()
    assert sitting.ended_at == clock() - dt.timedelta(seconds=1)  # 5 minutes after the answer
    # The next sitting takes the project's idle timeout as it is then.
    clock.advance(minutes=10)
    assert start(client).json()["sitting"]["idle_seconds_left"] == 30 * 60


def test_the_current_sitting_is_refused_in_the_words_of_the_other_sitting_endpoints(api, annotator, lead, pairs):
    """Found by the API audit: no sitting yet was a 404 without a code, the answer a page reads as
    "no longer a member", and a lead's was a 404 "No such project." in the lead's own project."""
    none_yet = api(annotator).get("/api/projects/helpful/sittings/current/")
    assert none_yet.status_code == 404
    assert none_yet.json()["code"] == "no_sitting"
    assert api(annotator).post("/api/projects/helpful/sittings/current/end/").json()["code"] == "no_sitting"
    refused = api(lead).get("/api/projects/helpful/sittings/current/")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_annotator")


def test_the_ordinal_that_day_counts_from_the_sites_midnight_by_the_sittings_start(
    api, annotator, pairs, clock, project, settings
):
    # Only the model's help text said whose day it is; no test held it, nor across a change of the clocks.
    settings.TIME_ZONE = "Europe/Berlin"
    project.sitting_minutes, project.break_minutes = 30, 5
    project.save()
    client = api(annotator)
    berlin = ZoneInfo("Europe/Berlin")
    # 28 March 2026: 22:30 and 23:40 (which runs past midnight); then the night the clocks skip 02:00-03:00.
    starts = [(28, 22, 30), (28, 23, 40), (29, 0, 20), (29, 1, 25), (29, 3, 5)]
    for day, hour, minute in starts:
        clock.now = dt.datetime(2026, 3, day, hour, minute, tzinfo=berlin).astimezone(dt.UTC)
        assert start(client).status_code == 201
        clock.advance(minutes=30)
        assert client.get("/api/projects/helpful/progress/").json()["sitting"]["is_open"] is False
    sittings = AnnotationSession.objects.filter(annotator=annotator).order_by("started_at")
    assert [s.ordinal_today for s in sittings] == [1, 2, 1, 2, 3]
    # A 30-minute sitting at 01:25 runs to 03:55 on the clocks: thirty minutes of real time.
    assert all(s.deadline - s.started_at == dt.timedelta(minutes=30) for s in sittings)
