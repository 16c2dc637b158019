"""The Settings page: a project's leads change its name, guidelines, sittings, breaks, k and quality
controls; everyone else gets a 404; every change is kept with what it was before."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from annotate.models import Pair, PairStatus, Project, ProjectSettingsChange
from annotate.services.annotating import AnnotationError, sitting_start
from annotate.services.gold import pairs_gold_from_source
from annotate.services.projects import SETTINGS_LEADS_CHANGE, project_settings_update
from annotate.views.project_settings import ProjectSettingsForm
from tests.conftest import make_pairs, make_user
from tests.test_annotating.test_races import in_thread

pytestmark = pytest.mark.django_db


def page_url(project) -> str:
    return reverse("annotate:project_settings", kwargs={"slug": project.slug})


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def form_data(project, **changes) -> dict:
    """What the page's form sends for `project` as saved, with `changes` (a checkbox left out is off),
    and the values the page showed (`initial-<name>`, hidden)."""
    data = {}
    for name, value in ProjectSettingsForm(instance=project).initial.items():
        data[f"initial-{name}"] = value
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


def test_a_lead_sees_every_setting_as_saved(project, lead):
    project.break_minutes = 7
    project.save()
    response = signed_in(lead).get(page_url(project))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="break_minutes" value="7"' in html
    for name in SETTINGS_LEADS_CHANGE:
        assert f'name="{name}"' in html, name
    # What each judgment asks is not for this page.
    for name in ("allow_tie", "allow_skip", "ask_strength", "ask_rationale", "ask_safety", "criteria", "slug"):
        assert f'name="{name}"' not in html, name
    assert "None yet." in html


@pytest.mark.parametrize("who", ["annotator", "engineer", "outsider"])
def test_anyone_but_its_leads_gets_a_404_and_changes_nothing(project, who, request):
    client = signed_in(request.getfixturevalue(who))
    assert client.get(page_url(project)).status_code == 404
    assert client.post(page_url(project), form_data(project, break_minutes=1)).status_code == 404
    project.refresh_from_db()
    assert project.break_minutes == 5
    assert not ProjectSettingsChange.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login(client, project):
    response = client.get(page_url(project))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_lead_of_another_project_gets_a_404(project, outsider, other_project):
    assert signed_in(outsider).get(page_url(project)).status_code == 404


def test_saving_changes_the_settings_and_keeps_what_they_were(project, lead):
    client = signed_in(lead)
    response = client.post(
        page_url(project), form_data(project, break_minutes=12, sitting_items=30, guidelines="Read twice.")
    )
    assert response.status_code == 302 and response.url == page_url(project)
    project.refresh_from_db()
    assert (project.break_minutes, project.sitting_items, project.guidelines) == (12, 30, "Read twice.")
    change = ProjectSettingsChange.objects.get()
    assert change.actor == lead
    assert change.changes == {
        "guidelines": ["Pick the better answer.", "Read twice."],
        "sitting_items": [40, 30],
        "break_minutes": [5, 12],
    }
    html = client.get(page_url(project)).content.decode()
    assert "Saved: guidelines; sitting length, pairs; break after a sitting, minutes." in html
    # One row per setting, in the page's order.
    rows = [line.strip() for line in html.splitlines() if '<th scope="row">' in line]
    assert rows == [
        '<th scope="row">Guidelines (Markdown)</th>',
        '<th scope="row">Sitting length, pairs</th>',
        '<th scope="row">Break after a sitting, minutes</th>',
    ]
    assert "<td>5</td>" in html and "<td>12</td>" in html


def test_saving_what_is_saved_changes_nothing_and_keeps_no_change(project, lead):
    client = signed_in(lead)
    response = client.post(page_url(project), form_data(project), follow=True)
    assert "Nothing changed." in response.content.decode()
    assert not ProjectSettingsChange.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("sitting_minutes", "0", "greater than or equal to 1"),
        # Found by the lead walkthrough: below 0, the form's own bound spoke first ("... or equal to 0").
        ("idle_timeout_minutes", "-3", "greater than or equal to 1"),
        ("judgments_per_pair", "-1", "greater than or equal to 1"),
        ("judgments_per_pair", "51", "less than or equal to 50"),
        ("gold_rate", "1.5", "less than or equal to 1"),
        ("reading_factor", "-0.1", "greater than or equal to 0"),
        ("reading_factor", "1.5", "less than or equal to 1"),
        ("lease_minutes", "4", "At least the idle timeout (5 minutes)."),
        # Found in a walkthrough: saved, such a break made every start a 500 (the date overflowed).
        ("break_minutes", "9999999999999", "less than or equal to 10080"),
        ("sitting_minutes", "1441", "less than or equal to 1440"),
        ("idle_timeout_minutes", "1441", "less than or equal to 1440"),
        ("break_minutes", "five", "Enter a whole number."),
        ("name", "", "This field is required."),
    ],
)
def test_a_bad_value_is_named_and_nothing_is_saved(project, lead, field, value, says):
    response = signed_in(lead).post(page_url(project), form_data(project, sitting_items=9, **{field: value}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html and says in html
    project.refresh_from_db()
    assert project.sitting_items == 40
    assert not ProjectSettingsChange.objects.exists()


def test_what_each_judgment_asks_cannot_be_changed_here(project, lead):
    project.allow_tie = False
    project.save()
    data = form_data(project, break_minutes=6) | {"allow_tie": "on", "criteria": '["x"]', "slug": "moved"}
    signed_in(lead).post(page_url(project), data)
    project.refresh_from_db()
    assert (project.allow_tie, project.criteria, project.slug, project.break_minutes) == (False, [], "helpful", 6)
    with pytest.raises(ValueError, match="allow_tie"):
        project_settings_update(project=project, actor=lead, values={"allow_tie": True})


def test_a_post_without_the_csrf_token_is_refused(project, lead):
    client = signed_in(lead, enforce_csrf_checks=True)
    assert client.post(page_url(project), form_data(project, break_minutes=1)).status_code == 403
    project.refresh_from_db()
    assert project.break_minutes == 5


def test_a_new_k_puts_every_pair_where_it_now_stands_in_the_queue(project, lead):
    pairs = make_pairs(project, 4)
    counts = [0, 1, 2, 3]  # k is 3: the last pair is full
    for pair, count in zip(pairs, counts, strict=True):
        status = PairStatus.FULL if count >= 3 else PairStatus.STARTED if count else PairStatus.FRESH
        Pair.objects.filter(pk=pair.pk).update(judgment_count=count, status=status)
    client = signed_in(lead)
    client.post(page_url(project), form_data(project, judgments_per_pair=2))
    statuses = list(Pair.objects.filter(project=project).order_by("pk").values_list("status", flat=True))
    assert statuses == [PairStatus.FRESH, PairStatus.STARTED, PairStatus.FULL, PairStatus.FULL]
    client.post(page_url(project), form_data(Project.objects.get(pk=project.pk), judgments_per_pair=4))
    statuses = list(Pair.objects.filter(project=project).order_by("pk").values_list("status", flat=True))
    assert statuses == [PairStatus.FRESH, PairStatus.STARTED, PairStatus.STARTED, PairStatus.STARTED]
    assert [c.changes for c in ProjectSettingsChange.objects.order_by("id")] == [
        {"judgments_per_pair": [3, 2]},
        {"judgments_per_pair": [2, 4]},
    ]


def test_closing_the_project_here_stops_new_sittings(project, lead, annotator):
    client = signed_in(lead)
    client.post(page_url(project), form_data(project, is_active=False))
    project.refresh_from_db()
    with pytest.raises(AnnotationError) as refused:
        sitting_start(project=project, annotator=annotator)
    assert refused.value.code == "closed"
    assert ProjectSettingsChange.objects.get().changes == {"is_active": [True, False]}
    html = client.get(page_url(project)).content.decode()
    assert "<td>yes</td>" in html and "<td>no</td>" in html
    assert "Saved: closed for annotation." in html  # not "open for annotation", the field's label


def test_saving_a_page_shown_before_another_leads_change_keeps_that_change(project, lead):
    """Found in review: the form saved every field, so a page opened before another lead's save put
    back what that lead had changed."""
    shown = form_data(project, break_minutes=9)  # this lead's page, changing the break
    other_lead = make_user("lead2")
    project_settings_update(project=project, actor=other_lead, values={"judgments_per_pair": 5, "name": "Renamed"})
    response = signed_in(lead).post(page_url(project), shown)
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.break_minutes, project.judgments_per_pair, project.name) == (9, 5, "Renamed")
    assert ProjectSettingsChange.objects.filter(actor=lead).get().changes == {"break_minutes": [5, 9]}


def test_changing_what_another_lead_changed_since_the_page_opened_is_refused_naming_it(project, lead):
    """Found by the lead walkthrough: two tabs on k=5, one saved 6, the other then saved 7 with
    "Saved: judgments per pair." and no word of the 6 it replaced (guidelines were lost the same way)."""
    shown = form_data(project, judgments_per_pair=7, guidelines="Mine, " * 400, break_minutes=9)
    project_settings_update(project=project, actor=make_user("lead2"), values={"judgments_per_pair": 6})
    client = signed_in(lead)
    response = client.post(page_url(project), shown)
    assert response.status_code == 409
    project.refresh_from_db()
    assert (project.judgments_per_pair, project.break_minutes) == (6, 5)  # nothing of this save
    assert not ProjectSettingsChange.objects.filter(actor=lead).exists()
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Nothing was saved: another lead changed what you changed since you opened this page")
    assert "judgments per pair is now 6" in message
    # What the lead typed is kept (it was thrown away, guidelines and all: found by the lead pages
    # audit), the clash is said at its field, and the field now counts as seen at the saved 6.
    html = response.content.decode()
    assert 'name="judgments_per_pair" value="7"' in html and "Mine, Mine, " in html
    assert "Another lead set this to 6 since you opened the page" in html
    assert 'type="hidden" name="initial-judgments_per_pair" value="6"' in html
    again = client.post(page_url(project), response.context["form"].data)
    assert again.status_code == 302
    project.refresh_from_db()
    assert (project.judgments_per_pair, project.break_minutes) == (7, 9)


def test_setting_what_another_lead_already_set_is_no_conflict(project, lead):
    shown = form_data(project, judgments_per_pair=6)
    project_settings_update(project=project, actor=make_user("lead2"), values={"judgments_per_pair": 6})
    response = signed_in(lead).post(page_url(project), shown, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Nothing changed."]


def test_the_service_refuses_a_change_made_on_a_stale_value(project, lead):
    from annotate.services.projects import SettingsConflictError

    project_settings_update(project=project, actor=lead, values={"break_minutes": 8})
    with pytest.raises(SettingsConflictError) as raised:
        project_settings_update(project=project, actor=lead, values={"break_minutes": 9}, expected={"break_minutes": 5})
    assert raised.value.fields == {"break_minutes": 8}
    project.refresh_from_db()
    assert project.break_minutes == 8


def test_the_page_carries_the_values_it_showed(project, lead):
    html = signed_in(lead).get(page_url(project)).content.decode()
    assert 'type="hidden" name="initial-break_minutes" value="5"' in html
    assert 'type="hidden" name="initial-is_active" value="True"' in html


def test_an_error_is_read_with_its_field_and_the_inputs_carry_the_models_bounds(project, lead):
    client = signed_in(lead)
    html = client.get(page_url(project)).content.decode()
    assert 'name="sitting_minutes" value="25" min="1"' in html
    assert 'name="judgments_per_pair" value="3" min="1" max="50"' in html
    html = client.post(page_url(project), form_data(project, sitting_minutes="0")).content.decode()
    assert '<li><a href="#id_sitting_minutes">Sitting length, minutes</a></li>' in html  # the summary leads there
    # Django points the field's aria-describedby at "<id>_error": the errors must carry that id.
    assert 'aria-describedby="id_sitting_minutes_error"' in html
    assert 'id="id_sitting_minutes_error"' in html


@pytest.mark.django_db(transaction=True)
def test_a_change_of_k_and_gold_from_source_at_once_do_not_deadlock(lead):
    """Found in review: gold from source updated the pairs in the order the database read them, and a
    change of k locks them all in id order. A pair updated since its insert lies after the others in
    the table, so the update took 2, 3 and then 1, while k took 1 and then waited for 2."""
    if connection.vendor != "postgresql":
        pytest.skip(f"row locks are PostgreSQL's ({connection.vendor})")
    project = Project.objects.create(slug="both", name="Both", judgments_per_pair=3)
    first, _, third = make_pairs(project, 3)
    Pair.objects.filter(pk=first.pk).update(sort_key=first.sort_key + 1)  # a new row version, last in the table
    holding, release = threading.Event(), threading.Event()
    errors: list[str] = []

    def hold_the_third() -> None:
        with transaction.atomic():
            list(Pair.objects.select_for_update().filter(pk=third.pk))
            holding.set()
            release.wait(10)

    def gold_reading_the_table_in_order() -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:  # as the planner does for a project of many pairs
                cursor.execute("SET LOCAL enable_indexscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
            pairs_gold_from_source(project=project, actor=lead)

    holder = in_thread(hold_the_third, errors)
    assert holding.wait(10)
    gold = in_thread(gold_reading_the_table_in_order, errors)
    time.sleep(0.5)  # it takes what it can and waits for the third
    k_change = in_thread(
        lambda: project_settings_update(project=project, actor=lead, values={"judgments_per_pair": 2}), errors
    )
    time.sleep(0.5)
    release.set()
    for thread in (holder, gold, k_change):
        thread.join()
    assert errors == []
    assert Pair.objects.filter(project=project).exclude(gold_answer="").count() == 3
    assert Project.objects.get(pk=project.pk).judgments_per_pair == 2


def test_guidelines_sent_with_the_browsers_line_ends_are_the_same_guidelines(project, lead):
    """A browser sends a textarea's lines with CRLF: stored, the guidelines 'changed' at every save."""
    project.guidelines = "First line.\nSecond line."
    project.save()
    client = signed_in(lead)
    data = form_data(project, guidelines="First line.\r\nSecond line.", break_minutes=6)
    data["initial-guidelines"] = "x"  # as if edited: the form then sends them to be saved
    client.post(page_url(project), data)
    project.refresh_from_db()
    assert project.guidelines == "First line.\nSecond line."
    assert ProjectSettingsChange.objects.get().changes == {"break_minutes": [5, 6]}
    client.post(page_url(project), form_data(project, guidelines="New.\r\nLines."))
    project.refresh_from_db()
    assert project.guidelines == "New.\nLines."


def test_a_long_value_is_listed_whole_when_opened(project, lead):
    long = "Read both answers to the end before choosing. " * 4
    project_settings_update(project=project, actor=lead, values={"guidelines": long})
    html = signed_in(lead).get(page_url(project)).content.decode()
    assert f'<div class="changed-text">{long}</div>' in html
    summary = html.split("<summary>")[1].split("</summary>")[0]
    assert summary.startswith("Read both answers to the end before choosing. Read") and summary.endswith("…")


def test_guidelines_stored_with_a_final_line_break_are_edited_without_a_conflict(project, lead):
    # Found in review: seed_demo stores its guidelines ending in "\n", which the form strips from what
    # the page showed, so every edit of them was refused as another lead's change.
    project.guidelines = "Pick the better answer.\n"
    project.save()
    data = form_data(project, guidelines="Pick the better answer.\r\nAnd say why.")
    data["initial-guidelines"] = "Pick the better answer.\r\n"
    response = signed_in(lead).post(page_url(project), data, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Saved: guidelines."]
    project.refresh_from_db()
    assert project.guidelines == "Pick the better answer.\nAnd say why."


def test_a_conflict_on_the_guidelines_names_them_without_printing_them(project, lead):
    shown = form_data(project, guidelines="Mine.")
    project_settings_update(project=project, actor=make_user("lead2"), values={"guidelines": "Theirs, very long."})
    response = signed_in(lead).post(page_url(project), shown)
    [message] = [str(m) for m in response.context["messages"]]
    assert "(the guidelines were changed)" in message and "Theirs" not in message


@pytest.mark.parametrize(("field", "shown"), [("gold_rate", "abc"), ("sitting_minutes", "x")])
def test_a_hidden_value_edited_by_hand_is_a_conflict_not_a_500(project, lead, field, shown):
    data = form_data(project, **{field: "1" if field == "gold_rate" else "30"})
    data[f"initial-{field}"] = shown
    response = signed_in(lead).post(page_url(project), data)
    assert response.status_code == 409
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Nothing was saved: another lead changed what you changed")
    assert not ProjectSettingsChange.objects.exists()


def test_a_value_valid_on_the_page_but_not_after_another_leads_change_is_said_at_its_field(project, lead):
    # Found by the lead pages audit: idle 5 and lease 10 on both pages; one lead saved idle 10, the other
    # lease 5, valid against their page, and got a 500.
    shown = form_data(project, lease_minutes=5, guidelines="Kept.")
    project_settings_update(project=project, actor=make_user("lead2"), values={"idle_timeout_minutes": 10})
    response = signed_in(lead).post(page_url(project), shown)
    assert response.status_code == 400
    html = response.content.decode()
    assert "At least the idle timeout (10 minutes)." in html and 'id="id_lease_minutes_error"' in html
    assert "Kept." in html
    project.refresh_from_db()
    assert (project.lease_minutes, project.idle_timeout_minutes) == (10, 10)
