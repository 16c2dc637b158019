"""POST /projects/<slug>/gold/<pair_id>/set/: a lead sets a pair's gold answer to A or B, or clears it."""

from __future__ import annotations

import pytest

from annotate.models import AuditEvent, Pair
from annotate.services.gold import GOLD_CLEARED, GOLD_SET
from tests.conftest import make_pairs
from tests.test_gold_page.conftest import gold_url, signed_in

pytestmark = pytest.mark.django_db


def gold_answer(pair: Pair) -> str:
    return Pair.objects.values_list("gold_answer", flat=True).get(pk=pair.pk)


def test_it_sets_the_gold_answer_and_writes_an_audit_row(lead, lead_client, project, pairs):
    pair = pairs[3]
    response = lead_client.post(gold_url(project, pair.id, "set"), {"answer": "b"})
    assert response.status_code == 302
    assert response["Location"] == gold_url(project, pair.id)
    assert gold_answer(pair) == "b"
    event = AuditEvent.objects.get()
    assert (event.project, event.actor, event.subject, event.action) == (project, lead, lead, GOLD_SET)
    assert event.reason == f"pair {pair.id}: gold answer B (was none)"


def test_it_changes_and_then_clears_the_gold_answer(lead_client, project, pairs):
    pair = pairs[0]
    lead_client.post(gold_url(project, pair.id, "set"), {"answer": "a"})
    lead_client.post(gold_url(project, pair.id, "set"), {"answer": "b"})
    assert gold_answer(pair) == "b"
    lead_client.post(gold_url(project, pair.id, "set"), {"answer": "clear"})
    assert gold_answer(pair) == ""
    events = list(AuditEvent.objects.order_by("id").values_list("action", "reason"))
    assert events == [
        (GOLD_SET, f"pair {pair.id}: gold answer A (was none)"),
        (GOLD_SET, f"pair {pair.id}: gold answer B (was A)"),
        (GOLD_CLEARED, f"pair {pair.id}: gold answer cleared (was B)"),
    ]


def test_changing_an_answer_says_which_one_it_replaced(lead_client, project, pairs):
    # Found by the lead walkthrough: a page opened before another lead set A said nothing of that A.
    pair = pairs[1]
    first = lead_client.post(gold_url(project, pair.id, "set"), {"answer": "a"}, follow=True)
    assert next(str(m) for m in first.context["messages"]) == f"Pair {pair.id} is gold, with answer A."
    second = lead_client.post(gold_url(project, pair.id, "set"), {"answer": "b"}, follow=True)
    assert next(str(m) for m in second.context["messages"]) == f"Pair {pair.id} is gold, with answer B (it was A)."


def test_it_writes_nothing_when_the_answer_is_already_that(lead_client, project, pairs):
    lead_client.post(gold_url(project, pairs[0].id, "set"), {"answer": "a"})
    lead_client.post(gold_url(project, pairs[0].id, "set"), {"answer": "a"})
    lead_client.post(gold_url(project, pairs[1].id, "set"), {"answer": "clear"})
    assert AuditEvent.objects.count() == 1


def test_it_changes_only_the_pair_it_was_given(lead_client, project, pairs):
    lead_client.post(gold_url(project, pairs[5].id, "set"), {"answer": "a"})
    assert list(Pair.objects.exclude(gold_answer="").values_list("id", flat=True)) == [pairs[5].id]


@pytest.mark.parametrize("posted", [{"answer": "c"}, {"answer": ""}, {"answer": "A"}, {}])
def test_it_refuses_a_bad_answer_with_a_400_and_writes_nothing(lead_client, project, pairs, posted):
    pair = pairs[2]
    lead_client.post(gold_url(project, pair.id, "set"), {"answer": "b"})
    response = lead_client.post(gold_url(project, pair.id, "set"), posted)
    assert response.status_code == 400
    assert 'id="gold-error"' in response.content.decode()
    assert gold_answer(pair) == "b"
    assert AuditEvent.objects.count() == 1


def test_it_is_a_404_for_a_pair_of_another_project(lead_client, project, other_project, pairs):
    stranger = make_pairs(other_project, 1, prefix="other")[0]
    response = lead_client.post(gold_url(project, stranger.id, "set"), {"answer": "a"})
    assert response.status_code == 404
    assert gold_answer(stranger) == ""
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("member", ["engineer", "annotator", "outsider"])
def test_it_is_a_404_for_anyone_but_a_lead(request, project, pairs, member):
    user = request.getfixturevalue(member)
    assert signed_in(user).post(gold_url(project, pairs[0].id, "set"), {"answer": "a"}).status_code == 404
    assert gold_answer(pairs[0]) == ""


def test_it_sends_an_anonymous_visitor_to_the_login(client, project, pairs):
    response = client.post(gold_url(project, pairs[0].id, "set"), {"answer": "a"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert gold_answer(pairs[0]) == ""


def test_it_answers_only_posts(lead_client, project, pairs):
    assert lead_client.get(gold_url(project, pairs[0].id, "set"), {"answer": "a"}).status_code == 405
    assert gold_answer(pairs[0]) == ""


def test_it_needs_the_csrf_token(lead, project, pairs):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(lead)
    assert strict.post(gold_url(project, pairs[0].id, "set"), {"answer": "a"}).status_code == 403
    assert gold_answer(pairs[0]) == ""


def test_it_returns_to_the_list_page_it_came_from(lead_client, project, pairs):
    back = gold_url(project) + "?q=question&page=1"
    response = lead_client.post(gold_url(project, pairs[0].id, "set"), {"answer": "a", "next": back})
    assert response["Location"] == back


def test_it_never_returns_to_another_site(lead_client, project, pairs):
    response = lead_client.post(
        gold_url(project, pairs[0].id, "set"), {"answer": "a", "next": "https://elsewhere.example/"}
    )
    assert response["Location"] == gold_url(project, pairs[0].id)


def test_the_service_refuses_a_bad_answer_before_touching_the_pair(lead, project, pairs):
    from django.core.exceptions import ValidationError

    from annotate.services.gold import pair_gold_set

    with pytest.raises(ValidationError):
        pair_gold_set(project=project, pair_id=pairs[0].id, answer="left", actor=lead)
    assert gold_answer(pairs[0]) == ""
    assert not AuditEvent.objects.exists()


def test_the_service_refuses_a_pair_of_another_project(lead, project, other_project):
    from annotate.services.gold import pair_gold_set

    stranger = make_pairs(other_project, 1, prefix="other")[0]
    with pytest.raises(Pair.DoesNotExist):
        pair_gold_set(project=project, pair_id=stranger.id, answer="a", actor=lead)
    assert gold_answer(stranger) == ""


def test_a_pair_made_gold_leaves_the_queue_and_is_served_as_gold(lead_client, project, annotator):
    from annotate.services.annotating import assignment_next, sitting_start

    # Two pairs stay in the queue: gold is served only while the queue has one for the annotator.
    gold, *ordinary = make_pairs(project, 3)
    lead_client.post(gold_url(project, gold.id, "set"), {"answer": "a"})
    sitting_start(project=project, annotator=annotator)
    project.gold_rate = 0.0
    project.save(update_fields=["gold_rate"])
    first, _ = assignment_next(project=project, annotator=annotator)
    assert first.pair_id in {pair.id for pair in ordinary} and not first.is_gold
    project.gold_rate = 1.0
    project.save(update_fields=["gold_rate"])
    second, _ = assignment_next(project=project, annotator=annotator, exclude=[first.id])
    assert (second.pair_id, second.is_gold) == (gold.id, True)


def test_after_a_bad_answer_the_pairs_form_leads_back_to_the_pairs_page(lead_client, project, pairs):
    # The refused form comes back at the POST-only set address; its "next" must be the pair's page.
    pair = pairs[2]
    response = lead_client.post(gold_url(project, pair.id, "set"), {"answer": "c"})
    assert response.status_code == 400
    assert f'name="next" value="{gold_url(project, pair.id)}"' in response.content.decode()


def test_the_pairs_page_lists_who_changed_its_gold_answer_and_when(lead, lead_client, project, pairs):
    # Found by the lead pages audit: the changes were kept, and shown on no page, though each re-scores
    # every gold answer given on the pair and can pause its annotators.
    first, tenth = pairs[0], pairs[9] if len(pairs) > 9 else pairs[-1]
    page = lead_client.get(gold_url(project, first.id)).content.decode()
    assert "Changes to its gold answer" in page and "None on this page." in page
    lead_client.post(gold_url(project, first.id, "set"), {"answer": "a"})
    lead_client.post(gold_url(project, first.id, "set"), {"answer": "b"})
    lead_client.post(gold_url(project, tenth.id, "set"), {"answer": "a"})  # another pair's
    page = lead_client.get(gold_url(project, first.id)).content.decode()
    history = page[page.index('id="gold-history-heading"') :]
    history = history[: history.index("</ul>")]
    assert history.count("<li>") == 2
    assert history.index(": gold answer B (was A)") < history.index(": gold answer A (was none)")
    assert f"{lead.get_username()}: gold answer B (was A)" in history
