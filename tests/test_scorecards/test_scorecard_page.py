"""One annotator's card: the same figures, the trend, the audit log, and the action form for leads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.models import Judgment
from annotate.services.members import membership_pause
from tests.test_scorecards.conftest import ITEMS, figures, table_rows

pytestmark = pytest.mark.django_db


def card_url(project, user_id: int) -> str:
    return reverse("analytics:scorecard", kwargs={"slug": project.slug, "user_id": user_id})


def test_the_lead_sees_the_annotators_figures_worked_by_hand(client, lead, annotator, report):
    client.force_login(lead)
    response = client.get(card_url(report.project, annotator.id))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Scorecard of annotator</h1>" in html
    shown = figures(html, "Figures of annotator")
    assert shown["Status"] == "active"
    assert shown["Judgments (gold pairs and swapped repeats included)"] == str(ITEMS)
    assert shown["Decisive judgments (left or right)"] == str(ITEMS)
    assert shown["Sittings"] == "1"
    assert shown["Hours in sittings"] == "0.11 h"  # 6.5 minutes
    assert shown["Throughput per hour in sittings"] == "120.0"
    assert shown["Median visible dwell"] == "0.2 s"
    assert shown["Fast answers (under the reading-time floor)"] == "13 (100.0%)"
    right = Judgment.objects.filter(annotator=annotator, is_gold=True, left_response="a").count()
    assert shown["Gold accuracy"] == f"{right / 4:.1%} ({right} / 4)"
    assert shown["Recent gold accuracy (last 10 gold answers)"] == f"{right / 4:.1%} ({right} / 4)"
    assert shown["Probe consistency (same response chosen both times)"] == "0.0% (0 / 3)"
    assert shown["95% interval of probe consistency"] == "0.0% – 56.1%"
    assert shown["Lean from choices (left rate − 0.5)"] == "+0.50"
    assert shown["Lean from probes (3 couples, content-free)"] == "+0.50"
    assert shown["Left when the gold answer is left / right"] == "100.0% / 100.0%"
    assert shown["Position flag (report)"] == "flagged"
    assert shown["Left rate (report)"] == "100.0% (10 / 10)"
    agreeing = Judgment.objects.filter(annotator=annotator, probe_of__isnull=True, left_response="a").count()
    assert shown["Agreement with the others' majority (report)"] == f"{agreeing / 10:.1%} ({agreeing} / 10)"
    assert "annotator2" not in html


def test_the_card_has_a_trend_table_of_the_last_14_days_newest_first(client, lead, annotator, scored_project):
    client.force_login(lead)
    rows = table_rows(client.get(card_url(scored_project, annotator.id)).content.decode(), "Judgments per day")
    today = timezone.localdate()
    assert rows[0] == ["Day", "Judgments"]
    assert [row[0] for row in rows[1:]] == [(today - dt.timedelta(days=i)).isoformat() for i in range(14)]
    assert [row[1] for row in rows[1:4]] == ["0", "13", "0"]


def test_the_lead_sees_a_pause_form_and_the_engineer_none(client, lead, engineer, annotator, scored_project):
    client.force_login(lead)
    html = client.get(card_url(scored_project, annotator.id)).content.decode()
    pause = reverse("analytics:scorecard_pause", kwargs={"slug": scored_project.slug, "user_id": annotator.id})
    assert f'action="{pause}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="reason">Reason (required, kept in the audit log)</label>' in html
    client.force_login(engineer)
    html = client.get(card_url(scored_project, annotator.id)).content.decode()
    assert "<h1>Scorecard of annotator</h1>" in html
    assert '<form method="post" action="/projects' not in html
    assert 'name="reason"' not in html


def test_a_paused_annotator_has_a_resume_form_and_the_pause_in_the_audit_log(client, lead, annotator, scored_project):
    membership_pause(project=scored_project, user=annotator, actor=lead, reason="Too many fast answers.")
    client.force_login(lead)
    html = client.get(card_url(scored_project, annotator.id)).content.decode()
    resume = reverse("analytics:scorecard_resume", kwargs={"slug": scored_project.slug, "user_id": annotator.id})
    assert f'action="{resume}"' in html
    shown = figures(html, "Figures of annotator")
    assert shown["Status"].startswith("paused since ")
    assert shown["Reason for the pause"] == "Too many fast answers."
    log = table_rows(html, "Audit log")
    assert log[0] == ["When", "Action", "By", "Reason"]
    assert [row[1:] for row in log[1:]] == [["paused", "lead", "Too many fast answers."]]


def test_it_is_a_404_for_a_user_who_is_not_an_annotator_of_the_project(
    client, lead, engineer, outsider, scored_project
):
    client.force_login(lead)
    for user_id in (lead.id, engineer.id, outsider.id, 999_999):
        assert client.get(card_url(scored_project, user_id)).status_code == 404


def test_it_is_a_404_for_annotators_of_the_project_and_outsiders(
    client, annotator, annotator2, outsider, scored_project
):
    for user in (annotator, annotator2, outsider):
        client.force_login(user)
        assert client.get(card_url(scored_project, annotator.id)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, annotator, project):
    response = client.get(card_url(project, annotator.id))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_without_a_report_the_card_offers_no_link_to_the_annotator_in_a_report(client, lead, annotator, project):
    client.force_login(lead)
    html = client.get(card_url(project, annotator.id)).content.decode()
    assert "no bias report has been computed yet" in html
    assert "in the latest report" not in html


def test_with_a_report_the_card_links_to_the_annotator_in_it(client, lead, annotator, report):
    client.force_login(lead)
    html = client.get(card_url(report.project, annotator.id)).content.decode()
    annotator_page = reverse("analytics:annotator", kwargs={"slug": report.project.slug, "annotator_id": annotator.id})
    assert f'<a href="{annotator_page}">This annotator in the latest report</a>' in html


def test_a_removed_annotator_keeps_a_card_and_a_row_as_their_judgments_stay(client, lead, annotator, scored_project):
    # Found by the lead walkthrough: removed, they left the scorecards (their card a 404) while the
    # dashboard's annotator page, the reports and the exports still held their judgments.
    from annotate.services.members import membership_remove

    judged = Judgment.objects.filter(project=scored_project, annotator=annotator).count()
    assert judged
    membership_remove(project=scored_project, user_id=annotator.id, actor=lead)
    client.force_login(lead)
    html = client.get(card_url(scored_project, annotator.id)).content.decode()
    shown = figures(html, "Figures of annotator")
    assert shown["Status"] == "no longer an annotator of the project (their judgments stay in it)"
    assert shown["Judgments (gold pairs and swapped repeats included)"] == str(judged)
    assert 'name="reason"' not in html  # nothing to pause
    table = client.get(reverse("analytics:scorecards", kwargs={"slug": scored_project.slug})).content.decode()
    caption = "One row per annotator of the project, and per former one whose judgments it holds (2)"
    assert [row[:2] for row in table_rows(table, caption)[1:] if row[0] == "annotator"] == [["annotator", "former"]]


def test_pausing_someone_removed_since_their_card_was_opened_says_so(client, lead, annotator, scored_project):
    from annotate.services.members import membership_remove

    membership_remove(project=scored_project, user_id=annotator.id, actor=lead)
    client.force_login(lead)
    pause = reverse("analytics:scorecard_pause", kwargs={"slug": scored_project.slug, "user_id": annotator.id})
    response = client.post(pause, {"reason": "Too fast."}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "annotator is no longer an annotator of this project; nothing to pause or resume."
    ]


def test_a_former_annotator_is_listed_in_name_order_with_the_others(
    client, lead, annotator, annotator2, scored_project
):
    from annotate.services.members import membership_remove

    membership_remove(project=scored_project, user_id=annotator.id, actor=lead)
    client.force_login(lead)
    table = client.get(reverse("analytics:scorecards", kwargs={"slug": scored_project.slug})).content.decode()
    caption = "One row per annotator of the project, and per former one whose judgments it holds (2)"
    assert [row[0] for row in table_rows(table, caption)[1:]] == sorted(["annotator", "annotator2"])
