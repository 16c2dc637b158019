"""The "Recompute now" button: a POST that asks for one report, for leads only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from analytics.models import BiasReport
from annotate.models import JobState


def recompute_url(project) -> str:
    return reverse("analytics:recompute", kwargs={"slug": project.slug})


def test_a_lead_asks_for_a_report_and_is_sent_back_to_the_dashboard(client, lead, project):
    client.force_login(lead)
    response = client.post(recompute_url(project))
    assert response.status_code == 302
    assert response.url == reverse("analytics:dashboard", kwargs={"slug": project.slug})
    report = BiasReport.objects.get(project=project)
    assert (report.state, report.requested_by) == (JobState.PENDING, lead)


def test_a_second_click_while_one_is_pending_makes_no_second_report(client, lead, project):
    client.force_login(lead)
    client.post(recompute_url(project))
    response = client.post(recompute_url(project), follow=True)
    assert BiasReport.objects.filter(project=project).count() == 1
    assert "A report is already being computed" in response.content.decode()


def test_the_dashboard_then_shows_the_live_state_and_where_to_poll_it(client, lead, project):
    client.force_login(lead)
    client.post(recompute_url(project))
    live = BiasReport.objects.get(project=project)
    state_url = reverse("analytics_api:bias-report-state", kwargs={"slug": project.slug, "report_id": live.id})
    page = client.get(reverse("analytics:dashboard", kwargs={"slug": project.slug})).content.decode()
    assert f'data-state-url="{state_url}"' in page
    assert 'data-state="pending"' in page
    assert "A new report is pending" in page
    assert client.get(state_url).json()["state"] == "pending"


def test_an_engineer_may_not_ask_for_a_report(client, engineer, project):
    client.force_login(engineer)
    assert client.post(recompute_url(project)).status_code == 403
    assert not BiasReport.objects.exists()


@pytest.mark.parametrize("who", ["annotator", "outsider"])
def test_annotators_and_outsiders_get_a_404(client, request, project, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(recompute_url(project)).status_code == 404
    assert not BiasReport.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.post(recompute_url(project))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not BiasReport.objects.exists()


def test_it_refuses_a_get(client, lead, project):
    client.force_login(lead)
    assert client.get(recompute_url(project)).status_code == 405
    assert not BiasReport.objects.exists()


def test_it_refuses_a_post_without_the_csrf_token(lead, project):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lead)
    assert strict.post(recompute_url(project)).status_code == 403
    assert not BiasReport.objects.exists()
