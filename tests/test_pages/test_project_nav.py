"""Each of a project's pages for leads and engineers carries the same project navigation: the pages the
reader's role opens, in one order, the current one marked. Found by a walkthrough in Chromium: only
the dashboard linked to the others; Settings, Members, Imports and Exports led back to My projects
only."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PAGES = {
    "Quality dashboard": "analytics:dashboard",
    "Annotator scorecards": "analytics:scorecards",
    "Gold pairs": "annotate:gold",
    "Members": "annotate:members",
    "Imports": "annotate:imports",
    "Exports": "exporter:exports",
    "Settings": "annotate:project_settings",
}
OPENS = {
    "lead": list(PAGES),
    "engineer": ["Quality dashboard", "Annotator scorecards", "Exports"],
}


class _ProjectNav(HTMLParser):
    """The links of the page's <nav aria-label="Project pages">: (label, href, aria-current)."""

    def __init__(self) -> None:
        super().__init__()
        self.navs = 0
        self.links: list[list] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and attrs.get("aria-label") == "Project pages":
            self.navs += 1
            self._inside = True
        elif tag == "a" and self._inside:
            self.links.append(["", attrs.get("href"), attrs.get("aria-current")])

    def handle_endtag(self, tag):
        if tag == "nav":
            self._inside = False

    def handle_data(self, data):
        if self._inside and self.links:
            self.links[-1][0] += data.strip()


def project_nav(html: str) -> _ProjectNav:
    parser = _ProjectNav()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("role", ["lead", "engineer"])
def test_each_page_a_role_opens_lists_those_pages_and_marks_its_own(role, project, lead, engineer):
    client = client_for({"lead": lead, "engineer": engineer}[role])
    urls = {label: reverse(PAGES[label], kwargs={"slug": project.slug}) for label in OPENS[role]}
    for current, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (current, response.status_code)
        nav = project_nav(response.content.decode())
        assert nav.navs == 1, current
        assert [(label, href) for label, href, _ in nav.links] == list(urls.items()), current
        assert [label for label, _, marked in nav.links if marked == "page"] == [current]


@pytest.mark.parametrize("role", ["lead", "engineer"])
def test_the_navigation_links_no_page_the_role_cannot_open(role, project, lead, engineer):
    # What is left out is a 404 to that role, and what is listed opens (the other test): the list
    # follows the views' own access rules.
    client = client_for({"lead": lead, "engineer": engineer}[role])
    for label in set(PAGES) - set(OPENS[role]):
        assert client.get(reverse(PAGES[label], kwargs={"slug": project.slug})).status_code == 404, label


def test_the_dashboard_has_no_other_line_of_links_to_the_pages(client, project, lead):
    client.force_login(lead)
    html = client.get(reverse("analytics:dashboard", kwargs={"slug": project.slug})).content.decode()
    assert html.count(f'href="{reverse("annotate:members", kwargs={"slug": project.slug})}"') == 1


def test_a_refused_form_shows_the_navigation_too(client, project, lead):
    # The settings, members and gold pages render again on a refusal (400), from other code paths.
    client.force_login(lead)
    refused = [
        client.post(reverse("annotate:members", kwargs={"slug": project.slug}), {"username": "", "role": "annotator"}),
        client.post(reverse("annotate:gold_from_source", kwargs={"slug": project.slug}), {"limit": "x"}),
        client.post(reverse("annotate:project_settings", kwargs={"slug": project.slug}), {"name": ""}),
    ]
    for response in refused:
        assert response.status_code == 400
        assert len(project_nav(response.content.decode()).links) == len(PAGES)
