"""Writers: same records and options give byte-identical files; Parquet and save_to_disk load back to
the same records; the split rule is seeded and stable; the manifest's checksums are the files'."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import PurePosixPath

import datasets
import pyarrow.parquet as pq
import pytest

from exporter.aggregation import votes_aggregate
from exporter.records import record_build, transcript_split
from exporter.writers import (
    MANIFEST_NAME,
    dataset_card_write,
    dataset_dict_write,
    jsonl_write,
    manifest_write,
    parquet_write,
    split_is_test,
)
from tests.conftest import HH_RLHF_TEST


def shared_pairs() -> list[tuple[str, str, str]]:
    with gzip.open(HH_RLHF_TEST, "rt", encoding="utf-8") as handle:
        return [transcript_split(**json.loads(line)) for line in handle]


def build_records(fmt: str, n: int | None = None) -> list[dict]:
    records = []
    for i, (context, chosen, rejected) in enumerate(shared_pairs()[:n]):
        votes = [
            {"chosen_response": "a", "left_response": "a", "dwell_ms": 1000 + i, "strength": None},
            {"chosen_response": "a" if i % 3 else "b", "left_response": "b", "dwell_ms": None, "strength": 2},
            {"chosen_response": "a", "left_response": "a" if i % 2 else "b", "dwell_ms": 2000, "strength": 3},
        ]
        metadata = {"pair_id": i, **votes_aggregate(votes=votes).metadata()}
        records.append(record_build(fmt=fmt, context=context, chosen=chosen, rejected=rejected, metadata=metadata))
    return records


def export_into(out, fmt: str, records: list[dict]) -> dict:
    """An export as the lead's service will run it: data files, then the card, then the manifest."""
    out.mkdir()
    options = {"format": fmt, "test_size": 0.1, "seed": 7, "min_agreement": None}
    jsonl_write(records=records, path=out / "records.jsonl")
    jsonl_write(records=records, path=out / "records.jsonl.gz")
    parquet_write(records=records, path=out / "records.parquet")
    splits = dataset_dict_write(
        records=records, path=out / "hf", test_size=0.1, seed=7, keys=[str(r["pair_id"]) for r in records]
    )
    counts = {"records": len(records), **splits}
    dataset_card_write(
        path=out / "README.md",
        title="Helpful — preferences",
        description="Pairwise judgments of HH-RLHF harmless-base test pairs.",
        fmt=fmt,
        collection={"annotators": 3, "position": "randomized by the server"},
        counts=counts,
        options=options,
        bias_summary={"left_rate": 0.512, "flagged_annotators": [], "fatigue": {"flags": 0}},
    )
    return manifest_write(
        out_dir=out,
        fmt=fmt,
        options=options,
        counts=counts,
        filter_effects={"min_agreement": 0, "exclude_flagged": 0},
        code_version="test",
    )


def tree_bytes(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["preference", "conversational"])
def test_two_exports_of_the_same_records_are_byte_identical_and_the_manifest_checksums_match(tmp_path, fmt):
    first = export_into(tmp_path / "one", fmt, build_records(fmt))
    second = export_into(tmp_path / "two", fmt, build_records(fmt))
    one, two = tree_bytes(tmp_path / "one"), tree_bytes(tmp_path / "two")
    assert list(one) == list(two)
    assert {"records.jsonl", "records.jsonl.gz", "records.parquet", "README.md", MANIFEST_NAME} <= set(one)
    assert {"hf/train/state.json", "hf/test/state.json", "hf/dataset_dict.json"} <= set(one)
    for name in one:
        assert one[name] == two[name], name
    assert first["files"] == second["files"]
    listed = first["files"]
    assert set(listed) == set(one) - {MANIFEST_NAME}
    for name, entry in listed.items():
        assert entry == {"bytes": len(one[name]), "sha256": hashlib.sha256(one[name]).hexdigest()}


def test_gzip_output_has_no_timestamp_or_name_and_holds_the_plain_lines(tmp_path):
    records = build_records("preference", 50)
    jsonl_write(records=records, path=tmp_path / "r.jsonl")
    jsonl_write(records=records, path=tmp_path / "r.jsonl.gz")
    raw = (tmp_path / "r.jsonl.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # MTIME
    assert raw[3] & 0x08 == 0  # FLG.FNAME unset
    assert gzip.decompress(raw) == (tmp_path / "r.jsonl").read_bytes()


@pytest.mark.parametrize("fmt", ["hh-rlhf", "preference", "conversational"])
def test_parquet_loads_back_to_the_same_records(tmp_path, fmt):
    records = build_records(fmt, 300)
    assert parquet_write(records=records, path=tmp_path / "r.parquet") == 300
    assert pq.read_table(tmp_path / "r.parquet").to_pylist() == records


def test_save_to_disk_loads_back_to_the_same_records_split_by_the_seeded_rule(tmp_path):
    records = build_records("conversational")
    keys = [str(r["pair_id"]) for r in records]
    counts = dataset_dict_write(records=records, path=tmp_path / "hf", test_size=0.2, seed=3, keys=keys)
    loaded = datasets.load_from_disk(str(tmp_path / "hf"))
    expected_test = [r for r, k in zip(records, keys, strict=True) if split_is_test(key=k, test_size=0.2, seed=3)]
    expected_train = [r for r in records if r not in expected_test]
    assert loaded["test"].to_list() == expected_test
    assert loaded["train"].to_list() == expected_train
    assert counts == {"train": len(expected_train), "test": len(expected_test)}
    # About a fifth: 2,312 draws at p = 0.2 fall within 0.2 ± 0.03 unless the hash is broken.
    assert 0.17 < len(expected_test) / len(records) < 0.23


def test_a_records_split_depends_only_on_its_key_and_the_seed():
    keys = [f"pair-{i}" for i in range(2000)]
    small = {k: split_is_test(key=k, test_size=0.1, seed=1) for k in keys[:500]}
    large = {k: split_is_test(key=k, test_size=0.1, seed=1) for k in reversed(keys)}
    assert all(large[k] == v for k, v in small.items())
    other_seed = {k: split_is_test(key=k, test_size=0.1, seed=2) for k in keys}
    assert other_seed != large
    assert not any(split_is_test(key=k, test_size=0.0, seed=1) for k in keys)
    assert all(split_is_test(key=k, test_size=1.0, seed=1) for k in keys)


def test_an_empty_test_split_keeps_the_columns(tmp_path):
    records = build_records("preference", 20)
    counts = dataset_dict_write(records=records, path=tmp_path / "hf", test_size=0.0, seed=0)
    loaded = datasets.load_from_disk(str(tmp_path / "hf"))
    assert counts == {"train": 20, "test": 0}
    assert loaded["test"].column_names == loaded["train"].column_names


def test_it_refuses_a_test_size_outside_zero_to_one(tmp_path):
    with pytest.raises(ValueError):
        dataset_dict_write(records=build_records("preference", 5), path=tmp_path / "hf", test_size=1.5, seed=0)


def test_the_card_says_what_how_and_the_bias_summary_and_leaves_the_licence_to_fill(tmp_path):
    text = dataset_card_write(
        path=tmp_path / "README.md",
        title="Helpful",
        description="What it is.",
        fmt="hh-rlhf",
        collection={"judgments per pair": 3},
        counts={"records": 10},
        options={"min_agreement": 0.6},
        bias_summary={"left_rate": 0.53125, "flagged_annotators": ["ann-2"], "flagged_for_fatigue": []},
    )
    assert text == (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "- **flagged_for_fatigue**: none\n" in text
    assert text.startswith('---\npretty_name: "Helpful"\nlicense: other  # TODO')
    assert "- **judgments per pair**: 3" in text
    assert "- **left_rate**: 0.5312" in text
    assert "- **flagged_annotators**:\n  - ann-2" in text
    # Both describe the project, not the records the options kept: the card says so.
    assert "## How it was collected\n\nThe project's settings when the export was made.\n" in text
    assert "over all its judgments at the time: not of this export's records alone" in text
    assert "TODO: state the licence" in text
    with_licence = dataset_card_write(
        path=tmp_path / "R2.md",
        title="H",
        description="d",
        fmt="hh-rlhf",
        collection={},
        counts={},
        options={},
        bias_summary=None,
        licence="mit",
    )
    assert "license: mit\n" in with_licence
    assert "No bias report yet." in with_licence


def test_the_manifest_writes_dates_and_paths_as_strings_and_lists_every_other_file(tmp_path):
    (tmp_path / "records.jsonl").write_bytes(b'{"a": 1}\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.bin").write_bytes(b"\x00\x01")
    manifest = manifest_write(
        out_dir=tmp_path,
        fmt="hh-rlhf",
        options={"since": datetime(2026, 11, 1, tzinfo=UTC), "until": date(2026, 11, 30), "out": PurePosixPath("/x")},
        counts={"records": 1},
        filter_effects={},
        code_version="abc",
    )
    text = (tmp_path / MANIFEST_NAME).read_text(encoding="utf-8")
    assert json.loads(text) == manifest | {
        "options": {"since": "2026-11-01T00:00:00+00:00", "until": "2026-11-30", "out": "/x"}
    }
    assert sorted(manifest["files"]) == ["records.jsonl", "sub/x.bin"]
    assert manifest["files"]["sub/x.bin"] == {"bytes": 2, "sha256": hashlib.sha256(b"\x00\x01").hexdigest()}
