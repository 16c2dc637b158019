"""Every page and API read of a project, as each role that reaches it, costs the same number of
queries in a small project and in one with more members, judgments, pairs, jobs and audit rows: no
query per row. (The project list, the gold list, the admin lists and the next pair have tests of
their own.)"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import BiasReport
from analytics.services import bias_report_compute
from annotate.models import AuditEvent, ImportJob, JobState, Membership, Pair, Role
from annotate.services.annotating import sitting_start
from exporter.models import ExportJob
from tests.conftest import client_for, make_pairs, make_user
from tests.factories import judgments_bulk

pytestmark = pytest.mark.django_db

PAGES = {
    "lead": [
        "/projects/{slug}/guidelines/",
        "/projects/{slug}/imports/",
        "/projects/{slug}/members/",
        "/projects/{slug}/members/{annotator}/remove/",
        "/projects/{slug}/members/{annotator}/role/",
        "/projects/{slug}/settings/",
        "/projects/{slug}/gold/{pair}/",
        "/projects/{slug}/dashboard/",
        "/projects/{slug}/dashboard/annotators/{annotator}/",
        "/projects/{slug}/scorecards/",
        "/projects/{slug}/scorecards/{annotator}/",
        "/projects/{slug}/exports/",
        "/api/projects/{slug}/progress/",
        "/api/projects/{slug}/imports/",
        "/api/projects/{slug}/imports/{import_job}/",
        "/api/projects/{slug}/bias-report/",
        "/api/projects/{slug}/bias-reports/{report}/",
        "/api/projects/{slug}/exports/",
        "/api/projects/{slug}/exports/{export_job}/",
    ],
    "engineer": [
        "/projects/{slug}/dashboard/",
        "/projects/{slug}/dashboard/annotators/{annotator}/",
        "/projects/{slug}/scorecards/",
        "/projects/{slug}/scorecards/{annotator}/",
        "/projects/{slug}/exports/",
        "/api/projects/{slug}/bias-report/",
        "/api/projects/{slug}/exports/",
    ],
    "annotator": [
        "/projects/{slug}/guidelines/",
        "/projects/{slug}/annotate/",
        "/api/projects/{slug}/progress/",
        "/api/projects/{slug}/sittings/current/",
    ],
}


def project_grow(project, *, lead, engineer, annotators: int, judgments: int, jobs: int, prefix: str) -> None:
    """More of everything a project's pages list or count: pairs, annotators with judgments, audit
    rows about them, import and export jobs."""
    pairs = make_pairs(project, judgments + 2, prefix=prefix)
    Pair.objects.filter(pk=pairs[-1].pk).update(gold_answer="a")
    for n in range(annotators):
        person = make_user(f"{prefix}-annotator-{n}")
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
        judgments_bulk(project, person, choose=lambda _id, preference: preference, pair_ids=[p.pk for p in pairs])
        AuditEvent.objects.create(project=project, actor=lead, subject=person, action="paused", reason="slow")
    for n in range(jobs):
        ImportJob.objects.create(
            project=project, created_by=lead, source=f"{prefix}-{n}.jsonl", original_name=f"{prefix}-{n}.jsonl",
            format="hh-rlhf", state=JobState.DONE, pairs_created=1,
        )  # fmt: skip
        ExportJob.objects.create(project=project, created_by=engineer, format="hh-rlhf", state=JobState.FAILED)


def queries_per_page(clients: dict, urls: dict[str, list[str]]) -> dict[tuple[str, str], int]:
    counted = {}
    for role, role_urls in urls.items():
        for url in role_urls:
            with CaptureQueriesContext(connection) as queries:
                response = clients[role].get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            counted[role, url] = len(queries)
    return counted


def test_no_page_or_api_read_costs_a_query_per_member_judgment_pair_or_job(
    project, lead, engineer, annotator, settings
):
    settings.PAIRWISE_PAIR_COUNTS_CACHE_SECONDS = 0  # counted at every request, in one query
    project.sitting_items = 1000
    project.save()
    grow = {"lead": lead, "engineer": engineer}
    project_grow(project, annotators=1, judgments=3, jobs=1, prefix="small", **grow)
    judgments_bulk(project, annotator, choose=lambda _id, preference: preference)
    sitting_start(project=project, annotator=annotator)
    report = BiasReport.objects.create(project=project)
    bias_report_compute(report_id=report.id)
    names = {
        "slug": project.slug,
        "annotator": annotator.pk,
        "pair": Pair.objects.filter(project=project).exclude(gold_answer="").first().pk,
        "import_job": ImportJob.objects.filter(project=project).first().pk,
        "export_job": ExportJob.objects.filter(project=project).first().pk,
        "report": report.pk,
    }
    urls = {role: [url.format(**names) for url in role_urls] for role, role_urls in PAGES.items()}
    clients = {
        role: client_for(user) for role, user in [("lead", lead), ("engineer", engineer), ("annotator", annotator)]
    }
    queries_per_page(clients, urls)  # the first request of a session reads what is cached after it
    small = queries_per_page(clients, urls)

    project_grow(project, annotators=6, judgments=20, jobs=6, prefix="large", **grow)
    bias_report_compute(report_id=BiasReport.objects.create(project=project).id)
    assert queries_per_page(clients, urls) == small
