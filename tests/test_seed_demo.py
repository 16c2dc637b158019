"""`manage.py seed_demo`: the demo project, its cast and its pairs, idempotent, never without DEBUG/--force."""

from __future__ import annotations

import difflib
import time
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics.metrics.similarity import transcript
from annotate.demo_pairs import DEMO_PAIRS, pair_content_hash
from annotate.management.commands.seed_demo import DEMO_URL, DEMO_USERS
from annotate.models import Membership, Pair, Project, Role

User = get_user_model()

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "projects": Project.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "pairs": Pair.objects.count(),
    }


def test_it_creates_the_demo_project_with_its_settings(debug):
    seed()
    project = Project.objects.get(slug="demo")
    assert project.name == "Demo: helpful and harmless assistant"
    assert (project.sitting_minutes, project.sitting_items, project.break_minutes) == (20, 25, 3)
    assert project.idle_timeout_minutes == 5
    assert project.judgments_per_pair == 3
    assert project.allow_tie and project.allow_skip
    assert project.guidelines.startswith("# ")
    for topic in ("Helpful", "Harmless", "Ties", "Skip"):
        assert topic in project.guidelines
    assert 10 <= len(project.guidelines.splitlines()) <= 25


def test_it_gives_the_five_demo_users_their_roles(debug):
    seed()
    roles = dict(Membership.objects.filter(project__slug="demo").values_list("user__username", "role"))
    assert roles == {
        "lead": Role.LEAD,
        "engineer": Role.ENGINEER,
        "ann1": Role.ANNOTATOR,
        "ann2": Role.ANNOTATOR,
        "ann3": Role.ANNOTATOR,
    }


def test_the_demo_users_can_log_in_with_the_printed_passwords(debug, client):
    output = seed()
    for demo in DEMO_USERS:
        assert demo.password in output
        assert client.login(username=demo.username, password=demo.password)


def test_it_seeds_at_least_60_pairs_many_of_them_multi_turn(debug):
    seed()
    contexts = list(Pair.objects.filter(project__slug="demo").values_list("context", flat=True))
    assert len(contexts) >= 60
    multi_turn = [c for c in contexts if c.count("\n\nHuman:") >= 2]
    assert len(multi_turn) >= 10
    assert any(c.count("\n\nHuman:") >= 3 for c in contexts)


def test_every_pair_has_two_distinct_responses(debug):
    seed()
    pairs = Pair.objects.filter(project__slug="demo")
    assert pairs.exists()
    assert all(p.response_a != p.response_b for p in pairs)


def test_pairs_are_stored_as_hh_rlhf_transcripts_with_their_source(debug):
    seed()
    pairs = list(Pair.objects.filter(project__slug="demo").order_by("source_row"))
    assert [p.source_row for p in pairs] == list(range(len(DEMO_PAIRS)))
    for pair in pairs:
        assert (pair.source_name, pair.source_format) == ("pairwise-demo", "hh-rlhf")
        assert pair.context.startswith("\n\nHuman: ")
        # The context ends on a human turn: its last speaker marker is Human.
        assert pair.context.rfind("\n\nHuman:") > pair.context.rfind("\n\nAssistant:")
        for response in (pair.response_a, pair.response_b):
            assert response.startswith(" ") and not response.startswith("  ")
            assert "\n\nHuman:" not in response and "\n\nAssistant:" not in response
        assert pair.content_hash == pair_content_hash(
            context=pair.context, response_a=pair.response_a, response_b=pair.response_b
        )


def test_source_preferences_are_a_mix_of_a_b_and_blank(debug):
    seed()
    preferences = list(Pair.objects.filter(project__slug="demo").values_list("source_preference", flat=True))
    assert preferences.count("a") >= 10
    assert preferences.count("b") >= 10
    assert 3 <= preferences.count("") <= len(preferences) // 4


def test_it_includes_near_duplicates_and_pairs_where_the_longer_reply_is_worse(debug):
    seed()
    pairs = list(Pair.objects.filter(project__slug="demo"))
    near_duplicates = [p for p in pairs if difflib.SequenceMatcher(None, p.response_a, p.response_b).ratio() > 0.9]
    assert len(near_duplicates) >= 5
    # Some near-duplicates have a clear winner (a word that makes one wrong), some have none.
    assert any(p.source_preference for p in near_duplicates)
    assert any(not p.source_preference for p in near_duplicates)
    longer_worse = [
        p
        for p in pairs
        if p.source_preference
        and len(p.response(p.source_preference).split())
        < len(p.response("b" if p.source_preference == "a" else "a").split())
    ]
    assert len(longer_worse) >= 5


def test_the_pairs_cover_several_topics():
    topics = {pair.topic for pair in DEMO_PAIRS}
    assert {"cooking", "programming", "health", "travel", "finance", "writing", "science", "harmful"} <= topics


def test_running_it_twice_changes_nothing(debug):
    seed()
    first = counts()
    pairs_before = sorted(Pair.objects.values_list("id", "content_hash", "sort_key", "response_a"))
    output = seed()
    assert counts() == first
    assert sorted(Pair.objects.values_list("id", "content_hash", "sort_key", "response_a")) == pairs_before
    assert "0 pairs added" in output
    assert "already there" in output


def test_the_content_hash_ignores_which_side_a_response_is_on():
    one = pair_content_hash(context="\n\nHuman: hi", response_a=" x", response_b=" y")
    assert one == pair_content_hash(context="\n\nHuman: hi", response_a=" y", response_b=" x")
    assert one != pair_content_hash(context="\n\nHuman: hey", response_a=" x", response_b=" y")
    # The separator keeps the boundary between context and responses: moving text across it changes the hash.
    assert one != pair_content_hash(context="\n\nHuman: hi x", response_a="", response_b=" y")
    assert len(one) == 64 and int(one, 16) >= 0


def test_it_refuses_without_debug_or_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert counts() == {"projects": 0, "users": 0, "memberships": 0, "pairs": 0}


def test_force_seeds_even_without_debug(settings):
    settings.DEBUG = False
    seed("--force")
    assert Project.objects.filter(slug="demo").exists()
    assert Pair.objects.filter(project__slug="demo").count() == len(DEMO_PAIRS)


def test_existing_users_keep_their_passwords_unless_reset(debug):
    User.objects.create_user(username="lead", password="my-own-secret-pass")
    output = seed()
    lead = User.objects.get(username="lead")
    assert lead.check_password("my-own-secret-pass")
    assert "demo-lead-pass" not in output
    assert "--reset-passwords" in output

    output = seed("--reset-passwords")
    lead.refresh_from_db()
    assert lead.check_password("demo-lead-pass")
    assert "demo-lead-pass" in output


def test_it_restores_a_demo_users_role(debug):
    seed()
    Membership.objects.filter(user__username="ann1").update(role=Role.LEAD)
    seed()
    assert Membership.objects.get(user__username="ann1").role == Role.ANNOTATOR


def test_the_output_names_every_login_and_the_url(debug):
    output = seed()
    for demo in DEMO_USERS:
        line = next(line for line in output.splitlines() if line.startswith(demo.username + " "))
        assert demo.password in line
        assert demo.role.label in line
    assert DEMO_URL == "http://127.0.0.1:8000/"
    assert DEMO_URL in output


@pytest.mark.django_db
def test_with_simulated_it_fills_a_second_project_and_computes_its_report(settings):
    from analytics.models import BiasReport
    from annotate.models import Judgment

    settings.DEBUG = True
    call_command("seed_demo", "--with-simulated", stdout=StringIO())
    simulated = Project.objects.get(slug="demo-simulated")
    assert Judgment.objects.filter(project=simulated).count() > 400
    assert not Judgment.objects.filter(project__slug="demo").exists()  # the people's project stays fresh
    report = BiasReport.objects.get(project=simulated)
    assert report.state == "done"
    flagged = [row["annotator"] for row in report.payload["position"]["per_annotator"] if row["flagged"]]
    left_biased = get_user_model().objects.get(username="sim-left-1").id
    assert flagged == [left_biased]
    # As the README says: about 60 judgments each are too few for the fatigue and length flags
    # (docs/benchmarks.md), though the length-loving annotator has the largest length effect.
    assert [row["annotator"] for row in report.payload["fatigue"]["per_annotator"] if row["flagged"]] == []
    lengths = report.payload["length"]["per_annotator"]
    assert [row["annotator"] for row in lengths if row["flagged"]] == []
    loving = get_user_model().objects.get(username="sim-length-1").id
    assert max(lengths, key=lambda row: row["model"]["estimate"] or -1e9)["annotator"] == loving
    # The random clicker, whom none of those three flags catches, and the left-biased one agree with the
    # others' majority at chance: careless answering. No honest annotator is flagged for it.
    careless = {row["annotator"] for row in report.payload["careless"]["per_annotator"] if row["flagged"]}
    random_clicker = get_user_model().objects.get(username="sim-random-1").id
    assert careless == {random_clicker, left_biased}
    out = StringIO()
    call_command("seed_demo", "--with-simulated", stdout=out)
    assert "simulated judgments already there" in out.getvalue()


def test_a_worker_measures_the_seeded_pairs(debug, live_worker):
    seed()
    pairs = Pair.objects.filter(project__slug="demo")
    deadline = time.monotonic() + 120
    while pairs.filter(transcript_similarity__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not pairs.filter(transcript_similarity__isnull=True).exists()
    pair = pairs.order_by("id").first()
    chosen, rejected = (transcript(pair.context, r) for r in (pair.response_a, pair.response_b))
    assert pair.transcript_similarity == difflib.SequenceMatcher(None, chosen, rejected).ratio()


def test_the_output_names_the_address_make_run_serves_on(debug):
    # `make run PORT=8137` passes its address; the default one would send people to the wrong port.
    output = seed("--url", "http://127.0.0.1:8137/")
    assert "Open http://127.0.0.1:8137/ and log in" in output
    assert DEMO_URL not in output
