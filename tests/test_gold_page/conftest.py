"""Helpers of the gold page tests: the urlconf with the gold pages, a signed-in client per member
of the fixed cast, and a few pairs with a source preference, none, and another project's."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Pair
from tests.conftest import make_pairs


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lead_client(lead) -> Client:
    return signed_in(lead)


def gold_url(project, pair_id: int | None = None, action: str = "") -> str:
    """The gold page, a pair's page (pair_id), or an action: "set" on a pair, "from_source"."""
    if action == "from_source":
        return reverse("annotate:gold_from_source", kwargs={"slug": project.slug})
    if pair_id is None:
        return reverse("annotate:gold", kwargs={"slug": project.slug})
    name = "annotate:gold_pair_set" if action == "set" else "annotate:gold_pair"
    return reverse(name, kwargs={"slug": project.slug, "pair_id": pair_id})


def listed_pair_ids(html: str) -> list[int]:
    """The pair ids of the list's rows, in page order."""
    return [int(found) for found in re.findall(r'<tr data-pair="(\d+)">', html)]


@pytest.fixture
def mixed_pairs(project) -> dict[str, list[Pair]]:
    """Pairs of `project`: 4 preferring A, 3 preferring B, 2 without a preference (ids in that order)."""
    pairs = make_pairs(project, 9, prefix="mixed")
    Pair.objects.filter(id__in=[p.id for p in pairs[4:7]]).update(source_preference="b")
    Pair.objects.filter(id__in=[p.id for p in pairs[7:]]).update(source_preference="")
    fresh = {p.id: p for p in Pair.objects.filter(project=project)}
    ordered = [fresh[p.id] for p in pairs]
    return {"a": ordered[:4], "b": ordered[4:7], "none": ordered[7:]}
