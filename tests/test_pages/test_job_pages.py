"""The lead's imports and exports pages lead back like every other lead page, and style their forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["annotate:imports", "exporter:exports"])
def test_the_imports_and_exports_pages_have_the_breadcrumb_and_the_styled_form(client, project, lead, name):
    client.force_login(lead)
    page = client.get(reverse(name, args=[project.slug])).content.decode()
    assert f'<a href="{reverse("annotate:project_list")}">My projects</a> › {project.name} ›' in page
    assert 'job-form card"' in page and 'class="button button-primary"' in page
