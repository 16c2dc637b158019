"""Test settings: the production settings module with a test key and fast password hashing."""

import os

# The Hugging Face Hub is out of reach here: tests load tokenizers and datasets from local paths.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-test-suite-only-0123456789-abcdefghij")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Login failure counts (config.auth) in this process only: none left in Redis by an earlier run.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Progress figures counted afresh on every read, as the tests that answer and then read them expect;
# tests/test_annotating/test_pair_counts.py turns the cache on.
PAIRWISE_PAIR_COUNTS_CACHE_SECONDS = 0
