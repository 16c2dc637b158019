"""Exports from the database: byte-exact HH-RLHF, TRL formats, filters, determinism."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from django.core.management import call_command

from annotate.models import Judgment, Membership, Pair, Project, Role, Side
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from annotate.services.imports import pairs_import
from annotate.services.members import membership_add, membership_pause, membership_remove, membership_resume
from annotate.services.projects import project_settings_update
from exporter.services import ExportError, ExportOptions, export_write
from exporter.torch_dataset import TokenizedPreferenceDataset
from tests.conftest import GPT2_TOKENIZER, HH_RLHF_TEST, make_pairs, make_user
from tests.factories import judgments_as_the_source_chose, judgments_bulk, judgments_rewrite

pytestmark = pytest.mark.django_db


@pytest.fixture
def hh_project(project, annotator):
    pairs_import(project=project, source=HH_RLHF_TEST)
    judgments_as_the_source_chose(project, annotator)
    return project


def test_an_hh_rlhf_round_trip_gives_back_the_source_file_line_for_line(hh_project, tmp_path):
    call_command("export_preferences", "--project", "helpful", "--format", "hh-rlhf", "--out", str(tmp_path / "out"))
    with gzip.open(HH_RLHF_TEST, "rb") as handle:
        source = handle.read()
    exported = (tmp_path / "out" / "data.jsonl").read_bytes()
    assert exported.splitlines() == source.splitlines()
    assert len(exported.splitlines()) == 2312
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["records"] == 2312
    assert manifest["files"]["data.jsonl"]["bytes"] == len(exported)


def test_the_readmes_truncation_counts_at_512_tokens(hh_project, tmp_path):
    """The README's figures for the shared file with GPT-2 at the default max_length."""
    options = ExportOptions(format="tokenized", tokenizer=str(GPT2_TOKENIZER), max_length=512)
    export_write(project=hh_project, options=options, out_dir=tmp_path)
    counts = json.loads((tmp_path / "manifest.json").read_text())["counts"]
    assert (counts["items_identical_after_truncation"], counts["items_at_max_length"], counts["records"]) == (
        27,
        78,
        2312,
    )


def test_two_exports_of_the_same_state_are_byte_identical(hh_project, tmp_path):
    for writer in ("jsonl.gz", "parquet", "hf"):
        options = ExportOptions(format="preference", writer=writer, with_metadata=True)
        first = export_write(project=hh_project, options=options, out_dir=tmp_path / writer / "1")
        second = export_write(project=hh_project, options=options, out_dir=tmp_path / writer / "2")
        assert first.files == second.files
        for name in first.files:
            assert (tmp_path / writer / "1" / name).read_bytes() == (tmp_path / writer / "2" / name).read_bytes()
        assert (tmp_path / writer / "1" / "manifest.json").read_bytes() == (
            tmp_path / writer / "2" / "manifest.json"
        ).read_bytes()


def test_trl_formats_load_with_datasets_and_have_trls_field_types(hh_project, tmp_path):
    export_write(project=hh_project, options=ExportOptions(format="preference"), out_dir=tmp_path / "p")
    export_write(project=hh_project, options=ExportOptions(format="conversational"), out_dir=tmp_path / "c")
    standard = datasets.load_dataset("json", data_files=str(tmp_path / "p" / "data.jsonl"), split="train")
    assert standard.features == datasets.Features(
        {"prompt": datasets.Value("string"), "chosen": datasets.Value("string"), "rejected": datasets.Value("string")}
    )
    assert standard[0]["prompt"].endswith("\n\nAssistant:")
    conversational = datasets.load_dataset("json", data_files=str(tmp_path / "c" / "data.jsonl"), split="train")
    row = conversational[0]
    assert [turn["role"] for turn in row["prompt"]][:1] == ["user"]
    assert row["chosen"][0]["role"] == "assistant" and isinstance(row["chosen"][0]["content"], str)
    assert len(standard) == len(conversational) == 2312


def test_parquet_and_save_to_disk_load_back_to_the_same_records(hh_project, tmp_path):
    options = {"format": "preference", "with_metadata": True}
    export_write(project=hh_project, options=ExportOptions(**options), out_dir=tmp_path / "j")
    export_write(project=hh_project, options=ExportOptions(writer="parquet", **options), out_dir=tmp_path / "q")
    export_write(
        project=hh_project, options=ExportOptions(writer="hf", test_size=0.2, seed=3, **options), out_dir=tmp_path / "h"
    )
    lines = [json.loads(line) for line in (tmp_path / "j" / "data.jsonl").read_text().splitlines()]
    parquet = datasets.load_dataset("parquet", data_files=str(tmp_path / "q" / "data.parquet"), split="train")
    assert parquet.to_list() == lines
    saved = datasets.load_from_disk(str(tmp_path / "h" / "dataset"))
    assert set(saved) == {"train", "test"}
    assert 0.15 < len(saved["test"]) / len(lines) < 0.25
    key = lambda r: (r["source_row"], r["chosen"])  # noqa: E731
    assert sorted(saved["train"].to_list() + saved["test"].to_list(), key=key) == sorted(lines, key=key)


def test_the_tokenized_export_equals_the_notebooks_items(hh_project, tmp_path):
    from transformers import AutoTokenizer

    call_command(
        "export_preferences",
        "--project",
        "helpful",
        "--format",
        "tokenized",
        "--tokenizer",
        str(GPT2_TOKENIZER),
        "--max-length",
        "64",
        "--out",
        str(tmp_path / "t"),
    )
    data = TokenizedPreferenceDataset.load(tmp_path / "t" / "tokenized")
    tokenizer = AutoTokenizer.from_pretrained(GPT2_TOKENIZER)
    tokenizer.pad_token = tokenizer.eos_token
    with gzip.open(HH_RLHF_TEST, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle][:50]
    for i, row in enumerate(rows):
        for side in ("chosen", "rejected"):
            encoded = tokenizer(row[side], max_length=64, truncation=True, padding="max_length", return_tensors="pt")
            assert torch.equal(data[i][f"{side}_input_ids"], encoded["input_ids"].squeeze())
            assert torch.equal(data[i][f"{side}_attention_mask"], encoded["attention_mask"].squeeze())
    # Each item's pair, to join it back to the project's pairs: the source's row i is item i.
    by_row = dict(Pair.objects.filter(project=hh_project).values_list("source_row", "id"))
    assert data.ids("pair_id").tolist() == [by_row[row] for row in range(2312)]
    # What truncation did is counted, in the manifest and the card: items cut inside the shared context
    # have the same tokens on both sides (found in review: nothing said so).
    identical = sum(bool(torch.equal(item["chosen_input_ids"], item["rejected_input_ids"])) for item in data)
    at_max = sum(bool(item["chosen_attention_mask"].all() or item["rejected_attention_mask"].all()) for item in data)
    assert 0 < identical < at_max <= 2312
    counts = json.loads((tmp_path / "t" / "manifest.json").read_text())["counts"]
    assert (counts["items_identical_after_truncation"], counts["items_at_max_length"]) == (identical, at_max)
    assert f"**items_identical_after_truncation**: {identical}" in (tmp_path / "t" / "README.md").read_text()


def test_a_tokenized_export_of_one_record_per_judgment_keeps_each_records_judgment(project, voters, tmp_path):
    make_pairs(project, 2)
    for voter in voters[:2]:
        judgments_bulk(project, voter, choose=lambda pair_id, _p: "a")
    options = ExportOptions(format="tokenized", per_judgment=True, tokenizer=str(GPT2_TOKENIZER), max_length=16)
    export_write(project=project, options=options, out_dir=tmp_path / "t")
    data = TokenizedPreferenceDataset.load(tmp_path / "t" / "tokenized")
    stored = list(zip(data.ids("pair_id").tolist(), data.ids("judgment_id").tolist(), strict=True))
    assert sorted(stored) == sorted(Judgment.objects.values_list("pair_id", "id"))
    assert len(stored) == 4


# Aggregation and filters on a hand-built project ------------------------------------------------


@pytest.fixture
def voters(project):
    people = [make_user(f"v{i}") for i in range(3)]
    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    return people


# Gold answers and probes are left out by default, and the manifest says so even when there are none.
DEFAULTS = {"gold_excluded": 0, "probes_excluded": 0}


def export_lines(project, tmp_path, name, **options):
    result = export_write(
        project=project,
        options=ExportOptions(format="preference", with_metadata=True, **options),
        out_dir=tmp_path / name,
    )
    lines = [json.loads(line) for line in (tmp_path / name / "data.jsonl").read_text().splitlines()]
    manifest = json.loads((tmp_path / name / "manifest.json").read_text())
    assert manifest["filter_effects"] == result.filter_effects
    return lines, manifest


def test_the_manifest_and_card_record_only_the_options_the_export_used(project, voters, tmp_path):
    make_pairs(project, 2)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    unused = {"aggregate", "tokenizer", "max_length", "test_size", "seed"}
    _, manifest = export_lines(project, tmp_path, "plain", per_judgment=True)
    assert manifest["options"]["per_judgment"] is True and not unused & manifest["options"].keys()
    assert "tokenizer" not in (tmp_path / "plain" / "README.md").read_text()
    export_write(
        project=project, options=ExportOptions(format="preference", writer="hf", test_size=0.5), out_dir=tmp_path / "h"
    )
    options = json.loads((tmp_path / "h" / "manifest.json").read_text())["options"]
    assert (options["aggregate"], options["test_size"], options["seed"]) == ("majority", 0.5, 0)
    assert not {"tokenizer", "max_length"} & options.keys()
    export_write(
        project=project,
        options=ExportOptions(format="tokenized", tokenizer=str(GPT2_TOKENIZER), max_length=64),
        out_dir=tmp_path / "t",
    )
    options = json.loads((tmp_path / "t" / "manifest.json").read_text())["options"]
    assert (options["tokenizer"], options["max_length"]) == (str(GPT2_TOKENIZER), 64)
    assert not {"test_size", "seed"} & options.keys()


def test_a_max_length_past_what_the_tokenizers_model_takes_is_refused_before_anything_is_written(
    project, voters, tmp_path
):
    make_pairs(project, 2)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    options = ExportOptions(format="tokenized", tokenizer=str(GPT2_TOKENIZER), max_length=2048)
    said = (
        "^max_length 2048 is longer than the 1024 tokens the tokenizer's model takes .its model_max_length.; use 1024"
    )
    with pytest.raises(ExportError, match=said):
        export_write(project=project, options=options, out_dir=tmp_path / "long")
    assert not (tmp_path / "long").exists()
    # A missing tokenizer, likewise, leaves no empty output directory behind.
    missing = ExportOptions(format="tokenized", tokenizer=str(tmp_path / "no-such-tokenizer"))
    with pytest.raises(ExportError, match="could not be loaded: no such directory"):
        export_write(project=project, options=missing, out_dir=tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_majorities_ties_and_pairs_without_a_majority(project, voters, tmp_path):
    p1, p2, p3 = make_pairs(project, 3)
    votes = {p1.id: ["a", "a", "b"], p2.id: ["a", "b", "tie"], p3.id: ["b", "tie", "skip"]}
    for i, person in enumerate(voters):
        judgments_bulk(project, person, choose=lambda pair_id, _p, i=i: votes[pair_id][i])
    lines, manifest = export_lines(project, tmp_path, "agg")
    by_pair = {line["pair_id"]: line for line in lines}
    assert set(by_pair) == {p1.id, p3.id}
    assert by_pair[p1.id]["chosen"] == p1.response_a and by_pair[p1.id]["agreement"] == pytest.approx(2 / 3)
    assert by_pair[p3.id]["chosen"] == p3.response_b
    assert (by_pair[p3.id]["n_judgments"], by_pair[p3.id]["n_decisive"], by_pair[p3.id]["agreement"]) == (3, 1, 1.0)
    assert manifest["counts"]["pairs_without_majority"] == 1
    per_judgment, manifest = export_lines(project, tmp_path, "per", per_judgment=True)
    assert len(per_judgment) == 6  # decisive judgments only: 3 + 2 + 1
    assert manifest["counts"]["ties_excluded"] == 2 and manifest["counts"]["skips_excluded"] == 1
    assert {line["judgment_id"] for line in per_judgment} == set(
        Judgment.objects.exclude(side__in=["tie", "skip"]).values_list("id", flat=True)
    )


def test_each_filter_removes_exactly_what_it_should_and_says_so(project, voters, tmp_path):
    pairs = make_pairs(project, 6)
    # v0 and v1 agree on every pair; v2 disagrees on the last three.
    for i, person in enumerate(voters):
        judgments_bulk(
            project,
            person,
            choose=lambda pair_id, _p, i=i: "b" if i == 2 and pair_id >= pairs[3].id else "a",
            minutes_apart=2,
        )
    everything, _ = export_lines(project, tmp_path, "all")
    assert len(everything) == 6
    high, manifest = export_lines(project, tmp_path, "agree", min_agreement=0.9)
    assert {line["pair_id"] for line in high} == {p.id for p in pairs[:3]}
    assert manifest["filter_effects"] == DEFAULTS | {"min_agreement": 3}
    enough, manifest = export_lines(project, tmp_path, "min", min_judgments=4)
    assert enough == [] and manifest["filter_effects"] == DEFAULTS | {"min_judgments": 6}
    # Judgment i of each annotator is answered 2*i minutes into the sitting: keep the first two pairs.
    early, manifest = export_lines(project, tmp_path, "early", max_sitting_minutes=2)
    assert {line["pair_id"] for line in early} == {p.id for p in pairs[:2]}
    assert manifest["filter_effects"] == DEFAULTS | {"max_sitting_minutes": 12}
    first, manifest = export_lines(project, tmp_path, "index", max_index_in_sitting=1)
    assert {line["pair_id"] for line in first} == {pairs[0].id}
    assert manifest["filter_effects"] == DEFAULTS | {"max_index_in_sitting": 15}
    Pair.objects.filter(pk=pairs[0].pk).update(source_name="elsewhere")
    other, manifest = export_lines(project, tmp_path, "source", source="elsewhere")
    assert [line["pair_id"] for line in other] == [pairs[0].id] and manifest["filter_effects"] == DEFAULTS | {
        "source": 5
    }
    # A source no pair comes from (a typo) is refused, naming those there are, not exported as nothing.
    with pytest.raises(
        ExportError,
        match=r"^No pair of this project comes from the source 'elsewehre'; its sources: "
        r"'elsewhere', 'fixture'\.$",
    ):
        export_lines(project, tmp_path, "typo", source="elsewehre")
    assert not (tmp_path / "typo").exists()
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    none, manifest = export_lines(project, tmp_path, "since", since=future)
    assert none == [] and manifest["filter_effects"] == DEFAULTS | {"since": 18}


def test_similarity_filters_use_the_measures_stored_on_pairs(project, voters, tmp_path):
    pairs = make_pairs(project, 2)
    Pair.objects.filter(pk=pairs[1].pk).update(response_b=pairs[1].response_a + "!")
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    kept, manifest = export_lines(project, tmp_path, "sim", max_response_similarity=0.9)
    assert [line["pair_id"] for line in kept] == [pairs[0].id]
    assert manifest["filter_effects"] == DEFAULTS | {"max_response_similarity": 1}
    assert Pair.objects.filter(response_similarity__isnull=False).count() == 2


def test_gold_and_probe_judgments_stay_out_of_exports_unless_asked_for(project, voters, tmp_path):
    pairs = make_pairs(project, 3)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    gold = Judgment.objects.get(pair=pairs[0])
    judgments_rewrite(Judgment.objects.filter(pk=gold.pk), is_gold=True, gold_correct=True)
    probe = Judgment.objects.get(pair=pairs[1])
    judgments_rewrite(Judgment.objects.filter(pk=probe.pk), probe_of=Judgment.objects.get(pair=pairs[2]))
    default, manifest = export_lines(project, tmp_path, "default")
    assert [line["pair_id"] for line in default] == [pairs[2].id]
    assert manifest["filter_effects"] == {"gold_excluded": 1, "probes_excluded": 1}
    everything, manifest = export_lines(
        project, tmp_path, "all", per_judgment=True, include_gold=True, include_probes=True
    )
    assert len(everything) == 3 and manifest["filter_effects"] == {}
    # Let in, they are told apart from the data.
    marks = {line["pair_id"]: (line["is_gold"], line["probe_of_id"]) for line in everything}
    original = Judgment.objects.get(pair=pairs[2]).pk
    assert marks == {pairs[0].id: (True, None), pairs[1].id: (False, original), pairs[2].id: (False, None)}


def test_a_pair_made_gold_after_it_was_judged_stays_out_as_gold(project, voters, tmp_path):
    # Only judgments served as gold were left out: a pair marked gold later went on into the data
    # (found by the export audit).
    from annotate.services.gold import pair_gold_set

    pairs = make_pairs(project, 2)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    pair_gold_set(project=project, pair_id=pairs[0].id, answer="a", actor=voters[1])
    default, manifest = export_lines(project, tmp_path, "default")
    assert [line["pair_id"] for line in default] == [pairs[1].id]
    assert manifest["filter_effects"] == {"gold_excluded": 1, "probes_excluded": 0}
    everything, manifest = export_lines(project, tmp_path, "all", per_judgment=True, include_gold=True)
    # Let in, it is what it was: a judgment served in the queue.
    assert {line["pair_id"]: line["is_gold"] for line in everything} == {pairs[0].id: False, pairs[1].id: False}


def judge_through_the_services(project, person, *, choose, now):
    """One sitting of `person` in which every pair the server hands out is answered: `choose(assignment)`
    gives "a", "b" or a side ("tie", "skip"), turned into the side the server put that response on."""
    sitting_start(project=project, annotator=person, now=now)
    while True:
        now += dt.timedelta(seconds=30)
        assignment, _ = assignment_next(project=project, annotator=person, now=now)
        if assignment is None:
            return now
        wanted = choose(assignment)
        side = wanted if wanted in (Side.TIE, Side.SKIP) else "left" if assignment.left_response == wanted else "right"
        judgment_submit(assignment_id=assignment.id, annotator=person, side=side, now=now)


def test_a_swapped_repeat_is_not_a_second_vote_of_its_annotator(project, voters, tmp_path):
    """v0 and v1 split 1-1 on both pairs (v2 ties); v0 then judges each again as a probe, the same
    way. The probes must not break the ties in aggregation nor lift the pairs' agreement."""
    make_pairs(project, 2)
    start = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
    judge_through_the_services(project, voters[1], choose=lambda _a: "b", now=start)
    judge_through_the_services(project, voters[2], choose=lambda _a: Side.TIE, now=start)
    Project.objects.filter(pk=project.pk).update(probe_rate=1.0, probe_min_gap=1)
    project.refresh_from_db()
    judge_through_the_services(project, voters[0], choose=lambda _a: "a", now=start)
    probes = list(Judgment.objects.filter(probe_of__isnull=False).select_related("probe_of"))
    assert len(probes) == 2 and {probe.pair_id for probe in probes} == set(Pair.objects.values_list("id", flat=True))
    for probe in probes:
        assert (probe.annotator, probe.chosen_response, probe.probe_of.chosen_response) == (voters[0], "a", "a")
        assert probe.left_response != probe.probe_of.left_response
    # Aggregated, a probe could only be counted as another vote: asking for it is refused.
    with pytest.raises(ExportError, match="per_judgment"):
        export_lines(project, tmp_path, "aggregated", include_probes=True)
    # Per judgment, the probe is a record of its own, but the pair's agreement is still 1-1.
    records, manifest = export_lines(project, tmp_path, "per", per_judgment=True, include_probes=True)
    assert sorted(line["judgment_id"] for line in records) == sorted(
        Judgment.objects.exclude(side="tie").values_list("id", flat=True)
    )
    agreed, manifest = export_lines(
        project, tmp_path, "agreed", per_judgment=True, include_probes=True, min_agreement=0.6
    )
    assert agreed == [] and manifest["filter_effects"] == {"gold_excluded": 0, "min_agreement": 2}


def test_dawid_skene_follows_the_reliable_annotators_where_majority_cannot(project, tmp_path):
    """Two reliable annotators agree with the truth on every pair; a random clicker votes at random.
    On pairs where only one reliable annotator voted, majority has a 1-1 tie with the clicker and
    drops the pair; Dawid–Skene trusts the reliable annotator."""
    import random

    people = [make_user(name) for name in ("good1", "good2", "random")]
    for person in people:
        Membership.objects.create(user=person, project=project, role=Role.ANNOTATOR)
    pairs = make_pairs(project, 60)
    truth = {p.id: random.Random(p.id).choice("ab") for p in pairs}
    coin = random.Random(7)
    clicks = {p.id: coin.choice("ab") for p in pairs}
    judgments_bulk(project, people[0], choose=lambda pair_id, _p: truth[pair_id], pair_ids=[p.id for p in pairs[:40]])
    judgments_bulk(project, people[1], choose=lambda pair_id, _p: truth[pair_id], pair_ids=[p.id for p in pairs[20:]])
    judgments_bulk(project, people[2], choose=lambda pair_id, _p: clicks[pair_id])
    _, manifest = export_lines(project, tmp_path, "majority")
    single = {p.id for p in pairs[:20] + pairs[40:]}
    disagreeing = {pid for pid in single if clicks[pid] != truth[pid]}
    assert len(disagreeing) > 5
    assert manifest["counts"]["pairs_without_majority"] == len(disagreeing)
    ds, manifest = export_lines(project, tmp_path, "ds", aggregate="dawid-skene")
    assert len(ds) == 60
    for line in ds:
        chosen_a = line["chosen"].startswith(" answer A")
        assert ("a" if chosen_a else "b") == truth[line["pair_id"]]
    assert min(line["confidence"] for line in ds if line["pair_id"] in disagreeing) > 0.5


def test_the_dataset_card_names_the_aggregation_that_made_the_records(project, voters, tmp_path):
    make_pairs(project, 2)
    for person in voters:
        judgments_bulk(project, person, choose=lambda _pair_id, _p: "a")
    cards = {}
    for name, options in {
        "majority": {},
        "dawid-skene": {"aggregate": "dawid-skene"},
        "per": {"per_judgment": True},
    }.items():
        export_write(project=project, options=ExportOptions(**options), out_dir=tmp_path / name)
        cards[name] = (tmp_path / name / "README.md").read_text(encoding="utf-8")
    assert "- **aggregation**: majority of decisive votes\n" in cards["majority"]
    assert "- **aggregation**: Dawid–Skene" in cards["dawid-skene"]
    assert "majority" not in cards["dawid-skene"].split("**aggregation**:")[1].splitlines()[0]
    assert "- **aggregation**: one record per judgment\n" in cards["per"]


def test_the_manifest_lists_each_settings_change_and_the_card_says_what_changed(project, voters, lead, tmp_path):
    """k, sittings and gold rules changed during collection hold for some judgments and not others:
    the export says so, as the card otherwise gives only today's figures."""
    make_pairs(project, 2)
    for person in voters:
        judgments_bulk(project, person, choose=lambda _pair_id, _p: "a")
    export_write(project=project, options=ExportOptions(), out_dir=tmp_path / "before")
    manifest = json.loads((tmp_path / "before" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings_changes"] == []
    assert "settings changed" not in (tmp_path / "before" / "README.md").read_text(encoding="utf-8")

    first = project_settings_update(project=project, actor=lead, values={"judgments_per_pair": 2, "break_minutes": 8})
    project_settings_update(project=project, actor=lead, values={"gold_rate": 0.1})
    export_write(project=project, options=ExportOptions(), out_dir=tmp_path / "after")
    manifest = json.loads((tmp_path / "after" / "manifest.json").read_text(encoding="utf-8"))
    page = {"actor_id": lead.pk, "made_in": "settings_page"}
    assert manifest["settings_changes"] == [
        {"at": first.created_at.isoformat(), "changes": {"break_minutes": [5, 8], "judgments_per_pair": [3, 2]}} | page,
        {"at": manifest["settings_changes"][1]["at"], "changes": {"gold_rate": [0.0, 0.1]}} | page,
    ]
    card = (tmp_path / "after" / "README.md").read_text(encoding="utf-8")
    assert "- **judgments per pair (k)**: 2\n" in card
    assert (
        "- **settings changed**: 2 times on the project's Settings page or in the admin (break_minutes, "
        "gold_rate, judgments_per_pair); the figures above are the current ones" in card
    )


@pytest.mark.parametrize("fmt", ["preference", "conversational"])
@pytest.mark.parametrize("mode", [{}, {"aggregate": "dawid-skene"}, {"per_judgment": True}])
def test_an_export_with_no_record_keeps_every_metadata_column(project, voters, tmp_path, fmt, mode):
    """Found in review: with no record to infer them from, the metadata columns were left out. The
    empty export has the columns, names and types, of one with records."""
    make_pairs(project, 2)  # and no judgment yet
    options = {"format": fmt, "with_metadata": True} | mode
    export_write(project=project, options=ExportOptions(writer="parquet", **options), out_dir=tmp_path / "pq")
    export_write(project=project, options=ExportOptions(writer="hf", **options), out_dir=tmp_path / "hf")
    for person in voters:
        judgments_bulk(project, person, choose=lambda _pair_id, _p: "a")
    export_write(project=project, options=ExportOptions(writer="parquet", **options), out_dir=tmp_path / "full")
    full = pq.read_table(tmp_path / "full" / "data.parquet")
    assert full.num_rows > 0
    expected = full.schema.remove_metadata()
    assert {"pair_id", "judgment_id" if "per_judgment" in mode else "n_judgments"} <= set(expected.names)
    assert ("confidence" in expected.names) == ("aggregate" in mode)
    assert pq.read_schema(tmp_path / "pq" / "data.parquet").remove_metadata().equals(expected)
    splits = datasets.load_from_disk(str(tmp_path / "hf" / "dataset"))
    for split in splits.values():
        assert split.num_rows == 0
        assert split.data.schema.remove_metadata().equals(expected)


def test_two_exports_of_one_project_share_a_schema_whatever_their_values_hold(project, voters, tmp_path):
    """Found in review: a column whose values were all None (no strength asked yet, no probe, no
    viewport) was typed null, so two exports of one project did not concatenate."""
    make_pairs(project, 2)
    for person in voters:
        judgments_bulk(project, person, choose=lambda _pair_id, _p: "a")
    options = ExportOptions(format="preference", writer="parquet", with_metadata=True, per_judgment=True)
    export_write(project=project, options=options, out_dir=tmp_path / "before")
    judgments_rewrite(Judgment.objects.filter(annotator=voters[0]), strength=2, viewport_width=1280)
    export_write(project=project, options=options, out_dir=tmp_path / "after")
    before, after = (pq.read_table(tmp_path / name / "data.parquet") for name in ("before", "after"))
    assert before.schema.remove_metadata().equals(after.schema.remove_metadata())
    assert not [field.name for field in before.schema if pa.types.is_null(field.type)]
    assert after.column("strength").to_pylist().count(2) == 2
    assert before.column("strength").null_count == before.num_rows
    both = pa.concat_tables([before, after])
    assert both.num_rows == before.num_rows + after.num_rows


def test_strength_margins_are_exported(project, voters, tmp_path):
    make_pairs(project, 1)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    judgments_bulk(project, voters[1], choose=lambda pair_id, _p: "a")
    judgments_bulk(project, voters[2], choose=lambda pair_id, _p: "b")
    for person, strength in zip(voters, (1, 3, 2), strict=True):
        judgments_rewrite(Judgment.objects.filter(annotator=person), strength=strength)
    (line,), _ = export_lines(project, tmp_path, "margin")
    assert line["strength_margin"] == pytest.approx((3 + 1 - 2) / 3)
    assert line["mean_strength"] == pytest.approx(2.0)


def report_computed(project, *, flag: tuple[str, int] | None = None):
    """The project's latest bias report, computed for real; `flag` (a section, an annotator id) gives
    that annotator its section's flag, which the few judgments of these tests could not earn."""
    from analytics.models import BiasReport
    from analytics.services import bias_report_compute

    report = BiasReport.objects.create(project=project)
    bias_report_compute(report_id=report.id)
    report.refresh_from_db()
    if flag is not None:
        section, annotator_id = flag
        for row in report.payload[section]["per_annotator"]:
            row["flagged"] = row["annotator"] == annotator_id
        report.save(update_fields=["payload"])
    return report


@pytest.mark.parametrize("section", ["length", "fatigue", "careless"])
def test_exclude_flagged_leaves_out_an_annotator_flagged_for_length_or_fatigue_too(project, voters, tmp_path, section):
    make_pairs(project, 4)
    for person in voters:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    report = report_computed(project, flag=(section, voters[1].id))
    _, manifest = export_lines(project, tmp_path, "flagged", exclude_flagged=True)
    assert manifest["filter_effects"] == DEFAULTS | {"exclude_flagged": 4}
    assert manifest["excluded_annotators"] == {"flagged": {"bias_report": report.id, "annotator_ids": [voters[1].id]}}


def test_exclude_flagged_leaves_out_an_annotator_who_answers_carelessly(project, voters, tmp_path):
    """Found by an audit: a random clicker, at chance with the others and flagged by neither position,
    length nor fatigue, stayed in an export that left out the flagged. v2 picks A and B in turn where
    the other two always pick A (the source's preference); the report, computed for real, flags it."""
    make_pairs(project, 48)
    for person in voters[:2]:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    # Two A, two B: with A on the left every other pair, it picks left half the time.
    judgments_bulk(project, voters[2], choose=lambda pair_id, _p: "a" if pair_id // 2 % 2 else "b")
    report = report_computed(project)
    flags = {
        section: [row["annotator"] for row in report.payload[section]["per_annotator"] if row.get("flagged")]
        for section in ("position", "length", "fatigue", "careless")
    }
    assert flags == {"position": [], "length": [], "fatigue": [], "careless": [voters[2].id]}
    lines, manifest = export_lines(project, tmp_path, "careless", exclude_flagged=True)
    assert manifest["filter_effects"] == DEFAULTS | {"exclude_flagged": 48}
    assert manifest["excluded_annotators"] == {"flagged": {"bias_report": report.id, "annotator_ids": [voters[2].id]}}
    assert all(line["n_judgments"] == 2 and line["agreement"] == 1.0 for line in lines)
    card = (tmp_path / "careless" / "README.md").read_text(encoding="utf-8")
    assert f"- **annotators_flagged_for_careless_answering**:\n  - {voters[2].id}\n" in card


def test_a_report_from_before_the_careless_flag_is_refused_by_exclude_flagged_and_said_so_in_the_card(
    project, voters, tmp_path
):
    # Its flags missed the careless: excluding by it would keep a random clicker this version flags.
    make_pairs(project, 4)
    for person in voters:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    report = report_computed(project)
    old = {key: value for key, value in report.payload.items() if key != "careless"} | {"format": 3}
    report.payload = old
    report.save(update_fields=["payload"])
    with pytest.raises(ExportError, match=rf"the latest one \(#{report.id}\) was computed by an older version"):
        export_lines(project, tmp_path, "refused", exclude_flagged=True)
    export_lines(project, tmp_path, "kept")
    card = (tmp_path / "kept" / "README.md").read_text(encoding="utf-8")
    assert (
        "- **annotators_flagged_for_careless_answering**: not in this report: it was computed before the "
        "careless-answering flag; recompute it\n" in card
    )


def test_exclude_flagged_until_and_transcript_similarity_filters(project, voters, tmp_path):
    pairs = make_pairs(project, 4)
    Pair.objects.filter(pk=pairs[3].pk).update(response_b=pairs[3].response_a)  # identical responses: ratio 1.0
    for person in voters[:2]:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    judgments_bulk(project, voters[2], choose=lambda pair_id, _p: "b")
    report = report_computed(project, flag=("position", voters[2].id))
    flagged, manifest = export_lines(project, tmp_path, "flagged", exclude_flagged=True)
    assert manifest["filter_effects"] == DEFAULTS | {"exclude_flagged": 4}
    assert manifest["excluded_annotators"] == {"flagged": {"bias_report": report.id, "annotator_ids": [voters[2].id]}}
    assert all(line["n_judgments"] == 2 and line["agreement"] == 1.0 for line in flagged)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    none, manifest = export_lines(project, tmp_path, "until", until=past)
    assert none == [] and manifest["filter_effects"] == DEFAULTS | {"until": 12}
    similar, manifest = export_lines(project, tmp_path, "sim", max_similarity=0.99)
    assert [line["pair_id"] for line in similar] == [p.id for p in pairs[:3]]
    assert manifest["filter_effects"] == DEFAULTS | {"max_similarity": 1}


def test_exclude_paused_leaves_out_every_judgment_of_annotators_paused_in_the_project_now(
    project, voters, lead, tmp_path
):
    pairs = make_pairs(project, 3)
    for person in voters[:2]:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    judgments_bulk(project, voters[2], choose=lambda pair_id, _p: "b")
    # voters[0] paused in another project only: not paused here, their judgments stay.
    elsewhere = Project.objects.create(slug="elsewhere", name="Elsewhere")
    Membership.objects.create(user=voters[0], project=elsewhere, role=Role.ANNOTATOR)
    membership_pause(project=elsewhere, user=voters[0], actor=lead, reason="gold misses elsewhere")
    # voters[2] paused here: the judgments made before the pause go too.
    membership_pause(project=project, user=voters[2], actor=lead, reason="always b")
    kept, manifest = export_lines(project, tmp_path, "paused", exclude_paused=True)
    assert manifest["filter_effects"] == DEFAULTS | {"exclude_paused": 3}
    assert manifest["options"]["exclude_paused"] is True
    assert manifest["excluded_annotators"] == {"paused": {"annotator_ids": [voters[2].id]}}
    assert sorted(line["pair_id"] for line in kept) == [p.id for p in pairs]
    assert all(line["n_judgments"] == 2 and line["agreement"] == 1.0 for line in kept)
    # Without the option, and once resumed, the three judgments are back.
    everything, manifest = export_lines(project, tmp_path, "all")
    assert "exclude_paused" not in manifest["filter_effects"] and "excluded_annotators" not in manifest
    assert all(line["n_judgments"] == 3 for line in everything)
    membership_resume(project=project, user=voters[2], actor=lead, reason="talked it through")
    resumed, manifest = export_lines(project, tmp_path, "resumed", exclude_paused=True)
    assert manifest["filter_effects"] == DEFAULTS | {"exclude_paused": 0}
    assert all(line["n_judgments"] == 3 for line in resumed)


def test_an_annotator_removed_while_paused_stays_out_of_exclude_paused_exports_until_added_back(
    project, voters, lead, tmp_path
):
    make_pairs(project, 3)
    for person in voters:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    # voters[1] paused, then removed: the removal deletes the membership that held the pause.
    membership_pause(project=project, user=voters[1], actor=lead, reason="gold misses")
    membership_remove(project=project, user_id=voters[1].id, actor=lead)
    # voters[2] paused, resumed, then removed: trusted again before leaving.
    membership_pause(project=project, user=voters[2], actor=lead, reason="a look")
    membership_resume(project=project, user=voters[2], actor=lead, reason="fine")
    membership_remove(project=project, user_id=voters[2].id, actor=lead)
    kept, manifest = export_lines(project, tmp_path, "removed", exclude_paused=True)
    assert manifest["filter_effects"] == DEFAULTS | {"exclude_paused": 3}
    assert all(line["n_judgments"] == 2 for line in kept)
    # Added back, voters[1] is a member again, unpaused: their judgments count again.
    membership_add(project=project, username=voters[1].username, role=Role.ANNOTATOR, actor=lead)
    back, manifest = export_lines(project, tmp_path, "back", exclude_paused=True)
    assert manifest["filter_effects"] == DEFAULTS | {"exclude_paused": 0}
    assert all(line["n_judgments"] == 3 for line in back)


def test_per_judgment_records_carry_the_richer_answers(project, voters, tmp_path):
    pairs = make_pairs(project, 2)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    judgments_rewrite(
        Judgment.objects.filter(pair=pairs[0]),
        strength=2,
        criteria={"helpfulness": "left"},
        safety="both_safe",
        rationale="Clearer.",
        fast=True,
    )
    lines, _ = export_lines(project, tmp_path, "rich", per_judgment=True)
    by_pair = {line["pair_id"]: line for line in lines}
    rich = by_pair[pairs[0].id]
    assert (rich["strength"], json.loads(rich["criteria"]), rich["safety"], rich["rationale"], rich["fast"]) == (
        2,
        {"helpfulness": "left"},
        "both_safe",
        "Clearer.",
        True,
    )
    assert by_pair[pairs[1].id]["criteria"] == "{}" and by_pair[pairs[1].id]["fast"] is False


def test_per_judgment_exports_apply_min_judgments_to_whole_pairs(project, voters, tmp_path):
    make_pairs(project, 5)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    aggregated, manifest = export_lines(project, tmp_path, "agg", min_judgments=3)
    assert aggregated == [] and manifest["filter_effects"] == DEFAULTS | {"min_judgments": 5}
    per_judgment, manifest = export_lines(project, tmp_path, "per", per_judgment=True, min_judgments=3)
    assert per_judgment == [] and manifest["filter_effects"] == DEFAULTS | {"min_judgments": 5}
    assert manifest["counts"]["judgments_in"] == 5 and manifest["counts"]["records"] == 0


def test_per_judgment_exports_keep_or_drop_a_pairs_judgments_together_by_agreement(project, voters, tmp_path):
    unanimous, two_to_one, split = make_pairs(project, 3)
    votes = {unanimous.id: ["a", "a", "a"], two_to_one.id: ["a", "a", "b"], split.id: ["a", "b", "tie"]}
    for i, person in enumerate(voters):
        judgments_bulk(project, person, choose=lambda pair_id, _p, i=i: votes[pair_id][i])
    high, manifest = export_lines(project, tmp_path, "high", per_judgment=True, min_agreement=0.9)
    assert [line["pair_id"] for line in high] == [unanimous.id] * 3
    assert manifest["filter_effects"] == DEFAULTS | {"min_agreement": 2}
    # The dropped pairs' judgments are gone with them, the minority vote of two_to_one included.
    assert manifest["counts"]["ties_excluded"] == 0 and manifest["counts"]["judgments_in"] == 9
    # An even split has agreement 0.5 here (it has no winner to aggregate to, but its records exist).
    half, manifest = export_lines(project, tmp_path, "half", per_judgment=True, min_agreement=0.5)
    assert len(half) == 3 + 3 + 2 and manifest["filter_effects"] == DEFAULTS | {"min_agreement": 0}
    both, manifest = export_lines(project, tmp_path, "both", per_judgment=True, min_judgments=3, min_agreement=0.6)
    assert {line["pair_id"] for line in both} == {unanimous.id, two_to_one.id} and len(both) == 6
    assert manifest["filter_effects"] == DEFAULTS | {"min_judgments": 1, "min_agreement": 0}


def test_per_judgment_metadata_is_the_same_in_every_writer_with_or_without_criteria(project, voters, tmp_path):
    pairs = make_pairs(project, 4)
    for person in voters[:2]:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    options = {"format": "preference", "per_judgment": True, "with_metadata": True}
    for name in ("none", "some"):
        if name == "some":
            criteria = {"helpfulness": "left", "harmlessness": "tie"}
            judgments_rewrite(Judgment.objects.filter(pair=pairs[0]), criteria=criteria)
        out = tmp_path / name
        export_write(project=project, options=ExportOptions(**options), out_dir=out / "j")
        export_write(project=project, options=ExportOptions(writer="parquet", **options), out_dir=out / "q")
        export_write(project=project, options=ExportOptions(writer="hf", test_size=0.5, **options), out_dir=out / "h")
        lines = [json.loads(line) for line in (out / "j" / "data.jsonl").read_text().splitlines()]
        parquet = datasets.load_dataset("parquet", data_files=str(out / "q" / "data.parquet"), split="train")
        assert parquet.to_list() == lines
        saved = datasets.load_from_disk(str(out / "h" / "dataset"))
        key = lambda r: r["judgment_id"]  # noqa: E731
        assert sorted(saved["train"].to_list() + saved["test"].to_list(), key=key) == sorted(lines, key=key)
        criteria = {line["pair_id"]: line["criteria"] for line in lines}
        if name == "none":
            assert set(criteria.values()) == {"{}"}
        else:
            assert criteria[pairs[0].id] == '{"harmlessness": "tie", "helpfulness": "left"}'
            assert criteria[pairs[1].id] == "{}"


def test_the_hf_split_keeps_all_of_a_pairs_judgments_in_one_split(project, voters, tmp_path):
    make_pairs(project, 20)
    for person in voters:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    split = {"format": "preference", "writer": "hf", "test_size": 0.3}

    def saved(name, **options):
        export_write(project=project, options=ExportOptions(**split, **options), out_dir=tmp_path / name)
        return datasets.load_from_disk(str(tmp_path / name / "dataset"))

    # Without metadata a pair's three agreeing judgments are three identical records.
    plain = saved("plain", per_judgment=True)
    assert 0 < len(plain["test"]) < 60
    assert not {json.dumps(r) for r in plain["train"]} & {json.dumps(r) for r in plain["test"]}

    def test_pairs(dataset):
        return {r["pair_id"] for r in dataset["test"]}, {r["pair_id"] for r in dataset["train"]}

    per_test, per_train = test_pairs(saved("per", per_judgment=True, with_metadata=True, seed=5))
    assert per_test and not per_test & per_train
    # The same pairs as the aggregated export's test split with the same seed; another seed, others.
    assert test_pairs(saved("agg", with_metadata=True, seed=5))[0] == per_test
    assert test_pairs(saved("seed", per_judgment=True, with_metadata=True, seed=6))[0] != per_test


def test_the_hf_split_keeps_every_pair_of_a_prompt_in_one_split(project, voters, tmp_path):
    """Several response pairs per prompt: split by pair, a prompt lands in train and in test (its test
    records then ask what training has seen); split by prompt, never."""
    for prompt in range(12):
        for variant in range(4):
            Pair.objects.create(
                project=project,
                context=f"\n\nHuman: question {prompt}",
                response_a=f"answer {prompt}.{variant} A",
                response_b=f"answer {prompt}.{variant} B",
                content_hash=f"{prompt:04d}{variant:04d}".ljust(64, "0"),
            )
    for person in voters:
        judgments_bulk(project, person, choose=lambda pair_id, _p: "a")
    for seed in range(4):
        out = tmp_path / str(seed)
        options = ExportOptions(format="preference", writer="hf", test_size=0.5, seed=seed)
        export_write(project=project, options=options, out_dir=out)
        saved = datasets.load_from_disk(str(out / "dataset"))
        train, test = ({record["prompt"] for record in saved[name]} for name in ("train", "test"))
        assert train and test and not train & test
        assert len(saved["train"]) + len(saved["test"]) == 48


@pytest.mark.parametrize("seed", [0, 5])
def test_no_conversation_of_the_real_file_is_in_train_and_test(hh_project, tmp_path, seed):
    # With the split by pair, seed 5 put "call me a bad name" (two pairs in the file) in both. With the
    # split by whole context, a conversation and its continuation could straddle it: with seed 0, test
    # records were continued in train, their responses in its prompts (this test failed there).
    options = ExportOptions(format="preference", writer="hf", test_size=0.1, seed=seed)
    export_write(project=hh_project, options=options, out_dir=tmp_path)
    saved = datasets.load_from_disk(str(tmp_path / "dataset"))
    assert len(saved["train"]) + len(saved["test"]) == 2312
    train, test = ({record["prompt"] for record in saved[name]} for name in ("train", "test"))
    assert not train & test

    def continued(earlier: set[str], later: set[str]) -> list[str]:
        # A preference prompt ends with "\n\nAssistant:": a continuation starts with it and goes on.
        return [p for p in earlier if any(q != p and q.startswith(p) for q in later)]

    assert continued(test, train) == [] and continued(train, test) == []


@pytest.mark.parametrize("fmt", ["hh-rlhf", "preference", "conversational"])
def test_an_export_whose_filters_leave_nothing_has_the_formats_columns(project, voters, tmp_path, fmt):
    import pyarrow.parquet as pq

    pairs = make_pairs(project, 2)
    for person in voters:
        judgments_bulk(project, person, choose=lambda _pair_id, _p: "a")
    for writer in ("hf", "parquet"):
        export_write(project=project, options=ExportOptions(format=fmt, writer=writer), out_dir=tmp_path / writer)
        result = export_write(
            project=project,
            options=ExportOptions(format=fmt, writer=writer, min_judgments=4),
            out_dir=tmp_path / f"{writer}-empty",
        )
        assert result.counts["records"] == 0 and result.filter_effects["min_judgments"] == len(pairs)
    expected = datasets.load_from_disk(str(tmp_path / "hf" / "dataset"))["train"].features
    saved = datasets.load_from_disk(str(tmp_path / "hf-empty" / "dataset"))
    assert [len(saved[split]) for split in ("train", "test")] == [0, 0]
    assert saved["train"].features == saved["test"].features == expected
    # (`datasets` loads no split from a Parquet file without rows; pyarrow, pandas and polars do.)
    empty = pq.read_table(tmp_path / "parquet-empty" / "data.parquet")
    assert empty.num_rows == 0 and empty.schema == pq.read_table(tmp_path / "parquet" / "data.parquet").schema


def test_the_dataset_card_gives_the_length_effect_with_content_apart_beside_the_notebooks_rule(
    project, voters, tmp_path
):
    # The card led with the notebook's verdict, which takes no account of content.
    from exporter.services import _length_effect

    make_pairs(project, 4)
    for person in voters:
        judgments_bulk(project, person, choose=lambda _pair_id, _p: "a")
    model = report_computed(project).payload["length"]["length_controlled"]
    export_write(project=project, options=ExportOptions(), out_dir=tmp_path / "card")
    card = (tmp_path / "card" / "README.md").read_text(encoding="utf-8")
    assert f"- **length_effect_with_position_and_content_apart**: {model['reason']}\n" in card
    assert "- **length_verdict_of_the_notebook_rule**:" in card
    fitted = {
        "n": 900,
        "n_without_reference": 12,
        "clusters": 9,
        "inference": "cluster-robust",
        "coefficients": {"length_difference": {"estimate": 0.4, "p_value": 0.002}},
    }
    assert _length_effect(fitted) == {
        "log_odds": 0.4,
        "p_value": 0.002,
        "p_value_inference": "cluster-robust by annotator, Student's t with annotators - 1 degrees of freedom",
        "annotators": 9,
        "judgments": 900,
        "judgments_without_reference": 12,
    }
    untested = fitted | {"clusters": 2, "inference": "no test: 2 clusters, not more than the 3 coefficients"}
    untested["coefficients"] = {"length_difference": {"estimate": 0.4, "p_value": None}}
    assert _length_effect(untested)["p_value"] is None
    assert _length_effect(untested)["p_value_inference"].startswith("none: a p clustered by annotator needs more")
    # A report whose p took every judgment as independent: one annotator's habit passed for the crowd's.
    naive = {key: value for key, value in fitted.items() if key not in ("clusters", "inference")}
    assert _length_effect(naive).startswith("not in this report: it was computed before its p was clustered")
    before = {"n": 900, "coefficients": {"length_difference": {"estimate": 0.4, "p_value": 0.002}, "a_on_left": {}}}
    assert _length_effect(before).startswith("not in this report: it was computed before content was held apart")


@pytest.mark.parametrize(
    ("fmt", "rows"),
    [
        (
            "preference",
            [
                {"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"},  # bare: found in review
                {"prompt": "Continue this chat:\n\nHuman: hi", "chosen": " hey", "rejected": " go"},
                {"prompt": "Human: hi\n\nAssistant:", "chosen": " hello", "rejected": " bye"},
                {"prompt": "\n\nHuman: hi?\n\nAssistant:", "chosen": " yes", "rejected": " no"},
            ],
        ),
        ("hh-rlhf", [{"chosen": "Human: hi\n\nAssistant: hello", "rejected": "Human: hi\n\nAssistant: bye"}]),
    ],
)
def test_a_file_comes_back_as_it_went_in_whatever_its_prompts_look_like(project, annotator, tmp_path, fmt, rows):
    """The export gives back the marker "\n\nAssistant:" where the source's prompt had it, and only
    there: decided by the import (Pair.prompt_marker), not by what the text looks like (a first try
    read "Human: hi" without a leading blank line as a bare prompt)."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    pairs_import(project=project, source=source, fmt=fmt)
    judgments_as_the_source_chose(project, annotator)
    export_write(project=project, options=ExportOptions(format=fmt), out_dir=tmp_path / "out")
    exported = [json.loads(line) for line in (tmp_path / "out" / "data.jsonl").read_text().splitlines()]
    assert sorted(map(json.dumps, exported)) == sorted(map(json.dumps, rows))


def test_a_preference_export_of_the_real_file_imports_again_as_the_same_pairs(hh_project, other_project, tmp_path):
    """Found in review: four rows answer " ", which the TRL import refused as empty, so Pairwise's own
    export of the shared file did not import again."""
    export_write(project=hh_project, options=ExportOptions(format="preference"), out_dir=tmp_path / "out")
    result = pairs_import(project=other_project, source=tmp_path / "out" / "data.jsonl", fmt="preference")
    assert (result.pairs_created, result.invalid_rows) == (2312, 0)

    def pairs(project):
        return set(Pair.objects.filter(project=project).values_list("content_hash", "response_a", "response_b"))

    assert pairs(other_project) == pairs(hh_project)
    assert Pair.objects.filter(project=other_project, response_a=" ").count() == 4


def test_since_keeps_a_judgment_answered_at_it_and_until_leaves_it_out(project, voters, tmp_path):
    make_pairs(project, 2)
    judgments_bulk(project, voters[0], choose=lambda pair_id, _p: "a")
    (answered,) = set(Judgment.objects.values_list("answered_at", flat=True))
    since, manifest = export_lines(project, tmp_path, "since", since=answered)
    assert len(since) == 2 and manifest["filter_effects"] == DEFAULTS | {"since": 0}
    until, manifest = export_lines(project, tmp_path, "until", until=answered)
    assert until == [] and manifest["filter_effects"] == DEFAULTS | {"until": 2}


def test_min_judgments_counts_decisive_votes_and_min_agreement_keeps_a_pair_at_it(project, voters, tmp_path):
    with_tie, two_to_one = make_pairs(project, 2)
    votes = {with_tie.id: ["a", "a", "tie"], two_to_one.id: ["a", "a", "b"]}
    for i, person in enumerate(voters):
        judgments_bulk(project, person, choose=lambda pair_id, _p, i=i: votes[pair_id][i])
    # Three judgments each, but a tie is no vote for either response: two decisive votes are not three.
    three, manifest = export_lines(project, tmp_path, "three", min_judgments=3)
    assert [line["pair_id"] for line in three] == [two_to_one.id]
    assert manifest["filter_effects"] == DEFAULTS | {"min_judgments": 1}
    per, manifest = export_lines(project, tmp_path, "per", per_judgment=True, min_judgments=2)
    assert {line["pair_id"] for line in per} == {with_tie.id, two_to_one.id}
    assert manifest["filter_effects"] == DEFAULTS | {"min_judgments": 0}
    # Two thirds of the votes is an agreement of two thirds: at the minimum, kept.
    agreed, manifest = export_lines(project, tmp_path, "agreed", min_agreement=2 / 3)
    assert {line["pair_id"] for line in agreed} == {with_tie.id, two_to_one.id}
    assert manifest["filter_effects"] == DEFAULTS | {"min_agreement": 0}
    stricter, manifest = export_lines(project, tmp_path, "stricter", min_agreement=0.7)
    assert [line["pair_id"] for line in stricter] == [with_tie.id]
