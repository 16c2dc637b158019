"""The table of scorecards: who may see it, and the figures it shows, worked by hand for the small case
of conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.models import Judgment, Membership, Role
from tests.conftest import make_user
from tests.test_scorecards.conftest import ITEMS, judge, nine_am, table_rows

pytestmark = pytest.mark.django_db


def scorecards_url(project) -> str:
    return reverse("analytics:scorecards", kwargs={"slug": project.slug})


def rows_by_name(html: str) -> dict[str, dict[str, str]]:
    rows = table_rows(html, "One row per annotator")
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_the_lead_sees_one_row_per_annotator_with_the_figures_worked_by_hand(
    client, lead, annotator, annotator2, scored_project
):
    client.force_login(lead)
    response = client.get(scorecards_url(scored_project))
    assert response.status_code == 200
    rows = rows_by_name(response.content.decode())
    assert set(rows) == {"annotator", "annotator2"}
    lefty, honest = rows["annotator"], rows["annotator2"]

    assert lefty["Judgments"] == honest["Judgments"] == str(ITEMS)
    # 13 judgments in 6.5 minutes (the 13th answer ended the sitting) and in 13 minutes (open sitting,
    # to its last activity).
    assert lefty["Per hour in sittings"] == "120.0 0.11 h"
    assert honest["Per hour in sittings"] == "60.0 0.22 h"
    assert lefty["Median dwell"] == "0.2 s"  # 160 ms
    assert honest["Median dwell"] == "16.0 s"
    assert lefty["Fast answers"] == "13 (100.0%)"
    assert honest["Fast answers"] == "0 (0.0%)"

    # Honest: 4 / 4 gold; Wilson 95% interval of 4 / 4 is [1 / (1 + z²/4), 1] = [0.510, 1].
    assert honest["Gold accuracy (95% interval)"] == "100.0% (4 / 4) 51.0% – 100.0%"
    assert honest["Recent gold accuracy"].startswith("100.0% (4 / 4)")
    # Lefty is right on gold exactly when the gold answer (A) was on the left.
    right = Judgment.objects.filter(annotator=annotator, is_gold=True, left_response="a").count()
    assert lefty["Gold accuracy (95% interval)"].startswith(f"{right / 4:.1%} ({right} / 4)")

    # Probes: honest picks A both times (3 / 3, interval [1 / (1 + z²/3), 1] = [0.439, 1]); lefty picks
    # left both times, which is the other response (0 / 3, interval [0, 0.561]).
    assert honest["Probe consistency (95% interval)"] == "100.0% (3 / 3) 43.9% – 100.0%"
    assert lefty["Probe consistency (95% interval)"] == "0.0% (0 / 3) 0.0% – 56.1%"
    assert lefty["Lean from probes"] == "+0.50"
    assert honest["Lean from probes"] == "+0.00"

    # Lean from choices: left rate − 0.5; lefty always left; honest left exactly when A was left.
    assert lefty["Lean from choices"] == "+0.50"
    honest_a_left = Judgment.objects.filter(annotator=annotator2, left_response="a").count()
    assert honest["Lean from choices"] == f"{honest_a_left / ITEMS - 0.5:+.2f}".replace("-", "\u2212")
    # Lean from gold: lefty picks left whatever the gold side (a = b = 1), honest follows it (a = 1, b = 0).
    gold_sides = set(Judgment.objects.filter(is_gold=True).values_list("left_response", flat=True))
    assert gold_sides == {"a", "b"}, "the seeded run shows gold answers on both sides"
    assert lefty["Lean from gold"] == "+0.50"
    assert honest["Lean from gold"] == "+0.00"

    assert lefty["Status"] == honest["Status"] == "active"


def test_agreement_and_flags_come_from_the_latest_report_and_the_page_says_when(
    client, lead, annotator, annotator2, report
):
    client.force_login(lead)
    html = client.get(scorecards_url(report.project)).content.decode()
    rows = rows_by_name(html)
    # Two annotators on the same 10 pairs (probes are not in the report): each agrees with the other's
    # majority where lefty chose A, i.e. where lefty saw A on the left.
    agreeing = Judgment.objects.filter(annotator=annotator, probe_of__isnull=True, left_response="a").count()
    for name in ("annotator", "annotator2"):
        assert rows[name]["Agreement with others (report)"].startswith(f"{agreeing / 10:.1%} ({agreeing} / 10)")
    by_id = {row["annotator"]: row for row in report.payload["position"]["per_annotator"]}
    assert by_id[annotator.id]["flagged"] is True  # 10 lefts of 10
    assert rows["annotator"]["Position flag (report)"] == "flagged"
    assert rows["annotator2"]["Position flag (report)"] == "no"
    fatigue = {row["annotator"]: row for row in report.payload["fatigue"]["per_annotator"]}
    # 13 answers each: too few to fit a decline, so no test was made: a dash, not "no" (as for length).
    assert fatigue[annotator.id]["p_decline"] is None
    assert rows["annotator"]["Fatigue flag (report)"] == rows["annotator2"]["Fatigue flag (report)"] == "—"
    lengths = {row["annotator"]: row for row in report.payload["length"]["per_annotator"]}
    for name, person in (("annotator", annotator), ("annotator2", annotator2)):
        row = lengths[person.id]
        # A dash where no length effect could be fitted (as on the dashboard), else the flag.
        expected = "—" if row["model"]["estimate"] is None else ("flagged" if row["flagged"] else "no")
        assert rows[name]["Length flag (report)"] == expected, (name, row["model"])
    # Here every pair's responses are of one length: no fit, a dash for both. Given a fit, the flag.
    assert {rows[name]["Length flag (report)"] for name in ("annotator", "annotator2")} == {"—"}
    payload = report.payload
    for row in payload["length"]["per_annotator"]:
        row["model"] |= {"estimate": 1.2, "prefers": "longer"}
        row["flagged"] = row["annotator"] == annotator.id
    report.payload = payload
    report.save(update_fields=["payload"])
    rows = rows_by_name(client.get(scorecards_url(report.project)).content.decode())
    assert (rows["annotator"]["Length flag (report)"], rows["annotator2"]["Length flag (report)"]) == ("flagged", "no")
    assert (
        "Agreement and the position, length, fatigue and careless-answering flags come from the bias report computed"
        in html
    )
    assert f"over {report.judgments_seen} judgments" in html


def test_without_a_report_agreement_and_flags_are_dashes(client, engineer, scored_project):
    client.force_login(engineer)
    html = client.get(scorecards_url(scored_project)).content.decode()
    assert "No bias report has been computed yet" in html
    for row in rows_by_name(html).values():
        assert row["Agreement with others (report)"] == row["Position flag (report)"] == "—"
        assert row["Length flag (report)"] == row["Fatigue flag (report)"] == row["Careless flag (report)"] == "—"


def test_the_trend_counts_judgments_per_day_over_the_last_14_days(client, lead, scored_project):
    client.force_login(lead)
    html = client.get(scorecards_url(scored_project)).content.decode()
    rows = rows_by_name(html)
    today = timezone.localdate()
    yesterday, before = today - dt.timedelta(days=1), today - dt.timedelta(days=2)
    assert f"{yesterday:%b} {yesterday.day}: 13, {today:%b} {today.day}: 0" in rows["annotator"]["Last 14 days"]
    assert f"{before:%b} {before.day}: 13, {yesterday:%b} {yesterday.day}: 0" in rows["annotator2"]["Last 14 days"]
    assert rows["annotator"]["Last 14 days"].endswith("13 in 14 days")


def test_every_column_can_be_sorted_and_the_names_start_sorted(client, lead, scored_project):
    client.force_login(lead)
    html = client.get(scorecards_url(scored_project)).content.decode()
    assert '<table class="data sortable" id="scorecards">' in html
    assert html.count('data-sort-type="') == 18
    assert 'data-sort-type="text" aria-sort="ascending">Annotator</th>' in html
    assert "analytics/scorecards.js" in html


def test_a_paused_annotator_shows_as_paused(client, lead, annotator, scored_project):
    Membership.objects.filter(user=annotator).update(paused_at=timezone.now(), paused_reason="Checking.")
    client.force_login(lead)
    rows = rows_by_name(client.get(scorecards_url(scored_project)).content.decode())
    assert rows["annotator"]["Status"] == "paused"
    assert rows["annotator2"]["Status"] == "active"


def test_an_annotator_without_judgments_has_a_row_of_dashes(client, lead, project, annotator):
    client.force_login(lead)
    rows = rows_by_name(client.get(scorecards_url(project)).content.decode())
    assert rows["annotator"]["Judgments"] == "0"
    assert rows["annotator"]["Per hour in sittings"] == "— 0.00 h"
    assert rows["annotator"]["Gold accuracy (95% interval)"] == "—"


def test_members_who_are_not_annotators_have_no_row(client, lead, engineer, annotator, project):
    client.force_login(lead)
    rows = rows_by_name(client.get(scorecards_url(project)).content.decode())
    assert set(rows) == {"annotator"}


def test_it_is_a_404_for_annotators_of_the_project_and_outsiders(client, annotator, outsider, scored_project):
    for user in (annotator, outsider):
        client.force_login(user)
        assert client.get(scorecards_url(scored_project)).status_code == 404


def test_it_is_a_404_for_an_unknown_project(client, lead, project):
    client.force_login(lead)
    assert client.get(reverse("analytics:scorecards", kwargs={"slug": "nope"})).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, project):
    response = client.get(scorecards_url(project))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_annotator_without_gold_or_probes_shows_a_dash_for_them(client, lead, annotator, project, pairs):
    judge(
        project,
        annotator,
        start=nine_am(1),
        step=dt.timedelta(seconds=30),
        dwell=lambda i: 20_000,
        choose=lambda assignment: "left",
        item_limit=100,
        phases=(("ordinary", 4),),
    )
    client.force_login(lead)
    row = rows_by_name(client.get(scorecards_url(project)).content.decode())["annotator"]
    assert row["Judgments"] == "4"
    assert row["Gold accuracy (95% interval)"] == row["Probe consistency (95% interval)"] == "—"
    assert row["Lean from probes"] == row["Lean from gold"] == "—"


def test_the_table_costs_the_same_queries_whatever_the_number_of_annotators(client, lead, scored_project):
    client.force_login(lead)
    url = scorecards_url(scored_project)
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    for name in ("third", "fourth", "fifth"):
        Membership.objects.create(user=make_user(name), project=scored_project, role=Role.ANNOTATOR)
    with CaptureQueriesContext(connection) as five:
        assert len(rows_by_name(client.get(url).content.decode())) == 5
    assert len(five.captured_queries) == len(two.captured_queries)
