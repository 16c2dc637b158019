"""Logging in: password guessing is stopped after a few failures, on the login page and the admin's."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client, RequestFactory

from config.auth import _failures_key

GUESSES = 20  # more than any sane limit allows


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_login_counts")]


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


def test_the_backend_refuses_a_locked_username_whatever_form_or_code_asks(lead):
    # The forms say why first; this is the check behind every password login, forms or not.
    for _ in range(GUESSES):
        log_in(Client(), "lead", "not-the-password")
    request = RequestFactory().post("/accounts/login/")  # the address the guesses came from
    assert authenticate(request, username="lead", password="pw-lead") is None
    assert authenticate(RequestFactory(REMOTE_ADDR="10.0.0.9").post("/"), username="lead", password="pw-lead") == lead


def test_the_admin_login_says_why_a_locked_staff_user_is_refused(lead):
    # It said "Please enter the correct username and password": a wrong password, with the right one.
    get_user_model().objects.filter(pk=lead.pk).update(is_staff=True)
    client = Client()
    for _ in range(GUESSES):
        log_in(client, "lead", "not-the-password")
    response = log_in(client, "lead", "pw-lead", url="/admin/login/")
    assert not logged_in(client)
    html = response.content.decode()
    assert "Too many failed logins" in html and "Please enter the correct username" not in html


def test_a_few_typos_do_not_lock_anyone_out_and_a_login_starts_the_count_again(lead, engineer, settings):
    # 2 × (limit − 1) typos in all: without the reset at the login between them, the second login is refused.
    typos = settings.LOGIN_FAILURES_MAX - 1
    client = Client()
    for _ in range(typos):
        log_in(client, "lead", "typo")
    assert log_in(client, "lead", "pw-lead").status_code == 302 and logged_in(client)
    client.post("/accounts/logout/")
    for _ in range(typos):
        log_in(client, "lead", "typo")
    assert log_in(client, "lead", "pw-lead").status_code == 302 and logged_in(client)


def test_a_locked_username_leaves_other_users_alone(lead, engineer):
    guesser = Client()
    for _ in range(GUESSES):
        log_in(guesser, "lead", "not-the-password")
    other = Client()
    assert log_in(other, "engineer", "pw-engineer").status_code == 302 and logged_in(other)


def test_the_count_is_per_username_whatever_its_case(lead, settings):
    # Exactly the limit, half of it in each case: counted apart, neither spelling would reach it.
    client = Client()
    for i in range(settings.LOGIN_FAILURES_MAX):
        log_in(client, "lead" if i % 2 else "LEAD", "not-the-password")
    log_in(client, "lead", "pw-lead")
    assert not logged_in(client)


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "pairwise-test-login",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_in_redis_the_counts_are_shared_by_every_web_process(lead, settings):
    # Production's cache: each web process has its own connection; the guesser's failures, counted
    # by one, lock the username in all of them.
    settings.CACHES = redis_cache(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    # Only this test's key: clear() would flush the whole Redis database, the broker's queues with it.
    key = _failures_key(request=RequestFactory().get("/"), username="lead")
    assert isinstance(caches["default"], RedisCache)
    cache.delete(key)
    for _ in range(GUESSES):
        log_in(Client(), "lead", "not-the-password")
    caches["default"].close()  # the next request opens a new connection, as another process would
    client = Client()
    response = log_in(client, "lead", "pw-lead")
    assert not logged_in(client) and b"Too many failed logins" in response.content
    cache.delete(key)


def test_when_redis_is_down_logins_go_on_unthrottled(lead, settings, caplog):
    settings.CACHES = redis_cache("redis://127.0.0.1:1/0")  # nothing listens there
    client = Client()
    assert log_in(client, "lead", "typo").status_code == 200
    assert log_in(client, "lead", "pw-lead").status_code == 302 and logged_in(client)
    assert "login not throttled" in caplog.text
