"""A lead changes a project's settings in a real browser: the labels name the fields, a bad value is
named beside its field, and a saved change shows in the list of changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import ProjectSettingsChange
from tests.browser import screenshot
from tests.e2e.test_annotating_in_the_browser import log_in

pytestmark = pytest.mark.e2e


def test_a_lead_changes_the_break_and_sees_the_change_listed(page, project, lead):
    log_in(page, "lead")
    page.get_by_role("link", name=f"Settings of {project.name}").click()
    expect(page.get_by_role("heading", name=f"Settings of {project.name}")).to_be_visible()

    field = page.get_by_label("Break after a sitting, minutes")
    expect(field).to_have_value("5")
    page.get_by_label("Sitting length, minutes").fill("0")
    field.fill("8")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.get_by_label("Sitting length, minutes")).to_have_attribute("aria-invalid", "true")
    assert not ProjectSettingsChange.objects.exists()

    page.get_by_label("Sitting length, minutes").fill("20")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Saved: sitting length, minutes; break after a sitting, minutes.")).to_be_visible()
    changes = page.get_by_role("table")
    expect(changes).to_contain_text("Break after a sitting, minutes")
    expect(page.get_by_label("Break after a sitting, minutes")).to_have_value("8")
    screenshot(page, "project-settings.png", full_page=True)
    project.refresh_from_db()
    assert (project.sitting_minutes, project.break_minutes) == (20, 8)
