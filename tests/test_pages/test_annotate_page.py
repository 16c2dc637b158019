"""The annotation page: annotators of the project only, with the guidelines before the first sitting."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import AnnotationSession, EndReason, Membership, Project, Role, Safety, Strength


def url(project: Project) -> str:
    return reverse("annotate:annotate", kwargs={"slug": project.slug})


def page_config(response) -> dict:
    body = response.content.decode()
    start = body.index('<script id="annotate-config" type="application/json">') + len(
        '<script id="annotate-config" type="application/json">'
    )
    return json.loads(body[start : body.index("</script>", start)])


def test_it_sends_anonymous_visitors_to_the_login_page(client, project):
    response = client.get(url(project))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_it_shows_the_guidelines_before_the_first_sitting(client, project, annotator):
    client.force_login(annotator)

    response = client.get(url(project))

    assert response.status_code == 302
    assert response.url == reverse("annotate:guidelines", kwargs={"slug": project.slug})


def test_it_opens_once_the_annotator_has_read_the_guidelines(client, project, annotator):
    client.force_login(annotator)
    client.get(reverse("annotate:guidelines", kwargs={"slug": project.slug}))

    response = client.get(url(project))

    assert response.status_code == 200
    assert page_config(response)["autostart"] is False


def test_the_start_button_posts_and_the_page_it_opens_starts_a_sitting_once(project, annotator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)
    guidelines = client.get(reverse("annotate:guidelines", kwargs={"slug": project.slug}))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', guidelines.content.decode())[1]

    assert client.post(url(project)).status_code == 403  # no CSRF token: another site's form
    started = client.post(url(project), {"csrfmiddlewaretoken": token}, follow=True)

    assert started.redirect_chain == [(url(project), 302)]
    assert page_config(started)["autostart"] is True
    assert page_config(client.get(url(project)))["autostart"] is False  # a reload does not start another


def test_a_link_from_anywhere_does_not_start_a_sitting(client, project, annotator):
    client.force_login(annotator)
    client.get(reverse("annotate:guidelines", kwargs={"slug": project.slug}))

    assert page_config(client.get(url(project) + "?start=1"))["autostart"] is False


def test_it_opens_at_once_for_an_annotator_who_has_sat_before(client, project, annotator):
    now = timezone.now()
    AnnotationSession.objects.create(
        project=project,
        annotator=annotator,
        started_at=now - timedelta(hours=1),
        deadline=now - timedelta(minutes=35),
        item_limit=40,
        last_activity_at=now - timedelta(minutes=40),
        ordinal_today=1,
        stretch_started_at=now - timedelta(hours=1),
        ended_at=now - timedelta(minutes=35),
        end_reason="time",
        break_until=now - timedelta(minutes=30),
    )
    client.force_login(annotator)

    response = client.get(url(project))

    assert response.status_code == 200
    assert 'id="panel-work"' in response.content.decode()


def test_it_tells_the_script_what_the_project_asks(client, project, annotator):
    project.allow_tie = False
    project.ask_rationale = True
    project.save()
    client.force_login(annotator)
    client.get(reverse("annotate:guidelines", kwargs={"slug": project.slug}))

    response = client.get(url(project))

    config = page_config(response)
    assert (config["allowTie"], config["allowSkip"], config["askStrength"], config["askRationale"]) == (
        False,
        True,
        False,
        True,
    )
    body = response.content.decode()
    assert 'data-side="tie"' not in body
    assert 'id="rationale"' in body
    assert 'id="strength"' not in body


def open_page(client, project: Project, user):
    client.force_login(user)
    client.get(reverse("annotate:guidelines", kwargs={"slug": project.slug}))
    return client.get(url(project))


def test_it_offers_llama_2s_four_strength_levels_each_with_its_key(client, project, annotator):
    project.ask_strength = True
    project.save()

    body = open_page(client, project, annotator).content.decode()

    for value, label in Strength.choices:
        assert (
            f'<input type="radio" name="strength" value="{value}" aria-keyshortcuts="{"qwer"[value - 1]}"> {label}'
            in (body)
        )
    assert body.count('name="strength"') == 4
    assert "<select" not in body


def test_it_asks_for_each_criterion_and_a_safety_label_and_lets_enter_send(client, project, annotator):
    project.ask_safety = True
    project.criteria = ["helpfulness", "harmlessness"]
    project.ask_rationale = True
    project.rationale_min_chars = 10
    project.save()

    response = open_page(client, project, annotator)

    config = page_config(response)
    assert (config["askSafety"], config["criteria"], config["rationaleMinChars"], config["confirmWithEnter"]) == (
        True,
        ["helpfulness", "harmlessness"],
        10,
        True,
    )
    body = response.content.decode()
    assert 'data-criterion="helpfulness"' in body
    assert 'data-criterion="harmlessness"' in body
    for row in (1, 2):
        assert all(f'name="criterion-{row}" value="{side}"' in body for side in ("left", "tie", "right"))
    assert [value for value in Safety.values if f'name="safety" value="{value}"' in body] == Safety.values
    assert 'id="send-answer"' in body
    assert "At least 10 characters." in body


@pytest.mark.parametrize(("min_chars", "confirm_with_enter"), [(0, False), (10, True)])
def test_an_optional_rationale_alone_leaves_the_side_keys_answering_at_once(
    client, project, annotator, min_chars, confirm_with_enter
):
    project.ask_rationale = True
    project.rationale_min_chars = min_chars
    project.save()

    response = open_page(client, project, annotator)

    assert page_config(response)["confirmWithEnter"] is confirm_with_enter
    assert ('id="send-answer"' in response.content.decode()) is confirm_with_enter


def test_it_documents_the_keys_of_what_the_project_asks(client, project, annotator):
    project.ask_strength = True
    project.save()

    body = open_page(client, project, annotator).content.decode()

    assert "<summary>Keys</summary>" in body
    assert "<kbd>q</kbd> <kbd>w</kbd> <kbd>e</kbd> <kbd>r</kbd>" in body
    assert "<kbd>z</kbd> <kbd>x</kbd> <kbd>c</kbd>" not in body


@pytest.mark.parametrize("paused", [False, True])
def test_it_tells_the_script_whether_the_annotator_is_paused(client, project, annotator, paused):
    if paused:
        Membership.objects.filter(user=annotator, project=project).update(paused_at=timezone.now())

    response = open_page(client, project, annotator)

    assert response.status_code == 200
    assert page_config(response)["paused"] is paused
    assert "The project lead will be in touch with you." in response.content.decode()


@pytest.mark.parametrize("role_fixture", ["lead", "engineer"])
def test_it_is_a_404_for_leads_and_engineers_of_the_project(client, project, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(url(project)).status_code == 404


def test_it_is_a_404_for_the_lead_of_another_project(client, project, outsider):
    client.force_login(outsider)
    assert client.get(url(project)).status_code == 404


def test_it_is_a_404_for_an_annotator_of_another_project(client, project, other_project, annotator):
    client.force_login(annotator)
    assert client.get(url(other_project)).status_code == 404
    assert Membership.objects.filter(user=annotator, project=project, role=Role.ANNOTATOR).exists()


def test_the_page_says_why_a_sitting_ended_for_every_end_reason():
    script = (settings.BASE_DIR / "annotate/static/annotate/js/annotate.js").read_text()
    block = script[script.index("const END_REASONS = {") : script.index("};", script.index("const END_REASONS = {"))]
    assert set(re.findall(r"^\s+(\w+): ", block, re.MULTILINE)) == set(EndReason.values)
