"""The guidelines page: readable by every member of the project, a 404 for everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from annotate.models import Membership, Project


def url(project: Project) -> str:
    return reverse("annotate:guidelines", kwargs={"slug": project.slug})


def test_it_sends_anonymous_visitors_to_the_login_page(client, project):
    response = client.get(url(project))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("role_fixture", ["annotator", "lead", "engineer"])
def test_it_renders_for_every_member(client, project, role_fixture, request):
    client.force_login(request.getfixturevalue(role_fixture))

    response = client.get(url(project))

    assert response.status_code == 200
    assert "Pick the better answer." in response.content.decode()


def test_it_is_a_404_for_a_member_of_another_project(client, project, outsider):
    client.force_login(outsider)
    assert client.get(url(project)).status_code == 404


def test_it_offers_only_annotators_a_start_button(client, project, annotator, lead):
    client.force_login(annotator)
    assert "Start a sitting" in client.get(url(project)).content.decode()
    client.force_login(lead)
    assert "Start a sitting" not in client.get(url(project)).content.decode()


def test_a_paused_annotator_is_told_so_instead_of_offered_a_start(client, project, annotator):
    Membership.objects.filter(user=annotator).update(paused_at=timezone.now(), paused_reason="Checking gold.")
    client.force_login(annotator)
    page = client.get(url(project)).content.decode()
    assert "Annotation is paused" in page
    assert "Start a sitting" not in page
    assert "Checking gold." not in page  # the reason is the lead's, for the audit log


def test_it_renders_markdown_but_never_raw_html_or_script_links(client, project, annotator):
    project.guidelines = (
        "Prefer **honest** answers.\n\n- one\n- two\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2))"
    )
    project.save()
    client.force_login(annotator)

    body = client.get(url(project)).content.decode()

    assert "<strong>honest</strong>" in body
    assert "<li>one</li>" in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'href="javascript:' not in body


def test_the_guidelines_headings_sit_under_the_pages_own_heading(client, project, lead):
    # The page's h1 is "Guidelines for <project>"; a "# Title" in the markdown is a section of it.
    project.guidelines = "# Helpful and harmless\n\nIntro.\n\n## Ties\n\nRarely.\n\n###### Deepest"
    project.save()
    client.force_login(lead)

    body = client.get(url(project)).content.decode()

    assert body.count("<h1") == 1
    assert "<h2>Helpful and harmless</h2>" in body
    assert "<h3>Ties</h3>" in body
    assert "<h6>Deepest</h6>" in body


def test_how_a_sitting_works_says_how_answers_are_sent_and_when_a_sitting_goes_idle(client, project, annotator):
    client.force_login(annotator)
    plain = client.get(url(project)).content.decode()
    assert "a side key selects the side" not in plain  # a side key answers at once
    assert f"after {project.idle_timeout_minutes} minutes without activity" in plain
    project.ask_strength = True
    project.save(update_fields=["ask_strength"])
    asked = client.get(url(project)).content.decode()
    assert "a side key selects the side, and <kbd>Enter</kbd>" in asked
