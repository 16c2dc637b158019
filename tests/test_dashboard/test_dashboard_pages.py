"""The dashboard page: who may see it, what it shows, and the data its charts are drawn from."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from analytics.models import BiasReport
from analytics.presentation import p_text
from annotate.models import JobState
from tests.test_dashboard.conftest import report_compute

JSON_SCRIPT = re.compile(r'<script id="dashboard-data" type="application/json">(.*?)</script>', re.S)


def dashboard_url(project) -> str:
    return reverse("analytics:dashboard", kwargs={"slug": project.slug})


def chart_data(response) -> dict:
    """The JSON embedded for the charts, parsed strictly (NaN and infinities are not JSON)."""
    match = JSON_SCRIPT.search(response.content.decode())
    assert match is not None, "the page embeds no chart data"

    def refuse(constant: str):
        raise ValueError(f"{constant} in the chart data")

    return json.loads(match.group(1), parse_constant=refuse)


def test_the_lead_sees_the_annotator_table_when_it_was_computed_and_chart_data(client, lead, report):
    client.force_login(lead)
    response = client.get(dashboard_url(report.project))
    assert response.status_code == 200
    page = response.content.decode()
    caption = "Annotators: judgments, position, length, fatigue and careless-answering flags, speed, agreement"
    assert f"<caption>{caption}</caption>" in page
    assert re.search(r"Computed <time[^>]*>[^<]* ago</time>,\s+in \d+\.\d s, over 90 judgments\.", page)
    for username in ("annotator", "annotator2", "annotator3"):
        assert f">{username}</a>" in page
    data = chart_data(response)
    assert set(data) == {"throughput", "position", "length", "similarity", "fatigue_index", "fatigue_minutes"}
    position = data["position"]
    assert position["labels"] == ["annotator", "annotator2", "annotator3"]
    # The payload's figures, drawn as they are stored.
    stored = {row["annotator"]: row for row in report.payload["position"]["per_annotator"]}
    assert position["rate"] == [row["rate"] for _, row in sorted(stored.items())]
    assert position["low"] == [row["ci_low"] for _, row in sorted(stored.items())]
    assert len(data["similarity"]["labels"]) == len(report.payload["similarity"]["histogram"]) == 20


def test_the_annotator_who_picks_left_nine_times_in_ten_is_flagged_on_the_page(client, lead, report):
    client.force_login(lead)
    data = chart_data(client.get(dashboard_url(report.project)))
    flags = dict(zip(data["position"]["labels"], data["position"]["flagged"], strict=True))
    assert flags == {"annotator": True, "annotator2": False, "annotator3": False}
    page = client.get(dashboard_url(report.project)).content.decode()
    row = re.search(r"<tr>\s*<th scope=\"row\">\s*<a href=\"[^\"]+\">annotator</a>.*?</tr>", page, re.S).group(0)
    assert '<span class="flag">flagged</span>' in row


def report_annotator(names: dict[int, str], name: str) -> int:
    return next(annotator_id for annotator_id, username in names.items() if username == name)


def test_the_length_bias_column_and_table_show_each_annotators_own_length_model(client, lead, report):
    # The column showed the notebook's 1.5x verdict, which takes no account of content.
    models = {row["annotator"]: row for row in report.payload["length"]["per_annotator"]}
    names = dict(get_user_model().objects.filter(pk__in=models).values_list("pk", "username"))
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    annotators = re.search(r"<caption>Annotators: .*?</table>", page, re.S).group(0)
    assert '<th scope="col">Length bias</th>' in annotators and "Length verdict" not in annotators
    table = re.search(r"<caption>Length effect per annotator.*?</table>", page, re.S).group(0)
    shown = {}
    for annotator_id, row in models.items():
        cells = re.search(rf'<th scope="row">\s*{names[annotator_id]}\s*</th>(.*?)</tr>', table, re.S).group(1)
        shown[names[annotator_id]] = re.findall(r"<td>\s*(?:<span class=\"flag\">)?([^<]*?)\s*<", cells)
    row = models[report_annotator(names, "annotator")]
    model = row["model"]
    flag = f"flagged: prefers {model['prefers']}" if row["flagged"] else "no"
    p_values = [p_text(model["p_value"]), p_text(model["p_adjusted"])]  # the p, then the one adjusted across annotators
    expected = [str(model["n"]), f"{model['estimate']:,.3f}", f"{model['se']:,.3f}", *p_values, flag]
    assert [html.unescape(cell) for cell in shown["annotator"]] == expected
    # Where no length effect can be estimated, the page says why instead of a flag: the honest
    # annotator follows the source in every pair (content alone predicts every answer), and the coin
    # tosses a tie one time in three, leaving too few decisive answers.
    for name, reason in (("annotator2", "perfect separation"), ("annotator3", "fewer than 20 rows")):
        model = models[report_annotator(names, name)]["model"]
        assert model["estimate"] is None and model["reason"] == reason
        assert shown[name] == [str(model["n"]), reason, "—", "—", "—", "—"], name
    # A flagged annotator reads so in both tables, with the way they lean.
    payload = report.payload
    for row in payload["length"]["per_annotator"]:
        row["flagged"] = row["annotator"] == report_annotator(names, "annotator")
    report.payload = payload
    report.save(update_fields=["payload"])
    page = client.get(dashboard_url(report.project)).content.decode()
    prefers = models[report_annotator(names, "annotator")]["model"]["prefers"]
    for caption in ("Annotators: ", "Length effect per annotator"):
        table = re.search(rf"<caption>{caption}.*?</table>", page, re.S).group(0)
        row = re.search(r'<th scope="row">\s*(?:<a [^>]*>)?annotator\s*<.*?</tr>', table, re.S).group(0)
        assert f'<span class="flag">flagged: prefers {prefers}</span>' in row, caption
        assert table.count("flagged: prefers") == 1, caption


def test_the_trend_table_gives_the_within_sitting_slopes(client, lead, report):
    trends = report.payload["fatigue"]["trends"]["minutes"]
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    table = re.search(r"<caption>Trend tests within sittings.*?</table>", page, re.S).group(0)
    for title, name in (
        ("Dwell: slower than the sitting&#x27;s median", "dwell_ms"),
        ("Agreement with the source", "source"),
    ):
        trend = trends[name]
        row = re.search(rf"{re.escape(title)}\s*</th>\s*<td>\s*minutes in sitting\s*</td>(.*?)</tr>", table, re.S)
        cells = re.findall(r"<td>\s*([^<]*?)\s*</td>", row.group(1))
        expected = [str(trend["n"]), str(trend["sittings"])]
        expected.append(f"{trend['slope']['estimate']:,.3f}" if trend["slope"] else trend["reason"])
        assert cells[:3] == expected, title


def test_a_report_computed_before_the_length_flag_and_the_sitting_trends_still_renders_as_what_it_is(
    client, lead, engineer, report
):
    payload = report.payload
    model = payload["length"]["length_controlled"]
    model["coefficients"]["a_on_left"] = model["coefficients"].pop("reference_on_left")
    for row in payload["length"]["per_annotator"]:
        del row["model"], row["flagged"]
    for tests in payload["fatigue"]["trends"].values():
        for test in tests.values():
            test.pop("sittings", None)
    report.payload = payload
    report.save(update_fields=["payload"])
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    assert "Content (response A shown on the left: a report before the reference; recompute it)" in page
    assert "<caption>Trend tests of a report computed before they were made within sittings" in page
    assert "Trend tests within sittings" not in page
    annotators = re.search(r"<caption>Annotators: .*?</table>", page, re.S).group(0)
    assert "flagged: prefers" not in annotators
    client.force_login(engineer)
    scorecards = reverse("analytics:scorecards", kwargs={"slug": report.project.slug})
    assert client.get(scorecards).status_code == 200


def test_the_curve_since_the_break_says_it_runs_from_the_working_stretch_not_the_last_break(client, lead, report):
    # since_break_ms runs from the first sitting after a rest of REST_MINUTES (or the project's break, if
    # longer): a project's shorter break between sittings ends no stretch, so "since the last break" misled.
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    assert "since the last break" not in page
    assert "Minutes since break" not in page
    assert (
        "<caption>Fatigue by minutes since the working stretch began: the first sitting after a rest of at "
        "least 5 minutes, or of the project&#x27;s break if longer</caption>" in page
    )


def test_the_pooled_length_regression_shows_p_clustered_by_annotator(client, lead, report):
    # Its standard errors counted one annotator's judgments as independent: a single length-lover made the
    # crowd's length term "significant". The p shown is clustered by annotator, and says so.
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    table = re.search(r"<caption>Length-controlled logistic regression of picking left.*?</table>", page, re.S).group(0)
    model = report.payload["length"]["length_controlled"]
    # The fixture's three annotators are no more than the model's terms: no p, and the caption says why.
    assert model["clusters"] == 3
    assert "pooled over annotators" in table and "3 annotators): estimates only, too few annotators" in table
    headers = re.findall(r'<th scope="col">\s*([^<]*?)\s*</th>', table)
    assert headers == ["Term", "Estimate (log-odds)", "p (clustered)"], headers
    terms = model["coefficients"]
    assert f"{terms['reference_on_left']['estimate']:,.3f}" in table
    # With more annotators than terms, the p clustered by annotator is shown, and the caption says how.
    model["clusters"] = 8
    for term, p_value in zip(terms.values(), [0.0004, 0.25, 0.031], strict=False):
        term["p_value"] = p_value
    report.save(update_fields=["payload"])
    page = client.get(dashboard_url(report.project)).content.decode()
    table = re.search(r"<caption>Length-controlled logistic regression of picking left.*?</table>", page, re.S).group(0)
    assert "8 annotators): p clustered by annotator" in table and "Student&#x27;s t with 7 degrees of freedom" in table
    cells = [cell.strip() for cell in re.findall(r"<td>([^<]*)</td>", table)]
    assert "&lt; 0.001" in cells and "0.250" in cells and "0.031" in cells


def test_a_pooled_length_regression_of_an_old_report_shows_estimates_only(client, lead, report):
    # As a report of format 2 kept them: no clusters, and p-values that took every judgment as independent
    # (the fixture's three annotators give none of their own, so without these nothing could show).
    model = report.payload["length"]["length_controlled"]
    del model["clusters"]
    for term, p_value in zip(model["coefficients"].values(), [1e-9, 0.0123, 0.0456], strict=True):
        term["p_value"] = p_value
    report.save(update_fields=["payload"])
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    table = re.search(r"<caption>Length-controlled logistic regression of picking left.*?</table>", page, re.S).group(0)
    assert "estimates only" in table and "recompute it" in table
    assert "< 0.001" not in table and "0.012" not in table and "0.046" not in table


def test_a_new_report_whose_pairs_have_no_reference_is_not_called_old(client, lead, report):
    # With no pair with a reference the pooled fit cannot be made; the report, computed now, was shown as
    # one "made before its p was clustered by annotator (recompute it)", which recomputing never changes.
    import pandas as pd

    from analytics.metrics.length import NO_REFERENCE, length_controlled_logit

    words = pd.DataFrame(
        {
            "annotator": [1, 2, 3],
            "picked_left": [True, False, True],
            "reference_on_left": [0, 0, 0],
            "left_response": [10, 20, 30],
            "right_response": [30, 20, 10],
        }
    )
    report.payload["length"]["length_controlled"] = length_controlled_logit(words)
    report.save(update_fields=["payload"])
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    table = re.search(r"<caption>Length-controlled logistic regression of picking left.*?</table>", page, re.S).group(0)
    assert "recompute" not in table and "made before" not in table
    assert f"It could not be fitted: {html.escape(NO_REFERENCE)}." in page


def test_judgments_per_day_are_counted_from_the_first_day_to_today(client, lead, report):
    client.force_login(lead)
    data = chart_data(client.get(dashboard_url(report.project)))
    today = timezone.localdate()
    days = [(today - dt.timedelta(days=back)).isoformat() for back in (2, 1, 0)]
    assert data["throughput"] == {"labels": days, "counts": [30, 60, 0]}


@pytest.mark.django_db
def test_judgments_per_day_start_at_local_midnight_with_a_bound_the_index_serves(project, settings):
    # The bound was `answered_at__date`, a cast of every row: a scan of all the project's judgments
    # (found by the scale audit).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.views import judgments_per_day
    from annotate.models import Judgment
    from tests.conftest import make_pairs, make_user
    from tests.factories import judgments_bulk, judgments_rewrite

    settings.TIME_ZONE = "America/New_York"
    now = timezone.make_aware(dt.datetime(2026, 3, 20, 12, 0))
    make_pairs(project, 2)
    judgments_bulk(project, make_user("early"), choose=lambda pair_id, _p: "a")
    first, second = Judgment.objects.order_by("id")
    since = timezone.make_aware(dt.datetime(2026, 3, 7))  # the first of 14 days back
    judgments_rewrite(Judgment.objects.filter(pk=first.pk), answered_at=since - dt.timedelta(minutes=30))
    judgments_rewrite(Judgment.objects.filter(pk=second.pk), answered_at=since + dt.timedelta(minutes=30))
    with CaptureQueriesContext(connection) as queries:
        days = judgments_per_day(project=project, days=14, now=now)
    assert days[0] == {"day": "2026-03-07", "judgments": 1} and len(days) == 14
    assert '"answered_at" >= ' in queries[0]["sql"]


def test_it_says_how_long_ago_the_report_was_computed(client, lead, report):
    BiasReport.objects.filter(pk=report.pk).update(computed_at=timezone.now() - dt.timedelta(minutes=3, seconds=5))
    client.force_login(lead)
    # timesince joins the number and the unit with a no-break space.
    assert "3\u00a0minutes ago</time>" in client.get(dashboard_url(report.project)).content.decode()


def test_the_engineer_reads_the_dashboard_without_a_recompute_button(client, engineer, report):
    client.force_login(engineer)
    response = client.get(dashboard_url(report.project))
    assert response.status_code == 200
    assert "over 90 judgments" in response.content.decode()
    assert "Recompute now" not in response.content.decode()
    chart_data(response)


def test_the_lead_gets_the_recompute_button(client, lead, report):
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    assert "Recompute now" in page
    assert f'action="{reverse("analytics:recompute", kwargs={"slug": report.project.slug})}"' in page
    assert "csrfmiddlewaretoken" in page


@pytest.mark.parametrize("who", ["annotator", "outsider"])
def test_it_is_a_404_for_annotators_of_the_project_and_outsiders(client, request, report, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(dashboard_url(report.project)).status_code == 404


def test_it_is_a_404_for_a_project_that_does_not_exist(client, lead, project):
    client.force_login(lead)
    assert client.get(reverse("analytics:dashboard", kwargs={"slug": "no-such-project"})).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(client, project):
    response = client.get(dashboard_url(project))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_without_a_report_it_says_so_and_offers_the_button(client, lead, project):
    client.force_login(lead)
    response = client.get(dashboard_url(project))
    page = response.content.decode()
    assert response.status_code == 200
    assert "No report has been computed for this project yet." in page
    assert "Recompute now" in page
    assert JSON_SCRIPT.search(page) is None


def test_user_names_reach_the_chart_data_escaped_and_intact(client, lead, report):
    hostile = "</script><script>alert(1)</script>"
    get_user_model().objects.filter(username="annotator3").update(username=hostile)
    client.force_login(lead)
    response = client.get(dashboard_url(report.project))
    page = response.content.decode()
    assert hostile not in page
    assert html.escape(hostile) in page  # in the tables
    assert hostile in chart_data(response)["position"]["labels"]


def test_a_failed_computation_is_reported_with_its_error(client, lead, report):
    BiasReport.objects.create(project=report.project, state=JobState.FAILED, error="ValueError: broken column")
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    assert "The last computation failed: ValueError: broken column" in page
    assert "over 90 judgments" in page  # the last good figures are still shown


def test_the_page_reads_the_stored_report_in_a_few_queries(client, lead, report, django_assert_max_num_queries):
    client.force_login(lead)
    # Session, user, membership, latest, live and last report, judgments per day, the names: no
    # query per annotator or per judgment.
    with django_assert_max_num_queries(9):
        assert client.get(dashboard_url(report.project)).status_code == 200


@pytest.mark.parametrize(
    ("wpm", "said"),
    [(476.0, "under 476 words per minute"), (None, "no reading floor: the project's reading factor is 0")],
)
def test_the_reading_floor_is_said_in_whole_words_per_minute_or_as_absent(client, lead, report, wpm, said):
    report.payload["speeding"]["wpm"] = wpm
    report.save(update_fields=["payload"])
    client.force_login(lead)
    page = client.get(dashboard_url(report.project)).content.decode()
    assert f"Faster than reading ({said}):" in page


def test_the_progress_table_names_the_gold_pairs_its_shares_leave_out(client, lead, report):
    # 70 pairs, 12 of them gold: "44 (75.9%)" complete is 44 of the 58 in the k-queue, which the
    # table did not say.
    payload = report.payload
    payload["coverage"] |= {"pairs": 70, "gold_pairs": 12}
    payload["coverage"]["progress"] |= {"k": 7, "complete_pairs": 44, "complete_share": 44 / 58}
    BiasReport.objects.filter(pk=report.pk).update(payload=payload)
    client.force_login(lead)

    page = client.get(dashboard_url(report.project)).content.decode()

    caption = page.index("<caption>Progress to k judgments per pair</caption>")
    table = page[caption : page.index("</table>", caption)]
    cells = [
        html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", table, re.S)
    ]
    assert cells[cells.index("Pairs") + 1] == "70"
    assert cells[cells.index("Gold pairs (outside the k-queue: not counted toward k below)") + 1] == "12"
    assert cells[cells.index("Pairs with k = 7 judgments") + 1] == "44 (75.9%)"


def test_swapped_repeats_are_said_to_be_counted_apart_where_judgments_are_counted(client, lead, report):
    # The report counts votes; the per-day and scorecard tallies count every answer, repeats included.
    assert report.payload["n_probes"] == 0
    client.force_login(lead)
    assert "swapped repeat" not in client.get(dashboard_url(report.project)).content.decode()
    report.payload["n_probes"] = 40
    report.save(update_fields=["payload"])
    page = client.get(dashboard_url(report.project)).content.decode()
    n = report.judgments_seen
    assert f"over {n} judgments (and 40 swapped repeats, counted apart)." in page
    assert f"{n} judgments and 40 swapped repeats (counted apart: they measure annotators" in page
    # Found in review: the dashboard's and the scorecards' "Judgments" differ by the repeats, unsaid.
    assert "Judgments and the other rates here leave the swapped repeats out; the scorecards" in page


def test_every_table_and_chart_lists_the_annotators_in_the_same_order_by_name(client, lead, report, annotator):
    # The left-leaning annotator, first by id, renamed to come last by name.
    get_user_model().objects.filter(pk=annotator.pk).update(username="zoe")
    client.force_login(lead)
    response = client.get(dashboard_url(report.project))
    names = ["annotator2", "annotator3", "zoe"]
    data = chart_data(response)
    assert data["position"]["labels"] == data["length"]["labels"] == names
    assert data["position"]["flagged"] == [False, False, True]
    page = response.content.decode()
    for caption in (
        "Annotators: judgments, position, length, fatigue and careless-answering flags, speed, agreement",
        "Left-choice rate per annotator",
        "Length figures per annotator",
        "Length effect per annotator",
        "Agreement per annotator",
    ):
        table = re.search(rf"<caption>{re.escape(caption)}.*?</table>", page, re.S).group(0)
        rows = re.findall(r'<th scope="row">\s*(?:<a [^>]*>)?([^<]+?)\s*<', table)
        assert [row for row in rows if row != "All annotators"] == names, caption


@pytest.mark.parametrize("is_active", [True, False])
def test_a_report_of_no_judgments_says_so_in_one_line_instead_of_empty_charts_and_tables(
    client, lead, project, settings, is_active
):
    # Found by a walkthrough in Chromium: about fifteen empty charts and tables of "—" and "0 / 0".
    settings.BIAS_REPORT_EVERY_SECONDS = 300
    project.is_active = is_active
    project.save(update_fields=["is_active"])
    report_compute(project)
    client.force_login(lead)
    page = client.get(dashboard_url(project)).content.decode()
    assert "No judgments in this report yet." in page
    when = "the worker recomputes the report every 5 minutes while the project is open for annotation"
    assert (when in page) is is_active
    assert ("the project is closed for annotation, so the worker recomputes no report" in page) is not is_active
    assert "<canvas" not in page and "<table" not in page and 'id="annotators"' not in page
    assert JSON_SCRIPT.search(page) is None
    # The report's status and the recompute button stay.
    assert 'id="computed-at"' in page and "over 0 judgments" in page and "Recompute now" in page
