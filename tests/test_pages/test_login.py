"""Logging in: password guessing is stopped after a few failures, on the login page and the admin's."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db

GUESSES = 20  # more than any sane limit allows


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def log_in(client: Client, username: str, password: str, url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_after_many_wrong_passwords_even_the_right_one_is_refused_for_a_while(lead):
    client = Client()
    for _ in range(GUESSES):
        assert log_in(client, "lead", "not-the-password").status_code == 200
    response = log_in(client, "lead", "pw-lead")
    assert not logged_in(client), "a guesser gets as many tries as they like"
    assert response.status_code == 200
    assert b"Too many failed logins" in response.content


def test_the_admin_login_counts_the_same_failures(lead):
    get_user_model().objects.filter(pk=lead.pk).update(is_staff=True)
    client = Client()
    for _ in range(GUESSES):
        log_in(client, "lead", "not-the-password", url="/admin/login/")
    log_in(client, "lead", "pw-lead", url="/admin/login/")
    assert not logged_in(client)


def test_a_few_typos_do_not_lock_anyone_out_and_a_login_starts_the_count_again(lead, engineer):
    client = Client()
    for _ in range(3):
        log_in(client, "lead", "typo")
    assert log_in(client, "lead", "pw-lead").status_code == 302 and logged_in(client)
    client.post("/accounts/logout/")
    for _ in range(3):
        log_in(client, "lead", "typo")
    assert log_in(client, "lead", "pw-lead").status_code == 302 and logged_in(client)


def test_a_locked_username_leaves_other_users_alone(lead, engineer):
    guesser = Client()
    for _ in range(GUESSES):
        log_in(guesser, "lead", "not-the-password")
    other = Client()
    assert log_in(other, "engineer", "pw-engineer").status_code == 302 and logged_in(other)


def test_the_count_is_per_username_whatever_its_case(lead):
    client = Client()
    for i in range(GUESSES):
        log_in(client, "lead" if i % 2 else "LEAD", "not-the-password")
    log_in(client, "lead", "pw-lead")
    assert not logged_in(client)
