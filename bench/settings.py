"""Settings for benchmark servers: the project's own settings plus the bench-only URLs.

Every value still comes from the environment (the benchmark script sets DEBUG=0, SECRET_KEY,
DATABASE_URL and friends before it starts gunicorn), so the server runs as in production.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
