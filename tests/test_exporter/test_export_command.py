"""`manage.py export_preferences`: what it says when it cannot write the export."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.management import CommandError, call_command

from annotate.models import Membership, Role
from tests.conftest import make_pairs, make_user
from tests.factories import judgments_bulk

pytestmark = pytest.mark.django_db


def export(project, out, *args: str) -> None:
    call_command("export_preferences", "--project", project.slug, "--out", str(out), *args)


def test_an_unknown_project_is_an_error(project, tmp_path):
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        call_command("export_preferences", "--project", "nope", "--out", str(tmp_path / "out"))


def test_an_out_that_is_a_file_is_an_error_naming_it(project, pairs, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("not a directory")
    with pytest.raises(CommandError, match=f"The export was not written: .*{re.escape(str(taken))}"):
        export(project, taken)


def test_an_out_under_a_file_is_an_error_naming_it(project, pairs, tmp_path):
    (tmp_path / "taken").write_text("not a directory")
    with pytest.raises(CommandError, match=r"The export was not written: .*taken"):
        export(project, tmp_path / "taken" / "out")


def test_excluding_flagged_annotators_before_any_bias_report_is_an_error_not_a_filter_that_does_nothing(
    project, pairs, tmp_path
):
    with pytest.raises(CommandError, match="exclude_flagged needs a bias report, and this project has none yet"):
        export(project, tmp_path / "out", "--exclude-flagged")
    assert not (tmp_path / "out").exists()


def test_a_report_kept_by_the_command_is_the_one_an_export_excluding_the_flagged_reads(project, pairs, tmp_path):
    # bias_report only printed a report, so from the command line --exclude-flagged had none to read.
    from analytics.models import BiasReport

    annotator = make_user("leftie")
    Membership.objects.create(user=annotator, project=project, role=Role.ANNOTATOR)
    judgments_bulk(project, annotator, choose=lambda pair_id, _p: "a")
    call_command("bias_report", "--project", project.slug, "--json")
    assert not BiasReport.objects.exists()
    call_command("bias_report", "--project", project.slug, "--save", "--json")
    report = BiasReport.objects.get()
    assert (report.state, report.judgments_seen, report.payload["n_judgments"]) == ("done", len(pairs), len(pairs))
    export(project, tmp_path / "out", "--exclude-flagged")
    assert (tmp_path / "out" / "manifest.json").exists()


def test_a_tokenizer_that_cannot_be_loaded_is_an_error_naming_it(project, pairs, tmp_path):
    missing = tmp_path / "no-tokenizer"
    # Said "Repo id must use alphanumeric chars": transformers took the path for a Hub id.
    with pytest.raises(
        CommandError, match=f"^The tokenizer '{re.escape(str(missing))}' could not be loaded: no such directory: "
    ):
        export(project, tmp_path / "out", "--format", "tokenized", "--tokenizer", str(missing))


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "; 1 pair without a majority; "),
        # Two annotators alike (they agree on the other pair), one vote each: no side is likelier.
        (("--aggregate", "dawid-skene"), "; 1 pair without a winner; "),
        (("--per-judgment",), " to OUT; filters: "),
    ],
)
def test_the_summary_counts_the_pairs_each_mode_could_not_decide(project, tmp_path, capsys, args, said):
    voters = [make_user(f"v{i}") for i in range(2)]
    for person in voters:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    agreed, _split = make_pairs(project, 2)
    judgments_bulk(project, voters[0], choose=lambda _pair_id, _p: "a")
    judgments_bulk(project, voters[1], choose=lambda pair_id, _p: "a" if pair_id == agreed.id else "b")
    export(project, tmp_path / "out", *args)
    assert said.replace("OUT", str(tmp_path / "out")) in capsys.readouterr().out


def test_exclude_paused_drops_the_paused_annotators_judgments_and_says_how_many(project, lead, tmp_path, capsys):
    from annotate.services.members import membership_pause

    voters = [make_user(f"v{i}") for i in range(2)]
    for person in voters:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    make_pairs(project, 4)
    for person in voters:
        judgments_bulk(project, person, choose=lambda _pair_id, _p: "a")
    membership_pause(project=project, user=voters[1], actor=lead, reason="random clicks")
    export(project, tmp_path / "out", "--exclude-paused")
    said = capsys.readouterr().out
    assert "Exported 4 records (hh-rlhf)" in said and "exclude_paused -4." in said


def test_a_time_without_a_zone_is_in_the_sites_time_zone_as_on_the_exports_page(project, pairs, tmp_path, settings):
    # Found by the ML engineer's audit: the command read it as UTC, the page and the API in TIME_ZONE,
    # so the same --since chose other judgments here.
    settings.TIME_ZONE = "Europe/Berlin"
    export(project, tmp_path / "out", "--since", "2026-11-01T09:30", "--until", "2026-11-02T00:00+00:00")
    options = json.loads((tmp_path / "out" / "manifest.json").read_text())["options"]
    since, until = (dt.datetime.fromisoformat(options[name]) for name in ("since", "until"))
    # 09:30 in Berlin is 08:30 UTC; a time with a zone of its own keeps it.
    assert (since, until) == (dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 2, tzinfo=dt.UTC))


def test_excluding_the_flagged_by_a_report_of_an_older_version_is_an_error_not_a_filter_by_old_rules(
    project, pairs, tmp_path
):
    # Found by the operator's upgrade audit: after an upgrade, a project with no new judgments keeps the
    # report the old version computed, and --exclude-flagged read its flags (one from before length
    # flags excluded nobody for length, where this version flags the length-loving annotator).
    from analytics.models import BiasReport

    annotator = make_user("leftie")
    Membership.objects.create(user=annotator, project=project, role=Role.ANNOTATOR)
    judgments_bulk(project, annotator, choose=lambda pair_id, _p: "a")
    call_command("bias_report", "--project", project.slug, "--save", "--json")
    report = BiasReport.objects.get()
    old = {key: value for key, value in report.payload.items() if key != "format"}
    BiasReport.objects.filter(pk=report.pk).update(payload=old)
    with pytest.raises(CommandError, match=rf"the latest one \(#{report.pk}\) was computed by an older version"):
        export(project, tmp_path / "out", "--exclude-flagged")
    assert not (tmp_path / "out").exists()
    call_command("bias_report", "--project", project.slug, "--save", "--json")
    export(project, tmp_path / "out", "--exclude-flagged")
    assert (tmp_path / "out" / "manifest.json").exists()


def test_a_time_the_sites_clocks_skip_or_show_twice_is_refused(project, pairs, tmp_path, settings):
    # Each was read as one of its two offsets without a word (found by the time zone audit).
    settings.TIME_ZONE = "Europe/Berlin"
    with pytest.raises(CommandError, match="2026-03-29T02:30 is no time in Europe/Berlin: its clocks skip it"):
        export(project, tmp_path / "out", "--since", "2026-03-29T02:30")
    with pytest.raises(CommandError, match=r"2026-10-25T02:30\+02:00 \(the first\) or 2026-10-25T02:30\+01:00"):
        export(project, tmp_path / "out", "--until", "2026-10-25T02:30")
    export(project, tmp_path / "out", "--until", "2026-10-25T02:30+01:00")
    options = json.loads((tmp_path / "out" / "manifest.json").read_text())["options"]
    assert dt.datetime.fromisoformat(options["until"]) == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
