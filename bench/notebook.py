"""The seed notebook's code, written out as the reference our results are compared with (by the
benchmarks and by the tests)."""

from __future__ import annotations

import difflib
import statistics

from torch.utils.data import Dataset
from transformers import AutoTokenizer


class RewardModelDataset(Dataset):
    """The seed notebook's dataset: it tokenizes both transcripts on every access."""

    def __init__(self, data, tokenizer_name="gpt2", max_length=512):
        self.data = data
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_name)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.max_length = max_length

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        item = self.data[idx]
        chosen = self.tokenizer(
            item["chosen"], max_length=self.max_length, truncation=True, padding="max_length", return_tensors="pt"
        )
        rejected = self.tokenizer(
            item["rejected"], max_length=self.max_length, truncation=True, padding="max_length", return_tensors="pt"
        )
        return {
            "chosen_input_ids": chosen.input_ids.squeeze(0),
            "chosen_attention_mask": chosen.attention_mask.squeeze(0),
            "rejected_input_ids": rejected.input_ids.squeeze(0),
            "rejected_attention_mask": rejected.attention_mask.squeeze(0),
        }


def analyze_preference_dataset(rows: list[dict]) -> dict:
    """The notebook's length analysis, written with its definitions."""
    chosen_lengths = [len(row["chosen"].split()) for row in rows]
    rejected_lengths = [len(row["rejected"].split()) for row in rows]
    longer = sum(1 for c, r in zip(chosen_lengths, rejected_lengths, strict=True) if c > r)
    shorter = sum(1 for c, r in zip(chosen_lengths, rejected_lengths, strict=True) if c < r)
    same = sum(1 for c, r in zip(chosen_lengths, rejected_lengths, strict=True) if c == r)
    total = len(rows)
    if longer > 1.5 * shorter:
        verdict = "longer = better"
    elif shorter > 1.5 * longer:
        verdict = "quality over verbosity"
    else:
        verdict = None
    return {
        "n": total,
        "chosen_mean": statistics.mean(chosen_lengths),
        "chosen_median": statistics.median(chosen_lengths),
        "rejected_mean": statistics.mean(rejected_lengths),
        "rejected_median": statistics.median(rejected_lengths),
        "chosen_longer": longer,
        "chosen_shorter": shorter,
        "same": same,
        "chosen_longer_share": longer / total,
        "chosen_shorter_share": shorter / total,
        "same_share": same / total,
        "verdict": verdict,
    }


def check_similarity(rows: list[dict]) -> dict:
    """The notebook's near-duplicate check, written with its definitions."""
    similarities = [difflib.SequenceMatcher(None, row["chosen"], row["rejected"]).ratio() for row in rows]
    n = len(similarities)
    high = sum(1 for s in similarities if s > 0.9)
    medium = sum(1 for s in similarities if 0.7 < s <= 0.9)
    low = sum(1 for s in similarities if s <= 0.7)
    return {
        "n": n,
        "high": high,
        "medium": medium,
        "low": low,
        "high_share": high / n,
        "medium_share": medium / n,
        "low_share": low / n,
        "mean": statistics.mean(similarities),
    }
