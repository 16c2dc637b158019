"""Who may read the bias report over the API, and ask for one: the same rule as the dashboard's
(leads and engineers read, only leads ask; an annotator, a member removed from the project and an
outsider get a 404, so that they learn nothing of it), and a report is found only under its own
project."""

from __future__ import annotations

import pytest
from django.utils import timezone

from analytics.models import BiasReport
from annotate.models import JobState, Membership
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LATEST = "/api/projects/helpful/bias-report/"
ASK = "/api/projects/helpful/bias-reports/"


def done_report(project) -> BiasReport:
    return BiasReport.objects.create(project=project, state=JobState.DONE, computed_at=timezone.now(), payload={})


@pytest.fixture
def removed(project, engineer):
    """An engineer whose membership the lead has since deleted."""
    Membership.objects.filter(project=project, user=engineer).delete()
    return engineer


READ = [("lead", 200), ("engineer", 200), ("annotator", 404), ("removed", 404), ("outsider", 404), (None, 401)]


@pytest.mark.parametrize(("who", "status"), READ)
def test_the_latest_report_is_read_by_leads_and_engineers_only(request, project, who, status):
    report = done_report(project)
    response = client_for(request.getfixturevalue(who) if who else None).get(LATEST)
    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == report.id


@pytest.mark.parametrize(("who", "status"), READ)
def test_a_reports_state_is_read_by_leads_and_engineers_only(request, project, who, status):
    report = done_report(project)
    response = client_for(request.getfixturevalue(who) if who else None).get(f"{ASK}{report.id}/")
    assert response.status_code == status
    if status == 200:
        assert (response.json()["id"], response.json()["state"]) == (report.id, JobState.DONE)


@pytest.mark.parametrize(
    ("who", "status"),
    [("lead", 202), ("engineer", 403), ("annotator", 404), ("removed", 404), ("outsider", 404), (None, 401)],
)
def test_only_a_lead_asks_for_a_report(request, project, who, status):
    response = client_for(request.getfixturevalue(who) if who else None).post(ASK)
    assert response.status_code == status
    asked = BiasReport.objects.filter(project=project)
    assert [(r.id, r.state) for r in asked] == ([(response.json()["id"], JobState.PENDING)] if status == 202 else [])


def test_a_report_of_another_project_is_not_found_under_this_one(lead, outsider, project, other_project):
    theirs = done_report(other_project)
    assert client_for(lead).get(f"{ASK}{theirs.id}/").status_code == 404
    assert client_for(outsider).get(f"/api/projects/other/bias-reports/{theirs.id}/").json()["id"] == theirs.id
