"""The report reproduces the seed notebook's figures exactly on the real HH-RLHF rows."""

from __future__ import annotations

import gzip
import json

import pytest

from analytics.models import BiasReport
from analytics.services import bias_report_compute
from annotate.services.imports import pairs_import
from bench.notebook import analyze_preference_dataset, check_similarity
from tests.conftest import HH_RLHF_TEST
from tests.factories import judgments_as_the_source_chose

pytestmark = pytest.mark.django_db


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


def test_a_pair_only_skipped_is_not_counted_as_judged(project, annotator):
    from annotate.models import Pair
    from tests.conftest import make_pairs
    from tests.factories import judgments_bulk

    pairs = make_pairs(project, 4)
    Pair.objects.filter(project=project).update(transcript_similarity=0.5, response_similarity=0.5)
    skipped = pairs[2].pk
    judgments_bulk(
        project,
        annotator,
        choose=lambda pair_id, _p: "skip" if pair_id == skipped else "a",
        pair_ids=[p.pk for p in pairs[:3]],
    )
    report = BiasReport.objects.create(project=project)
    bias_report_compute(report_id=report.id)
    report.refresh_from_db()
    similarity = report.payload["similarity"]
    assert (similarity["judged_pairs"]["n"], similarity["all_pairs"]["n"]) == (2, 4)
