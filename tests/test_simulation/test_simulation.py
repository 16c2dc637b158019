"""The simulator writes real judgments through the annotating services, with the behaviour planted."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from scipy.stats import binomtest, fisher_exact

from analytics.simulation import (
    READING_WPM,
    AnnotatorSpec,
    Behaviour,
    annotator_specs_parse,
    annotators_simulate,
    hidden_preference,
    simulation_summary,
)
from annotate.models import AnnotationSession, Assignment, Judgment, Membership, Pair, Project, Role
from tests.conftest import make_user
from tests.test_simulation.conftest import make_varied_pairs

pytestmark = pytest.mark.django_db


def spec(username: str, behaviour: str, **rates) -> AnnotatorSpec:
    rates.setdefault("tie_rate", 0.0)
    rates.setdefault("skip_rate", 0.0)
    return AnnotatorSpec(username=username, behaviour=behaviour, **rates)


def judgments_of(project: Project, username: str) -> list[dict]:
    return list(
        Judgment.objects.filter(project=project, annotator__username=username)
        .order_by("answered_at")
        .values(
            "side",
            "chosen_response",
            "left_response",
            "dwell_ms",
            "elapsed_in_sitting_ms",
            "pair__source_preference",
            "pair__context",
            "pair__response_a",
            "pair__response_b",
            "pair_id",
        )
    )


def reading_floor_ms(row: dict) -> float:
    words = sum(len(row[f"pair__{name}"].split()) for name in ("context", "response_a", "response_b"))
    return words / READING_WPM * 60_000


def left_rate(rows: list[dict]) -> tuple[int, int]:
    decisive = [r for r in rows if r["side"] in ("left", "right")]
    return sum(r["side"] == "left" for r in decisive), len(decisive)


def test_it_writes_judgments_through_the_services_with_their_metadata(project, varied_pairs):
    project.judgments_per_pair = 2
    project.save()
    varied_pairs(project, 40)
    specs = [spec("s-honest", "honest"), spec("s-honest2", "honest"), spec("s-left", "left"), spec("s-rnd", "random")]
    before = timezone.now()
    result = annotators_simulate(project=project, specs=specs, seed=3, days=3)

    judgments = list(Judgment.objects.filter(project=project).select_related("sitting", "assignment"))
    assert result.judgments == len(judgments) == 80 == sum(t.judgments for t in result.tallies)
    # The pool ran dry: every pair has exactly k judgments, none twice from one annotator.
    assert set(Pair.objects.filter(project=project).values_list("judgment_count", flat=True)) == {2}
    assert Counter(j.pair_id for j in judgments) == dict.fromkeys(Pair.objects.values_list("id", flat=True), 2)
    assert len({(j.pair_id, j.annotator_id) for j in judgments}) == len(judgments)
    assert not Assignment.objects.filter(project=project, state="leased").exists()
    for j in judgments:
        assert j.side in ("left", "right")
        assert j.left_response == j.assignment.left_response
        expected = j.left_response if j.side == "left" else {"a": "b", "b": "a"}[j.left_response]
        assert j.chosen_response == expected
        assert j.dwell_ms > 0
        assert j.viewport_width and j.viewport_height
        assert j.served_at <= j.answered_at - dt.timedelta(milliseconds=j.dwell_ms)
        assert j.elapsed_in_sitting_ms == int((j.answered_at - j.sitting.started_at).total_seconds() * 1000)
        assert j.since_break_ms is not None and j.sitting_ordinal_today >= 1
        assert result.clock_start <= j.answered_at < before
    # Sittings are closed, numbered 1.. in answer order, and each starts after the previous break.
    by_annotator = defaultdict(list)
    for sitting in AnnotationSession.objects.filter(project=project).order_by("started_at"):
        assert sitting.ended_at is not None and sitting.end_reason
        by_annotator[sitting.annotator_id].append(sitting)
        indexes = sorted(sitting.judgments.values_list("index_in_sitting", flat=True))
        assert indexes == list(range(1, len(indexes) + 1)) == list(range(1, sitting.items_done + 1))
    for sittings in by_annotator.values():
        for previous, following in itertools.pairwise(sittings):
            assert following.started_at >= previous.break_until
    assert {t.username for t in result.tallies} == {s.username for s in specs}


def test_it_creates_the_simulated_users_as_annotators_without_passwords(project, varied_pairs):
    varied_pairs(project, 5)
    specs = annotator_specs_parse("honest:2,random:1", prefix="sim", tie_rate=0.0)
    annotators_simulate(project=project, specs=specs, seed=0, judgments=3, days=1)

    users = get_user_model().objects.filter(username__startswith="sim-").order_by("username")
    assert [u.username for u in users] == ["sim-honest-1", "sim-honest-2", "sim-random-1"]
    assert not any(u.has_usable_password() for u in users)
    assert set(Membership.objects.filter(user__in=users, project=project).values_list("role", flat=True)) == {
        Role.ANNOTATOR
    }


def test_it_refuses_a_simulated_name_that_holds_another_role(project, varied_pairs):
    varied_pairs(project, 5)
    Membership.objects.create(user=make_user("sim-honest-1"), project=project, role=Role.LEAD)
    with pytest.raises(ValueError, match="not an annotator"):
        annotators_simulate(project=project, specs=annotator_specs_parse("honest:1"), judgments=3, days=1)
    assert not Judgment.objects.exists()


def test_the_left_biased_annotator_picks_left_about_70_percent_of_the_time(project, varied_pairs):
    project.judgments_per_pair = 1
    project.save()
    varied_pairs(project, 220)
    result = annotators_simulate(
        project=project, specs=[spec("s-left", "left", left_rate=0.7)], seed=11, judgments=205, days=7
    )

    left, decisive = left_rate(judgments_of(project, "s-left"))
    assert decisive >= 200
    assert abs(left / decisive - 0.7) < 0.07
    assert binomtest(left, decisive, 0.5).pvalue < 0.001
    assert result.tallies[0].left_rate == left / decisive


def test_honest_annotators_follow_the_source_preference_at_one_minus_noise(project, varied_pairs):
    project.judgments_per_pair = 2
    project.save()
    varied_pairs(project, 64, unlabelled_share=0.25)
    specs = [spec("s-honest-1", "honest", noise=0.1), spec("s-honest-2", "honest", noise=0.1)]
    annotators_simulate(project=project, specs=specs, seed=5, days=7)

    rows = judgments_of(project, "s-honest-1") + judgments_of(project, "s-honest-2")
    labelled = [r for r in rows if r["pair__source_preference"]]
    unlabelled = [r for r in rows if not r["pair__source_preference"]]
    assert len(labelled) >= 80 and len(unlabelled) >= 25
    follow = sum(r["chosen_response"] == r["pair__source_preference"] for r in labelled) / len(labelled)
    assert abs(follow - 0.9) < 0.08
    # Without a source label both follow the same hidden coin, so they agree with each other too.
    hidden = sum(
        r["chosen_response"]
        == hidden_preference(
            context=r["pair__context"], response_a=r["pair__response_a"], response_b=r["pair__response_b"]
        )
        for r in unlabelled
    ) / len(unlabelled)
    assert hidden > 0.75
    left, decisive = left_rate(rows)
    assert abs(left / decisive - 0.5) < 0.1


def test_length_lovers_pick_the_longer_response_at_their_rate(project, varied_pairs):
    project.judgments_per_pair = 1
    project.save()
    varied_pairs(project, 120)
    annotators_simulate(project=project, specs=[spec("s-long", "length", length_rate=0.8)], seed=2, days=7)

    rows = judgments_of(project, "s-long")
    longer = [
        r["chosen_response"]
        == ("a" if len(r["pair__response_a"].split()) > len(r["pair__response_b"].split()) else "b")
        for r in rows
    ]
    assert len(rows) >= 100
    assert abs(sum(longer) / len(longer) - 0.8) < 0.1


def test_fatigued_annotators_lose_accuracy_late_in_their_sittings(project, varied_pairs):
    project.judgments_per_pair = 1
    project.sitting_minutes = 15
    project.sitting_items = 100
    project.save()
    varied_pairs(project, 210)
    specs = [spec("s-tired", "fatigued", noise=0.1, fatigued_noise=0.45, fatigue_after_minutes=7)]
    annotators_simulate(project=project, specs=specs, seed=4, days=7)

    rows = judgments_of(project, "s-tired")
    early = [r for r in rows if r["elapsed_in_sitting_ms"] < 7 * 60_000]
    late = [r for r in rows if r["elapsed_in_sitting_ms"] >= 7 * 60_000]
    assert len(early) >= 60 and len(late) >= 80
    right_early = sum(r["chosen_response"] == r["pair__source_preference"] for r in early)
    right_late = sum(r["chosen_response"] == r["pair__source_preference"] for r in late)
    assert right_early / len(early) > 0.82
    assert right_late / len(late) < 0.7  # planted: 0.55
    table = [[right_early, len(early) - right_early], [right_late, len(late) - right_late]]
    assert fisher_exact(table, alternative="greater").pvalue < 0.001
    # Tired readers also read faster, relative to the text in front of them.
    pace_early = statistics.median(r["dwell_ms"] / reading_floor_ms(r) for r in early)
    pace_late = statistics.median(r["dwell_ms"] / reading_floor_ms(r) for r in late)
    assert pace_late < 0.8 * pace_early


def test_random_clickers_answer_faster_than_anyone_could_read(project, varied_pairs):
    project.judgments_per_pair = 2
    project.save()
    varied_pairs(project, 40)
    annotators_simulate(project=project, specs=[spec("s-rnd", "random"), spec("s-honest", "honest")], seed=9, days=3)

    clicks = judgments_of(project, "s-rnd")
    reads = judgments_of(project, "s-honest")
    # A pair on screen when a sitting runs out of time is released, and never served to that person again.
    assert len(clicks) >= 36 and len(reads) >= 36
    click_pace = [r["dwell_ms"] / reading_floor_ms(r) for r in clicks]
    assert statistics.median(click_pace) < 0.3
    assert sum(p < 1 for p in click_pace) >= 0.9 * len(clicks)
    assert statistics.median(r["dwell_ms"] / reading_floor_ms(r) for r in reads) > 1.0
    left, decisive = left_rate(clicks)
    assert binomtest(left, decisive, 0.5).pvalue > 0.001


def test_it_stops_each_annotator_after_the_given_number_of_sittings(project, varied_pairs):
    project.sitting_items = 5
    project.save()
    varied_pairs(project, 80)
    result = annotators_simulate(project=project, specs=annotator_specs_parse("honest:2,left:1"), sittings=3, days=3)

    counts = Counter(AnnotationSession.objects.filter(project=project).values_list("annotator__username", flat=True))
    assert counts == {"sim-honest-1": 3, "sim-honest-2": 3, "sim-left-1": 3}
    assert not AnnotationSession.objects.filter(project=project, ended_at__isnull=True).exists()
    assert {t.stopped for t in result.tallies} == {"sittings"}
    assert Judgment.objects.filter(project=project).count() <= 3 * 3 * 5


def test_it_stops_at_the_judgment_target_and_closes_the_open_sittings(project, varied_pairs):
    varied_pairs(project, 50)
    result = annotators_simulate(project=project, specs=annotator_specs_parse("honest:2,random:1"), judgments=17)

    assert result.judgments == Judgment.objects.filter(project=project).count() == 17
    assert not AnnotationSession.objects.filter(project=project, ended_at__isnull=True).exists()
    assert not Assignment.objects.filter(project=project, state="leased").exists()


def test_its_clock_ends_by_the_given_end_when_time_runs_out(project, varied_pairs):
    # The summary prints the clock's window ("simulated clock … to … UTC"): it held the time at which
    # the last annotator, due back after a break or the night, was found to be out of time, hours past
    # `end` (past the real now, by default).
    varied_pairs(project, 300)
    end = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)
    result = annotators_simulate(project=project, specs=annotator_specs_parse("honest:2"), days=1, end=end)

    assert {t.stopped for t in result.tallies} == {"time"}
    answered = Judgment.objects.filter(project=project).values_list("answered_at", flat=True)
    assert answered and max(answered) <= result.clock_end <= end
    assert f"to {result.clock_end:%Y-%m-%d %H:%M} UTC" in simulation_summary(result)[-1]


def test_a_second_run_carries_on_after_the_first_and_an_empty_pool_opens_no_sitting(project, varied_pairs):
    project.judgments_per_pair = 1
    project.save()
    varied_pairs(project, 12)
    specs = [spec("s-honest", "honest")]
    annotators_simulate(project=project, specs=specs, seed=1, judgments=5, days=2)
    first = list(AnnotationSession.objects.filter(project=project))
    second = annotators_simulate(project=project, specs=specs, seed=2, days=2)

    # Stopping at the target released the prefetched pair, which is never served to them again.
    released = Assignment.objects.filter(project=project, judgment__isnull=True).count()
    assert second.tallies[0].stopped == "pool"
    assert second.judgments == 7 - released
    assert Judgment.objects.filter(project=project).count() + released == 12
    later = AnnotationSession.objects.filter(project=project).exclude(pk__in=[s.pk for s in first])
    assert later.exists()
    assert min(s.started_at for s in later) >= max(s.break_until for s in first)
    sittings = AnnotationSession.objects.filter(project=project).count()
    third = annotators_simulate(project=project, specs=specs, seed=3, days=2)
    assert third.judgments == 0 and third.tallies[0].sittings == 0
    assert AnnotationSession.objects.filter(project=project).count() == sittings


def test_a_seed_repeats_the_same_judgments_on_the_same_pairs(varied_pairs):
    # The same people in both projects: a week apart, so that the sittings and breaks of the first run
    # (which are the person's, in every project) leave the second's days free.
    def run(slug: str, end: dt.datetime) -> list[tuple]:
        project = Project.objects.create(slug=slug, name=slug, judgments_per_pair=2)
        varied_pairs(project, 12)
        specs = annotator_specs_parse("honest:1,left:1,length:1", tie_rate=0.05, skip_rate=0.05)
        annotators_simulate(project=project, specs=specs, seed=21, days=2, end=end)
        return list(
            Judgment.objects.filter(project=project)
            .order_by("annotator__username", "index_in_sitting", "answered_at")
            .values_list("annotator__username", "pair__source_row", "left_response", "side", "dwell_ms")
        )

    first = run("seeded-one", dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC))
    second = run("seeded-two", dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC))
    assert len(first) >= 20
    assert first == second


def test_a_seed_repeats_the_same_judgments_on_unlabelled_pairs_whatever_their_ids_and_the_time_of_day(varied_pairs):
    # The second project's pairs have other ids than the first's (as the demo's pairs do in a database
    # that held other pairs before), and its clock ends at another time of day.
    def run(slug: str, end: dt.datetime) -> list[tuple]:
        project = Project.objects.create(slug=slug, name=slug, judgments_per_pair=2)
        varied_pairs(project, 12, unlabelled_share=1.0)
        specs = annotator_specs_parse("honest:1,fatigued:1", tie_rate=0.0, skip_rate=0.0)
        annotators_simulate(project=project, specs=specs, seed=21, days=2, end=end)
        return list(
            Judgment.objects.filter(project=project)
            .order_by("annotator__username", "index_in_sitting", "answered_at")
            .values_list("annotator__username", "pair__source_row", "left_response", "side", "dwell_ms")
        )

    first = run("unlabelled-one", dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC))
    second = run("unlabelled-two", dt.datetime(2026, 3, 9, 0, 30, 0, 123456, tzinfo=dt.UTC))
    assert len(first) >= 20
    assert first == second


def test_spec_parsing_names_users_by_behaviour_and_refuses_nonsense():
    specs = annotator_specs_parse("honest:2, left:1,random", prefix="demo", left_rate=0.8)
    assert [(s.username, s.behaviour) for s in specs] == [
        ("demo-honest-1", Behaviour.HONEST),
        ("demo-honest-2", Behaviour.HONEST),
        ("demo-left-1", Behaviour.LEFT),
        ("demo-random-1", Behaviour.RANDOM),
    ]
    assert {s.left_rate for s in specs} == {0.8}
    for bad in ("sloppy:2", "honest:x", "honest:-1", "honest:1,honest:2", ""):
        with pytest.raises(ValueError):
            annotator_specs_parse(bad)
    with pytest.raises(ValueError, match="left_rate"):
        AnnotatorSpec(username="x", behaviour="left", left_rate=1.5)


def test_it_answers_gold_pairs_and_probes_and_a_random_clicker_gets_paused(project, varied_pairs):
    project.judgments_per_pair = 2
    project.gold_rate = 0.25
    project.gold_recent = 8
    project.gold_min_accuracy = 0.7
    project.probe_rate = 0.15
    project.probe_min_gap = 5
    project.save()
    varied_pairs(project, 60)
    gold = make_varied_pairs(project, 24, seed=8, start=1000)
    for pair in gold:
        pair.gold_answer = pair.source_preference or "a"
    Pair.objects.bulk_update(gold, ["gold_answer"])
    specs = [spec("s-honest", "honest", noise=0.03), spec("s-left", "left"), spec("s-rnd", "random")]
    result = annotators_simulate(project=project, specs=specs, seed=6, days=4)

    tallies = {t.username: t for t in result.tallies}
    paused = Membership.objects.get(project=project, user__username="s-rnd")
    assert tallies["s-rnd"].stopped == "paused" and paused.paused_at is not None
    assert Membership.objects.get(project=project, user__username="s-honest").paused_at is None
    assert tallies["s-honest"].gold >= 10 and tallies["s-honest"].gold_accuracy >= 0.9
    # Probes show the same pair to the same annotator again, sides swapped, outside the k count.
    probes = Judgment.objects.filter(project=project, probe_of__isnull=False).select_related("probe_of")
    assert probes.exists()
    for probe in probes:
        assert probe.pair_id == probe.probe_of.pair_id and probe.annotator_id == probe.probe_of.annotator_id
        assert probe.left_response != probe.probe_of.left_response
    for pair in Pair.objects.filter(project=project, gold_answer=""):
        counted = pair.judgments.filter(is_gold=False, probe_of__isnull=True).exclude(side="skip").count()
        assert pair.judgment_count == counted <= 2
    assert tallies["s-honest"].probes >= 5 and tallies["s-honest"].probe_consistency >= 0.8
    consistent = sum(
        p.chosen_response == p.probe_of.chosen_response for p in probes if p.annotator.username == "s-left"
    )
    assert consistent == tallies["s-left"].probes_consistent


def test_it_gives_the_strength_rationale_criteria_and_safety_a_project_asks_for(project, varied_pairs):
    project.judgments_per_pair = 1
    project.ask_strength = True
    project.ask_rationale = True
    project.rationale_min_chars = 80
    project.criteria = ["helpfulness", "harmlessness"]
    project.ask_safety = True
    project.save()
    varied_pairs(project, 25)
    specs = annotator_specs_parse("honest:1,random:1", tie_rate=0.1, skip_rate=0.1)
    result = annotators_simulate(project=project, specs=specs, seed=3, days=2)

    assert result.judgments >= 20 and sum(t.refused for t in result.tallies) == 0
    for judgment in Judgment.objects.filter(project=project):
        if judgment.side == "skip":
            continue
        assert (judgment.strength is not None) == (judgment.side in ("left", "right"))
        assert len(judgment.rationale) >= 80
        assert set(judgment.criteria) == {"helpfulness", "harmlessness"}
        assert judgment.safety
