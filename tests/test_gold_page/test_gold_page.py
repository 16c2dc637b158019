"""GET /projects/<slug>/gold/: the leads' gold page (summary, searchable list, from-source form)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from statsmodels.stats.proportion import proportion_confint

from annotate.models import Pair, Side
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from annotate.services.gold import pair_gold_set
from annotate.views.gold import PAIRS_PER_PAGE, last_human_turn, percent
from tests.conftest import make_pairs
from tests.test_gold_page.conftest import gold_url, listed_pair_ids, signed_in

pytestmark = pytest.mark.django_db


def test_it_renders_for_the_lead(lead_client, project, pairs):
    response = lead_client.get(gold_url(project))
    assert response.status_code == 200
    assert listed_pair_ids(response.content.decode()) == [pair.id for pair in pairs]


@pytest.mark.parametrize("member", ["engineer", "annotator", "outsider"])
def test_it_is_a_404_for_anyone_but_a_lead(request, project, pairs, member):
    user = request.getfixturevalue(member)
    assert signed_in(user).get(gold_url(project)).status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_login(client, project):
    response = client.get(gold_url(project))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_is_a_404_for_an_unknown_project(lead_client, project):
    assert lead_client.get("/projects/no-such-project/gold/").status_code == 404


def test_it_shows_the_last_human_turn_truncated(lead_client, project):
    long_question = "Why " + "really " * 60 + "is the sky blue?"
    Pair.objects.create(
        project=project,
        context=f"\n\nHuman: First question\n\nAssistant: First answer\n\nHuman: {long_question}",
        response_a=" a",
        response_b=" b",
        content_hash="x" * 64,
    )
    html = lead_client.get(gold_url(project)).content.decode()
    assert "Why really really" in html
    assert "First question" not in html
    assert "is the sky blue?" not in html  # cut by the 160-character truncation
    assert "…" in html


def test_the_last_human_turn_is_found_in_a_tail_or_a_whole_context():
    assert last_human_turn("\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: And you?", complete=True) == "And you?"
    assert last_human_turn("Just a prompt", complete=True) == "Just a prompt"
    assert last_human_turn("end of a long question?", complete=False) == "…end of a long question?"
    assert last_human_turn("Hi\n\nAssistant: Hello", complete=True) == "Hi"


def answer_gold(project, annotator, choices: dict[int, str]) -> None:
    """`annotator` answers every gold pair through the real services, with `choices[pair_id]`:
    "a" or "b" (the response chosen) or "tie"."""
    project.gold_rate = 1.0
    project.save(update_fields=["gold_rate"])
    sitting_start(project=project, annotator=annotator)
    for _ in choices:
        assignment, _ = assignment_next(project=project, annotator=annotator)
        choice = choices[assignment.pair_id]
        side = Side.TIE if choice == "tie" else (Side.LEFT if assignment.left_response == choice else Side.RIGHT)
        judgment_submit(assignment_id=assignment.id, annotator=annotator, side=side)


def test_the_summary_counts_gold_pairs_and_scores_gold_judgments(lead_client, lead, project, annotator):
    pairs = make_pairs(project, 8)
    answers = {pairs[0].id: "a", pairs[1].id: "a", pairs[2].id: "a", pairs[3].id: "b", pairs[4].id: "b"}
    for pair_id, answer in answers.items():
        pair_gold_set(project=project, pair_id=pair_id, answer=answer, actor=lead)
    # Picks A on the first four, a tie on the fifth: 4 scored, 3 correct (A, A, A right; A on B wrong).
    answer_gold(
        project,
        annotator,
        {pairs[0].id: "a", pairs[1].id: "a", pairs[2].id: "a", pairs[3].id: "a", pairs[4].id: "tie"},
    )
    summary = lead_client.get(gold_url(project)).context["summary"]
    assert (summary["pairs"], summary["gold"], summary["gold_a"], summary["gold_b"]) == (8, 5, 3, 2)
    assert summary["candidates"] == 3
    assert summary["gold_judgments"] == 5
    assert (summary["accuracy"]["successes"], summary["accuracy"]["n"]) == (3, 4)

    # A cleared pair's judgments are no longer scored.
    pair_gold_set(project=project, pair_id=pairs[0].id, answer="", actor=lead)
    response = lead_client.get(gold_url(project))
    summary = response.context["summary"]
    assert (summary["gold"], summary["gold_judgments"]) == (4, 5)
    assert (summary["accuracy"]["successes"], summary["accuracy"]["n"]) == (2, 3)
    low, high = proportion_confint(2, 3, alpha=0.05, method="wilson")
    html = response.content.decode()
    assert f"{percent(low)} – {percent(high)}" in html
    assert "66.7%" in html


def test_the_summary_shows_the_projects_gold_settings(lead_client, project):
    project.gold_rate, project.gold_min_accuracy, project.gold_recent = 0.05, 0.8, 12
    project.save()
    html = lead_client.get(gold_url(project)).content.decode()
    assert "5.0%" in html
    assert "80.0%" in html
    assert "over the last 12 gold answers, once an annotator has that many" in html


def test_it_links_the_settings_in_the_admin_for_staff_only(lead, lead_client, project):
    admin_link = f"/admin/annotate/project/{project.pk}/change/"
    assert admin_link not in lead_client.get(gold_url(project)).content.decode()
    lead.is_staff = True
    lead.save(update_fields=["is_staff"])
    assert admin_link in signed_in(lead).get(gold_url(project)).content.decode()


def test_it_paginates_25_pairs_a_page_in_id_order(lead_client, project):
    pairs = make_pairs(project, 60)
    ids = [pair.id for pair in pairs]
    first = lead_client.get(gold_url(project))
    assert listed_pair_ids(first.content.decode()) == ids[:PAIRS_PER_PAGE]
    third = lead_client.get(gold_url(project), {"page": 3})
    assert listed_pair_ids(third.content.decode()) == ids[50:]
    assert listed_pair_ids(lead_client.get(gold_url(project), {"page": 99}).content.decode()) == ids[50:]
    assert listed_pair_ids(lead_client.get(gold_url(project), {"page": "x"}).content.decode()) == ids[:25]


def test_the_next_page_link_keeps_the_search(lead_client, project):
    make_pairs(project, 30, prefix="alpha")
    html = lead_client.get(gold_url(project), {"q": "alpha", "show": "not_gold"}).content.decode()
    assert escape("?q=alpha&show=not_gold&page=2") in html


def test_it_finds_pairs_by_id_source_name_and_text(lead_client, project, other_project):
    pairs = make_pairs(project, 12)
    Pair.objects.filter(id__in=[pairs[3].id, pairs[4].id]).update(source_name="Anthropic/hh-rlhf harmless")
    Pair.objects.filter(id=pairs[8].id).update(response_b=" a Distinctive Phrase in B")
    make_pairs(other_project, 3, prefix="q")  # same texts, another project: never listed

    def found(**params) -> list[int]:
        return listed_pair_ids(lead_client.get(gold_url(project), params).content.decode())

    assert found(q=f"#{pairs[5].id}") == [pairs[5].id]
    # "#" and digits is an id only; plain digits are text too.
    Pair.objects.filter(id=pairs[6].id).update(response_a=f"see #{pairs[5].id} and {pairs[5].id}")
    assert found(q=f"#{pairs[5].id}") == [pairs[5].id]
    assert {pairs[5].id, pairs[6].id} <= set(found(q=str(pairs[5].id)))  # others' texts may hold the digits
    assert found(q="HARMLESS") == [pairs[3].id, pairs[4].id]
    assert found(q="question 7?") == [pairs[7].id]
    assert found(q="distinctive phrase") == [pairs[8].id]
    assert found(q="nowhere to be found") == []
    # Digits that int() does not read (a superscript two) are text to search for, not an error page.
    Pair.objects.filter(id=pairs[2].id).update(response_a="x² + 1")
    assert (found(q="²"), found(q="#²")) == ([pairs[2].id], [])


def test_it_filters_gold_and_not_gold_pairs(lead, lead_client, project, mixed_pairs):
    gold_ids = [mixed_pairs["a"][0].id, mixed_pairs["b"][0].id]
    for pair_id in gold_ids:
        pair_gold_set(project=project, pair_id=pair_id, answer="b", actor=lead)
    every = [p.id for group in mixed_pairs.values() for p in group]

    def found(show: str) -> list[int]:
        return listed_pair_ids(lead_client.get(gold_url(project), {"show": show}).content.decode())

    assert found("gold") == gold_ids
    assert found("not_gold") == [pair_id for pair_id in every if pair_id not in gold_ids]
    assert found("preference") == [p.id for p in mixed_pairs["a"][1:] + mixed_pairs["b"][1:]]
    assert found("nonsense") == every


def test_its_rows_show_the_source_preference_and_the_gold_answer(lead, lead_client, project, mixed_pairs):
    pair = mixed_pairs["a"][2]
    pair_gold_set(project=project, pair_id=pair.id, answer="b", actor=lead)
    html = lead_client.get(gold_url(project), {"q": f"#{pair.id}"}).content.decode()
    row = html[html.index(f'<tr data-pair="{pair.id}">') :]
    row = row[: row.index("</tr>")]
    cells = [cell.split(">", 1)[1].split("<", 1)[0].strip() for cell in row.split("<td")[1:]]
    assert cells[2] == "A"  # source preference
    assert "B" in row.split("<td")[4]  # gold answer
    assert 'name="csrfmiddlewaretoken"' in row
    assert f'action="{gold_url(project, pair.id, "set")}"' in row


def test_the_list_page_query_count_does_not_grow_with_the_pairs(lead_client, project, django_assert_max_num_queries):
    make_pairs(project, 3, prefix="few")
    with CaptureQueriesContext(connection) as few:
        lead_client.get(gold_url(project))
    make_pairs(project, 120, prefix="many")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = lead_client.get(gold_url(project))
    assert len(listed_pair_ids(response.content.decode())) == PAIRS_PER_PAGE


def test_the_list_reads_only_the_columns_it_shows(lead_client, project):
    make_pairs(project, 30)
    with CaptureQueriesContext(connection) as queries:
        lead_client.get(gold_url(project))
    page_query = next(q["sql"] for q in queries.captured_queries if "LIMIT 25" in q["sql"])
    selected = page_query.split(" FROM ")[0]
    assert "response_a" not in selected
    assert "response_b" not in selected
    # The context is read only inside functions (its tail and its length), never as a column.
    mentions = [m.start() for m in re.finditer(re.escape('"annotate_pair"."context"'), selected)]
    assert len(mentions) == 2
    assert all(selected[start - 1] == "(" for start in mentions)
