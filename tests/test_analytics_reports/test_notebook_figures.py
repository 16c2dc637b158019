"""The report reproduces the seed notebook's figures exactly on the real HH-RLHF rows."""

from __future__ import annotations

import gzip
import json
import statistics
from difflib import SequenceMatcher

import pytest

from analytics.models import BiasReport
from analytics.services import bias_report_compute
from annotate.services.imports import pairs_import
from tests.conftest import HH_RLHF_TEST
from tests.factories import judgments_as_the_source_chose

pytestmark = pytest.mark.django_db


# The seed notebook's code, with its definitions, as it counts.
def analyze_preference_dataset(rows):
    chosen_lengths = [len(row["chosen"].split()) for row in rows]
    rejected_lengths = [len(row["rejected"].split()) for row in rows]
    longer = sum(1 for c, r in zip(chosen_lengths, rejected_lengths) if c > r)
    shorter = sum(1 for c, r in zip(chosen_lengths, rejected_lengths) if c < r)
    same = sum(1 for c, r in zip(chosen_lengths, rejected_lengths) if c == r)
    n = len(rows)
    if longer > shorter * 1.5:
        verdict = "longer = better"
    elif shorter > longer * 1.5:
        verdict = "quality over verbosity"
    else:
        verdict = None
    return {
        "chosen_mean": statistics.mean(chosen_lengths),
        "chosen_median": statistics.median(chosen_lengths),
        "rejected_mean": statistics.mean(rejected_lengths),
        "rejected_median": statistics.median(rejected_lengths),
        "chosen_longer_share": longer / n,
        "chosen_shorter_share": shorter / n,
        "same_share": same / n,
        "verdict": verdict,
    }


def check_similarity(rows):
    similarities = [SequenceMatcher(None, row["chosen"], row["rejected"]).ratio() for row in rows]
    n = len(similarities)
    return {
        "high_share": sum(1 for s in similarities if s > 0.9) / n,
        "medium_share": sum(1 for s in similarities if 0.7 < s <= 0.9) / n,
        "low_share": sum(1 for s in similarities if s <= 0.7) / n,
        "mean": statistics.mean(similarities),
    }


def test_the_report_gives_the_notebooks_figures_for_judgments_that_follow_the_source(project, annotator):
    with gzip.open(HH_RLHF_TEST, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    assert len(rows) == 2312
    pairs_import(project=project, source=HH_RLHF_TEST)
    assert judgments_as_the_source_chose(project, annotator) == 2312
    report = BiasReport.objects.create(project=project)
    bias_report_compute(report_id=report.id)
    report.refresh_from_db()
    assert report.state == "done", report.error
    payload = report.payload

    expected_lengths = analyze_preference_dataset(rows)
    ours = payload["length"]["overall"]["transcripts"]
    assert {key: ours[key] for key in expected_lengths} == expected_lengths
    assert ours["n"] == 2312

    expected_similarity = check_similarity(rows)
    for figures in (payload["similarity"]["judged_pairs"], payload["similarity"]["all_pairs"]):
        assert {key: figures[key] for key in expected_similarity} == expected_similarity
    assert payload["n_judgments"] == 2312
    assert payload["position"]["overall"]["n"] == 2312
