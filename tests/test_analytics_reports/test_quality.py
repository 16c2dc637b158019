"""Per-annotator quality figures: hand-worked cases, and probes served by the real services."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from analytics.metrics.fatigue import speeding
from analytics.metrics.quality import gold_figures, probe_couples, probe_figures, quality_by_annotator
from analytics.services import bias_report_payload, pair_measures_fill
from annotate.models import Pair
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from tests.conftest import make_pairs
from tests.factories import judgments_rewrite


def frame(rows):
    columns = [
        "judgment_id",
        "annotator",
        "side",
        "chosen_response",
        "left_response",
        "is_gold",
        "gold_answer",
        "probe_of",
        "dwell_ms",
        "fast",
    ]
    return pd.DataFrame(rows, columns=columns)


def test_gold_figures_on_a_hand_worked_case():
    # Gold answer "a" on every pair. Shown left (a left): picked left, left, right. Shown right: left.
    rows = frame(
        [
            (1, 1, "left", "a", "a", True, "a", np.nan, 1000, False),
            (2, 1, "left", "a", "a", True, "a", np.nan, 1000, False),
            (3, 1, "right", "b", "a", True, "a", np.nan, 1000, False),
            (4, 1, "left", "b", "b", True, "a", np.nan, 1000, False),
            (5, 1, "tie", "", "b", True, "a", np.nan, 1000, False),
        ]
    )
    figures = gold_figures(rows, recent=2)
    assert figures["accuracy"]["n"] == 4 and figures["accuracy"]["rate"] == 0.5
    assert figures["recent_accuracy"]["rate"] == 0.0  # the last two decisive gold answers were wrong
    assert figures["left_when_gold_left"] == pytest.approx(2 / 3)
    assert figures["left_when_gold_right"] == 1.0
    assert figures["lean"] == pytest.approx((2 / 3 + 1) / 2 - 0.5)
    assert 0 < figures["accuracy"]["ci_low"] < 0.5 < figures["accuracy"]["ci_high"] < 1


def test_the_share_of_fast_answers_leaves_skips_out_as_the_dashboards_does():
    # Four quick answers (three fast, one tie that was not) and four skips, which are never fast.
    rows = frame(
        [
            (i, 1, side, "a" if side == "left" else "", "a", False, "", np.nan, 100, fast)
            for i, (side, fast) in enumerate([("left", True)] * 3 + [("tie", False)] + [("skip", False)] * 4)
        ]
    )
    figures = quality_by_annotator(rows)[0]
    assert (figures["judgments"], figures["fast"], figures["fast_share"]) == (8, 3, 0.75)
    # The dashboard's "Faster than reading" of the same answers (a floor above every dwell but the tie's).
    pairs = pd.DataFrame({"pair_id": range(8), "words_context": 1, "words_response_a": 0, "words_response_b": 0})
    rows["pair_id"], rows.loc[3, "dwell_ms"] = range(8), 10_000
    assert speeding(rows, pairs)["per_annotator"][0] | {"annotator": 1} == {
        "annotator": 1,
        "n": 4,
        "speeding": 3,
        "share": 0.75,
    }


def test_probe_couples_on_a_hand_worked_case():
    rows = frame(
        [
            (1, 7, "left", "a", "a", False, "", np.nan, 1, False),
            (2, 7, "left", "b", "b", False, "", 1.0, 1, False),  # always left: inconsistent, 2 left picks
            (3, 7, "right", "b", "a", False, "", np.nan, 1, False),
            (4, 7, "left", "b", "b", False, "", 3.0, 1, False),  # consistent: 1 left pick
        ]
    )
    couples = probe_couples(rows)
    assert couples["consistent"].tolist() == [False, True]
    assert couples["left_picks"].tolist() == [2, 1]
    figures = probe_figures(couples)
    assert figures["consistency"]["rate"] == 0.5 and figures["lean"] == pytest.approx(3 / 4 - 0.5)


@pytest.mark.django_db
def test_probes_tell_an_always_left_annotator_from_an_honest_one(project, annotator, annotator2):
    project.probe_rate = 0.25
    project.probe_min_gap = 5
    project.judgments_per_pair = 2
    project.sitting_items = project.sitting_minutes = 10_000
    project.idle_timeout_minutes = 60
    project.save()
    make_pairs(project, 200)
    Pair.objects.update(source_preference="a")
    behaviours = {annotator: lambda a: "left", annotator2: lambda a: "left" if a.left_response == "a" else "right"}
    now = timezone.now() - dt.timedelta(days=1)
    for person, choose in behaviours.items():
        sitting_start(project=project, annotator=person, now=now)
        for _ in range(160):
            now += dt.timedelta(seconds=20)
            # Served the dwell before the answer: a page cannot show a pair longer than it has been out.
            assignment, _ = assignment_next(project=project, annotator=person, now=now - dt.timedelta(seconds=15))
            judgment_submit(
                assignment_id=assignment.id, annotator=person, side=choose(assignment), now=now, dwell_ms=15_000
            )
    rows = {row["annotator"]: row for row in bias_report_payload(project=project)["quality"]}
    always_left, honest = rows[annotator.id], rows[annotator2.id]
    assert always_left["probes"]["couples"] >= 20 and honest["probes"]["couples"] >= 20
    assert always_left["probes"]["consistency"]["rate"] == 0.0
    assert always_left["probes"]["lean"] == 0.5
    assert honest["probes"]["consistency"]["rate"] == 1.0
    assert honest["probes"]["lean"] == 0.0


@pytest.mark.django_db
def test_the_copy_reader_gives_the_same_frames_as_the_orm(project, annotator, annotator2):
    from analytics.selectors import JUDGMENT_FIELDS, PAIR_FIELDS, _frame_copy, _frame_orm, judgments_with_gold_answer
    from annotate.models import Judgment

    project.probe_rate = 0.3
    project.probe_min_gap = 2
    project.sitting_items = 1000
    project.save()
    pairs = make_pairs(project, 30)
    Pair.objects.filter(id__in=[p.id for p in pairs[:5]]).update(gold_answer="b", source_preference="")
    now = timezone.now() - dt.timedelta(hours=1)
    for person in (annotator, annotator2):
        sitting_start(project=project, annotator=person, now=now)
        for i in range(20):
            now += dt.timedelta(seconds=15)
            assignment, _ = assignment_next(project=project, annotator=person, now=now - dt.timedelta(seconds=10))
            side = ["left", "right", "tie", "skip"][i % 4]
            judgment_submit(
                assignment_id=assignment.id,
                annotator=person,
                side=side,
                now=now,
                dwell_ms=None if i % 3 == 0 else 9_000 + i,
            )
    judgments_rewrite(Judgment.objects.filter(pair__in=pairs[:5]), is_gold=True, gold_correct=True)
    judgments = judgments_with_gold_answer(Judgment.objects.filter(project=project).order_by("id"))
    assert judgments.filter(probe_of__isnull=False).exists() and judgments.filter(dwell_ms__isnull=True).exists()
    pd.testing.assert_frame_equal(_frame_copy(judgments, JUDGMENT_FIELDS), _frame_orm(judgments, JUDGMENT_FIELDS))
    pair_measures_fill(project_id=project.id)  # as the report does first
    pairs_qs = Pair.objects.filter(project=project).order_by("id")
    pd.testing.assert_frame_equal(_frame_copy(pairs_qs, PAIR_FIELDS), _frame_orm(pairs_qs, PAIR_FIELDS))


def test_fatigue_quality_reads_gold_then_probe_consistency_then_the_others_majority():
    from analytics.metrics.fatigue import fatigue_measures

    rows = pd.DataFrame(
        {
            "annotator": [1, 1, 1, 2, 3],
            "pair_id": [10, 11, 12, 12, 12],
            "side": ["left", "left", "left", "right", "right"],
            "chosen_response": ["a", "a", "a", "a", "a"],
            "dwell_ms": [1000.0] * 5,
            "index_in_sitting": [1, 2, 3, 1, 1],
            "elapsed_in_sitting_ms": [0, 60_000, 120_000, 0, 0],
            "gold_correct": [0.0, np.nan, np.nan, np.nan, np.nan],
            "probe_consistent": [np.nan, 1.0, np.nan, np.nan, np.nan],
        }
    )
    quality = fatigue_measures(rows)["quality"].tolist()
    assert quality[:3] == [0.0, 1.0, 1.0]  # gold, then the probe, then the others' majority ("a")


@pytest.mark.django_db
@pytest.mark.parametrize("columns", [None, ["pair_id", "is_gold", "gold_answer"]], ids=["all", "some"])
def test_the_frame_reads_the_pairs_gold_answer_now_for_gold_judgments_only(project, annotator, columns):
    # A subquery for gold judgments, where a join read the whole pair table for every judgment.
    from analytics.selectors import judgment_frame
    from annotate.models import Judgment
    from tests.factories import judgments_bulk

    pairs = make_pairs(project, 3)
    judgments_bulk(project, annotator, choose=lambda pair_id, _p: "a")
    Pair.objects.filter(pk=pairs[0].pk).update(gold_answer="b")
    Pair.objects.filter(pk=pairs[1].pk).update(gold_answer="a")  # gold since: its judgment was no gold one
    judgments_rewrite(Judgment.objects.filter(pair=pairs[0]), is_gold=True)
    frame = judgment_frame(project=project, columns=columns)
    assert dict(zip(frame["pair_id"], frame["gold_answer"], strict=True)) == {
        pairs[0].id: "b",
        pairs[1].id: "",
        pairs[2].id: "",
    }
