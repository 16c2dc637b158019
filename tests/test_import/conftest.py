"""Helpers for the import tests: small source files written into tmp_path."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import re
from pathlib import Path

import pytest

from annotate.models import Pair


def hh_row(i: int) -> dict[str, str]:
    """A two-turn HH-RLHF row whose transcripts diverge in the final assistant turn."""
    context = f"\n\nHuman: How do I water plant number {i}?\n\nAssistant: Which plant?\n\nHuman: A fern."
    return {
        "chosen": context + f"\n\nAssistant: Keep fern {i} moist, water twice a week.",
        "rejected": context + "\n\nAssistant: Ferns are boring.",
    }


def preference_row(i: int) -> dict[str, str]:
    return {"prompt": f"Name a prime above {i}.", "chosen": f"{_next_prime(i)} is prime.", "rejected": "Nine."}


def pairs_row(i: int) -> dict[str, str]:
    return {"prompt": f"Say hello in language {i}.", "response_a": f"Hello ({i})", "response_b": f"Bonjour ({i})"}


def _next_prime(n: int) -> int:
    k = n + 1
    while any(k % d == 0 for d in range(2, int(k**0.5) + 1)):
        k += 1
    return k


def write_lines(path: Path, lines: list[str]) -> Path:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_jsonl(path: Path, rows: list) -> Path:
    return write_lines(path, [json.dumps(r) for r in rows])


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def gzip_damaged(data: bytes, damage: str) -> bytes:
    """`data` gzipped, then damaged: "truncated" (cut at 90%), "corrupt" (100 bytes flipped in the
    deflate stream) or "bad checksum" (the trailer's CRC zeroed)."""
    packed = gzip.compress(data)
    if damage == "truncated":
        return packed[: len(packed) * 9 // 10]
    if damage == "corrupt":
        return packed[:2000] + bytes(b ^ 0x55 for b in packed[2000:2100]) + packed[2100:]
    return packed[:-8] + bytes(4) + packed[-4:]


MiB = 1 << 20


def past_the_gzip_limit(name: str, *, mib: int = 1, where: str = r"after row \d+") -> str:
    """The whole message (a regular expression) of an import refused past the gzip limit."""
    return (
        rf"^{re.escape(name)}: more than {mib} MiB once decompressed, the most an import reads of a gzip "
        rf"file \(PAIRWISE_MAX_GZIP_DECOMPRESSED_MB\); stopped {where}, nothing imported$"
    )


def gzip_past_one_mib(path: Path) -> Path:
    """A gzip file of valid `pairs` rows, 3 MiB of them once decompressed (about 2 kB of gzip)."""
    path.write_bytes(gzip.compress(pairs_data(3 * MiB)))
    return path


def pairs_data(size: int, *, csv: bool = False) -> bytes:
    """Valid `pairs` rows of exactly `size` bytes, as JSONL or as CSV with a header: as many rows as
    fit, the last one padded (with spaces before its closing brace, or in its last cell)."""
    lines = ["prompt,response_a,response_b"] if csv else []
    used = sum(len(line) + 1 for line in lines)
    for i in itertools.count():
        row = pairs_row(i)
        line = ",".join(row.values()) if csv else json.dumps(row)
        if used + len(line) + 1 > size:
            break
        lines.append(line)
        used += len(line) + 1
    pad = size - used
    lines[-1] = lines[-1] + "x" * pad if csv else lines[-1][:-1] + " " * pad + "}"
    return ("\n".join(lines) + "\n").encode()


def pair_rows(project) -> set[int]:
    return set(Pair.objects.filter(project=project).values_list("source_row", flat=True))


@pytest.fixture
def upload_dir(settings, tmp_path) -> Path:
    settings.PAIRWISE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.PAIRWISE_UPLOAD_DIR
