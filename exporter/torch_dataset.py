"""A pre-tokenized torch Dataset of preference pairs, for training scripts. Imports no Django.

`TokenizedPreferenceDataset(records, tokenizer="gpt2", max_length=512)` gives, for item i, exactly what
the seed notebook's `RewardModelDataset` gives: the keys `chosen_input_ids`, `chosen_attention_mask`,
`rejected_input_ids`, `rejected_attention_mask`, each a 1-D `torch.int64` tensor of length
`max_length`, equal in value to ``tokenizer(text, max_length=max_length, truncation=True,
padding="max_length", return_tensors="pt").input_ids[0]`` (and ``.attention_mask[0]``) with
``pad_token = eos_token`` when the tokenizer has no pad token.

Unlike the notebook it tokenizes once, in batches, with the fast (Rust) tokenizer, and keeps the
result in Arrow (via `datasets`), beside any `ids` given (an export gives each item's `pair_id`, read
back with `ids()`): `save(path)` writes it, `load(path)` memory-maps it back, and
`__getitem__` does no tokenization. What is stored is each text's token ids after truncation, without
padding (int32: half the bytes, and no pad columns to read); `__getitem__` lays them into a
`max_length` row of `pad_token_id` on the tokenizer's `padding_side`, with the attention mask 1 on the
tokens and 0 on the padding — what the tokenizer's own ``padding="max_length"`` does, since an
unpadded encoding's mask is all ones.

    from torch.utils.data import DataLoader
    from exporter.torch_dataset import TokenizedPreferenceDataset
    data = TokenizedPreferenceDataset.load("export/tokenized")
    loader = DataLoader(data, batch_size=32, shuffle=True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from torch.utils.data import Dataset

from exporter.records import record_transcripts

CONFIG_NAME = "pairwise_tokenized.json"
DATA_DIR = "data"
TOKENIZER_DIR = "tokenizer"
KEYS = ("chosen_input_ids", "chosen_attention_mask", "rejected_input_ids", "rejected_attention_mask")
# The token ids of one side of every item: a list of int32 per item.
IDS_TYPE = pa.list_(pa.int32())


def tokenizer_load(tokenizer: Any = "gpt2") -> Any:
    """A fast tokenizer from a name or local path (or a tokenizer object, used as is), with
    ``pad_token = eos_token`` when it has no pad token, as in the notebook."""
    from transformers import AutoTokenizer

    if isinstance(tokenizer, str | Path):
        name = str(tokenizer)
        if name.startswith(("/", "./", "../")) and not Path(name).is_dir():
            # No Hub id looks like this: transformers took it for one and said "Repo id must use
            # alphanumeric chars", about a directory that is not there.
            raise OSError(f"no such directory: {name}")
        tokenizer = AutoTokenizer.from_pretrained(name, use_fast=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("a fast (Rust) tokenizer is needed to tokenize in batches")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.pad_token_id is None:
        raise ValueError("the tokenizer has neither a pad token nor an end-of-sequence token to pad with")
    return tokenizer


class TokenizedPreferenceDataset(Dataset):
    """Items equal to the notebook's `RewardModelDataset` items, tokenized once.

    Build it from the records of any export format, or the notebook's {"chosen", "rejected"} rows: the
    texts tokenized are `records.record_transcripts(record)` (for `hh-rlhf` and `preference` records,
    the HH-RLHF transcripts exactly). `batch_size` is how many texts go to the tokenizer at once."""

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]],
        tokenizer: Any = "gpt2",
        max_length: int = 512,
        *,
        batch_size: int = 1024,
        ids: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        import datasets

        if max_length < 1:
            raise ValueError("max_length must be positive")
        ids = dict(ids or {})
        if ids.keys() & {*KEYS, "chosen_input_ids", "rejected_input_ids"}:
            raise ValueError(f"ids cannot take the name of a key of the items: {sorted(ids)}")
        tok = tokenizer_load(tokenizer)
        chosen_parts: list[pa.Array] = []
        rejected_parts: list[pa.Array] = []
        chosen: list[str] = []
        rejected: list[str] = []
        # The fingerprint `save` writes into state.json: derived from the inputs, so the same records and
        # options give the same bytes, and different exports never share one (as a constant would).
        content = hashlib.sha256(f"{tok.name_or_path}:{max_length}:{tok.padding_side}:".encode())

        # What truncation did, for the manifest: items with a side cut at max_length (or exactly that
        # long), and items whose two sides came out the same (cut inside the shared context: nothing
        # left to prefer).
        at_max_length = identical = 0

        def flush() -> None:
            nonlocal at_max_length, identical
            if chosen:
                chosen_ids = self._encode(tok, chosen, max_length)
                rejected_ids = self._encode(tok, rejected, max_length)
                for one, other in zip(chosen_ids, rejected_ids, strict=True):
                    at_max_length += len(one) == max_length or len(other) == max_length
                    identical += one == other
                chosen_parts.append(pa.array(chosen_ids, type=IDS_TYPE))
                rejected_parts.append(pa.array(rejected_ids, type=IDS_TYPE))
                chosen.clear()
                rejected.clear()

        for record in records:
            chosen_text, rejected_text = record_transcripts(record)
            chosen.append(chosen_text)
            rejected.append(rejected_text)
            content.update(b"\0c" + chosen_text.encode() + b"\0r" + rejected_text.encode())
            if len(chosen) >= batch_size:
                flush()
        flush()
        columns = {
            "chosen_input_ids": pa.chunked_array(chosen_parts, type=IDS_TYPE),
            "rejected_input_ids": pa.chunked_array(rejected_parts, type=IDS_TYPE),
        }
        rows = len(columns["chosen_input_ids"])
        for name, values in sorted(ids.items()):
            if len(values) != rows:
                raise ValueError(f"ids {name!r} has {len(values)} values for {rows} records")
            columns[name] = pa.array(values, type=pa.int64())
            content.update(f"\0{name}".encode() + columns[name].to_numpy().tobytes())
        table = pa.table(columns)
        self._setup(
            datasets.Dataset(table, fingerprint=content.hexdigest()[:16]),
            config={
                "max_length": max_length,
                "pad_token_id": tok.pad_token_id,
                "padding_side": tok.padding_side,
                "tokenizer": str(getattr(tok, "name_or_path", "")),
                "items_at_max_length": at_max_length,
                "items_identical_after_truncation": identical,
            },
            tokenizer=tok,
        )

    @staticmethod
    def _encode(tok: Any, texts: list[str], max_length: int) -> list[list[int]]:
        # Truncate, do not pad: the tokenizer truncates exactly as with padding="max_length", and the
        # padding is rebuilt in __getitem__. No attention mask: unpadded, it is all ones.
        ids = tok(
            texts,
            max_length=max_length,
            truncation=True,
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]
        return ids

    def _setup(self, data: Any, *, config: dict[str, Any], tokenizer: Any | None) -> None:
        self.data = data
        self.config = config
        self.max_length = int(config["max_length"])
        self.pad_token_id = int(config["pad_token_id"])
        self.padding_side = config["padding_side"]
        if self.padding_side not in ("right", "left"):
            raise ValueError(f"unknown padding side {self.padding_side!r}")
        self.tokenizer = tokenizer
        self._views: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._starts: np.ndarray | None = None

    # -- storage -------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the dataset to the directory `path`: `data/` (`datasets.save_to_disk`), the tokenizer
        it was built with (`tokenizer/`, when known) and `pairwise_tokenized.json` (max_length, pad
        token id, padding side, tokenizer name)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        # An empty dataset would otherwise be written as zero shards, which `load_from_disk` cannot read.
        self.data.save_to_disk(str(path / DATA_DIR), num_shards=1 if len(self) == 0 else None)
        if self.tokenizer is not None:
            self.tokenizer.save_pretrained(str(path / TOKENIZER_DIR))
        text = json.dumps(self.config, indent=2, sort_keys=True) + "\n"
        (path / CONFIG_NAME).write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> TokenizedPreferenceDataset:
        """Read a dataset written by `save`; the Arrow data is memory-mapped, not read into memory.
        The tokenizer is not loaded (items need none); load it from `path/tokenizer` if you need it."""
        import datasets

        path = Path(path)
        config = json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))
        self = cls.__new__(cls)
        self._setup(datasets.load_from_disk(str(path / DATA_DIR)), config=config, tokenizer=None)
        return self

    def __getstate__(self) -> dict[str, Any]:
        # numpy views over the memory map are rebuilt in each DataLoader worker, not pickled.
        state = self.__dict__.copy()
        state["_views"] = None
        state["_starts"] = None
        return state

    def _arrays(self) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]]:
        if self._views is None:
            table = self.data.data.table
            chosen_chunks = table.column("chosen_input_ids").chunks
            rejected_chunks = table.column("rejected_input_ids").chunks
            # Both columns share row boundaries only when their chunking matches; unify it if not.
            if [len(c) for c in chosen_chunks] != [len(c) for c in rejected_chunks]:
                table = table.combine_chunks()
                chosen_chunks = table.column("chosen_input_ids").chunks
                rejected_chunks = table.column("rejected_input_ids").chunks
            views = []
            starts = [0]
            for c_chunk, r_chunk in zip(chosen_chunks, rejected_chunks, strict=True):
                # Offsets index into `.values` (which ignores a slice's offset), so both views are zero-copy.
                views.append(
                    (
                        c_chunk.offsets.to_numpy(),
                        c_chunk.values.to_numpy(zero_copy_only=True),
                        r_chunk.offsets.to_numpy(),
                        r_chunk.values.to_numpy(zero_copy_only=True),
                    )
                )
                starts.append(starts[-1] + len(c_chunk))
            self._views = views
            self._starts = np.asarray(starts, dtype=np.int64)
        return self._starts, self._views

    # -- items ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.data.num_rows

    def ids(self, name: str = "pair_id") -> np.ndarray:
        """The ids stored beside the tokens, item by item. An export stores `pair_id` (and, with one
        record per judgment, `judgment_id`): the keys that join an item to the project's pairs, or to
        the records of a `preference` export made with the same filters and aggregation (same order)."""
        stored = sorted(set(self.data.column_names) - {"chosen_input_ids", "rejected_input_ids"})
        if name not in stored:
            raise KeyError(f"no ids {name!r} stored; stored: {', '.join(stored) or 'none'}")
        return self.data.data.table.column(name).to_numpy()

    def lengths(self) -> dict[str, np.ndarray]:
        """Token counts after truncation (before padding) of every chosen and rejected text."""
        _, views = self._arrays()
        return {
            "chosen": np.concatenate([np.diff(v[0]) for v in views]) if views else np.zeros(0, np.int64),
            "rejected": np.concatenate([np.diff(v[2]) for v in views]) if views else np.zeros(0, np.int64),
        }

    def _row(self, offsets: np.ndarray, values: np.ndarray, j: int) -> tuple[torch.Tensor, torch.Tensor]:
        # Built in numpy (cheaper than torch for one short row) into fresh, writable int64 arrays:
        # the stored values are a read-only memory map that torch must not share.
        tokens = values[offsets[j] : offsets[j + 1]]
        n = tokens.shape[0]
        ids = np.full(self.max_length, self.pad_token_id, dtype=np.int64)
        mask = np.zeros(self.max_length, dtype=np.int64)
        if self.padding_side == "right":
            ids[:n] = tokens
            mask[:n] = 1
        else:
            ids[self.max_length - n :] = tokens
            mask[self.max_length - n :] = 1
        return torch.from_numpy(ids), torch.from_numpy(mask)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(f"index {index} out of range for {size} items")
        starts, views = self._arrays()
        chunk = int(np.searchsorted(starts, index, side="right")) - 1
        c_offsets, c_values, r_offsets, r_values = views[chunk]
        j = index - int(starts[chunk])
        chosen_ids, chosen_mask = self._row(c_offsets, c_values, j)
        rejected_ids, rejected_mask = self._row(r_offsets, r_values, j)
        return {
            "chosen_input_ids": chosen_ids,
            "chosen_attention_mask": chosen_mask,
            "rejected_input_ids": rejected_ids,
            "rejected_attention_mask": rejected_mask,
        }


def collate_dynamic(items: Sequence[Mapping[str, torch.Tensor]], *, padding_side: str = "right") -> dict[str, Any]:
    """Optional DataLoader `collate_fn` that stacks items and cuts the padding shared by the whole batch,
    so each batch is only as long as its longest chosen or rejected text.

    This changes shapes with respect to the notebook (width = the batch's longest item, not
    `max_length`), hence optional: use it when the model accepts variable lengths and you want less
    compute on padding. Values on the kept positions are unchanged. Pass the dataset's `padding_side`
    (``functools.partial(collate_dynamic, padding_side=data.padding_side)``): a ValueError when the cut
    would take tokens, which it does on items padded on the other side."""
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', not {padding_side!r}")
    batch = {key: torch.stack([item[key] for item in items]) for key in KEYS}
    longest = int(
        max(batch["chosen_attention_mask"].sum(dim=1).max(), batch["rejected_attention_mask"].sum(dim=1).max())
    )
    longest = max(longest, 1)
    width = batch["chosen_input_ids"].shape[1]
    kept = slice(None, longest) if padding_side == "right" else slice(width - longest, None)
    for side in ("chosen", "rejected"):
        mask = batch[f"{side}_attention_mask"]
        # Cut on the wrong side, the batch kept the padding and lost tokens, and trained on that silently.
        if int(mask[:, kept].sum()) != int(mask.sum()):
            other = "left" if padding_side == "right" else "right"
            raise ValueError(
                f"the items are padded on the {other}, not on the {padding_side}: pass the dataset's "
                "padding_side (functools.partial(collate_dynamic, padding_side=data.padding_side))"
            )
    return {key: value[:, kept] for key, value in batch.items()}
