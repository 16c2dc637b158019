"""Benchmark of the exporter core on 160,800 pairs (the shared HH-RLHF file replicated with varied text).

Times, in one run: the `hh-rlhf` JSONL write (record building included), the tokenized build at
max_length 512 and its save, raw `tokenizers` batch encoding of the same texts (the floor: the Rust
tokenizer with truncation and padding set, nothing else), then one epoch (DataLoader, batch 32,
num_workers 0) over our memory-mapped dataset and over the notebook's `RewardModelDataset`, and checks
that both give identical tensors on a seeded sample of items.

    .venv/bin/python bench/export.py                      # full run, notebook epoch on all pairs
    .venv/bin/python bench/export.py --notebook-subset 16080   # notebook epoch on a prefix, extrapolated

Not a test: it prints figures, it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer
from torch.utils.data import DataLoader

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import SHARED, hh_rlhf_triples  # noqa: E402
from bench.notebook import RewardModelDataset  # noqa: E402
from exporter.records import hh_rlhf_record, pair_orient  # noqa: E402
from exporter.torch_dataset import KEYS, TokenizedPreferenceDataset  # noqa: E402
from exporter.writers import jsonl_write  # noqa: E402

GPT2_TOKENIZER = SHARED / "tokenizers" / "gpt2"
HUMAN = "\n\nHuman:"


def pairs_replicated(n: int) -> list[dict[str, str]]:
    """n pairs as the database would hold them: (context, response_a, response_b, winner). Copy r of the
    shared file has "[variant r]" put into its first human turn, so that no two texts are the same."""
    base = hh_rlhf_triples()
    pairs = []
    for i in range(n):
        context, chosen, rejected = base[i % len(base)]
        copy = i // len(base)
        if copy:
            context = context.replace(HUMAN, f"{HUMAN} [variant {copy}]", 1)
        winner = "a" if i % 2 == 0 else "b"
        a, b = (chosen, rejected) if winner == "a" else (rejected, chosen)
        pairs.append({"context": context, "response_a": a, "response_b": b, "winner": winner})
    return pairs


def timed(label: str, results: dict, func):
    """Run func, recording wall seconds and this process's CPU seconds (all threads, the tokenizers'
    Rayon pool included). CPU seconds are the steadier figure when other work shares the machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = func()
    results[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    print(f"{label:<42} {results[label][0]:9.2f} s wall {results[label][1]:9.2f} s CPU", flush=True)
    return value


def hh_rlhf_export(pairs, path: Path) -> list[dict[str, str]]:
    records = []
    for pair in pairs:
        chosen, rejected = pair_orient(
            response_a=pair["response_a"], response_b=pair["response_b"], winner=pair["winner"]
        )
        records.append(hh_rlhf_record(context=pair["context"], chosen=chosen, rejected=rejected))
    jsonl_write(records=records, path=path)
    return records


def raw_encoding(records, max_length: int, batch_size: int) -> int:
    tokenizer = Tokenizer.from_file(str(GPT2_TOKENIZER / "tokenizer.json"))
    pad_id = tokenizer.token_to_id("<|endoftext|>")
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(length=max_length, pad_id=pad_id, pad_token="<|endoftext|>")
    count = 0
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        count += len(tokenizer.encode_batch([r["chosen"] for r in batch]))
        count += len(tokenizer.encode_batch([r["rejected"] for r in batch]))
    return count


def epoch(dataset, limit: int | None, batch_size: int) -> int:
    source = dataset if limit is None else torch.utils.data.Subset(dataset, range(limit))
    items = 0
    for batch in DataLoader(source, batch_size=batch_size, num_workers=0):
        items += batch["chosen_input_ids"].shape[0]
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=160_800)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--tokenize-batch", type=int, default=1024, help="texts per tokenizer call")
    parser.add_argument("--loader-batch", type=int, default=32)
    parser.add_argument("--notebook-subset", type=int, default=0, help="notebook epoch on this many items (0: all)")
    parser.add_argument("--sample", type=int, default=2000, help="items compared tensor by tensor")
    parser.add_argument("--out", type=Path, default=None, help="directory for the outputs (default: a temp dir)")
    args = parser.parse_args()

    print(f"python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} torch threads")
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        pairs = timed("prepare pairs (not an export step)", results, lambda: pairs_replicated(args.pairs))
        records = timed("hh-rlhf export (build + JSONL)", results, lambda: hh_rlhf_export(pairs, out / "hh.jsonl"))
        timed("hh-rlhf export (build + JSONL .gz)", results, lambda: hh_rlhf_export(pairs, out / "hh.jsonl.gz"))
        timed(
            "raw tokenizers encode_batch (floor)",
            results,
            lambda: raw_encoding(records, args.max_length, args.tokenize_batch),
        )
        built = timed(
            "tokenized build",
            results,
            lambda: TokenizedPreferenceDataset(
                records, tokenizer=GPT2_TOKENIZER, max_length=args.max_length, batch_size=args.tokenize_batch
            ),
        )
        timed("tokenized save (save_to_disk)", results, lambda: built.save(out / "tokenized"))
        ours = TokenizedPreferenceDataset.load(out / "tokenized")
        timed("epoch, ours (memory-mapped)", results, lambda: epoch(ours, None, args.loader_batch))
        notebook = RewardModelDataset(records, tokenizer_name=str(GPT2_TOKENIZER), max_length=args.max_length)
        limit = args.notebook_subset or None
        timed(
            f"epoch, notebook ({limit or len(records)} items)",
            results,
            lambda: epoch(notebook, limit, args.loader_batch),
        )

        rng = random.Random(0)
        sample = rng.sample(range(len(records)), min(args.sample, len(records)))
        mismatches = sum(
            1
            for i in sample
            for key in KEYS
            if not (
                (a := ours[i][key]).dtype == (b := notebook[i][key]).dtype and a.shape == b.shape and torch.equal(a, b)
            )
        )
        arrow_bytes = sum(p.stat().st_size for p in (out / "tokenized" / "data").glob("*.arrow"))

    n = len(records)
    scale = n / (limit or n)
    notebook_epoch = [x * scale for x in results[f"epoch, notebook ({limit or n} items)"]]
    ours_epoch = results["epoch, ours (memory-mapped)"]
    build = results["tokenized build"]
    save = results["tokenized save (save_to_disk)"]
    raw = results["raw tokenizers encode_batch (floor)"]
    print()
    print(f"pairs: {n:,}  texts tokenized: {2 * n:,}  max_length: {args.max_length}")
    for k, clock in enumerate(("wall", "CPU")):
        print(f"[{clock}] tokenized build / raw encoding: {build[k] / raw[k]:.2f}x  (target <= 1.5x)")
        print(f"[{clock}] tokenized build + save / raw encoding: {(build[k] + save[k]) / raw[k]:.2f}x")
        extrapolated = f" (extrapolated from {limit:,} items)" if limit else ""
        print(f"[{clock}] notebook epoch: {notebook_epoch[k]:.1f} s{extrapolated}; ours: {ours_epoch[k]:.2f} s")
        print(f"[{clock}] epoch speed-up: {notebook_epoch[k] / ours_epoch[k]:.1f}x  (target >= 20x)")
    print(f"identical tensors on a sample of {len(sample)} items: {mismatches == 0} ({mismatches} mismatches)")
    print(f"tokenized Arrow data on disk: {arrow_bytes / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
