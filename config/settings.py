"""Pairwise settings. Every value comes from the environment (see `.env.example`).

With no environment at all this is a production configuration that refuses to start: it needs a
real `SECRET_KEY`. The demo (`make run`) sets `DEBUG=1`, which alone allows a throwaway key.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# ./.env is docker-compose's (it interpolates it; the image has none). Read a file only when asked:
# reading ./.env implicitly fed its compose values (DATABASE_URL=...@postgres, SECURE_SSL_REDIRECT=1,
# SECRET_KEY) to `make run` and `make test` on the same checkout.
if env_file := env.str("PAIRWISE_ENV_FILE", default=""):
    if not Path(env_file).is_file():
        # read_env would only log it, before logging is set up: the app would start on defaults.
        raise ImproperlyConfigured(f"PAIRWISE_ENV_FILE names {env_file!r}, which is not a file.")
    environ.Env.read_env(env_file)

DEBUG = env.bool("DEBUG", default=False)


def env_number(name: str, default: float, *, minimum: float, cast: type = int) -> float:
    """A number from the environment, refused at start with the variable's name when it is not one
    (`env.int` raised a bare "invalid literal for int()") or is below `minimum` (a negative keep time
    or limit started an app that then behaved as no one meant). Empty means unset."""
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        kind = "a whole number" if cast is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {kind}, not {raw!r}.") from None
    if not minimum <= value < float("inf"):  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, not {raw}.")
    return value


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for a local demo."
        )
    # The demo keeps a random key of its own under var/, so logins survive a restart.
    demo_key_file = VAR_DIR / "demo-secret-key"
    if not demo_key_file.exists():
        VAR_DIR.mkdir(exist_ok=True)
        demo_key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = demo_key_file.read_text().strip()
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")):
    # Django's own test of a weak key (security.W009), prefix of startproject's development keys included.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 random characters, not a key Django generated for development."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "annotate",
    "analytics",
    "exporter",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.content_security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.auth.DeviceCookieMiddleware",
    "config.caching.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.not_allowed.MethodNotAllowedPageMiddleware",
    # Last, so its refusal page has the user and messages; still before the CSRF check reads a body.
    "config.uploads.MultipartBodyLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pairwise.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env_number("CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, so that psycopg prepares a statement it has run 5 times on a
    # connection and PostgreSQL stops parsing and planning the hot path's queries on every request.
    # Off (0) behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode).
    server_binding = env.bool("DATABASE_SERVER_BINDING", default=True)
    # Django's backend, with statements batched to the server's limit on bound parameters.
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": server_binding, "prepare_threshold": 5 if server_binding else None}
    )
    # A server that accepts the connection and then never answers (one frozen, or a proxy whose
    # backend is gone) held each request, worker and migration forever: libpq waits without limit
    # unless told. `?connect_timeout=N` in DATABASE_URL sets another limit.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 10)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Password guessing (config.auth): after this many failed logins for one username from one address,
# its logins from there are refused, the right password too, until this many seconds after the first;
# after LOGIN_ADDRESS_FAILURES_MAX for any usernames from one address (one password tried on many
# accounts), every password login from there is.
AUTHENTICATION_BACKENDS = ["config.auth.ThrottledModelBackend"]
LOGIN_FAILURES_MAX = 10
LOGIN_ADDRESS_FAILURES_MAX = 50
# Of one username from anywhere: a bound on guesses from many addresses, or a spoofed one.
LOGIN_ACCOUNT_FAILURES_MAX = 100
LOGIN_FAILURES_WINDOW = 15 * 60
# How many proxies in front of the app append the address they saw to X-Forwarded-For: the client's
# address is then the entry that many from the end (0: the connection's own address, and the header,
# which a client can write, is ignored). The login counts (config.auth) read it.
TRUSTED_PROXIES = env_number("TRUSTED_PROXIES", 0, minimum=0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotate:project_list"
LOGOUT_REDIRECT_URL = "login"

# Security: strict by default, relaxed only by explicit variables (the demo serves plain HTTP).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The container's health check asks over plain HTTP from inside; a redirect to HTTPS would fail it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_number("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Scripts from this origin only: an injected `<script>` or `onclick=` does not run. Styles also
# allow inline ones: the admin's change list, Swagger UI and the browsable API carry `<style>`
# blocks or attributes, and a style cannot run code. Images may be data: URLs (Swagger UI's icons) or
# come from any HTTPS site (a lead's guidelines, in Markdown, may show one).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "https:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

REST_FRAMEWORK = {
    # Token first: DRF answers a request without credentials with the first class's challenge, so an
    # API client gets 401 and `WWW-Authenticate: Token`; session authentication has none (it was 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "config.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pairwise API",
    "DESCRIPTION": "Collect human preference judgments with position and fatigue control.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is for the API's users, who are logged in (401 otherwise); the docs page asks to log in.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from our own static files, not a CDN: /api/docs/ works offline, like every page.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # config.converters.IdConverter: an integer id of at most 18 digits (a string by default).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}},
}

# Celery. Without REDIS_URL / CELERY_BROKER_URL the broker is kombu's filesystem transport under
# var/celery, so the demo runs a real worker with no Redis. Jobs keep their state in Postgres rows,
# so no result backend is needed.
REDIS_URL = env.str("REDIS_URL", default="")
# The cache holds the login failure counts (config.auth): in Redis when there is one, so that every
# web process reads the same counts; else in each process's memory (the demo's single process).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pairwise",
        # A Redis that does not answer costs a login a second per cache call, about three in all (config.auth
        # then lets it through); one that refuses connections costs nothing noticeable.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# An empty CELERY_BROKER_URL (as in .env.example) means "not set": fall back to REDIS_URL.
# The host part names nothing for the filesystem transport; without one, kombu warns "No hostname was
# supplied" at every command that queues a task.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://localhost/"
# kombu's own filesystem transport lets a worker take a message file before it is written, which
# stops the worker for good (see config.filesystem_broker; found by the lead walkthrough).
CELERY_BROKER_TRANSPORT = "config.filesystem_broker:Transport" if CELERY_BROKER_URL.startswith("filesystem") else None
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        "visibility_timeout": env_number("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
        # A Redis that takes connections and never answers held a web request that queues a job for
        # good, and 16 of them the whole site (found by the job life cycle audit). Longer than the
        # worker's one-second BRPOP poll; the job's row is committed first, and the sweep sends a job
        # whose message could not be sent again.
        "socket_connect_timeout": 5,
        "socket_timeout": 5,
    }
)
# One retry of a send that failed, not three, each up to the socket timeout above.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 1, "interval_max": 1}
if CELERY_BROKER_URL.startswith("filesystem"):
    # The folders must exist before anything is sent: an import run from the command line before
    # the demo's first `make run` would otherwise fail to queue its pair measures.
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Each periodic message expires when the next one is due: a sweep that finds the worker down (a
# deploy, an outage) is not worth running late, and without an expiry beat would pile one message
# a minute onto the broker for the worker to run back to back when it returns.
BIAS_REPORT_EVERY_SECONDS = env_number("BIAS_REPORT_EVERY_SECONDS", 300.0, minimum=1, cast=float)
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": every, "options": {"expires": every}}
    for name, task, every in [
        ("close-stale-sittings", "annotate.close_stale_sittings", 60.0),
        ("fail-stale-imports", "annotate.fail_stale_imports", 600.0),
        ("fail-stale-exports", "exporter.fail_stale_exports", 600.0),
        ("recompute-bias-reports", "analytics.schedule_bias_reports", BIAS_REPORT_EVERY_SECONDS),
    ]
}
# The periodic sweeps (each a few queries) go to a queue of their own: behind imports, exports and
# pair measures on the default queue, which can fill every worker slot for minutes, their messages
# expired unrun (found by the job life cycle audit). docker-compose's `sweeper` worker takes only this
# queue; its `worker`, and `make run`'s, take both.
SWEEPS_QUEUE = "sweeps"
CELERY_TASK_ROUTES = {entry["task"]: {"queue": SWEEPS_QUEUE} for entry in CELERY_BEAT_SCHEDULE.values()}

# Pairwise's own limits.
PAIRWISE_MAX_TEXT_CHARS = env_number("PAIRWISE_MAX_TEXT_CHARS", 100_000, minimum=1)
PAIRWISE_UPLOAD_DIR = env.path("PAIRWISE_UPLOAD_DIR", default=VAR_DIR / "uploads")
# Largest file a lead may upload for import, in MiB: the whole Anthropic/hh-rlhf train split fits.
PAIRWISE_MAX_UPLOAD_MB = env_number("PAIRWISE_MAX_UPLOAD_MB", 512, minimum=1)
# Most an import reads of a gzip file once decompressed, in MiB, uploaded or on the command line: 8
# times the default upload limit, where HH-RLHF gzips 4.4 to 1 (`gzip -l` of the shared test split:
# 742,801 bytes, 3,280,164 decompressed), while deflate packs repeated lines about 1,000 to 1, so
# 512 MiB of gzip can hold 512 GiB. A plain file costs no more to read than its size.
PAIRWISE_MAX_GZIP_DECOMPRESSED_MB = env_number("PAIRWISE_MAX_GZIP_DECOMPRESSED_MB", 4096, minimum=1)
# How many days a finished export's archive is kept before the sweep deletes it (its row stays, and says
# so); 0 keeps archives for good. Every export of a large project is a full copy of its judgments.
PAIRWISE_EXPORT_KEEP_DAYS = env_number("PAIRWISE_EXPORT_KEEP_DAYS", 30, minimum=0)
# How long a project's pair counts (queue pairs, pairs complete) are kept in the cache for the progress
# figures: counting reads every pair of the project, and every annotator's page asks at every sitting.
PAIRWISE_PAIR_COUNTS_CACHE_SECONDS = env_number("PAIRWISE_PAIR_COUNTS_CACHE_SECONDS", 30, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
