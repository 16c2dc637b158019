"""Logins and passwords.

Password guessing: after LOGIN_FAILURES_MAX failed logins for one username from one address, every
login for it from there is refused, the right password too, until LOGIN_FAILURES_WINDOW seconds after
the first of them. A login that succeeds starts the count again. Password spraying (a few passwords
tried on many usernames): after LOGIN_ADDRESS_FAILURES_MAX failed logins from one address, whatever
the usernames, every password login from there is refused for the same window; a login that succeeds
does not start this count again (a sprayer with one account of their own would use it to).

The address is the client's (`client_address`): behind TRUSTED_PROXIES proxies, the one the outermost
of them saw; an IPv6 address counts for its /64, which one host can use all of. As that address can
be wrong (a proxy that passes the client's own X-Forwarded-For on, many addresses at an attacker's
disposal), LOGIN_ACCOUNT_FAILURES_MAX failures of one username from anywhere lock it too.

Locks hit whoever shares the address or the username, the owner included. A browser that logged in
as a username before carries a signed device cookie (`DeviceCookieMiddleware`) and is spared the
locks a stranger can cause (the address's and the username's from anywhere), not the per-address
limit on its own guesses.

Checked by the authentication backend, so that it holds for every password login (the login page and
the admin's), and by the password page, whose old password is a guess too; the API's session and token
authentication take no password. The counts live in the
default cache, which is Redis when REDIS_URL is set, so that all web processes share them. Behind a
proxy not counted in TRUSTED_PROXIES every request comes from the proxy's address: the counts are then
per username and for everyone at once, and a stranger who fails often enough locks others out for the
window too (but guesses no password).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core import checks, signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


DEVICE_COOKIE = "pairwise_device"
DEVICE_COOKIE_SALT = "pairwise.login-device"
DEVICE_COOKIE_MAX_AGE = 90 * 24 * 3600


def _username_digest(username: str) -> str:
    return hashlib.sha256(username.casefold().encode()).hexdigest()


def _device_usernames(request: HttpRequest | None) -> list[str]:
    """The digests of the usernames this browser logged in as (its signed device cookie), or []."""
    if request is None or DEVICE_COOKIE not in request.COOKIES:
        return []
    try:
        named = signing.loads(request.COOKIES[DEVICE_COOKIE], salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return []
    return named if isinstance(named, list) else []


def device_known(*, request: HttpRequest | None, username: str) -> bool:
    """Whether this browser logged in as `username` before (its signed device cookie names it)."""
    return _username_digest(username) in _device_usernames(request)


class DeviceCookieMiddleware:
    """After a password login (`on_logged_in` marks the request), remember the username in the
    browser's device cookie (signed, up to DEVICE_USERNAMES_KEPT usernames), which spares it the locks
    others can cause."""

    DEVICE_USERNAMES_KEPT = 5

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        username = getattr(request, "pairwise_logged_in_as", None)
        if username is not None:
            digest = _username_digest(username)
            named = [digest, *(d for d in _device_usernames(request) if d != digest)][: self.DEVICE_USERNAMES_KEPT]
            response.set_cookie(
                DEVICE_COOKIE,
                signing.dumps(named, salt=DEVICE_COOKIE_SALT),
                max_age=DEVICE_COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def trusted_proxies_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: behind a TLS proxy (BEHIND_TLS_PROXY) with TRUSTED_PROXIES 0, every request
    comes from the proxy's address, so the failed-login counts of all clients are one."""
    if settings.SECURE_PROXY_SSL_HEADER and settings.TRUSTED_PROXIES == 0:
        return [
            checks.Warning(
                "BEHIND_TLS_PROXY is on and TRUSTED_PROXIES is 0: every login comes from the proxy's address, "
                "so one client's failed logins lock out everyone's (those without a device cookie).",
                hint="Set TRUSTED_PROXIES to the number of proxies that append the client's address to "
                "X-Forwarded-For (1 for one TLS proxy that does).",
                id="pairwise.W001",
            )
        ]
    return []


def _address_parsed(value: str) -> str | None:
    """An address as a client or proxy wrote it, without brackets or port; None if it is none."""
    value = value.strip()
    if value.startswith("["):  # "[v6]" or "[v6]:port"
        value = value[1 : value.find("]")] if "]" in value else value
    elif value.count(":") == 1:  # "v4:port"
        value = value.split(":")[0]
    try:
        return str(ipaddress.ip_address(value.split("%")[0]))
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str:
    """The address the request came from: the connection's, or behind TRUSTED_PROXIES proxies (each
    appending the address it saw to X-Forwarded-For) the entry that many from the end, which the
    outermost trusted proxy wrote; entries left of it are the client's own words. An IPv6 address
    stands for its /64. "" when unknown (no request)."""
    if request is None:
        return ""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            entry = forwarded[-min(proxies, len(forwarded))]
            parsed = _address_parsed(entry)
            if parsed is None:
                # "unknown", a name: counted with the connection's address (the proxy's), not apart for
                # each new spelling.
                logger.warning("X-Forwarded-For entry %r is no address; counting the connection's", entry)
            else:
                address = parsed
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _failures_key(*, request: HttpRequest | None, username: str) -> str:
    digest = hashlib.sha256(f"{username.casefold()}\x00{client_address(request)}".encode()).hexdigest()
    return f"pairwise:login-failures:{digest}"


def _address_failures_key(request: HttpRequest | None) -> str | None:
    address = client_address(request)
    if not address:
        return None
    return f"pairwise:login-failures-from:{hashlib.sha256(address.encode()).hexdigest()}"


def _failures(key: str | None) -> int:
    return cache.get(key, 0) if key is not None else 0


def _account_failures_key(username: str) -> str:
    return f"pairwise:login-failures-of:{_username_digest(username)}"


def _keys(*, request: HttpRequest | None, username: str) -> tuple[str, str, str | None]:
    """The three failure counts' keys: this username from this address, this username from anywhere,
    this address whatever the username (None without an address)."""
    return (
        _failures_key(request=request, username=username),
        _account_failures_key(username),
        _address_failures_key(request),
    )


def _refusal(failures: tuple[int, int, int], *, request: HttpRequest | None, username: str) -> str | None:
    """Why a login is refused, given the failures before it (here, anywhere, from this address)."""
    here, anywhere, from_address = failures
    if here >= settings.LOGIN_FAILURES_MAX:
        return "account"
    if device_known(request=request, username=username):
        return None
    if anywhere >= settings.LOGIN_ACCOUNT_FAILURES_MAX:
        return "account"
    if from_address >= settings.LOGIN_ADDRESS_FAILURES_MAX:
        return "address"
    return None


def login_lock_reason(*, request: HttpRequest | None, username: str) -> str | None:
    """Why a password login for `username` from here is refused for now: "account" (its failures from
    this address, or from anywhere, these not for a browser that logged in as it before), "address"
    (this address's failures, whatever the usernames, also not for such a browser), or None."""
    try:
        failures = tuple(_failures(key) for key in _keys(request=request, username=username))
    except RedisError:  # the cache (Redis) is down: logins go on, unthrottled, rather than all failing
        logger.warning("login failure counts unreadable; login not throttled", exc_info=True)
        return None
    return _refusal(failures, request=request, username=username)


def _count(key: str) -> int:
    """Count one more under `key`; the count with it. add() starts the window with the first;
    incr() keeps its expiry, and is atomic in Redis, so concurrent counts each see their own."""
    cache.add(key, 0, timeout=settings.LOGIN_FAILURES_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=settings.LOGIN_FAILURES_WINDOW)
        return 1
    if count == 1:
        # Django's incr is EXISTS then INCRBY: a key that expired in between comes back with no
        # expiry, and would count for ever. The first count (re)starts the window either way.
        cache.touch(key, timeout=settings.LOGIN_FAILURES_WINDOW)
    return count


@dataclass(frozen=True)
class LoginAttempt:
    """A password check counted as a failure before it was made: `keys` it was counted under,
    `refused` why it may not be made ("account", "address") or None."""

    keys: tuple[str, ...] = ()
    refused: str | None = None


def login_attempt_count(*, request: HttpRequest | None, username: str) -> LoginAttempt:
    """Count a password check for `username` as a failure before it is made, and say whether it is
    refused; a check that passes is taken back (`login_attempt_take_back`).

    Counted after the check, as it was, attempts made at once each read the count before any of them
    was added, and more than the limit had their password checked (tests/test_pages/test_login.py
    interleaves two). An attempt counted first sees the attempts before it, however many run at once."""
    every = _keys(request=request, username=username)
    keys = tuple(key for key in every if key is not None)
    try:
        # Without an address there is no count by address: as if this attempt were its first.
        failures = tuple((_count(key) if key is not None else 1) - 1 for key in every)
    except RedisError:  # as in login_lock_reason: logins go on, unthrottled, rather than all failing
        logger.warning("login attempt not counted; login not throttled", exc_info=True)
        return LoginAttempt()
    refused = _refusal(failures, request=request, username=username)
    if refused is not None:
        # A refused attempt checks no password: counted, it would push the counts on without end (the
        # password page has no read-only check before this one), and lock the username everywhere.
        login_attempt_take_back(LoginAttempt(keys=keys))
        return LoginAttempt(refused=refused)
    return LoginAttempt(keys=keys)


def login_attempt_take_back(attempt: LoginAttempt) -> None:
    """A password check that passed was no failure: its counts go back down."""
    for key in attempt.keys:
        try:
            if cache.decr(key) < 0:  # expired between decr's EXISTS and its DECRBY: no expiry now
                cache.delete(key)
        except ValueError:  # its window ended meanwhile: nothing to take back
            pass
        except RedisError:
            logger.warning("login attempt count not taken back", exc_info=True)


def login_failure_record(*, request: HttpRequest | None, username: str) -> None:
    try:
        for key in _keys(request=request, username=username):
            if key is not None:
                _count(key)
    except RedisError:
        logger.warning("login failure not counted", exc_info=True)


def login_failures_clear(*, request: HttpRequest | None, username: str) -> None:
    try:
        cache.delete(_failures_key(request=request, username=username))
    except RedisError:
        logger.warning("login failure count not cleared", exc_info=True)


def _username(username: str | None, credentials: dict) -> str | None:
    return username if username is not None else credentials.get(get_user_model().USERNAME_FIELD)


# The request attribute that says the backend counted its failed login (see `on_login_failed`).
_ATTEMPT_COUNTED = "pairwise_login_attempt_counted"


class ThrottledModelBackend(ModelBackend):
    """Django's backend, counting each attempt before its password is checked and refusing it when
    the failures of its username from this address, of its username, or of this address, reached
    their limit (PermissionDenied stops `authenticate` at once); a password that passes is taken
    back at once, whatever the form then says (the admin's refuses a user who is not staff)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        name = _username(username, kwargs)
        if name is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        if request is None:
            # No request to say the attempt was counted here: read the lock, and `on_login_failed`
            # counts a failure, as for any backend.
            if login_lock_reason(request=request, username=name) is not None:
                raise PermissionDenied("Too many failed logins.")
            return super().authenticate(request, username=username, password=password, **kwargs)
        attempt = login_attempt_count(request=request, username=name)
        setattr(request, _ATTEMPT_COUNTED, True)  # `on_login_failed` counts it no more
        if attempt.refused is not None:
            raise PermissionDenied("Too many failed logins.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            delattr(request, _ATTEMPT_COUNTED)
            login_attempt_take_back(attempt)
        return user


def _locked_error(reason: str = "account") -> ValidationError:
    minutes = max(1, settings.LOGIN_FAILURES_WINDOW // 60)
    where = "from this address" if reason == "address" else "for this account"
    return ValidationError(f"Too many failed logins {where}: try again in up to {minutes} minutes.", code="throttled")


class _LockedSaysSo:
    """A login form that says why a locked username is refused (the backend alone refuses it as a
    wrong password, which sends its owner looking for a typo)."""

    def clean(self):
        username = self.cleaned_data.get("username")
        reason = login_lock_reason(request=self.request, username=username) if username is not None else None
        if reason is not None:
            raise _locked_error(reason)
        return super().clean()


class ThrottledAuthenticationForm(_LockedSaysSo, AuthenticationForm):
    """The login page's form."""


class ThrottledAdminAuthenticationForm(_LockedSaysSo, AdminAuthenticationForm):
    """The admin's login form."""


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """The password page's form. Its old password is a guess like a login's (by whoever holds the
    session, a browser left logged in): counted with the logins' failures and refused once they
    reach the limit, or the page would check any number of guesses."""

    def __init__(self, user, *args, request: HttpRequest | None = None, **kwargs) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        # Counted before the check, as a login is (concurrent guesses each see the ones before).
        attempt = login_attempt_count(request=self.request, username=self.user.get_username())
        if attempt.refused is not None:
            raise _locked_error(attempt.refused)
        old_password = super().clean_old_password()  # a wrong one raises, counted
        login_attempt_take_back(attempt)
        return old_password


def on_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    # An attempt the backend counted before checking its password is counted already.
    if request is not None and getattr(request, _ATTEMPT_COUNTED, None) is not None:
        delattr(request, _ATTEMPT_COUNTED)
        return
    name = _username(credentials.get("username"), credentials)
    if name is not None:
        login_failure_record(request=request, username=name)


def on_logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    login_failures_clear(request=request, username=user.get_username())
    if request is not None:
        request.pairwise_logged_in_as = user.get_username()  # DeviceCookieMiddleware remembers it


def on_user_saving(sender, instance, update_fields=None, **kwargs) -> None:
    """Before a user is saved: whether the save disables their password (`set_unusable_password`, the
    admin's "Disable password-based authentication"), which ends their sessions as a new password
    does and must revoke their tokens as one does (`on_user_saved`). Only a user whose password is
    unusable now costs a query (a login's rehash of a usable password is no change of password)."""
    instance._pairwise_password_disabled = False
    if instance.pk is None or instance.has_usable_password():
        return
    if update_fields is not None and "password" not in update_fields:
        return
    before = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._pairwise_password_disabled = before is not None and before != instance.password


def on_user_saved(sender, instance, **kwargs) -> None:
    """A new password, or one disabled, revokes the user's API tokens, as it ends their other
    sessions: whoever took the old password could have taken a token with it. Wherever the password
    is set (the password page, the admin, `changepassword`): `set_password` leaves the new one in
    `_password` until the save that stores it is over, so a save without a new password costs
    nothing; a disabled one is marked by `on_user_saving`."""
    if getattr(instance, "_password", None) is not None or getattr(instance, "_pairwise_password_disabled", False):
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=instance).delete()


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone changes their own password (the admin only sets a first one): back to My projects
    with a word that it worked. This session stays logged in; the user's other sessions end, and
    their API tokens are revoked (`on_user_saved`)."""

    template_name = "registration/own_password_change.html"
    success_url = reverse_lazy("annotate:project_list")
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self) -> dict:
        return super().get_form_kwargs() | {"request": self.request}

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed.")
        return response
