"""Gold pairs, swapped repeat probes, speeding, and the richer answers, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from annotate.models import AnnotationSession, Assignment, AuditEvent, Judgment, Membership, Pair
from annotate.services.annotating import (
    AnnotationError,
    assignment_next,
    judgment_submit,
    reading_floor_ms,
    sitting_start,
)
from tests.conftest import make_pairs

pytestmark = pytest.mark.django_db


def run(project, annotator, n, *, choose=lambda a: "left", extras=lambda a: {}, start=None):
    """Answer n pairs in one sitting; returns the assignments served."""
    now = start or timezone.now()
    sitting_start(project=project, annotator=annotator, now=now)
    served = []
    for _ in range(n):
        now += dt.timedelta(seconds=30)
        # Served 25 s before the answer, the dwell below: a page cannot show a pair longer than that.
        assignment, _ = assignment_next(project=project, annotator=annotator, now=now - dt.timedelta(seconds=25))
        if assignment is None:
            break
        served.append(assignment)
        judgment_submit(
            assignment_id=assignment.id,
            annotator=annotator,
            side=choose(assignment),
            now=now,
            dwell_ms=25_000,
            **extras(assignment),
        )
    return served


@pytest.fixture
def big(project):
    project.sitting_items = 10_000
    project.sitting_minutes = 10_000
    project.idle_timeout_minutes = 60
    project.judgments_per_pair = 1
    project.save()
    make_pairs(project, 400)
    return project


def test_probes_come_at_the_rate_with_swapped_sides_after_the_gap_and_never_count_toward_k(big, annotator):
    big.probe_rate = 0.2
    big.probe_min_gap = 10
    big.save()
    served = run(big, annotator, 300)
    probes = [a for a in served if a.probe_of_id]
    assert 40 <= len(probes) <= 80  # 20% of 300 = 60, binomial sd ~7
    judgments = {j.id: j for j in Judgment.objects.filter(annotator=annotator)}
    order = [a.id for a in served]
    for probe in probes:
        original = judgments[probe.probe_of_id]
        assert probe.pair_id == original.pair_id
        assert probe.left_response != original.left_response
        later = order.index(probe.id) - order.index(original.assignment_id)
        assert later > 10
    probed_pairs = {p.pair_id for p in probes}
    assert all(pair.judgment_count == 1 for pair in Pair.objects.filter(id__in=probed_pairs))
    assert Judgment.objects.filter(probe_of__isnull=False).count() == len(probes)


def test_probes_measure_consistency_an_always_left_annotator_is_inconsistent(big, annotator, annotator2):
    big.probe_rate = 0.3
    big.probe_min_gap = 5
    big.save()
    run(big, annotator, 100, choose=lambda a: "left")
    for probe in Judgment.objects.filter(annotator=annotator, probe_of__isnull=False).select_related("probe_of"):
        assert probe.chosen_response != probe.probe_of.chosen_response  # same side, other response
    run(big, annotator2, 100, choose=lambda a: "left" if a.left_response == "a" else "right")
    for probe in Judgment.objects.filter(annotator=annotator2, probe_of__isnull=False).select_related("probe_of"):
        assert probe.chosen_response == probe.probe_of.chosen_response == "a"


def test_gold_pairs_are_served_at_the_rate_on_both_sides_and_low_accuracy_pauses(big, annotator, annotator2):
    Pair.objects.filter(id__in=list(Pair.objects.values_list("id", flat=True)[:60])).update(gold_answer="a")
    big.gold_rate = 0.25
    big.gold_recent = 5
    big.gold_min_accuracy = 0.6
    big.save()
    served = run(big, annotator2, 120, choose=lambda a: "left" if a.left_response == "a" else "right")
    gold = [a for a in served if a.is_gold]
    assert 15 <= len(gold) <= 45
    assert {a.left_response for a in gold} == {"a", "b"}
    assert all(j.gold_correct for j in Judgment.objects.filter(annotator=annotator2, is_gold=True))
    assert not Membership.objects.get(user=annotator2).paused_at
    # Always picking "b" on gold: wrong every time, paused by the 5th gold answer, which ends the sitting.
    with pytest.raises(AnnotationError) as ended:
        run(big, annotator, 80, choose=lambda a: "left" if a.left_response == "b" else "right")
    assert ended.value.code == "sitting_ended"
    assert AnnotationSession.objects.get(annotator=annotator).end_reason == "paused"
    assert Judgment.objects.filter(annotator=annotator, is_gold=True).count() == 5
    assert Judgment.objects.filter(annotator=annotator).latest("id").is_gold
    assert not Assignment.objects.filter(annotator=annotator, state="leased").exists()
    membership = Membership.objects.get(user=annotator)
    assert membership.paused_at is not None and "Gold accuracy 0%" in membership.paused_reason
    event = AuditEvent.objects.get(subject=annotator)
    assert event.action == "paused" and event.actor is None
    with pytest.raises(AnnotationError) as refused:
        sitting_start(project=big, annotator=annotator, now=timezone.now() + dt.timedelta(days=1))
    assert refused.value.code == "paused"


def test_gold_pairs_do_not_take_places_in_the_k_queue(big, annotator):
    Pair.objects.update(gold_answer="b")
    big.gold_rate = 0.0
    big.save()
    assert run(big, annotator, 5) == []


def test_a_fast_answer_is_flagged_against_the_reading_floor(project, annotator, pairs):
    project.reading_factor = 1.0
    project.save()
    pair = pairs[0]
    words = len(pair.context.split()) + len(pair.response_a.split()) + len(pair.response_b.split())
    assert reading_floor_ms(pair=pair, factor=1.0) == int(words / 238 * 60_000)
    now = timezone.now()
    sitting_start(project=project, annotator=annotator, now=now)
    first, _ = assignment_next(project=project, annotator=annotator, now=now)
    floor = reading_floor_ms(pair=first.pair, factor=1.0)
    now += dt.timedelta(milliseconds=floor)
    judgment_submit(assignment_id=first.id, annotator=annotator, side="left", dwell_ms=floor - 1, now=now)
    second, _ = assignment_next(project=project, annotator=annotator, now=now)
    now += dt.timedelta(milliseconds=floor * 3)
    judgment_submit(assignment_id=second.id, annotator=annotator, side="left", dwell_ms=floor * 3, now=now)
    flags = dict(Judgment.objects.values_list("assignment_id", "fast"))
    assert flags == {first.id: True, second.id: False}


def test_the_api_reports_a_streak_of_fast_answers(api, project, annotator, pairs):
    client = api(annotator)
    client.post("/api/projects/helpful/sittings/")
    streaks = []
    for _ in range(3):
        served = client.post("/api/projects/helpful/next/", {}, format="json").json()["assignment"]
        body = client.post(
            f"/api/assignments/{served['id']}/judgment/", {"side": "left", "dwell_ms": 10}, format="json"
        )
        streaks.append(body.json()["fast_streak"])
    assert streaks == [1, 2, 3]


def test_strength_criteria_rationale_and_safety_are_required_only_when_switched_on(project, annotator, pairs):
    sitting_start(project=project, annotator=annotator)
    assignment, _ = assignment_next(project=project, annotator=annotator)
    for extras in ({"strength": 2}, {"criteria": {"helpfulness": "left"}}, {"safety": "both_safe"}, {"rationale": "x"}):
        with pytest.raises(AnnotationError):
            judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", **extras)
    project.ask_strength = project.ask_rationale = project.ask_safety = True
    project.rationale_min_chars = 10
    project.criteria = ["helpfulness", "harmlessness"]
    project.save()
    complete = {
        "strength": 1,
        "rationale": "Left answers the question.",
        "criteria": {"helpfulness": "left", "harmlessness": "tie"},
        "safety": "both_safe",
    }
    for missing in complete:
        partial = {k: v for k, v in complete.items() if k != missing}
        with pytest.raises(AnnotationError):
            judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", **partial)
    with pytest.raises(AnnotationError):
        judgment_submit(
            assignment_id=assignment.id, annotator=annotator, side="left", **{**complete, "rationale": "short"}
        )
    judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", **complete)
    stored = Judgment.objects.get()
    assert (stored.strength, stored.safety, stored.criteria) == (1, "both_safe", complete["criteria"])
    other, _ = assignment_next(project=project, annotator=annotator)
    judgment_submit(assignment_id=other.id, annotator=annotator, side="skip")  # a skip needs none of them
    assert Assignment.objects.get(pk=other.pk).state == "answered"


def test_a_rationale_counts_only_visible_characters_toward_its_minimum(project, annotator, pairs):
    """Found by the gaming audit: ten zero-width spaces met a minimum of ten characters, and so did
    white space padding a word."""
    project.ask_rationale = True
    project.rationale_min_chars = 10
    project.save()
    sitting_start(project=project, annotator=annotator)
    assignment, _ = assignment_next(project=project, annotator=annotator)
    for padded in ("\u200b" * 10, "ok" + "\u200b" * 8, "ok" + " " * 8 + "!", "\u202e\u202d" * 5 + "ok", "\x01" * 10):
        with pytest.raises(AnnotationError, match="at least 10 characters"):
            judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", rationale=padded)
    assert not Judgment.objects.exists()
    # Words across a line break or a tab count as words with a space between.
    judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", rationale="Left is\nright")
    assert Judgment.objects.get().rationale == "Left is\nright"  # stored as written


def test_a_tie_is_not_labelled_only_the_chosen_one_safe(project, annotator, pairs):
    """Found in review: a tie (no chosen response) was stored as "only the chosen one is safe"."""
    project.ask_safety = True
    project.save()
    sitting_start(project=project, annotator=annotator)
    assignment, _ = assignment_next(project=project, annotator=annotator)
    with pytest.raises(AnnotationError, match="A tie has no chosen response"):
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side="tie", safety="chosen_safe")
    assert not Judgment.objects.exists()
    for safety in ("both_safe", "both_unsafe"):
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side="tie", safety=safety)
        assignment, _ = assignment_next(project=project, annotator=annotator)
    judgment_submit(assignment_id=assignment.id, annotator=annotator, side="right", safety="chosen_safe")
    assert list(Judgment.objects.order_by("id").values_list("side", "safety")) == [
        ("tie", "both_safe"),
        ("tie", "both_unsafe"),
        ("right", "chosen_safe"),
    ]


def test_a_paused_annotator_is_told_politely_over_the_api(api, project, annotator, pairs):
    Membership.objects.filter(user=annotator).update(paused_at=timezone.now(), paused_reason="low gold accuracy")
    response = api(annotator).post("/api/projects/helpful/sittings/")
    assert response.status_code == 409
    assert response.json()["code"] == "paused"
    assert "paused" in response.json()["detail"]
