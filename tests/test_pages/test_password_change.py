"""Everyone changes their own password from the header, with the old one, and stays logged in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.alerts import alerts

URL = reverse("password_change")
NEW = "a-new-long-passphrase-7"


pytestmark = pytest.mark.usefixtures("fresh_login_counts")


def change(client: Client, *, old: str, new: str = NEW, again: str = NEW):
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": again}, follow=True)


@pytest.mark.django_db
def test_an_annotator_changes_their_password_and_only_the_new_one_logs_in(annotator):
    client = Client(enforce_csrf_checks=False)
    assert client.login(username="annotator", password="pw-annotator")
    page = client.get(reverse("annotate:project_list")).content.decode()
    assert f'href="{URL}"' in page
    done = change(client, old="pw-annotator")
    assert done.redirect_chain == [(reverse("annotate:project_list"), 302)]
    assert "Your password was changed." in done.content.decode()
    # Still logged in on this browser; the next login needs the new password.
    assert client.get(reverse("annotate:project_list")).status_code == 200
    assert not Client().login(username="annotator", password="pw-annotator")
    assert Client().login(username="annotator", password=NEW)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "again", "said"),
    [
        ("wrong", NEW, NEW, "Your old password was entered incorrectly"),
        ("pw-annotator", NEW, NEW + "x", "The two password fields didn’t match"),
        ("pw-annotator", "short", "short", "This password is too short"),
    ],
)
def test_a_change_that_cannot_be_made_says_why_in_an_alert_and_changes_nothing(annotator, old, new, again, said):
    client = Client()
    client.force_login(annotator)
    refused = change(client, old=old, new=new, again=again)
    assert refused.status_code == 200 and refused.redirect_chain == []
    html = refused.content.decode()
    assert said in html and 'aria-invalid="true"' in html
    [alert] = alerts(html)  # the one field's error, read out
    assert alert.startswith(said)
    assert get_user_model().objects.get(pk=annotator.pk).check_password("pw-annotator")


@pytest.mark.django_db
def test_the_page_needs_a_login_and_a_csrf_token(annotator):
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(annotator)
    assert change(strict, old="pw-annotator").status_code == 403
    assert get_user_model().objects.get(pk=annotator.pk).check_password("pw-annotator")


@pytest.mark.django_db
def test_the_old_password_cannot_be_guessed_without_end(annotator, settings):
    # Whoever holds a session (a browser left logged in) could try old passwords on this page at will.
    client = Client()
    client.force_login(annotator)
    for i in range(settings.LOGIN_FAILURES_MAX):
        assert change(client, old=f"guess-{i}").redirect_chain == []
    refused = change(client, old="pw-annotator")
    assert refused.redirect_chain == [] and "Too many failed logins" in refused.content.decode()
    assert get_user_model().objects.get(pk=annotator.pk).check_password("pw-annotator")
    # The login page counts the same failures.
    login = Client().post(reverse("login"), {"username": "annotator", "password": "pw-annotator"})
    assert "Too many failed logins" in login.content.decode()


@pytest.mark.django_db
def test_a_new_password_revokes_the_users_api_tokens_and_only_theirs(project, annotator, annotator2):
    mine, theirs = (Token.objects.create(user=user) for user in (annotator, annotator2))
    progress = reverse("api:progress", kwargs={"slug": project.slug})

    def answers(token) -> int:
        return Client().get(progress, headers={"Authorization": f"Token {token.key}"}).status_code

    assert answers(mine) == answers(theirs) == 200
    client = Client()
    client.force_login(annotator)
    annotator.last_name = "Saved without a new password"
    annotator.save()
    assert answers(mine) == 200
    assert change(client, old="pw-annotator").redirect_chain == [(reverse("annotate:project_list"), 302)]
    assert (answers(mine), answers(theirs)) == (401, 200)
    assert not Token.objects.filter(user=annotator).exists()
    # Set anywhere else too (the admin, `changepassword`): the same save.
    annotator2.set_password(NEW)
    annotator2.save()
    assert answers(theirs) == 401


@pytest.mark.django_db
def test_a_password_disabled_in_the_admin_revokes_the_users_api_tokens(project, annotator, annotator2):
    # Found by the second security audit: the admin's "Disable password-based authentication" ended
    # the user's sessions, and their token went on exporting.
    admin = get_user_model().objects.create_superuser("root-admin", password="root-admin-pass-123")
    mine, theirs = (Token.objects.create(user=user) for user in (annotator, annotator2))
    progress = reverse("api:progress", kwargs={"slug": project.slug})

    def answers(token) -> int:
        return Client().get(progress, headers={"Authorization": f"Token {token.key}"}).status_code

    client = Client()
    client.force_login(admin)
    url = reverse("admin:auth_user_password_change", args=[annotator.pk])
    response = client.post(url, {"usable_password": "false", "unset-password": "1"}, follow=True)
    assert response.status_code == 200
    annotator.refresh_from_db()
    assert not annotator.has_usable_password()
    assert (answers(mine), answers(theirs)) == (401, 200)
    assert not Token.objects.filter(user=annotator).exists()
    # A token made for them afterwards survives saves that leave the password alone.
    again = Token.objects.create(user=annotator)
    annotator.first_name = "Saved again"
    annotator.save()
    assert answers(again) == 200
