"""The drill-down to one annotator: that annotator's rows of the latest report."""

from __future__ import annotations

import re

from django.urls import reverse

from annotate.models import Membership


def annotator_url(project, user_id: int) -> str:
    return reverse("analytics:annotator", kwargs={"slug": project.slug, "annotator_id": user_id})


def their_page(client, user, report, annotator) -> str:
    """`annotator`'s page as `user` sees it, checked to be theirs: the title and their left rate."""
    client.force_login(user)
    response = client.get(annotator_url(report.project, annotator.id))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Annotator annotator</h1>" in page
    row = next(r for r in report.payload["position"]["per_annotator"] if r["annotator"] == annotator.id)
    assert f"{row['successes']} / {row['n']}" in page
    return page


def test_the_lead_sees_one_annotators_figures_and_flags(client, lead, annotator, report):
    page = their_page(client, lead, report, annotator)
    assert '<span class="flag">flagged</span>' in page  # nine lefts in ten
    assert "annotator2" not in page
    # The length figures are this annotator's, and say so.
    assert "Length of the chosen and the rejected, annotator&#x27;s decisive judgments" in page
    assert "all decisive judgments" not in page
    # The length model fitted to this annotator, and the flag it gives.
    model = next(r for r in report.payload["length"]["per_annotator"] if r["annotator"] == annotator.id)["model"]
    summary = page[page.index("<caption>Quality of this annotator") :].split("</table>")[0]
    for label, value in (
        ("Length effect, position and content held apart (log-odds)", f"{model['estimate']:,.3f}"),
        ("Length bias", "no"),
    ):
        assert re.search(rf"{re.escape(label)}\s*</th>\s*<td>\s*{re.escape(value)}\s*</td>", summary), label


def test_the_dashboard_links_each_annotator_to_their_page(client, lead, annotator, annotator2, report):
    client.force_login(lead)
    page = client.get(reverse("analytics:dashboard", kwargs={"slug": report.project.slug})).content.decode()
    for user in (annotator, annotator2):
        assert f'<a href="{annotator_url(report.project, user.id)}">{user.username}</a>' in page


def test_the_engineer_may_read_it(client, engineer, annotator2, report):
    client.force_login(engineer)
    response = client.get(annotator_url(report.project, annotator2.id))
    assert response.status_code == 200
    assert "<h1>Annotator annotator2</h1>" in response.content.decode()


def test_it_is_a_404_for_an_id_that_is_not_an_annotator_of_the_project(client, lead, engineer, outsider, report):
    client.force_login(lead)
    for user_id in (lead.id, engineer.id, outsider.id, 999_999):
        assert client.get(annotator_url(report.project, user_id)).status_code == 404


def test_it_is_a_404_for_annotators_and_outsiders(client, annotator, outsider, report):
    for user in (annotator, outsider):
        client.force_login(user)
        assert client.get(annotator_url(report.project, annotator.id)).status_code == 404


def test_an_annotator_without_judgments_has_a_page_that_says_so(client, lead, project, annotator):
    client.force_login(lead)
    page = client.get(annotator_url(project, annotator.id)).content.decode()
    assert "No report has been computed for this project yet." in page


def test_the_reading_floor_is_worded_as_on_the_dashboard(client, lead, annotator, report):
    client.force_login(lead)
    for wpm, said in ((476.0, "under 476 words per minute"), (None, "no reading floor")):
        report.payload["speeding"]["wpm"] = wpm
        report.save(update_fields=["payload"])
        page = client.get(annotator_url(report.project, annotator.id)).content.decode()
        assert f"Faster than reading ({said}" in page


def test_a_removed_annotator_whose_judgments_stay_keeps_their_page(client, lead, project, annotator, report):
    # Removed from the project, their judgments (and the report's rows of them) stay: so does their page.
    Membership.objects.filter(project=project, user=annotator).delete()
    their_page(client, lead, report, annotator)
