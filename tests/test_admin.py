"""Every admin list page renders for a superuser (with some rows in it)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.conftest import make_pairs


@pytest.mark.django_db
def test_every_admin_changelist_renders(client, project):
    make_pairs(project, 3)
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    client.force_login(superuser)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
