"""The careless-answering flag on the dashboard, the annotator's page, the scorecards and in
`manage.py bias_report`: where the other three flags go."""

from __future__ import annotations

import html
import re
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from analytics.presentation import DASH, p_text
from annotate.models import Membership, Role
from tests.conftest import make_pairs, make_user
from tests.factories import judgments_bulk


def cells_of(page: str, caption: str) -> dict[str, list[str]]:
    """The cells of each row of the table whose caption starts with `caption`, by the row's name."""
    table = re.search(rf"<caption>{re.escape(caption)}.*?</table>", page, re.S).group(0)
    rows = {}
    for name, cells in re.findall(
        r'<th scope="row">\s*(?:<a [^>]*>)?([^<]+?)\s*(?:</a>\s*)?</th>(.*?)</tr>', table, re.S
    ):
        rows[name] = [
            html.unescape(cell.strip()) for cell in re.findall(r"<td>\s*(?:<span class=\"flag\">)?([^<]*?)\s*<", cells)
        ]
    return rows


def columns_of(page: str, caption: str) -> list[str]:
    table = re.search(rf"<caption>{re.escape(caption)}.*?</table>", page, re.S).group(0)
    return re.findall(r'<th scope="col">([^<]*)</th>', table)


def test_the_computed_report_has_the_section_and_too_few_judgments_show_a_dash(client, lead, report):
    # Thirty pairs, three annotators and a third of the coin's answers ties: no one has 20 judgments
    # with a majority of others to compare with (two votes that split leave none).
    section = report.payload["careless"]
    assert report.payload["format"] == 4 and section["flag_alpha"] == 0.01
    assert all(row["p_value"] is None and row["reason"] for row in section["per_annotator"])
    client.force_login(lead)
    page = client.get(reverse("analytics:dashboard", kwargs={"slug": report.project.slug})).content.decode()
    column = columns_of(page, "Annotators: ").index("Careless answering") - 1
    assert {name: cells[column] for name, cells in cells_of(page, "Annotators: ").items()} == dict.fromkeys(
        ("annotator", "annotator2", "annotator3"), DASH
    )


def test_a_flagged_annotator_reads_so_on_the_dashboard_their_page_and_the_scorecards(client, lead, report, annotator):
    payload = report.payload
    coin = next(row for row in payload["careless"]["per_annotator"] if row["annotator"] != annotator.id)
    for row in payload["careless"]["per_annotator"]:
        row |= {"p_value": 0.5, "p_adjusted": 0.5, "flagged": False, "reason": None}
    coin |= {"rate": 0.5, "others_rate": 0.9, "others_n": 40, "others_agreed": 36}
    coin |= {"p_value": 0.0004, "p_adjusted": 0.0012, "flagged": True}
    report.payload = payload
    report.save(update_fields=["payload"])
    name = get_user_model().objects.get(pk=coin["annotator"]).username
    client.force_login(lead)
    slug = report.project.slug
    page = client.get(reverse("analytics:dashboard", kwargs={"slug": slug})).content.decode()
    assert "careless answering when the adjusted p of agreeing with the others' majority less often" in page
    column = columns_of(page, "Annotators: ").index("Careless answering") - 1
    flags = {person: cells[column] for person, cells in cells_of(page, "Annotators: ").items()}
    assert flags == {"annotator": "no", "annotator2": "no", "annotator3": "no"} | {name: "flagged"}
    agreement = cells_of(page, "Agreement per annotator")[name]
    assert agreement[2:6] == ["90.0% (36 / 40)", p_text(0.0004), p_text(0.0012), "flagged"]

    card = client.get(reverse("analytics:annotator", kwargs={"slug": slug, "annotator_id": coin["annotator"]}))
    summary = cells_of(card.content.decode(), "Quality of this annotator")
    assert summary["Careless answering"] == ["flagged"]
    assert summary["Adjusted p (careless answering)"] == [p_text(0.0012)]

    scorecards = client.get(reverse("analytics:scorecards", kwargs={"slug": slug})).content.decode()
    assert "Careless flag (report)" in scorecards
    assert "the position, length, fatigue and careless-answering flags come from the bias report" in scorecards


def test_bias_report_names_the_careless_annotator(project):
    """Two annotators always pick A, the source's preference; a third picks A and B in turn."""
    people = [make_user(f"v{i}") for i in range(3)]
    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    make_pairs(project, 48)
    for person in people[:2]:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    judgments_bulk(project, people[2], choose=lambda pair_id, _p: "a" if pair_id // 2 % 2 else "b")
    out = StringIO()
    call_command("bias_report", project=project.slug, stdout=out)
    text = out.getvalue()
    assert "Flagged: v2 (careless)" in text.splitlines()
    (line,) = [line for line in text.splitlines() if line.startswith(f"  v2 (id {people[2].pk})")]
    assert "majority=50.0% careless p_adj=" in line and line.endswith("FLAGGED (careless)")
