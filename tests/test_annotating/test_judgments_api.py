"""Submitting judgments: derived on the server, written once, refused when the lease is not live."""

from __future__ import annotations

import pytest

from annotate.models import Judgment, Pair
from tests.test_annotating.test_sittings_api import next_pair, start, submit

pytestmark = pytest.mark.django_db


def test_the_server_derives_the_chosen_response_and_fills_the_metadata(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    clock.advance(seconds=30)
    first = next_pair(client).json()["assignment"]["id"]
    clock.advance(seconds=12)
    response = submit(client, first, "right", dwell_ms=11800, viewport_width=1280, viewport_height=800)
    assert response.status_code == 201
    judgment = Judgment.objects.get()
    assert judgment.side == "right"
    assert judgment.chosen_response == ("b" if judgment.left_response == "a" else "a")
    assert judgment.left_response == judgment.assignment.left_response
    assert judgment.dwell_ms == 11800
    assert (judgment.viewport_width, judgment.viewport_height) == (1280, 800)
    assert judgment.index_in_sitting == 1
    assert judgment.elapsed_in_sitting_ms == 42_000
    assert judgment.since_break_ms == 42_000
    assert judgment.sitting_ordinal_today == 1
    assert (judgment.answered_at - judgment.served_at).total_seconds() == 12
    second = next_pair(client).json()["assignment"]["id"]
    submit(client, second, "tie")
    tie = Judgment.objects.get(assignment_id=second)
    assert (tie.chosen_response, tie.index_in_sitting) == ("", 2)


def test_a_repeated_submit_returns_the_stored_judgment(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    first = submit(client, assignment_id, "left")
    again = submit(client, assignment_id, "right")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["judgment"] == first.json()["judgment"]
    assert Judgment.objects.count() == 1
    assert Judgment.objects.get().side == "left"
    assert Pair.objects.get(assignments__id=assignment_id).judgment_count == 1


def test_someone_elses_assignment_is_a_404_and_writes_nothing(api, annotator, annotator2, outsider, pairs, clock):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    assert submit(api(annotator2), assignment_id).status_code == 404
    assert submit(api(outsider), assignment_id).status_code == 404
    assert not Judgment.objects.exists()


def test_tie_and_skip_are_refused_where_the_project_does_not_allow_them(api, project, annotator, pairs, clock):
    project.allow_tie = False
    project.allow_skip = False
    project.save()
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    for side in ("tie", "skip", "a", "b"):
        assert submit(client, assignment_id, side).status_code == 400
    assert not Judgment.objects.exists()
    assert submit(client, assignment_id, "left").status_code == 201


def test_a_skip_does_not_count_toward_k(api, project, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    submit(client, assignment_id, "skip")
    pair = Pair.objects.get(assignments__id=assignment_id)
    assert (pair.judgment_count, pair.lease_count, pair.status) == (0, 0, 0)


def test_judgments_cannot_be_edited_or_deleted(api, annotator, pairs, clock):
    from annotate.models import ImmutableError

    client = api(annotator)
    start(client)
    submit(client, next_pair(client).json()["assignment"]["id"])
    judgment = Judgment.objects.get()
    judgment.side = "right"
    with pytest.raises(ImmutableError):
        judgment.save()
    with pytest.raises(ImmutableError):
        judgment.delete()


def test_the_database_refuses_an_edit_that_goes_around_the_model(api, annotator, pairs, clock):
    from django.db import IntegrityError, connection, transaction

    client = api(annotator)
    start(client)
    submit(client, next_pair(client).json()["assignment"]["id"], "left")
    written = Judgment.objects.values().get()
    for edit in (
        lambda: Judgment.objects.update(side="right", chosen_response="b"),
        lambda: connection.cursor().execute("UPDATE annotate_judgment SET dwell_ms = 1"),
    ):
        with pytest.raises(IntegrityError, match="A judgment is written once and never edited"), transaction.atomic():
            edit()
    assert Judgment.objects.values().get() == written


def test_a_dwell_longer_than_the_pair_has_been_out_is_refused(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    clock.advance(seconds=2)
    refused = submit(client, assignment_id, "left", dwell_ms=3_600_000)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert "2000 ms on the server's clock" in refused.json()["detail"]
    assert not Judgment.objects.exists()
    # Within a second's allowance (timer granularity), the client's figure is kept as sent.
    accepted = submit(client, assignment_id, "left", dwell_ms=2_900)
    assert accepted.status_code == 201
    assert Judgment.objects.get().dwell_ms == 2_900


# JSON text as sent: a lone surrogate cannot be encoded by the test client's own JSON renderer.
@pytest.mark.parametrize("key", [r"x\u0000", r"\ud800", "not-a-criterion"])
def test_a_skip_with_an_unknown_criterion_is_a_400_and_writes_nothing(api, project, annotator, pairs, clock, key):
    project.criteria = ["helpfulness", "harmlessness"]
    project.save()
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    body = '{"side": "skip", "criteria": {"' + key + '": "left"}}'
    response = client.post(f"/api/assignments/{assignment_id}/judgment/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Judgment.objects.exists()


def test_a_body_nested_too_deeply_is_a_400(api, annotator, pairs, clock):
    client = api(annotator)
    start(client)
    response = client.post("/api/projects/helpful/next/", "[" * 5000, content_type="application/json")
    assert response.status_code == 400


def test_a_body_over_the_memory_limit_is_a_413_in_json(api, annotator, pairs, clock, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = api(annotator)
    start(client)
    body = '{"exclude": [], "padding": "' + "x" * 20_000 + '"}'
    response = client.post("/api/projects/helpful/next/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 10,000 bytes.", "code": "too_large"}


def test_a_prefetched_pair_is_on_screen_only_from_the_answer_before_it(api, project, annotator, pairs, clock):
    # The page leases the next pair while one is on screen and shows it once that one is answered: a
    # client that claimed the time since the lease for it answered two pairs at once, neither fast.
    Pair.objects.filter(project=project).update(words_context=238, words_response_a=0, words_response_b=0)
    client = api(annotator)
    start(client)
    shown = next_pair(client).json()["assignment"]["id"]
    prefetched = next_pair(client, exclude=[shown]).json()["assignment"]["id"]
    clock.advance(seconds=40)
    assert submit(client, shown, "left", dwell_ms=40_000).json()["judgment"]["fast"] is False
    clock.advance(seconds=2)
    # Cut to the 2 s since the answer before (and the second of slack), not refused: a second tab may
    # have shown it earlier, and would be left with a pair it cannot answer.
    cut = submit(client, prefetched, "left", dwell_ms=40_000)
    assert cut.status_code == 201
    assert cut.json()["judgment"]["fast"] is True
    assert Judgment.objects.get(assignment_id=prefetched).dwell_ms == 3_000
    # Without a dwell from the client, the time since the answer before stands for it (30 s floor).
    shown = next_pair(client).json()["assignment"]["id"]
    third = next_pair(client, exclude=[shown]).json()["assignment"]["id"]
    clock.advance(seconds=40)
    assert submit(client, shown, "left", dwell_ms=40_000).json()["judgment"]["fast"] is False
    clock.advance(seconds=2)
    answered = submit(client, third, "left")
    assert answered.status_code == 201
    assert answered.json()["judgment"]["fast"] is True
    assert Judgment.objects.get(assignment_id=third).dwell_ms is None


def test_a_field_the_answer_does_not_know_is_refused_not_dropped(api, annotator, pairs, clock):
    """A client that misspelled `dwell_ms` had its answer stored without a dwell (and `strenght`
    without a strength): the metadata lost without a word. Refused, naming the field, as the
    imports' and exports' options are; nothing is written, and the answer sent again counts."""
    client = api(annotator)
    start(client)
    assignment_id = next_pair(client).json()["assignment"]["id"]
    clock.advance(seconds=10)
    refused = submit(client, assignment_id, "left", dwel_ms=9000)
    assert refused.status_code == 400
    assert list(refused.json()) == ["dwel_ms"] and "dwell_ms" in refused.json()["dwel_ms"][0]
    assert not Judgment.objects.exists()
    assert submit(client, assignment_id, "left", dwell_ms=9000).status_code == 201
    assert Judgment.objects.get().dwell_ms == 9000
    for url, body in [
        ("/api/projects/helpful/next/", {"exlude": [assignment_id]}),
        ("/api/projects/helpful/sittings/current/activity/", {"assignmnet": assignment_id}),
        ("/api/projects/helpful/sittings/current/end/", {"siting": 1}),
    ]:
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and list(response.json()) == list(body), (url, response.json())
    assert client.get("/api/projects/helpful/sittings/current/").json()["sitting"]["is_open"]
