"""GET /projects/<slug>/gold/<pair_id>/: one pair in full for a lead, with its gold form."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from annotate.models import Pair
from annotate.services.gold import pair_gold_set
from tests.conftest import make_pairs
from tests.test_gold_page.conftest import gold_url, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(project) -> Pair:
    return Pair.objects.create(
        project=project,
        context="\n\nHuman: How do I boil an egg?\n\nAssistant: In water.\n\nHuman: For how long?",
        response_a=" About nine minutes for a hard yolk.",
        response_b=" Until it is done.",
        source_name="kitchen.jsonl",
        source_row=4,
        source_preference="a",
        content_hash="e" * 64,
    )


def test_it_shows_the_whole_conversation_and_both_responses_labelled(lead_client, project, conversation):
    response = lead_client.get(gold_url(project, conversation.id))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("How do I boil an egg?", "In water.", "For how long?"):
        assert text in html
    assert html.index("How do I boil an egg?") < html.index("In water.") < html.index("For how long?")
    # Its box scrolls past a capped height: a tab stop, so that the keyboard can scroll it (axe
    # scrollable-region-focusable, found by the accessibility audit).
    assert '<ol class="turns" id="context" tabindex="0" aria-labelledby="conversation-heading">' in html
    response_a = html[html.index('id="response-a-heading"') : html.index('id="response-b-heading"')]
    assert "Response A" in response_a
    assert "About nine minutes for a hard yolk." in response_a
    assert "Until it is done." in html[html.index('id="response-b-heading"') :]
    assert escape("kitchen.jsonl") in html
    # The index among the source's rows, from 0 as datasets counts ("row 4" read as a file's line 4).
    assert ">index 4</span>" in html and "as datasets indexes them" in html


def test_its_responses_keep_their_own_indentation_as_the_annotation_page_shows_them(lead_client, project):
    """The server's rule for turns (`text_shown`), as annotate.js's for responses: stripped whole, a code
    block's first line stood left of its body here, not on the annotation page."""
    pair = Pair.objects.create(
        project=project,
        context="\n\nHuman: Fix it.",
        response_a=" \n    def f():\n        return 1\n",
        response_b=" Plain.",
        content_hash="f" * 64,
    )
    html = lead_client.get(gold_url(project, pair.id)).content.decode()
    box = '<div id="response-{}" class="bubble bubble-assistant response-text">{}</div>'
    assert box.format("a", "    def f():\n        return 1") in html
    assert box.format("b", "Plain.") in html


def test_it_marks_the_gold_answer_and_offers_the_form(lead, lead_client, project, conversation):
    pair_gold_set(project=project, pair_id=conversation.id, answer="b", actor=lead)
    html = lead_client.get(gold_url(project, conversation.id)).content.decode()
    assert '<dd id="gold-answer">B</dd>' in html
    assert f'action="{gold_url(project, conversation.id, "set")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="b" class="button" aria-pressed="true"' in html


@pytest.mark.parametrize("member", ["engineer", "annotator", "outsider"])
def test_it_is_a_404_for_anyone_but_a_lead(request, project, conversation, member):
    user = request.getfixturevalue(member)
    assert signed_in(user).get(gold_url(project, conversation.id)).status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_login(client, project, conversation):
    response = client.get(gold_url(project, conversation.id))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_is_a_404_for_a_pair_of_another_project(lead_client, project, other_project):
    stranger = make_pairs(other_project, 1, prefix="other")[0]
    assert lead_client.get(gold_url(project, stranger.id)).status_code == 404


def test_it_is_a_404_for_a_pair_that_does_not_exist(lead_client, project, conversation):
    assert lead_client.get(gold_url(project, conversation.id + 1000)).status_code == 404


def test_its_judgments_leave_the_swapped_repeats_out_and_say_how_many(
    lead_client, project, conversation, annotator, annotator2
):
    # Found by the lead walkthrough: a pair of a k = 7 project read "Judgments 9", its two swapped
    # repeats counted in without a word, as if k had been passed.
    from annotate.models import Judgment
    from tests.factories import judgments_bulk, judgments_rewrite

    for person in (annotator, annotator2):
        judgments_bulk(project, person, choose=lambda pair_id, preference: "a", pair_ids=[conversation.id])
    first, repeat = Judgment.objects.filter(pair=conversation).order_by("id")
    judgments_rewrite(Judgment.objects.filter(pk=repeat.pk), probe_of=first)
    html = lead_client.get(gold_url(project, conversation.id)).content.decode()
    assert '<div><dt>Judgments</dt><dd>1 <span class="muted">(and 1 swapped repeat)</span></dd></div>' in html
