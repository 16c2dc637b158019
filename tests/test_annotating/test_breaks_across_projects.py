"""Sittings and breaks are the person's: one sitting open at a time, in any project, and a break
that follows a sitting holds in every project (before, switching projects skipped the break), in
another for an hour at most, or that project's own break if longer."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from annotate.models import AnnotationSession, EndReason, Membership, Project, Role
from annotate.services.annotating import (
    AnnotationError,
    assignment_next,
    judgment_submit,
    sitting_end,
    sitting_start,
)
from annotate.services.annotating import assignment as assignment_module
from tests.conftest import make_pairs, make_user

from .test_races import in_thread
from .test_sittings_api import start


@pytest.fixture
def x_and_y(db):
    x = Project.objects.create(slug="x", name="Project X", sitting_minutes=20, break_minutes=10, idle_timeout_minutes=5)
    y = Project.objects.create(slug="y", name="Project Y", sitting_minutes=20, break_minutes=3, idle_timeout_minutes=5)
    for project in (x, y):
        make_pairs(project, 6, prefix=project.slug)
    return x, y


@pytest.fixture
def person(x_and_y):
    user = make_user("both")
    for project in x_and_y:
        Membership.objects.create(user=user, project=project, role=Role.ANNOTATOR)
    return user


def refusal(project, person) -> AnnotationError:
    with pytest.raises(AnnotationError) as refused:
        sitting_start(project=project, annotator=person)
    return refused.value


def sittings(project, person) -> list[AnnotationSession]:
    return list(AnnotationSession.objects.filter(project=project, annotator=person).order_by("started_at"))


@pytest.mark.django_db
def test_a_break_after_a_sitting_in_one_project_holds_in_the_other(x_and_y, person, clock):
    x, y = x_and_y
    first, _ = sitting_start(project=x, annotator=person)
    clock.advance(minutes=4)
    sitting_end(project=x, annotator=person)
    clock.advance(minutes=9)
    refused = refusal(y, person)
    assert refused.code == "on_break"
    assert refused.sitting.pk == first.pk
    assert "Project X" in str(refused)
    assert sittings(y, person) == []
    clock.advance(minutes=1)  # x's 10-minute break is over
    opened, created = sitting_start(project=y, annotator=person)
    assert created and opened.project_id == y.pk


@pytest.mark.django_db
def test_a_break_of_a_week_holds_elsewhere_for_an_hour_or_that_projects_own_break(x_and_y, person, api, clock):
    # Found by the second security audit: a lead who set their project's break to a week, and added an
    # annotator of another project to it, kept them out of that other project for the week.
    x, y = x_and_y
    x.break_minutes = 7 * 24 * 60
    x.save(update_fields=["break_minutes"])
    sitting_start(project=x, annotator=person)
    clock.advance(minutes=4)
    ended = sitting_end(project=x, annotator=person).ended_at
    clock.advance(minutes=59)
    refused = refusal(y, person)
    assert (refused.code, refused.break_until) == ("on_break", ended + dt.timedelta(hours=1))
    body = api(person).post("/api/projects/y/sittings/", format="json").json()
    assert (body["code"], body["break_seconds_left"]) == ("on_break", 60)
    clock.advance(minutes=1)
    assert sitting_start(project=y, annotator=person)[1] is True
    sitting_end(project=y, annotator=person)
    # In x itself its week holds; a project whose own break is longer than an hour waits that long.
    clock.advance(hours=2)
    assert refusal(x, person).break_until == ended + dt.timedelta(days=7)
    y.break_minutes = 4 * 60
    y.save(update_fields=["break_minutes"])
    assert refusal(y, person).break_until == ended + dt.timedelta(hours=4)


@pytest.mark.django_db
def test_a_sitting_open_in_one_project_refuses_a_start_in_the_other_until_it_ends(x_and_y, person, clock):
    x, y = x_and_y
    open_x, _ = sitting_start(project=x, annotator=person)
    assignment, _ = assignment_next(project=x, annotator=person)
    clock.advance(minutes=2)
    refused = refusal(y, person)
    assert refused.code == "open_elsewhere"
    assert refused.sitting.pk == open_x.pk
    assert "Project X" in str(refused)
    assert sittings(y, person) == []
    open_x.refresh_from_db()
    assert open_x.is_open  # the refusal leaves it as it was: its lease still answers
    judgment_submit(assignment_id=assignment.id, annotator=person, side="left")
    sitting_end(project=x, annotator=person)
    assert refusal(y, person).code == "on_break"  # and then its break


@pytest.mark.django_db
def test_a_sitting_left_open_past_its_limit_elsewhere_is_closed_at_it_and_its_break_counts(x_and_y, person, clock):
    x, y = x_and_y
    open_x, _ = sitting_start(project=x, annotator=person)  # the tab was closed; idle after 5 minutes
    clock.advance(minutes=7)
    refused = refusal(y, person)
    assert refused.code == "on_break"
    open_x.refresh_from_db()
    assert (open_x.end_reason, open_x.ended_at) == (EndReason.IDLE, open_x.started_at + dt.timedelta(minutes=5))
    assert refused.sitting.pk == open_x.pk
    assert refused.sitting.break_until == open_x.ended_at + dt.timedelta(minutes=10)
    clock.advance(minutes=8)  # 15 minutes after it went idle
    assert sitting_start(project=y, annotator=person)[1] is True


@pytest.mark.django_db
def test_of_sittings_left_open_side_by_side_the_longest_break_is_the_one_to_wait_for(x_and_y, person, clock):
    """Sittings open in two projects at once, as before this rule (or through the admin): each runs
    to its end, no third starts, and after them the break that runs longest holds everywhere."""
    x, y = x_and_y
    open_x, _ = sitting_start(project=x, annotator=person)
    open_y = AnnotationSession.objects.create(
        project=y,
        annotator=person,
        started_at=open_x.started_at,
        deadline=open_x.deadline,
        item_limit=10,
        last_activity_at=open_x.started_at,
        ordinal_today=2,
        stretch_started_at=open_x.started_at,
    )
    assert sitting_start(project=y, annotator=person) == (open_y, False)  # its own open sitting goes on
    clock.advance(minutes=1)
    sitting_end(project=y, annotator=person)  # y's break: 3 minutes
    assert refusal(y, person).code == "open_elsewhere"
    sitting_end(project=x, annotator=person)  # x's: 10 minutes
    clock.advance(minutes=4)
    refused = refusal(y, person)
    assert (refused.code, refused.sitting.pk) == ("on_break", open_x.pk)


@pytest.mark.django_db
def test_a_break_in_the_same_project_is_refused_with_its_own_words(x_and_y, person, clock):
    x, _ = x_and_y
    sitting_start(project=x, annotator=person)
    own = sitting_end(project=x, annotator=person)
    refused = refusal(x, person)
    assert (refused.code, refused.sitting.pk) == ("on_break", own.pk)
    assert str(refused) == "You are on a break. The next sitting can start when it ends."


@pytest.mark.django_db
def test_the_api_names_the_other_project_and_links_its_page(person, api, clock):
    client = api(person)
    assert start(client, "x").status_code == 201
    response = start(client, "y")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "open_elsewhere"
    assert body["elsewhere"] == {"slug": "x", "name": "Project X", "url": "/projects/x/annotate/"}
    assert body["sitting"]["is_open"] is True
    assert client.post("/api/projects/x/sittings/current/end/").status_code == 200
    clock.advance(minutes=4)
    body = start(client, "y").json()
    assert body["code"] == "on_break"
    assert body["elsewhere"]["slug"] == "x"
    assert body["break_seconds_left"] == 6 * 60
    # Its own break names no other project.
    clock.advance(minutes=6)
    assert start(client, "y").status_code == 201
    assert client.post("/api/projects/y/sittings/current/end/").status_code == 200
    body = start(client, "y").json()
    assert (body["code"], "elsewhere" in body, body["break_seconds_left"]) == ("on_break", False, 3 * 60)


@pytest.mark.django_db
def test_a_stranger_to_the_other_project_is_still_told_of_their_own_sitting_there(x_and_y, person, api, clock):
    """Taken off x with the break after their sitting there still running: the break is theirs, so it
    holds in y, and the refusal names x, where they worked."""
    x, _ = x_and_y
    client = api(person)
    assert start(client, "x").status_code == 201
    assert client.post("/api/projects/x/sittings/current/end/").status_code == 200
    Membership.objects.filter(user=person, project=x).delete()
    body = start(client, "y").json()
    assert (body["code"], body["elsewhere"]["slug"]) == ("on_break", "x")


@pytest.mark.django_db(transaction=True)
def test_starts_in_two_projects_at_once_open_one_sitting(x_and_y, person):
    """Without the annotator's row lock both starts saw nothing open elsewhere and both opened."""
    for round_ in range(4):
        barrier = threading.Barrier(2)
        outcomes: list[str] = []
        errors: list[str] = []

        def start_in(project, barrier=barrier, outcomes=outcomes) -> None:
            barrier.wait()
            try:
                sitting_start(project=project, annotator=person)
                outcomes.append("opened")
            except AnnotationError as error:
                outcomes.append(error.code)

        threads = [in_thread(lambda project=project: start_in(project), errors) for project in x_and_y]
        for thread in threads:
            thread.join()
        assert errors == []
        assert sorted(outcomes) == ["open_elsewhere", "opened"], round_
        assert AnnotationSession.objects.filter(annotator=person, ended_at__isnull=True).count() == 1
        AnnotationSession.objects.filter(annotator=person).update(
            ended_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), break_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        )


@pytest.mark.django_db(transaction=True)
def test_a_start_waiting_for_a_sitting_another_request_holds_does_not_deadlock(x_and_y, person, monkeypatch):
    """Found in review: the start's FOR UPDATE on the user row blocked the FOR KEY SHARE that the next
    pair's new lease takes on it at commit (its foreign key to the annotator), while the start waited
    for that request's sitting: PostgreSQL broke the deadlock with an error."""
    x, y = x_and_y
    sitting_start(project=x, annotator=person)
    leased = threading.Event()
    go_on = threading.Event()
    original = assignment_module._assignment_lease

    def lease_then_wait(**kwargs):
        result = original(**kwargs)
        leased.set()
        go_on.wait(10)
        return result

    monkeypatch.setattr(assignment_module, "_assignment_lease", lease_then_wait)
    errors: list[str] = []
    outcomes: list[str] = []

    def start_in_y() -> None:
        try:
            sitting_start(project=y, annotator=person)
            outcomes.append("opened")
        except AnnotationError as error:
            outcomes.append(error.code)

    next_pair = in_thread(lambda: assignment_next(project=x, annotator=person), errors)
    assert leased.wait(10)
    start = in_thread(start_in_y, errors)
    start.join(0.5)  # it waits for x's sitting, which the next pair holds until it commits
    go_on.set()
    next_pair.join()
    start.join()
    assert errors == []
    assert outcomes == ["open_elsewhere"]


@pytest.mark.django_db
def test_a_sitting_left_open_in_a_project_they_no_longer_annotate_is_ended_not_a_dead_end(x_and_y, person, clock):
    """Found in review: the removal's own close runs after its commit and only logs a failure; a sitting
    it missed refused every start elsewhere with a link to a page that is a 404 to them."""
    x, y = x_and_y
    open_x, _ = sitting_start(project=x, annotator=person)
    Membership.objects.filter(user=person, project=x).update(role=Role.ENGINEER)  # no signal: the close missed
    clock.advance(minutes=1)
    refused = refusal(y, person)
    open_x.refresh_from_db()
    assert (open_x.end_reason, open_x.ended_at) == (EndReason.REMOVED, clock.now)
    assert (refused.code, refused.sitting.pk) == ("on_break", open_x.pk)


@pytest.mark.django_db
def test_progress_foresees_what_a_start_would_meet_in_another_project(x_and_y, person, api, clock):
    """So that the page opens on the other project's sitting or break, not on a start button that
    would only be refused."""
    _, y = x_and_y
    client = api(person)

    def foreseen() -> dict | None:
        return client.get("/api/projects/y/progress/").json()["start_refused"]

    assert foreseen() is None
    assert start(client, "x").status_code == 201
    refused = foreseen()
    assert (refused["code"], refused["elsewhere"]["slug"], refused["sitting"]["is_open"]) == (
        "open_elsewhere",
        "x",
        True,
    )
    assert client.get("/api/projects/x/progress/").json()["start_refused"] is None  # its own sitting is open
    assert client.post("/api/projects/x/sittings/current/end/").status_code == 200
    clock.advance(minutes=4)
    refused = foreseen()
    assert (refused["code"], refused["elsewhere"]["slug"], refused["break_seconds_left"]) == ("on_break", "x", 6 * 60)
    # x's own page reports its own break, as before.
    own = client.get("/api/projects/x/progress/").json()
    assert (own["on_break"], own["break_seconds_left"], own["start_refused"]) == (True, 6 * 60, None)
    clock.advance(minutes=6)
    assert foreseen() is None
    assert not AnnotationSession.objects.filter(project=y).exists()  # foreseeing starts nothing


@pytest.mark.django_db
def test_the_sitting_tells_the_page_the_break_the_project_gives_now(x_and_y, person, api, clock):
    """Found in a walkthrough: "End sitting" asked about the break the page loaded with, after a lead
    had changed it."""
    x, _ = x_and_y
    client = api(person)
    assert start(client, "x").json()["sitting"]["break_minutes"] == 10
    Project.objects.filter(pk=x.pk).update(break_minutes=2)
    body = client.post("/api/projects/x/next/", {"exclude": []}, format="json").json()
    assert body["sitting"]["break_minutes"] == 2
    ended = client.post("/api/projects/x/sittings/current/end/").json()["sitting"]
    assert ended["break_seconds_left"] == 2 * 60
