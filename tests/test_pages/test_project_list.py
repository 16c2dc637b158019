"""The "my projects" page: every membership with role and progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.models import AnnotationSession, Assignment, Judgment, Membership, Pair, Project, Role, Side
from tests.conftest import make_pairs

URL = reverse("annotate:project_list")


def judge(*, annotator, pair: Pair, index: int) -> Judgment:
    """Write one judgment straight into the tables (the page only reads them)."""
    now = timezone.now()
    sitting = AnnotationSession.objects.filter(project=pair.project, annotator=annotator).first()
    if sitting is None:
        sitting = AnnotationSession.objects.create(
            project=pair.project,
            annotator=annotator,
            started_at=now,
            deadline=now + timedelta(minutes=25),
            item_limit=40,
            last_activity_at=now,
            ordinal_today=1,
            stretch_started_at=now,
        )
    assignment = Assignment.objects.create(
        project=pair.project,
        pair=pair,
        annotator=annotator,
        sitting=sitting,
        left_response="a",
        state="answered",
        served_at=now,
        expires_at=now + timedelta(minutes=10),
    )
    return Judgment.objects.create(
        assignment=assignment,
        project=pair.project,
        pair=pair,
        annotator=annotator,
        sitting=sitting,
        side=Side.LEFT,
        chosen_response="a",
        left_response="a",
        served_at=now,
        answered_at=now,
        index_in_sitting=index,
        elapsed_in_sitting_ms=1000,
        sitting_ordinal_today=1,
    )


def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_it_shows_an_annotator_their_project_with_progress_and_links(client, project, annotator, annotator2):
    pairs = make_pairs(project, 5)
    for index, pair in enumerate(pairs[:2], start=1):
        judge(annotator=annotator, pair=pair, index=index)
    judge(annotator=annotator2, pair=pairs[0], index=1)
    Pair.objects.filter(pk=pairs[0].pk).update(judgment_count=project.judgments_per_pair)
    client.force_login(annotator)

    response = client.get(URL)

    assert response.status_code == 200
    membership = response.context["memberships"][0]
    assert (membership.my_judgments, membership.pairs_complete, membership.pairs_total) == (2, 1, 5)
    body = response.content.decode()
    assert "Helpful" in body
    assert "1 / 5" in body
    assert reverse("annotate:annotate", kwargs={"slug": project.slug}) in body
    assert reverse("annotate:guidelines", kwargs={"slug": project.slug}) in body


def test_gold_pairs_are_outside_the_progress_so_a_finished_queue_shows_complete(client, project, annotator):
    pairs = make_pairs(project, 5)
    # Gold pairs are served to every annotator and never count toward k: they never become complete.
    Pair.objects.filter(pk__in=[pair.pk for pair in pairs[:2]]).update(gold_answer="a")
    Pair.objects.filter(pk__in=[pair.pk for pair in pairs[2:]]).update(judgment_count=project.judgments_per_pair)
    client.force_login(annotator)

    response = client.get(URL)

    membership = response.context["memberships"][0]
    assert (membership.pairs_complete, membership.pairs_total) == (3, 3)
    assert "3 / 3" in response.content.decode()
    progress = client.get(reverse("api:progress", kwargs={"slug": project.slug})).json()
    assert (progress["pairs_complete"], progress["pairs_total"]) == (3, 3)
    # The API's list of the user's projects says the same total as the progress it links to.
    (listed,) = client.get("/api/projects/").json()
    assert listed["pairs_total"] == 3


@pytest.mark.parametrize("role_fixture", ["lead", "engineer"])
def test_it_shows_leads_and_engineers_their_role_without_an_annotate_link(client, project, role_fixture, request):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)

    response = client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["memberships"][0].role == role_fixture
    assert reverse("annotate:annotate", kwargs={"slug": project.slug}) not in body
    slug = {"slug": project.slug}
    for name in ("annotate:guidelines", "analytics:dashboard", "analytics:scorecards", "exporter:exports"):
        assert reverse(name, kwargs=slug) in body, name
    for name in ("annotate:gold", "annotate:imports", "annotate:members", "annotate:project_settings"):
        assert (reverse(name, kwargs=slug) in body) == (role_fixture == "lead"), name


def test_it_lists_only_the_users_own_projects(client, project, outsider):
    client.force_login(outsider)

    response = client.get(URL)

    assert [m.project.slug for m in response.context["memberships"]] == ["other"]
    assert "Helpful" not in response.content.decode()


@pytest.mark.parametrize("url", [URL, "/api/projects/"], ids=["page", "api"])
def test_it_reads_every_projects_progress_in_one_query_with_the_pair_counts_cached(
    client, project, annotator, django_assert_num_queries, settings, url
):
    # Each project's pair counts read all its pairs; they come from the cache once counted
    # (annotate.selectors.projects_pair_counts), and the rest of every card from one query, on the page
    # and in the API (which counted the user's judgments in a query per project).
    settings.PAIRWISE_PAIR_COUNTS_CACHE_SECONDS = 30
    cache.clear()
    make_pairs(project, 3)
    client.force_login(annotator)
    client.get(url)
    with CaptureQueriesContext(connection) as one_project:
        client.get(url)
    for n in range(3):
        extra = Project.objects.create(slug=f"extra-{n}", name=f"Extra {n}")
        make_pairs(extra, 2, prefix=f"x{n}")
        Membership.objects.create(user=annotator, project=extra, role=Role.ANNOTATOR)
    with CaptureQueriesContext(connection) as counting:
        client.get(url)
    assert len(counting.captured_queries) == len(one_project.captured_queries) + 3  # the new projects' counts

    with django_assert_num_queries(len(one_project.captured_queries)):
        response = client.get(url)

    if url == URL:
        assert [m.pairs_total for m in response.context["memberships"]] == [2, 2, 2, 3]
    else:
        assert [(row["pairs_total"], row["my_judgments"]) for row in response.json()] == [(2, 0)] * 3 + [(3, 0)]
    cache.clear()


def test_a_closed_project_says_so_to_its_annotators_instead_of_offering_to_annotate(client, project, annotator):
    project.is_active = False
    project.save(update_fields=["is_active"])
    client.force_login(annotator)
    body = client.get(URL).content.decode()
    assert "Closed for annotation" in body
    assert reverse("annotate:annotate", kwargs={"slug": project.slug}) not in body
    assert reverse("annotate:guidelines", kwargs={"slug": project.slug}) in body


@pytest.mark.parametrize("who", ["lead", "engineer"])
def test_a_closed_project_says_so_to_its_leads_and_engineers_too(client, project, lead, engineer, who):
    # Found by the lead walkthrough: after closing it, a lead's card looked as before.
    client.force_login(lead if who == "lead" else engineer)
    assert "Closed for annotation" not in client.get(URL).content.decode()
    Project.objects.filter(pk=project.pk).update(is_active=False)
    assert client.get(URL).content.decode().count("Closed for annotation") == 1


def test_every_page_names_its_icon_so_browsers_do_not_ask_for_a_missing_favicon(client, db):
    from django.contrib.staticfiles import finders

    page = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/annotate/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("annotate/favicon.svg") is not None


def test_a_paused_annotator_is_told_so_not_offered_a_start(client, project, annotator):
    Membership.objects.filter(user=annotator, project=project).update(paused_at=timezone.now(), paused_reason="x")
    client.force_login(annotator)
    page = client.get(reverse("annotate:project_list")).content.decode()
    assert "Annotation paused" in page and "Start annotating" not in page
    # Its page says what happens next, not why: the reason is the lead's, for the audit log.
    assert "why?" not in page
    # One run of text: a hidden element inside it put the button's flex gap before the colon.
    assert ">Annotation paused: what now?<" in page


def test_an_open_sitting_is_continued_from_its_card_even_in_a_project_closed_since(client, project, annotator):
    """Found in a walkthrough: closed while a sitting ran, the card said only "Closed for annotation",
    with no way back to the sitting that runs to its end."""
    from annotate.services.annotating import sitting_start

    make_pairs(project, 3)
    sitting_start(project=project, annotator=annotator)
    Project.objects.filter(pk=project.pk).update(is_active=False)
    client.force_login(annotator)
    page = client.get(URL).content.decode()
    annotate_url = reverse("annotate:annotate", kwargs={"slug": project.slug})
    assert f'href="{annotate_url}">Continue your sitting<span class="visually-hidden"> in Helpful</span>' in page
    assert "Closed for new sittings" in page
