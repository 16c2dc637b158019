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


@pytest.mark.django_db
def test_the_job_pages_say_when_they_list_only_the_newest_and_where_the_rest_are(client, project, lead):
    # Found by the lead pages audit: the pages listed the newest 50 jobs, and an import's first 50 row
    # errors, saying nothing of the others.
    from annotate.models import ImportJob
    from exporter.models import ExportJob

    errors = [{"row": row, "field": "chosen", "message": "missing"} for row in range(1, 121)]
    for _ in range(50):
        ImportJob.objects.create(project=project, source="x.jsonl", format="pairs", state="failed", errors=errors)
        ExportJob.objects.create(project=project, format="hh-rlhf", options={}, state="failed")
    client.force_login(lead)
    imports = client.get(reverse("annotate:imports", kwargs={"slug": project.slug})).content.decode()
    assert "The newest 50 imports" in imports and "has all 120" in imports
    exports = client.get(reverse("exporter:exports", kwargs={"slug": project.slug})).content.decode()
    assert "The newest 50 exports" in exports
