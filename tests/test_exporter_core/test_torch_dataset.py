"""The tokenized dataset gives the notebook's `RewardModelDataset` items, exactly, from stored tokens."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader
from transformers import AutoTokenizer

from bench.notebook import RewardModelDataset
from exporter.torch_dataset import KEYS, TokenizedPreferenceDataset, collate_dynamic
from tests.conftest import GPT2_TOKENIZER, HH_RLHF_TEST

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with gzip.open(HH_RLHF_TEST, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def assert_same_item(ours: dict, theirs: dict) -> None:
    assert list(ours) == list(theirs) == list(KEYS)
    for key in KEYS:
        assert ours[key].dtype == theirs[key].dtype == torch.int64, key
        assert ours[key].shape == theirs[key].shape, key
        assert torch.equal(ours[key], theirs[key]), key


def test_every_item_equals_the_notebooks_item_after_a_save_and_a_memory_mapped_load(rows, tmp_path):
    reference = RewardModelDataset(rows, tokenizer_name=str(GPT2_TOKENIZER), max_length=256)
    built = TokenizedPreferenceDataset(rows, tokenizer=GPT2_TOKENIZER, max_length=256, batch_size=500)
    built.save(tmp_path / "tok")
    loaded = TokenizedPreferenceDataset.load(tmp_path / "tok")
    assert type(loaded.data.data).__name__ == "MemoryMappedTable"
    assert len(loaded) == len(reference) == 2312
    lengths = loaded.lengths()
    # Both truncation and padding happen in this data at 256 tokens, so both code paths are checked.
    assert (lengths["chosen"] == 256).any() and (lengths["chosen"] < 256).any()
    for i in range(len(reference)):
        assert_same_item(loaded[i], reference[i])
    assert_same_item(built[-1], reference[2311])
    with pytest.raises(IndexError):
        loaded[2312]


def test_left_padding_tokenizers_are_reproduced_too(rows):
    tokenizer = AutoTokenizer.from_pretrained(str(GPT2_TOKENIZER))
    tokenizer.padding_side = "left"
    ours = TokenizedPreferenceDataset(rows[:40], tokenizer=tokenizer, max_length=64)
    tokenizer.pad_token = tokenizer.eos_token
    for i, row in enumerate(rows[:40]):
        for side in ("chosen", "rejected"):
            encoded = tokenizer(row[side], max_length=64, truncation=True, padding="max_length", return_tensors="pt")
            assert torch.equal(ours[i][f"{side}_input_ids"], encoded.input_ids[0])
            assert torch.equal(ours[i][f"{side}_attention_mask"], encoded.attention_mask[0])


def test_two_saves_of_the_same_records_are_byte_identical(rows, tmp_path):
    for name in ("one", "two"):
        TokenizedPreferenceDataset(rows[:100], tokenizer=GPT2_TOKENIZER, max_length=128).save(tmp_path / name)
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert one == two
    assert Path("data/state.json") in one and Path("tokenizer/tokenizer.json") in one


def test_a_dataloader_with_a_worker_process_yields_the_notebooks_batches(rows, tmp_path):
    TokenizedPreferenceDataset(rows[:64], tokenizer=GPT2_TOKENIZER, max_length=96).save(tmp_path / "tok")
    loaded = TokenizedPreferenceDataset.load(tmp_path / "tok")
    reference = RewardModelDataset(rows[:64], tokenizer_name=str(GPT2_TOKENIZER), max_length=96)
    ours = list(DataLoader(loaded, batch_size=16, num_workers=1))
    theirs = list(DataLoader(reference, batch_size=16))
    assert len(ours) == len(theirs) == 4
    for a, b in zip(ours, theirs, strict=True):
        for key in KEYS:
            assert torch.equal(a[key], b[key])


def test_the_dynamic_collator_cuts_only_the_padding_shared_by_the_batch(rows):
    data = TokenizedPreferenceDataset(rows[:8], tokenizer=GPT2_TOKENIZER, max_length=512)
    items = [data[i] for i in range(8)]
    batch = collate_dynamic(items, padding_side=data.padding_side)
    lengths = data.lengths()
    longest = int(max(lengths["chosen"].max(), lengths["rejected"].max()))
    assert longest < 512
    for key in KEYS:
        assert batch[key].shape == (8, longest)
        assert torch.equal(batch[key], torch.stack([item[key] for item in items])[:, :longest])
    loader = DataLoader(data, batch_size=4, collate_fn=partial(collate_dynamic, padding_side="right"))
    assert [b["chosen_input_ids"].shape[0] for b in loader] == [4, 4]


def test_it_imports_and_works_without_django(rows):
    script = (
        "import sys\n"
        "from exporter.torch_dataset import TokenizedPreferenceDataset\n"
        f"data = TokenizedPreferenceDataset([{{'chosen': 'a b', 'rejected': 'c'}}], tokenizer={str(GPT2_TOKENIZER)!r},"
        " max_length=8)\n"
        "assert data[0]['chosen_input_ids'].tolist()[:2] == [64, 275], data[0]\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_it_refuses_a_non_positive_max_length():
    with pytest.raises(ValueError):
        TokenizedPreferenceDataset([], tokenizer=GPT2_TOKENIZER, max_length=0)


def test_an_empty_dataset_saves_and_loads(tmp_path):
    TokenizedPreferenceDataset([], tokenizer=GPT2_TOKENIZER, max_length=8).save(tmp_path / "tok")
    assert len(TokenizedPreferenceDataset.load(tmp_path / "tok")) == 0


def test_ids_are_kept_beside_the_tokens_and_leave_the_items_as_they_were(rows, tmp_path):
    pair_ids = list(range(1000, 1030))
    built = TokenizedPreferenceDataset(rows[:30], tokenizer=GPT2_TOKENIZER, max_length=32, ids={"pair_id": pair_ids})
    built.save(tmp_path / "with")
    loaded = TokenizedPreferenceDataset.load(tmp_path / "with")
    assert loaded.ids().tolist() == loaded.ids("pair_id").tolist() == pair_ids
    plain = TokenizedPreferenceDataset(rows[:30], tokenizer=GPT2_TOKENIZER, max_length=32)
    for i in range(30):
        assert_same_item(loaded[i], plain[i])
    with pytest.raises(KeyError, match="no ids 'judgment_id' stored; stored: pair_id"):
        loaded.ids("judgment_id")
    with pytest.raises(KeyError, match="no ids 'chosen_input_ids' stored"):
        loaded.ids("chosen_input_ids")
    with pytest.raises(KeyError, match="stored: none"):
        plain.ids()
    # Other ids, other data: the fingerprint that save writes differs.
    shifted = {"pair_id": [i + 1 for i in pair_ids]}
    TokenizedPreferenceDataset(rows[:30], tokenizer=GPT2_TOKENIZER, max_length=32, ids=shifted).save(tmp_path / "other")
    state = lambda name: json.loads((tmp_path / name / "data" / "state.json").read_text())["_fingerprint"]  # noqa: E731
    assert state("with") != state("other")


def test_ids_that_do_not_fit_the_records_are_refused(rows):
    with pytest.raises(ValueError, match="ids 'pair_id' has 2 values for 3 records"):
        TokenizedPreferenceDataset(rows[:3], tokenizer=GPT2_TOKENIZER, max_length=16, ids={"pair_id": [1, 2]})
    with pytest.raises(ValueError, match="cannot take the name of a key of the items"):
        TokenizedPreferenceDataset(
            rows[:3], tokenizer=GPT2_TOKENIZER, max_length=16, ids={"chosen_input_ids": [1, 2, 3]}
        )


def test_the_dynamic_collator_refuses_to_cut_tokens_of_items_padded_on_the_other_side(rows):
    """Found by the ML engineer's audit: a left-padded dataset collated with the default
    padding_side="right" lost two thirds of its tokens and kept the padding, without a word."""
    tokenizer = AutoTokenizer.from_pretrained(str(GPT2_TOKENIZER))
    tokenizer.padding_side = "left"
    data = TokenizedPreferenceDataset(rows[:8], tokenizer=tokenizer, max_length=512)
    items = [data[i] for i in range(8)]
    with pytest.raises(ValueError, match="padded on the left"):
        collate_dynamic(items)
    with pytest.raises(ValueError, match="padding_side"):
        collate_dynamic(items, padding_side="middle")
    batch = collate_dynamic(items, padding_side="left")
    assert int(batch["chosen_attention_mask"].sum()) == sum(int(item["chosen_attention_mask"].sum()) for item in items)
