"""POST /projects/<slug>/gold/from-source/ and `pairs_gold_from_source`: pairs with a source
preference become gold with that answer, all of them or at most a limit."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from annotate.models import AuditEvent, Pair
from annotate.services.gold import GOLD_FROM_SOURCE, pair_gold_set, pairs_gold_from_source
from annotate.views.gold import GOLD_NEVER_SHOWN
from tests.conftest import make_pairs
from tests.test_gold_page.conftest import gold_url, signed_in

pytestmark = pytest.mark.django_db


def gold_answers(project) -> dict[int, str]:
    return dict(Pair.objects.filter(project=project).values_list("id", "gold_answer"))


def test_it_marks_exactly_the_pairs_with_a_preference(lead_client, project, mixed_pairs):
    response = lead_client.post(gold_url(project, action="from_source"), {"limit": "", "everything": "on"})
    assert response.status_code == 302
    assert response["Location"] == gold_url(project)
    answers = gold_answers(project)
    assert {p.id: answers[p.id] for p in mixed_pairs["a"]} == {p.id: "a" for p in mixed_pairs["a"]}
    assert {p.id: answers[p.id] for p in mixed_pairs["b"]} == {p.id: "b" for p in mixed_pairs["b"]}
    assert {p.id: answers[p.id] for p in mixed_pairs["none"]} == {p.id: "" for p in mixed_pairs["none"]}
    event = AuditEvent.objects.get()
    assert event.action == GOLD_FROM_SOURCE
    assert event.reason.startswith("7 pairs made gold with the source preference")


def test_it_keeps_the_answer_of_a_pair_already_gold(lead, lead_client, project, mixed_pairs):
    kept = mixed_pairs["a"][0]
    pair_gold_set(project=project, pair_id=kept.id, answer="b", actor=lead)
    lead_client.post(gold_url(project, action="from_source"), {"everything": "on"})
    assert gold_answers(project)[kept.id] == "b"
    assert AuditEvent.objects.filter(action=GOLD_FROM_SOURCE).get().reason.startswith("6 pairs")


def test_it_respects_the_limit_taking_pairs_in_queue_order(lead_client, project, mixed_pairs, other_project):
    make_pairs(other_project, 5, prefix="other")
    with_preference = Pair.objects.filter(project=project).exclude(source_preference="")
    first_in_queue = list(with_preference.order_by("sort_key").values_list("id", "source_preference")[:3])
    lead_client.post(gold_url(project, action="from_source"), {"limit": "3"})
    marked = dict(Pair.objects.filter(project=project).exclude(gold_answer="").values_list("id", "gold_answer"))
    assert marked == dict(first_in_queue)
    assert not Pair.objects.filter(project=other_project).exclude(gold_answer="").exists()
    assert "at most 3" in AuditEvent.objects.get().reason


def test_a_limit_above_the_candidates_marks_them_all(lead, project, mixed_pairs):
    assert pairs_gold_from_source(project=project, actor=lead, limit=100) == 7
    assert pairs_gold_from_source(project=project, actor=lead, limit=100) == 0
    assert AuditEvent.objects.count() == 1


# 2**63 is past the bigint PostgreSQL takes as a LIMIT: it was a 500.
@pytest.mark.parametrize("limit", ["0", "-2", "many", str(2**63), "9" * 40])
def test_it_refuses_a_bad_limit_with_a_400_and_marks_nothing(lead_client, project, mixed_pairs, limit):
    response = lead_client.post(gold_url(project, action="from_source"), {"limit": limit})
    assert response.status_code == 400
    assert 'id="limit-error"' in response.content.decode()
    assert set(gold_answers(project).values()) == {""}
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("limit", [0, -1, 2.5, True, 2**63])
def test_the_service_refuses_a_limit_that_is_not_a_positive_integer(lead, project, mixed_pairs, limit):
    with pytest.raises(ValidationError):
        pairs_gold_from_source(project=project, actor=lead, limit=limit)
    assert set(gold_answers(project).values()) == {""}


@pytest.mark.parametrize("member", ["engineer", "annotator", "outsider"])
def test_it_is_a_404_for_anyone_but_a_lead(request, project, mixed_pairs, member):
    user = request.getfixturevalue(member)
    assert signed_in(user).post(gold_url(project, action="from_source"), {}).status_code == 404
    assert set(gold_answers(project).values()) == {""}


def test_the_page_counts_the_pairs_it_would_mark(lead_client, project, mixed_pairs):
    html = lead_client.get(gold_url(project)).content.decode()
    assert "7 pairs have a source preference and are not gold yet." in html


def test_after_a_bad_limit_the_pages_links_and_forms_lead_back_to_the_gold_page(lead_client, project):
    # The refused form comes back at the POST-only from-source address; the row forms' "next", the
    # search form and the pager must not send the lead there (a GET of it is a 405).
    make_pairs(project, 30)
    response = lead_client.post(gold_url(project, action="from_source"), {"limit": "many"})
    assert response.status_code == 400
    html = response.content.decode()
    nexts = set(re.findall(r'name="next" value="([^"]*)"', html))
    assert nexts == {gold_url(project)}
    assert f'<form method="get" action="{gold_url(project)}" class="search-form"' in html
    assert f'href="{gold_url(project)}?page=2" rel="next"' in html
    pair = Pair.objects.filter(project=project).first()
    done = lead_client.post(gold_url(project, pair.id, "set"), {"answer": "a", "next": nexts.pop()}, follow=True)
    assert done.status_code == 200


@pytest.mark.parametrize("gold_rate", [0.0, 0.1])
def test_at_a_gold_rate_of_zero_the_page_and_the_marking_say_gold_pairs_are_never_shown(
    lead_client, project, mixed_pairs, gold_rate
):
    """Found in review: marking pairs gold at the default rate of 0 took them out of annotation unsaid."""
    project.gold_rate = gold_rate
    project.save(update_fields=["gold_rate"])
    warned = gold_rate == 0
    assert ('id="gold-never-shown"' in lead_client.get(gold_url(project)).content.decode()) is warned
    for posted in (
        lead_client.post(gold_url(project, action="from_source"), {"limit": "2"}, follow=True),
        lead_client.post(gold_url(project, mixed_pairs["none"][0].id, action="set"), {"answer": "a"}, follow=True),
    ):
        said = [(m.level_tag, str(m)) for m in posted.context["messages"]]
        assert said[0][0] == "success"
        assert (("warning", GOLD_NEVER_SHOWN) in said) is warned


def test_the_pairs_it_makes_gold_count_their_sides_as_gold_pairs_in_batches(lead, project, mixed_pairs, monkeypatch):
    # Recounted all at once, a large project's pairs passed the 65,535 parameters a statement takes (a
    # 500 on the gold page); and the queue judgments of a pair made gold are no gold judgments.
    from annotate.models import Membership, Role
    from annotate.services import gold
    from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
    from tests.conftest import make_user

    project.break_minutes, project.sitting_items = 0, 100
    project.save()
    monkeypatch.setattr(gold, "GOLD_BATCH", 2)
    judge = make_user("judge")
    Membership.objects.create(user=judge, project=project, role=Role.ANNOTATOR)
    sitting_start(project=project, annotator=judge)
    for _ in range(5):
        assignment, _ = assignment_next(project=project, annotator=judge)
        judgment_submit(assignment_id=assignment.id, annotator=judge, side="left")
    assignment_next(project=project, annotator=judge)  # a live queue lease too
    shown = Pair.objects.filter(project=project).exclude(a_left_count=0, b_left_count=0)
    judged = set(shown.values_list("id", flat=True))
    assert len(judged) == 6
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert pairs_gold_from_source(project=project, actor=lead) == 7
    # At most GOLD_BATCH pairs a statement: the 7 candidates in 4 updates of their gold answer.
    marking = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "annotate_pair" SET "gold_answer"')
    ]
    assert len(marking) == 4
    made_gold = Pair.objects.filter(project=project).exclude(gold_answer="")
    assert made_gold.filter(id__in=judged).exists()
    assert list(made_gold.exclude(a_left_count=0, b_left_count=0)) == []


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"limit": ""}, "Give a number of pairs, or tick"),
        ({}, "Give a number of pairs, or tick"),
        ({"limit": "3", "everything": "on"}, "not both"),
    ],
)
def test_all_of_them_must_be_asked_for_not_left_to_an_empty_number(lead_client, project, mixed_pairs, form, said):
    # Found by the lead pages audit: an empty number meant all, and a second click on the page reloaded
    # after a first (its number gone) made every pair with a source preference gold, out of the queue.
    response = lead_client.post(gold_url(project, action="from_source"), form)
    assert response.status_code == 400
    assert said in response.content.decode()
    assert not Pair.objects.filter(project=project).exclude(gold_answer="").exists()
