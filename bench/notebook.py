"""The seed notebook's code, written out as the reference our results are compared with (by the
benchmarks and by the tests)."""

from __future__ import annotations

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
