"""The production settings: they refuse to start without a real key and pass `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "kx7Qp2vN9sLr4Tb8Wm1Zc6Yh3Jd5Fg0AaEe-UuIiOoPpSsDdFfGgHhJjKkLl_ZzXx"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_warns_behind_a_tls_proxy_whose_forwarded_addresses_are_not_read():
    production = {"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "pairwise.example.org", "BEHIND_TLS_PROXY": "1"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production, TRUSTED_PROXIES="0")
    assert result.returncode != 0 and "pairwise.W001" in result.stderr + result.stdout
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production, TRUSTED_PROXIES="1")
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_refuse_a_weak_secret_key():
    result = manage("check", SECRET_KEY="secret")
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_settings_refuse_a_key_django_generated_for_development():
    # startproject's key: long and varied enough, but its prefix says it was never meant to be kept
    # secret, and `check --deploy` flags it (security.W009); the settings started on it all the same.
    result = manage("check", SECRET_KEY="django-insecure-" + STRONG_KEY)
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_check_deploy_is_clean_with_a_real_key():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="pairwise.example.org"
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_unless_asked_for():
    code = "from django.conf import settings; print(settings.DEBUG)"
    result = manage("shell", "-c", code, SECRET_KEY=STRONG_KEY)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_the_health_check_answers_over_plain_http_behind_the_https_redirect(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").json() == {"ok": True}
    assert client.get("/accounts/login/").status_code == 301


def test_the_web_process_does_not_load_the_analytics_libraries_with_its_urls():
    code = (
        "import sys, django; django.setup(); "
        "from django.urls import get_resolver; get_resolver().url_patterns; "
        "heavy = ('pandas', 'scipy', 'statsmodels', 'pyarrow', 'torch', 'datasets', 'numba'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = manage("shell", "-c", code, SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_postgresql_prepares_a_query_the_connection_repeats(db):
    from django.db import connection

    from annotate.models import Pair

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(6):  # psycopg prepares a query on its 5th run on a connection
        list(Pair.objects.filter(pk=0).values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "annotate_pair"' in statement and "$1" in statement for statement in prepared)


def test_server_binding_can_be_turned_off_for_a_pooler():
    code = (
        "from django.conf import settings; options = settings.DATABASES['default']['OPTIONS']; "
        "print(options['server_side_binding'], options['prepare_threshold'])"
    )
    url = "postgres://pairwise@db.example.org:5432/pairwise"
    on = manage("shell", "-c", code, SECRET_KEY=STRONG_KEY, DATABASE_URL=url)
    off = manage("shell", "-c", code, SECRET_KEY=STRONG_KEY, DATABASE_URL=url, DATABASE_SERVER_BINDING="0")
    assert on.stdout.strip().splitlines()[-1] == "True 5", on.stderr
    assert off.stdout.strip().splitlines()[-1] == "False None", off.stderr


def _setting(name: str, **env: str) -> str:
    code = f"from django.conf import settings; print(settings.{name})"
    return manage("shell", "-c", code, SECRET_KEY=STRONG_KEY, **env).stdout.strip().splitlines()[-1]


def test_an_empty_broker_url_means_redis_not_celerys_amqp_default():
    # .env.example ships `CELERY_BROKER_URL=`: empty is "not set", not an override.
    assert _setting("CELERY_BROKER_URL", CELERY_BROKER_URL="", REDIS_URL="redis://cache:6379/2") == (
        "redis://cache:6379/2"
    )
    assert _setting(
        "CELERY_BROKER_URL", CELERY_BROKER_URL="redis://broker:6379/5", REDIS_URL="redis://cache:6379/2"
    ) == ("redis://broker:6379/5")


def test_settings_read_the_file_named_by_pairwise_env_file(tmp_path):
    env_file = tmp_path / "pairwise.env"
    env_file.write_text("PAIRWISE_MAX_UPLOAD_MB=7\n")
    assert _setting("PAIRWISE_MAX_UPLOAD_MB", PAIRWISE_ENV_FILE=str(env_file)) == "7"


def test_settings_leave_docker_composes_env_file_alone():
    # ./.env holds docker-compose's values (a database host named `postgres`, HTTPS redirects); read
    # by the settings, it broke `make run` and `make test` on the same checkout.
    dotenv = ROOT / ".env"
    if dotenv.exists():
        pytest.skip("this checkout has its own .env")
    dotenv.write_text("PAIRWISE_MAX_UPLOAD_MB=7\n")
    try:
        assert _setting("PAIRWISE_MAX_UPLOAD_MB") == "512"
    finally:
        dotenv.unlink()


def test_compose_health_check_asks_as_an_allowed_host(live_server, settings, monkeypatch):
    from config.healthcheck import health_host, main

    settings.ALLOWED_HOSTS = ["pairwise.example.org"]
    url = f"{live_server.url}/healthz"
    monkeypatch.setenv("ALLOWED_HOSTS", "pairwise.example.org,www.example.org")
    assert main(url) == 0
    # Asked as 127.0.0.1 or localhost, as the old check did, the app answers 400: unhealthy for good.
    monkeypatch.setenv("ALLOWED_HOSTS", "")
    assert main(url) == 1
    assert health_host(".example.org") == "example.org"
    assert health_host("*") == "localhost"


def test_env_example_the_settings_and_the_compose_file_name_the_same_variables():
    import re

    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    settings_text = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+|_number)\(\s*"([A-Z][A-Z0-9_]+)"', settings_text))
    read |= {"PAIRWISE_CODE_VERSION"}  # exporter/writers.py, for images built without .git
    read |= {"HF_HUB_OFFLINE"}  # huggingface_hub's own, for the worker's tokenizers
    compose = (ROOT / "docker-compose.yml").read_text()
    compose_only = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "WEB_BIND"}
    assert read - documented == set(), "read but not in .env.example"
    assert documented - read - compose_only == set(), "in .env.example but never read"
    # Compose passes a variable from .env only where it interpolates it; the ones it sets itself are
    # the ones .env.example says it sets. STATIC_ROOT is the image's own, and PAIRWISE_ENV_FILE is for
    # running without compose.
    passed = {name for name in documented if re.search(rf"^\s+{name}:.*\$\{{{name}\b", compose, re.M)}
    fixed = {"DEBUG", "DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "PAIRWISE_UPLOAD_DIR"}
    assert all(re.search(rf"^\s+{name}:", compose, re.M) for name in fixed)
    assert documented - passed - fixed - {"STATIC_ROOT", "PAIRWISE_ENV_FILE", "WEB_BIND"} == set(), (
        "set in .env, lost in compose"
    )
    # The web port is published where WEB_BIND says, on this host alone unless it says otherwise.
    assert '- "${WEB_BIND:-127.0.0.1}:8000:8000"' in compose
    header = (ROOT / ".env.example").read_text().split("\n\n")[0]
    assert all(name in header for name in fixed | {"STATIC_ROOT"})


def test_a_pairwise_env_file_that_is_not_there_stops_the_start(tmp_path):
    result = manage("check", SECRET_KEY=STRONG_KEY, PAIRWISE_ENV_FILE=str(tmp_path / "pairwise.env.typo"))
    assert result.returncode != 0
    assert "PAIRWISE_ENV_FILE names" in result.stderr and "which is not a file" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PAIRWISE_EXPORT_KEEP_DAYS", "-1", "PAIRWISE_EXPORT_KEEP_DAYS must be 0 or more, not -1."),
        ("PAIRWISE_MAX_UPLOAD_MB", "0", "PAIRWISE_MAX_UPLOAD_MB must be 1 or more, not 0."),
        ("CONN_MAX_AGE", "sixty", "CONN_MAX_AGE must be a whole number, not 'sixty'."),
        ("BIAS_REPORT_EVERY_SECONDS", "nan", "BIAS_REPORT_EVERY_SECONDS must be 1 or more, not nan."),
    ],
)
def test_a_number_setting_that_is_not_one_or_out_of_range_stops_the_start_naming_it(name, value, message):
    result = manage("check", SECRET_KEY=STRONG_KEY, **{name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_number_settings_take_their_value_and_an_empty_one_means_the_default():
    code = "from django.conf import settings as s; print(s.PAIRWISE_EXPORT_KEEP_DAYS, s.BIAS_REPORT_EVERY_SECONDS)"
    result = manage(
        "shell", "-c", code, SECRET_KEY=STRONG_KEY, PAIRWISE_EXPORT_KEEP_DAYS="0", BIAS_REPORT_EVERY_SECONDS=""
    )
    assert result.stdout.strip().splitlines()[-1] == "0 300.0", result.stderr


def test_a_database_server_that_never_answers_fails_the_connection_instead_of_hanging():
    """libpq waits for a server's answer without limit unless told: a PostgreSQL that accepted the
    connection and then said nothing (frozen, or a proxy whose backend is gone) held every request,
    worker and migration for good. The settings give it a limit (`?connect_timeout=` sets another)."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
        port = silent.getsockname()[1]
        result = manage(
            "shell",
            "-c",
            "from django.db import connection; connection.ensure_connection()",
            DEBUG="1",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/pairwise",
        )
    assert result.returncode != 0
    assert "timeout expired" in result.stderr, result.stderr[-2000:]


def test_compose_migrates_once_before_web_and_the_workers_start_and_not_inside_webs_health_check():
    """The migrations ran in web's command, inside its health check's grace: one longer than that (an
    index over a million pairs) marked web unhealthy, and the services waiting on it never started."""
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["migrate"]["command"][-3:] == ["manage.py", "migrate", "--no-input"]
    assert services["migrate"]["restart"] == "no"  # a one-shot: restarted, it would run again and again
    assert set(services["migrate"]["depends_on"]) == {"postgres", "redis"}
    assert services["web"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert "migrate" not in " ".join(services["web"]["command"])
    for name in ("worker", "sweeper", "beat"):
        assert services[name]["depends_on"] == {"web": {"condition": "service_healthy"}}, name
