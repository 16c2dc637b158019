"""The report agrees with the annotating side: probes are not second votes, the reading floor is the
project's, gold pairs stay outside the k-queue's progress, and gold answers are scored against the
pair's current answer everywhere."""

from __future__ import annotations

import datetime as dt
import difflib

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from analytics.metrics import fatigue
from analytics.metrics.quality import quality_by_annotator
from analytics.selectors import judgment_frame
from analytics.services import bias_report_payload, pair_measures_fill
from annotate.models import Membership, Pair, Role
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from annotate.services.gold import pair_gold_set
from tests.conftest import make_pairs, make_user


def test_an_annotators_swapped_repeat_is_not_a_vote_in_the_others_majority():
    columns = ["judgment_id", "annotator", "pair_id", "side", "chosen_response", "left_response", "dwell_ms"]
    columns += ["index_in_sitting", "elapsed_in_sitting_ms", "since_break_ms", "probe_of"]
    rows = [
        (10, 1, 1, "left", "a", "a", 5000.0, 1, 1000, 1000.0, np.nan),
        (11, 2, 1, "left", "b", "b", 5000.0, 1, 1000, 1000.0, np.nan),
        (12, 3, 1, "right", "b", "a", 5000.0, 1, 1000, 1000.0, np.nan),
        (13, 1, 1, "right", "a", "b", 5000.0, 9, 60000, 60000.0, 10),  # annotator 1's repeat of 10
    ]
    measures = fatigue.fatigue_measures(pd.DataFrame(rows, columns=columns))
    # Annotator 2's others are annotator 1 (a) and annotator 3 (b): no majority. Counting the
    # repeat would make it a 2-1 majority for a.
    assert np.isnan(measures.loc[1, "loo_majority"])
    assert measures.loc[0, "loo_majority"] == 0.0  # the others (2 and 3) chose b
    assert np.isnan(measures.loc[3, "loo_majority"]) and np.isnan(measures.loc[3, "left"])


@pytest.mark.django_db
def test_a_pair_is_measured_with_its_sources_chosen_transcript_first(project):
    # Two transcripts over 200 characters, so difflib's autojunk makes the ratio depend on the order
    # (0.134 chosen first, 0.186 A first).
    context = "\n\nHuman: Which is better?"
    a = " " + "The quick brown fox jumps over the lazy dog. " * 5
    b = " " + "Pack my box with five dozen liquor jugs, then the quick brown fox. " * 4
    chosen_b = Pair.objects.create(
        project=project, context=context, response_a=a, response_b=b, source_preference="b", content_hash="1" * 64
    )
    pair_measures_fill(project_id=project.id)
    chosen_b.refresh_from_db()
    chosen, rejected = context + "\n\nAssistant:" + b, context + "\n\nAssistant:" + a
    assert chosen_b.transcript_similarity == difflib.SequenceMatcher(None, chosen, rejected).ratio()
    assert chosen_b.transcript_similarity != difflib.SequenceMatcher(None, rejected, chosen).ratio()


@pytest.mark.django_db
def test_the_reports_faster_than_reading_uses_the_projects_reading_factor(project, annotator):
    make_pairs(project, 5)  # 8 words each: 2,016 ms of reading at 238 words per minute
    pair_measures_fill(project_id=project.id)
    assert project.reading_factor == 0.5  # so the floor is 1,008 ms
    now = timezone.now() - dt.timedelta(hours=1)
    sitting_start(project=project, annotator=annotator, now=now)
    for _ in range(5):
        now += dt.timedelta(seconds=15)
        assignment, _ = assignment_next(project=project, annotator=annotator, now=now - dt.timedelta(seconds=10))
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side="left", now=now, dwell_ms=1_500)
    speeding = bias_report_payload(project=project)["speeding"]
    card = quality_by_annotator(judgment_frame(project=project))[0]
    assert (speeding["per_annotator"][0]["speeding"], card["fast"]) == (0, 0)
    assert speeding["wpm"] == 476


@pytest.mark.django_db
def test_gold_pairs_and_their_judgments_stay_out_of_the_progress_to_k(project):
    project.gold_rate = 1.0
    project.gold_min_accuracy = 0.0
    project.judgments_per_pair = 3
    project.save()
    pairs = make_pairs(project, 4)
    Pair.objects.filter(pk=pairs[0].pk).update(gold_answer="a")
    pair_measures_fill(project_id=project.id)
    now = timezone.now() - dt.timedelta(hours=1)
    for name in ("g1", "g2", "g3"):
        person = make_user(name)
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
        sitting_start(project=project, annotator=person, now=now)
        now += dt.timedelta(seconds=15)
        assignment, _ = assignment_next(project=project, annotator=person, now=now - dt.timedelta(seconds=10))
        assert assignment.is_gold
        judgment_submit(assignment_id=assignment.id, annotator=person, side="left", now=now, dwell_ms=9_000)
    coverage = bias_report_payload(project=project)["coverage"]
    assert (coverage["pairs"], coverage["gold_pairs"]) == (4, 1)
    progress = coverage["progress"]
    assert (progress["complete_pairs"], progress["collected"], progress["wanted"]) == (0, 0, 9)


@pytest.mark.django_db
def test_a_corrected_gold_answer_rescores_the_fatigue_curves_and_quality_as_it_does_the_gold_accuracy(
    project, lead, annotator
):
    project.gold_rate = 1.0
    project.gold_min_accuracy = 0.0
    project.save()
    pairs = make_pairs(project, 6)
    for pair in pairs:
        pair_gold_set(project=project, pair_id=pair.id, answer="a", actor=lead)
    now = timezone.now() - dt.timedelta(hours=1)
    sitting_start(project=project, annotator=annotator, now=now)
    for _ in range(6):
        now += dt.timedelta(seconds=15)
        assignment, _ = assignment_next(project=project, annotator=annotator, now=now - dt.timedelta(seconds=10))
        assert assignment.is_gold
        side = "left" if assignment.left_response == "b" else "right"
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side=side, now=now, dwell_ms=9_000)
    # The lead finds the gold answers were wrong: B was the better response all along.
    for pair in pairs[:4]:
        pair_gold_set(project=project, pair_id=pair.id, answer="b", actor=lead)
    pair_gold_set(project=project, pair_id=pairs[4].id, answer="", actor=lead)  # no longer gold
    payload = bias_report_payload(project=project)
    accuracy = payload["quality"][0]["gold"]["accuracy"]
    assert (accuracy["successes"], accuracy["n"]) == (4, 5)
    curve = payload["fatigue"]["by_index_in_sitting"]["gold"]
    assert (sum(row["successes"] for row in curve), sum(row["n"] for row in curve)) == (4, 5)
    # The pair no longer gold is scored by its source preference (A), like any other pair.
    assert payload["fatigue"]["per_annotator"][0]["quality"] == 4 / 6
