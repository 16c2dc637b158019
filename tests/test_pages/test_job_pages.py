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


@pytest.mark.django_db
def test_the_lead_pages_name_the_zone_of_the_times_they_show(client, project, lead, annotator, settings):
    # Found by the time zone audit: the job lists, the members' and gold changes and the scorecard showed
    # "2026-11-01 01:30" in the site's TIME_ZONE without naming it, a time read as the reader's own (and
    # one that comes twice in New York that night); the settings page alone named it, with Django's "T",
    # which is empty for such a time.
    import datetime as dt

    from annotate.models import AuditEvent, ImportJob, Membership, Pair, ProjectSettingsChange
    from annotate.services.members import membership_pause
    from exporter.models import ExportJob

    settings.TIME_ZONE = "America/New_York"
    when = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)  # 01:30 EST, the second 01:30 of that night
    ImportJob.objects.create(project=project, source="x.jsonl", format="pairs", state="done", started_at=when)
    ExportJob.objects.filter(pk=ExportJob.objects.create(project=project, format="hh-rlhf", options={}).pk).update(
        created_at=when
    )
    membership_pause(project=project, user=annotator, actor=lead, reason="Checking.")
    AuditEvent.objects.update(created_at=when)
    Membership.objects.filter(user=annotator).update(paused_at=when)
    pair = Pair.objects.create(project=project, context="q", response_a="a", response_b="b", content_hash="h" * 64)
    client.force_login(lead)
    client.post(reverse("annotate:gold_pair_set", args=[project.slug, pair.id]), {"answer": "a"})
    AuditEvent.objects.update(created_at=when)
    pages = [
        reverse("annotate:imports", args=[project.slug]),
        reverse("exporter:exports", args=[project.slug]),
        reverse("annotate:members", args=[project.slug]),
        reverse("annotate:gold_pair", args=[project.slug, pair.id]),
        reverse("analytics:scorecard", kwargs={"slug": project.slug, "user_id": annotator.id}),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "2026-11-01 01:30 EST" in page, url
        assert "2026-11-01 01:30<" not in page and "2026-11-01 01:30," not in page, url
    change = ProjectSettingsChange.objects.create(project=project, actor=lead, changes={"judgments_per_pair": [3, 4]})
    ProjectSettingsChange.objects.filter(pk=change.pk).update(created_at=when)
    assert (
        "2026-11-01 01:30 EST" in client.get(reverse("annotate:project_settings", args=[project.slug])).content.decode()
    )
