"""Writers for exported records: JSONL (optionally gzip), Parquet, a Hugging Face `DatasetDict` on
disk, the `manifest.json` and the dataset card. No Django here.

Determinism: for the same records and options, with the same versions of Python/zlib, pyarrow and
`datasets`, every writer here produces byte-identical files:

- JSONL: `records.record_json_line`, lines in the records' order.
- gzip: header with mtime 0 and no file name (Python always writes OS byte 255), fixed level.
- Parquet: one fixed compression and row-group size; pyarrow writes no timestamps (its
  `created_by` string names the pyarrow version, hence "same versions").
- `save_to_disk`: the dataset's fingerprint lands in `state.json`. `datasets` makes one up by hashing
  the whole in-memory state (slow on large tables), from cache files' modification times once
  memory-mapped, or at random when hashing fails; none of which we want in an export. Each split gets
  an explicit fingerprint derived from its records and the split options instead, and is built by
  `take` (never through an indices mapping), so the Arrow files, `dataset_info.json`, `state.json` and
  `dataset_dict.json` are byte-identical across runs (tested).
- manifest: sorted keys, no creation time (the export job's row carries the time; a timestamp
  here would make two exports of the same state differ).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from exporter.records import FORMAT_CONVERSATIONAL, FORMAT_HH_RLHF, FORMAT_PREFERENCE, record_json_line

MANIFEST_NAME = "manifest.json"
CARD_NAME = "README.md"
GZIP_LEVEL = 6
PARQUET_COMPRESSION = "zstd"
PARQUET_ROW_GROUP_SIZE = 64 * 1024
_SPLIT_HASH_SPAN = 2**64


def jsonl_write(*, records: Iterable[Mapping[str, Any]], path: str | Path, compress: bool | None = None) -> int:
    """Write `records` one JSON line each to `path`; gzip when `compress` is True, or when it is None
    and `path` ends in ".gz". Returns the number of records written."""
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    count = 0
    with open(path, "wb") as raw:
        # filename="" and mtime=0 keep the gzip header free of the file's name and the clock.
        sink = (
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL) if compress else raw
        )
        with io.TextIOWrapper(sink, encoding="utf-8", newline="", write_through=False) as text:
            for record in records:
                text.write(record_json_line(record))
                count += 1
    return count


_TURNS = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
# The record columns of each format, as Arrow infers them from records: the schema of an export whose
# filters left no record (Arrow cannot infer one from nothing; `datasets` then refuses to save).
FORMAT_SCHEMAS = {
    FORMAT_HH_RLHF: pa.schema([("chosen", pa.string()), ("rejected", pa.string())]),
    FORMAT_PREFERENCE: pa.schema([("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string())]),
    FORMAT_CONVERSATIONAL: pa.schema([("prompt", _TURNS), ("chosen", _TURNS), ("rejected", _TURNS)]),
}


# The metadata columns of the TRL formats (`--with-metadata`), typed, in the order records carry them:
# inferred, a column whose values were all None was typed null (so two exports of one project could
# differ in schema and not concatenate), and an export with no record had none of them.
_RECORD_IDS = [("pair_id", pa.int64()), ("source_name", pa.string()), ("source_row", pa.int64())]
METADATA_AGGREGATED = "aggregated"
METADATA_PER_JUDGMENT = "per_judgment"
_METADATA_FIELDS = {
    METADATA_AGGREGATED: [
        ("n_judgments", pa.int64()),
        ("n_decisive", pa.int64()),
        ("agreement", pa.float64()),
        ("shown_left_counts", pa.struct([("a", pa.int64()), ("b", pa.int64())])),
        ("median_dwell_ms", pa.float64()),
        ("mean_strength", pa.float64()),
        ("confidence", pa.float64()),  # Dawid–Skene only
        ("strength_margin", pa.float64()),
    ],
    METADATA_PER_JUDGMENT: [
        ("judgment_id", pa.int64()),
        ("annotator_id", pa.int64()),
        ("sitting_id", pa.int64()),
        ("side", pa.string()),
        ("left_response", pa.string()),
        ("strength", pa.int64()),
        ("dwell_ms", pa.int64()),
        ("served_at", pa.string()),
        ("answered_at", pa.string()),
        ("index_in_sitting", pa.int64()),
        ("elapsed_in_sitting_ms", pa.int64()),
        ("since_break_ms", pa.int64()),
        ("sitting_ordinal_today", pa.int64()),
        ("viewport_width", pa.int64()),
        ("viewport_height", pa.int64()),
        ("criteria", pa.string()),
        ("safety", pa.string()),
        ("rationale", pa.string()),
        ("fast", pa.bool_()),
        ("is_gold", pa.bool_()),
        ("probe_of_id", pa.int64()),
    ],
}


def records_schema(*, fmt: str, metadata: str | None = None, confidence: bool = False) -> pa.Schema:
    """The schema of a format's records: its own columns, then with `metadata` (METADATA_AGGREGATED or
    METADATA_PER_JUDGMENT) the metadata columns, `confidence` among them only with `confidence`."""
    fields = list(FORMAT_SCHEMAS[fmt])
    if metadata is not None:
        extra = [f for f in _METADATA_FIELDS[metadata] if confidence or f[0] != "confidence"]
        fields += [pa.field(name, kind) for name, kind in _RECORD_IDS + extra]
    return pa.schema(fields)


def records_table(*, records: Sequence[Mapping[str, Any]], schema: pa.Schema | None = None) -> pa.Table:
    """The records as one Arrow table, columns in the first record's key order; types inferred from all
    records unless `schema` is given (give it when a column may be all None). With `schema`, records
    must have exactly its columns: Arrow would drop a column the schema lacks without a word."""
    if schema is not None and records and list(records[0]) != schema.names:
        raise ValueError(f"records have columns {list(records[0])}, the schema {schema.names}")
    return pa.Table.from_pylist(list(records), schema=schema)


def parquet_write(*, records: Sequence[Mapping[str, Any]], path: str | Path, schema: pa.Schema | None = None) -> int:
    """Write `records` as one Parquet file. Returns the number of records written."""
    table = records_table(records=records, schema=schema)
    pq.write_table(
        table,
        str(path),
        compression=PARQUET_COMPRESSION,
        row_group_size=PARQUET_ROW_GROUP_SIZE,
        use_dictionary=True,
        write_statistics=True,
    )
    return table.num_rows


def split_is_test(*, key: str, test_size: float, seed: int) -> bool:
    """Whether the record with stable key `key` belongs to the test split.

    Rule: the first 8 bytes of sha256(f"{seed}:{key}") read as an integer, divided by 2**64, is below
    `test_size`. A record's split depends only on its own key and the seed, never on the other records
    or their order, so a later, larger export keeps every earlier test record in test (no leakage of
    test records into a later train split). The test share is therefore `test_size` on average, not
    exactly. Preconditions: 0 <= test_size <= 1."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SPLIT_HASH_SPAN < test_size


def record_key(record: Mapping[str, Any]) -> str:
    """The default stable key of a record: its JSON line (so identical records share a split)."""
    return record_json_line(record)


def dataset_dict_write(
    *,
    records: Sequence[Mapping[str, Any]],
    path: str | Path,
    test_size: float,
    seed: int,
    keys: Sequence[str] | None = None,
    schema: pa.Schema | None = None,
) -> dict[str, int]:
    """Write a `datasets.DatasetDict` with "train" and "test" splits to `path` via `save_to_disk`.

    `keys[i]` is record i's stable key for `split_is_test` (e.g. a hash of the conversation's opening,
    the same for all records of all pairs of one conversation, so that it stays in one split); by default the
    record's own JSON line. Both splits always exist
    and share one schema (an empty split keeps the columns). Returns {"train": n, "test": n}."""
    import datasets  # heavy; only this writer needs it

    if not 0 <= test_size <= 1:
        raise ValueError(f"test_size must be within [0, 1], not {test_size}")
    if keys is not None and len(keys) != len(records):
        raise ValueError("keys must be parallel to records")
    table = records_table(records=records, schema=schema)
    test_rows: list[int] = []
    train_rows: list[int] = []
    for i, record in enumerate(records):
        key = keys[i] if keys is not None else record_key(record)
        (test_rows if split_is_test(key=key, test_size=test_size, seed=seed) else train_rows).append(i)
    splits = {}
    for name, rows in (("train", train_rows), ("test", test_rows)):
        part = table.take(pa.array(rows, type=pa.int64()))
        # A content-derived fingerprint replaces the random one `datasets` would write into state.json.
        content = hashlib.sha256(f"{seed}:{test_size}:{name}:".encode())
        for i in rows:
            content.update(record_key(records[i]).encode())
        splits[name] = datasets.Dataset(part, split=datasets.NamedSplit(name), fingerprint=content.hexdigest()[:16])
    # `datasets` would write an empty split as zero shards, which `load_from_disk` then cannot read.
    empty = {name: 1 for name, split in splits.items() if split.num_rows == 0}
    datasets.DatasetDict(splits).save_to_disk(str(path), num_shards=empty)
    return {name: split.num_rows for name, split in splits.items()}


def files_sha256(*, root: str | Path, exclude: Iterable[str] = (MANIFEST_NAME,)) -> dict[str, dict[str, Any]]:
    """{relative path (POSIX): {"bytes": size, "sha256": hex}} for every file under `root`, sorted, except
    the relative paths in `exclude` (the manifest cannot hold its own hash)."""
    root = Path(root)
    excluded = set(exclude)
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel in excluded:
            continue
        found[rel] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    return found


def file_sha256(path: str | Path) -> str:
    """The hex SHA-256 of a file, read a MiB at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_version_get(*, repo_root: str | Path | None = None) -> str:
    """The code version for the manifest: $PAIRWISE_CODE_VERSION when set (images built without .git
    set it), else the git commit of `repo_root` (default: this checkout), else "unknown"."""
    from_env = os.environ.get("PAIRWISE_CODE_VERSION")
    if from_env:
        return from_env
    root = Path(repo_root) if repo_root is not None else Path(__file__).resolve().parent.parent
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH is the point
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return completed.stdout.strip() or "unknown"


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def manifest_write(
    *,
    out_dir: str | Path,
    fmt: str,
    options: Mapping[str, Any],
    counts: Mapping[str, Any],
    filter_effects: Mapping[str, Any],
    code_version: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write `out_dir/manifest.json` and return its content. Call it last: it lists the sha256 and size
    of every other file already in `out_dir` (the data files and the card).

    `options` are the export's options as given (JSON values; datetimes, dates and paths are written
    as ISO 8601 / POSIX strings), `counts` the record counts
    (e.g. pairs read, records written, per split), `filter_effects` {filter name: records it removed}.
    Sorted keys (the filters' too: the order they run in is the README's, not the file's), two-space
    indent, UTF-8, "\\n" at the end."""
    out_dir = Path(out_dir)
    manifest = {
        "format": fmt,
        "options": dict(options),
        "counts": dict(counts),
        "filter_effects": dict(filter_effects),
        "code_version": code_version,
        "files": files_sha256(root=out_dir),
    }
    if extra:
        manifest.update(extra)
    text = json.dumps(manifest, ensure_ascii=False, allow_nan=False, indent=2, sort_keys=True, default=_json_default)
    text += "\n"
    (out_dir / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


def _markdown_value(value: Any, depth: int) -> list[str]:
    indent = "  " * depth
    if isinstance(value, Mapping):
        lines = []
        for key, inner in value.items():
            if isinstance(inner, Mapping | list | tuple) and not inner:
                lines.append(f"{indent}- **{key}**: none")  # a bare key read as a value left out
            elif isinstance(inner, Mapping | list | tuple):
                lines.append(f"{indent}- **{key}**:")
                lines.extend(_markdown_value(inner, depth + 1))
            else:
                lines.append(f"{indent}- **{key}**: {_scalar(inner)}")
        return lines
    if isinstance(value, list | tuple):
        lines = []
        for inner in value:
            if isinstance(inner, Mapping | list | tuple):
                lines.append(f"{indent}-")
                lines.extend(_markdown_value(inner, depth + 1))
            else:
                lines.append(f"{indent}- {_scalar(inner)}")
        return lines
    return [f"{indent}- {_scalar(value)}"]


def _scalar(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def dataset_card_write(
    *,
    path: str | Path,
    title: str,
    description: str,
    fmt: str,
    collection: Mapping[str, Any],
    counts: Mapping[str, Any],
    options: Mapping[str, Any],
    bias_summary: Mapping[str, Any] | None,
    licence: str | None = None,
) -> str:
    """Write a Hugging Face dataset card (README.md with YAML front matter) and return its text.

    `collection` says how the judgments were gathered (e.g. {"annotators": 12, "judgments per pair": 3,
    "position": "randomized by the server, counterbalanced", "sittings": "25 min / 40 items"});
    `bias_summary` is the latest bias report's summary (None: "no report yet"). `licence` None leaves
    the licence to fill in, marked TODO in the front matter and in the text. Deterministic: no dates."""
    licence_id = licence or "other"
    lines = [
        "---",
        f"pretty_name: {json.dumps(title, ensure_ascii=False)}",
        f"license: {licence_id}" + ("" if licence else "  # TODO: fill in the licence of the texts and judgments"),
        "task_categories:",
        "- text-generation",
        "tags:",
        "- preference",
        "- rlhf",
        "- reward-modeling",
        "---",
        "",
        f"# {title}",
        "",
        description.strip(),
        "",
        "## Format",
        "",
        f"`{fmt}` records. See `manifest.json` for the options, counts and checksums of every file.",
        "",
        "## How it was collected",
        "",
        "The project's settings when the export was made.",
        "",
        *_markdown_value(collection, 0),
        "",
        "## Counts",
        "",
        *_markdown_value(counts, 0),
        "",
        "## Export options",
        "",
        *_markdown_value(options, 0),
        "",
        "## Bias summary (latest report)",
        "",
        "Of the project's latest bias report, over all its judgments at the time: not of this export's "
        "records alone, which the options above may have filtered.",
        "",
        *(_markdown_value(bias_summary, 0) if bias_summary else ["No bias report yet."]),
        "",
        "## Licence",
        "",
        licence if licence else "TODO: state the licence of the source texts and of the judgments.",
        "",
    ]
    text = "\n".join(lines)
    Path(path).write_text(text, encoding="utf-8")
    return text
