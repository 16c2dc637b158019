"""Reading preference data into pairs: pure parsing and validation, no database.

A *source* is a JSONL file (plain or gzip), a CSV file, or a Hugging Face dataset. Each source row
becomes one `ParsedPair` or a list of `RowError`s. The formats:

- ``hh-rlhf``: ``{"chosen", "rejected"}`` full transcripts. The context is the part both share, cut
  back to the last ``"\\n\\nAssistant:"`` before they diverge; each response is what follows that
  marker in its transcript, so ``context + "\\n\\nAssistant:" + response`` rebuilds the transcript
  byte for byte. The source preferred ``chosen``, stored as response A.
- ``preference``: ``prompt``/``chosen``/``rejected`` (TRL's standard shape); A is ``chosen``.
- ``pairs``: ``prompt``/``response_a``/``response_b``; no preference known.

  In both, the context is the prompt without a final ``"\n\nAssistant:"`` (TRL's prompts of HH-RLHF
  data end with it, as the ``preference`` export's do), so that such a row makes the same pair as its
  HH-RLHF transcripts.
- ``hf``: a Hugging Face dataset whose columns are one of the shapes above.

Positions in errors (`RowError.row`) are 1-based: the physical line for files (the line where a CSV
record starts), the row number (``dataset[row - 1]``) for datasets. ``ParsedPair.source_row`` is
the 0-based index of the row among the source's data rows.

Limit: every text value of a source row (a transcript, prompt or response) may hold at most
``max_chars`` characters (``settings.PAIRWISE_MAX_TEXT_CHARS``, 100,000 by default). A CSV file is
read a bounded piece at a time, and of a cell longer than that only its length is kept (see
`csv_records`), so an oversized cell is an ordinary row error and costs no memory. A JSONL line
longer than any valid row can be (`jsonl_line_limit`: 7.2 MB + 1 MiB at the default limit) is a row
error too, and is skipped without being held in memory.

Of a gzip file, at most ``max_gzip_bytes`` bytes are read once decompressed
(``settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB``, 4 GiB by default): gzip packs blank lines or
repeated bad rows a thousand to one, so a file within the upload limit could keep a worker reading
until its time limit, hours later, where a plain file costs no more to read than its size. Past the
limit the whole file is refused (see `file_rows`), like a truncated one.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TextIO

import orjson

HH_RLHF = "hh-rlhf"
PREFERENCE = "preference"
PAIRS = "pairs"
HF = "hf"
FORMATS = (HH_RLHF, PREFERENCE, PAIRS, HF)
ROW_FORMATS = (HH_RLHF, PREFERENCE, PAIRS)

ASSISTANT = "\n\nAssistant:"
# Where a turn of a transcript starts, and whose it is: a blank line and the speaker's name, or the name
# alone at the very start (a transcript written "Human: …" without the leading blank line, a TRL prompt
# say, whose first message kept "Human:" in it). For display and the conversational export; the split
# into context and responses reads ASSISTANT alone.
TURN_MARKER = re.compile(r"(?:\A|\n\n)(Human|Assistant):")

# The fields each row shape needs, in the order they are checked and reported.
FIELDS: dict[str, tuple[str, ...]] = {
    HH_RLHF: ("chosen", "rejected"),
    PREFERENCE: ("prompt", "chosen", "rejected"),
    PAIRS: ("prompt", "response_a", "response_b"),
}
# The columns any format reads: only these cells of a CSV record are kept (see csv_rows).
TEXT_COLUMNS = frozenset(f for fields in FIELDS.values() for f in fields)

GZIP_MAGIC = b"\x1f\x8b"


class ParsedPair(NamedTuple):
    """One valid source row. `source_preference` is "a", or "" when the source states none.
    (A named tuple: built once per row, it is several times cheaper than a frozen dataclass.)"""

    context: str
    response_a: str
    response_b: str
    source_preference: str
    source_row: int
    content_hash: str
    prompt_marker: bool = True  # the source's prompt ended with "\n\nAssistant:" (see Pair.prompt_marker)


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one row: `row` is 1-based (see the module docstring), `field` the source
    field at fault ("json" when the line is not a JSON object, "csv" when a record's cells do not
    match the header's in number)."""

    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"row {self.row}, field {self.field!r}: {self.message}"


class ImportSourceError(Exception):
    """The source as a whole cannot be read (missing file, unknown format, no rows, empty dataset)."""


class DecompressedTooLargeError(Exception):
    """A gzip file holds more than `limit` bytes once decompressed (see `_GzipBounded`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"more than {limit:,} bytes once decompressed")


class ImportValidationError(Exception):
    """Some rows are invalid; nothing was imported. `errors` lists the first errors found (an import
    keeps a bounded number), `invalid_rows` counts every bad row, `source_format` is the row format
    the source was read as."""

    def __init__(self, errors: list[RowError], *, rows_read: int, invalid_rows: int, source_format: str = "") -> None:
        self.errors = errors
        self.rows_read = rows_read
        self.invalid_rows = invalid_rows
        self.source_format = source_format
        shown = "; ".join(str(e) for e in errors[:5])
        rows_shown = len({e.row for e in errors[:5]})
        more = f" (and {invalid_rows - rows_shown} more)" if invalid_rows > rows_shown else ""
        super().__init__(f"{invalid_rows} invalid row(s), nothing imported: {shown}{more}")


class SourceRow(NamedTuple):
    """A raw row as read: `values` is the decoded mapping, or None when `error` says why not. A CSV
    record short of cells has both: the fields it lacks are reported as missing, and `error` stands
    for the row when every field the format needs is there (they may have moved a column)."""

    row: int
    index: int
    values: dict[str, Any] | None
    error: RowError | None = None


class CellLength(NamedTuple):
    """A CSV cell whose text was not kept, only its length: one longer than the text limit (reported
    "too long" where a format needs it), or one in a column that no format reads."""

    chars: int


def content_hash_compute(*, context: str, response_a: str, response_b: str) -> str:
    """sha256 hex of the context and the two responses in sorted order, NUL-separated, so that the
    same pair with its responses swapped has the same hash."""
    first, second = sorted((response_a, response_b))
    return hashlib.sha256("\x00".join((context, first, second)).encode("utf-8")).hexdigest()


def common_prefix_length(a: str, b: str) -> int:
    """Length of the longest common prefix of `a` and `b`.

    Bisection over slice comparisons: O(n log n) character compares done in C, far faster than a
    Python loop per character (os.path.commonprefix) on transcripts of thousands of characters."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n - 1  # a[:lo] == b[:lo] holds; a[:hi + 1] != b[:hi + 1] holds
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def transcripts_split(chosen: str, rejected: str) -> tuple[str, str, str] | None:
    """(context, chosen response, rejected response) of two HH-RLHF transcripts, or None when the
    part they share holds no "\\n\\nAssistant:" marker."""
    # Fast path, the usual case: the last assistant turn of `chosen` starts inside the shared part,
    # so no later marker can be in it. One comparison instead of a bisection.
    idx = chosen.rfind(ASSISTANT)
    end = idx + len(ASSISTANT)
    if idx < 0 or not rejected.startswith(chosen[:end]):
        # rfind's end bound admits a marker that ends at `shared`: wholly inside the shared part.
        idx = chosen.rfind(ASSISTANT, 0, common_prefix_length(chosen, rejected))
    if idx < 0:
        return None
    start = idx + len(ASSISTANT)
    return chosen[:idx], chosen[start:], rejected[start:]


# Fields that may hold only white space (not nothing): the responses of the TRL formats, as an HH-RLHF
# transcript's final response may (four rows of the real harmless-base test split answer " "), so that
# a `preference` export of such pairs imports again. A prompt, or a whole transcript, may not.
BLANK_ALLOWED = frozenset({"chosen", "rejected", "response_a", "response_b"})


def value_kind(value: Any) -> str:
    """What a value is, in the words of JSON (where most rows come from) rather than Python's type
    names ("NoneType", "float" for a NaN, "dict")."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _text_check(
    values: dict[str, Any], field: str, *, row: int, max_chars: int, blank_ok: bool = False
) -> RowError | None:
    value = values.get(field)
    if value is None:
        return RowError(row, field, "missing")
    if type(value) is CellLength:
        return RowError(row, field, f"too long: {value.chars:,} characters, the limit is {max_chars:,}")
    if not isinstance(value, str):
        return RowError(row, field, f"expected text, got {value_kind(value)}")
    if not value or (value.isspace() and not blank_ok):
        return RowError(row, field, "empty")
    if len(value) > max_chars:
        return RowError(row, field, f"too long: {len(value):,} characters, the limit is {max_chars:,}")
    if "\x00" in value:
        return RowError(row, field, "contains a NUL character")
    # Lone surrogates (legal in JSON escapes) are caught when the pair is hashed: see pair_parse.
    return None


def pair_parse(source_row: SourceRow, *, fmt: str, max_chars: int) -> ParsedPair | list[RowError]:
    """Validate one row of shape `fmt` (one of ROW_FORMATS) and turn it into a pair."""
    if source_row.error is not None and source_row.values is None:
        return [source_row.error]
    values = source_row.values
    row = source_row.row
    if not isinstance(values, dict):
        return [RowError(row, "json", f"expected a JSON object, got {value_kind(values)}")]
    fields = FIELDS[fmt]
    blank_ok = frozenset() if fmt == HH_RLHF else BLANK_ALLOWED
    for f in fields:
        # The common case in one cheap test per field; _text_check says what is wrong otherwise.
        value = values.get(f)
        if type(value) is not str or not value or len(value) > max_chars or value.isspace() or "\x00" in value:
            errors = [
                e
                for g in fields
                if (e := _text_check(values, g, row=row, max_chars=max_chars, blank_ok=g in blank_ok)) is not None
            ]
            if errors:
                return errors
    if source_row.error is not None:
        return [source_row.error]
    if fmt == HH_RLHF:
        chosen, rejected = values["chosen"], values["rejected"]
        if chosen == rejected:
            return [RowError(row, "rejected", "identical to chosen")]
        parts = transcripts_split(chosen, rejected)
        if parts is None:
            return [RowError(row, "chosen/rejected", 'no "\\n\\nAssistant:" turn in the part both transcripts share')]
        context, response_a, response_b = parts
        # As in the other formats: a response may be blank (" ") but not empty, and a context not even
        # blank. An empty one showed the annotator nothing, and its `preference` export did not import.
        empty = [
            RowError(row, field, 'empty final assistant turn (nothing after its last "\\n\\nAssistant:")')
            for field, response in (("chosen", response_a), ("rejected", response_b))
            if not response
        ]
        if not context.strip():
            empty.insert(0, RowError(row, "chosen/rejected", 'nothing before the final "\\n\\nAssistant:" turn'))
        if empty:
            return empty
        preference = "a"
        marker = True
    else:
        context, response_a, response_b = (values[f] for f in fields)
        # TRL's prompt for HH-style data (and Pairwise's own `preference` export) ends with the final
        # "\n\nAssistant:", which a pair's context leaves out: kept, it doubled in an HH-RLHF export,
        # showed an empty assistant turn, and hid the pair from its HH-RLHF twin's content hash.
        marker = context.endswith(ASSISTANT)
        context = context.removesuffix(ASSISTANT)
        if not context.strip():
            return [RowError(row, fields[0], 'empty once its final "\\n\\nAssistant:" is left out')]
        if response_a == response_b:
            return [RowError(row, fields[2], f"identical to {fields[1]}")]
        preference = "a" if fmt == PREFERENCE else ""
    try:
        content_hash = content_hash_compute(context=context, response_a=response_a, response_b=response_b)
    except UnicodeEncodeError:
        # Hashing encodes every text once; a failure means a lone surrogate, which no database
        # stores: from a JSON escape, or a CSV byte that is not UTF-8 (see csv_rows).
        bad = next(f for f in fields if not _encodable(values[f]))
        return [RowError(row, bad, "not valid Unicode (a lone surrogate, or bytes that are not UTF-8)")]
    return ParsedPair(
        context=context,
        response_a=response_a,
        response_b=response_b,
        source_preference=preference,
        source_row=source_row.index,
        content_hash=content_hash,
        prompt_marker=marker,
    )


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shape_detect(columns: Iterable[str]) -> str | None:
    """The row format whose fields `columns` holds, or None."""
    keys = set(columns)
    if {"prompt", "response_a", "response_b"} <= keys:
        return PAIRS
    if {"prompt", "chosen", "rejected"} <= keys:
        return PREFERENCE
    if {"chosen", "rejected"} <= keys:
        return HH_RLHF
    return None


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == GZIP_MAGIC


class _GzipBounded(io.RawIOBase):
    """The decompressed bytes of an open gzip file, as a raw stream that raises
    DecompressedTooLargeError once more than `limit` of them have been read. Read through an
    io.BufferedReader (see _GZIP_PIECE_BYTES), which serves lines and pieces from its buffer in C."""

    def __init__(self, gzip_file: gzip.GzipFile, *, limit: int) -> None:
        super().__init__()
        self._gzip_file = gzip_file
        self._limit = limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._gzip_file.readinto(buffer)
        self._count += n
        if self._count > self._limit:
            raise DecompressedTooLargeError(self._limit)
        return n

    def close(self) -> None:
        try:
            self._gzip_file.close()
        finally:
            super().close()


# The most a bounded gzip file decompresses at a time: its count costs one Python call per piece, and a
# read past the limit decompresses at most one piece more.
_GZIP_PIECE_BYTES = 1 << 17


def _open_binary(path: Path, *, max_gzip_bytes: int | None = None) -> BinaryIO:
    """`path` opened for reading bytes, decompressed if it is gzip; of a gzip file, reading more than
    `max_gzip_bytes` bytes (None: no limit) raises DecompressedTooLargeError."""
    if not _is_gzip(path):
        return path.open("rb")
    if max_gzip_bytes is None:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    bounded = _GzipBounded(gzip.GzipFile(path, "rb"), limit=max_gzip_bytes)
    return io.BufferedReader(bounded, buffer_size=_GZIP_PIECE_BYTES)


FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".gz")


def looks_like_file(source: str) -> bool:
    """Whether `source` names a data file (by its suffix) rather than a dataset."""
    return Path(source).suffix.lower() in FILE_SUFFIXES


def _is_csv(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    return ".csv" in suffixes[-2:]


def _json_loads(line: bytes) -> Any:
    """orjson's speed for the lines it accepts; the standard library's verdict on the others, which
    accepts a lone surrogate escape (rejected later, naming its field) and words its errors."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            # Decoded here: given bytes, json guesses UTF-16 or UTF-32 from NUL bytes and blames a codec
            # ("'utf-32-be' codec can't decode...") for what is a file that is not UTF-8 text.
            text = line.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            # utf-8-sig counts from after a byte order mark; the message counts the line's bytes.
            at = error.start + 1 + (len(codecs.BOM_UTF8) if line.startswith(codecs.BOM_UTF8) else 0)
            raise ValueError(f"not UTF-8 text ({error.reason} at byte {at} of the line)") from error
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            # json counts lines and columns of its input, and the line's own "\n" made a line 2 of it
            # ("line 2 column 1"), which read as line 2 of the file.
            raise ValueError(f"{error.msg} at character {error.pos + 1:,} of the line") from error
        except RecursionError as error:
            # "[[[[..." deeper than the stack: a bad line like any other, not the end of the import.
            raise ValueError("nested too deeply") from error


def jsonl_line_limit(max_chars: int) -> int:
    """The longest JSONL line read, in bytes, for texts of at most `max_chars` characters.

    A valid row holds at most three texts. JSON spells a character in at most 12 bytes (an astral
    character as two \\uXXXX escapes; UTF-8 takes at most 4), so the texts take at most 36 bytes a
    character. Twice that leaves room for other fields a row may carry, and 1 MiB more for keys and
    whitespace: 7.2 MB + 1 MiB for the default 100,000 characters. It bounds what one line costs in
    memory (a small gzip file can hold a line of hundreds of millions of characters)."""
    return 2 * 3 * 12 * max_chars + (1 << 20)


# A line found too long is skipped in pieces of this many bytes.
_SKIP_BYTES = 1 << 20


def jsonl_rows(path: Path, *, max_chars: int, max_gzip_bytes: int | None = None) -> Iterator[SourceRow]:
    """Rows of a JSONL file (plain or gzip). Blank lines are skipped; line numbers stay physical. A
    line longer than `jsonl_line_limit(max_chars)` bytes is an error of its own, read no further. Of
    a gzip file, reading more than `max_gzip_bytes` bytes raises DecompressedTooLargeError."""
    limit = jsonl_line_limit(max_chars)
    index = 0
    line_number = 0
    with _open_binary(path, max_gzip_bytes=max_gzip_bytes) as f:
        read = f.readline
        # One byte past the limit tells a line of exactly `limit` bytes (and its "\n") from a longer one.
        while line := read(limit + 1):
            line_number += 1
            if len(line) > limit and not line.endswith(b"\n"):
                while (rest := read(_SKIP_BYTES)) and not rest.endswith(b"\n"):
                    pass
                error = RowError(line_number, "json", f"line longer than {limit:,} bytes")
                yield SourceRow(line_number, index, None, error)
                index += 1
                continue
            if not line.strip():
                continue
            try:
                values = _json_loads(line)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                yield SourceRow(line_number, index, None, RowError(line_number, "json", f"invalid JSON: {exc}"))
            else:
                if isinstance(values, dict):
                    yield SourceRow(line_number, index, values)
                else:
                    error = RowError(line_number, "json", f"expected a JSON object, got {value_kind(values)}")
                    yield SourceRow(line_number, index, None, error)
            index += 1


# A CSV header with more columns, or a longer name, is not the header of preference data.
CSV_HEADER_COLUMNS = 1000
CSV_HEADER_NAME_CHARS = 1000
# CSV text is read at most this many characters at a time, however long its lines.
CSV_PIECE_CHARS = 1 << 20


@dataclass(slots=True)
class CsvLimits:
    """What `csv_records` keeps of each record: cells up to `cell_chars` characters (a longer one is
    kept as its CellLength), the first `cells` cells (the others are only counted), and of those only
    the ones whose index is in `columns` (None: all; the others are kept as their CellLength, or ""
    when empty). Read afresh at the start of each record, so the caller may change it after the header.
    """

    cell_chars: int
    cells: int
    columns: Container[int] | None = None


class CsvRecord(NamedTuple):
    """One CSV record: `line` is the physical line where it starts (1-based), `cells` what the limits
    kept of its cells, `count` how many cells it has; `unclosed` when the text ended inside a quoted
    cell of it (the last record then holds everything after the quote)."""

    line: int
    cells: list[str | CellLength]
    count: int
    unclosed: bool = False


# The reader's states, as in CPython's _csv module (default dialect, strict off).
_START_RECORD, _START_FIELD, _IN_FIELD, _IN_QUOTED, _QUOTE_IN_QUOTED = range(5)


def csv_records(text: TextIO, *, limits: CsvLimits, piece_chars: int = CSV_PIECE_CHARS) -> Iterator[CsvRecord]:
    """The records of CSV text (the csv module's default dialect), split into cells exactly as
    csv.reader splits them (a blank line is a record of no cells); `text` is opened with newline="".

    Why not csv.reader: it holds each physical line and each cell whole, and a gzip file of a few
    hundred kB can hold a line of hundreds of millions of characters; and after its field size error
    it cannot find where the record ends, so every later record is lost. Here text is read at most
    `piece_chars` characters at a time and a cell costs at most `limits.cell_chars` characters of
    memory, whatever its length: the parser always knows where the record ends, so the caller can
    report a long cell and read on."""
    state = _START_RECORD
    line = 0  # physical lines read to their end
    start = 1
    cells: list[str | CellLength] = []
    count = 0
    parts: list[str] = []
    size = 0
    cell_chars, max_cells, columns = limits.cell_chars, limits.cells, limits.columns
    keep = 0  # characters of the current cell that may be kept; -1: the cell is only counted
    partial = False  # the last piece read stopped before the end of its line
    after_cr = False  # the last piece read ended with "\r"

    def keep_for(index: int) -> int:
        if index >= max_cells:
            return -1
        return cell_chars if columns is None or index in columns else 0

    def add(piece: str, i: int, j: int) -> None:
        nonlocal size
        size += j - i
        if size <= keep:
            parts.append(piece[i:j])
        elif parts:
            parts.clear()  # past the limit: only the length is wanted now

    def save() -> None:
        nonlocal count, size, keep
        if keep >= 0:
            cells.append("".join(parts) if size <= keep else CellLength(size))
        count += 1
        parts.clear()
        size = 0
        keep = keep_for(count)

    def record_begin() -> None:
        nonlocal cells, count, keep, cell_chars, max_cells, columns
        cells, count = [], 0
        cell_chars, max_cells, columns = limits.cell_chars, limits.cells, limits.columns
        keep = keep_for(0)

    record_begin()
    read = text.readline
    while piece := read(piece_chars):
        if after_cr and piece == "\n":
            # readline stopped between the two characters of a "\r\n" (the piece was full): the
            # "\n" belongs to the line the "\r" ended, as the csv module reads it.
            after_cr = False
            if state == _IN_QUOTED:
                add(piece, 0, 1)
            continue
        last = piece[-1]
        if state == _IN_QUOTED and '"' not in piece:
            # Inside quotes, a piece with no quote is text, its line break included: the usual
            # case for the lines of a multi-line cell.
            add(piece, 0, len(piece))
            after_cr = last == "\r"
            partial = last not in "\r\n"
            line += not partial
            continue
        ends = last in "\r\n"
        after_cr = last == "\r"
        end = len(piece) - (2 if piece.endswith("\r\n") else 1) if ends else len(piece)
        if state == _START_RECORD and not partial:
            start = line + 1
            if ends and '"' not in piece:
                # The common case, a whole record on one line with no quotes: split in C.
                raw = piece[:end].split(",") if end else []
                count = len(raw)
                kept = raw[:max_cells]
                for i, cell in enumerate(kept):
                    if cell and len(cell) > (cell_chars if columns is None or i in columns else 0):
                        kept[i] = CellLength(len(cell))
                line += 1
                yield CsvRecord(start, kept, count)
                record_begin()
                continue
        i = 0
        while i < end:
            if state == _IN_QUOTED:
                j = piece.find('"', i, end)
                if j < 0:
                    add(piece, i, end)
                    break
                add(piece, i, j)
                state, i = _QUOTE_IN_QUOTED, j + 1
            elif state == _IN_FIELD:
                j = piece.find(",", i, end)
                if j < 0:
                    add(piece, i, end)
                    break
                add(piece, i, j)
                save()
                state, i = _START_FIELD, j + 1
            elif state == _QUOTE_IN_QUOTED:
                c = piece[i]
                if c == '"':  # a doubled quote stands for one
                    add(piece, i, i + 1)
                    state, i = _IN_QUOTED, i + 1
                elif c == ",":
                    save()
                    state, i = _START_FIELD, i + 1
                else:  # what follows a closing quote joins the cell, as with strict off
                    state = _IN_FIELD
            else:  # at the start of a cell
                c = piece[i]
                if c == '"':
                    state, i = _IN_QUOTED, i + 1
                elif c == ",":
                    save()
                    state, i = _START_FIELD, i + 1
                else:
                    state = _IN_FIELD
        partial = not ends
        if partial:
            continue
        line += 1
        if state == _IN_QUOTED:
            add(piece, end, len(piece))  # a line break inside quotes is part of the cell
            continue
        save()
        state = _START_RECORD
        yield CsvRecord(start, cells, count)
        record_begin()
    # The end of the text ends an unfinished line, and an unclosed quote (as with strict off).
    if partial or state == _IN_QUOTED:
        save()
        yield CsvRecord(start, cells, count, unclosed=state == _IN_QUOTED)


def csv_rows(
    path: Path, *, max_chars: int, name: str | None = None, max_gzip_bytes: int | None = None
) -> Iterator[SourceRow]:
    """Rows of a CSV file (plain or gzip) with a header line. A record whose cells do not match the
    header's in number is an error of field "csv": its cells cannot be trusted to be in their columns.
    Only the fields a short record lacks are reported when the format needs any of them.

    Memory is bounded whatever the file holds: of the cells in the columns a format reads
    (TEXT_COLUMNS), at most `max_chars` characters each are kept (a longer cell is reported "too
    long" with its length); of the other columns, only their cells' lengths. `name` is the file's
    name in errors (default: its own). Of a gzip file, reading more than `max_gzip_bytes` bytes
    raises DecompressedTooLargeError."""
    name = name or path.name
    # The wrapper decodes ahead in chunks, so a strict decoder would blame a bad byte on whatever
    # record is being read when its chunk is decoded (the header, for a small file). Escaped, the
    # byte stays in its own cell as a lone surrogate, which pair_parse reports for that row and field.
    with (
        _open_binary(path, max_gzip_bytes=max_gzip_bytes) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as text,
    ):
        limits = CsvLimits(cell_chars=CSV_HEADER_NAME_CHARS, cells=CSV_HEADER_COLUMNS)
        records = csv_records(text, limits=limits)
        first = next((r for r in records if r.count), None)  # blank lines before the header are skipped
        if first is None:
            return
        if first.unclosed:
            raise _unclosed_quote_error(name, first)
        header = first.cells
        if first.count > CSV_HEADER_COLUMNS:
            raise ImportSourceError(f"{name}: the CSV header has more than {CSV_HEADER_COLUMNS:,} columns")
        if any(type(name) is CellLength for name in header):
            raise ImportSourceError(
                f"{name}: a name in the CSV header is longer than {CSV_HEADER_NAME_CHARS:,} characters"
            )
        if not all(_encodable(name) for name in header):
            raise ImportSourceError(f"{name}: the CSV header is not valid UTF-8")
        # Which of two columns of one name holds the text cannot be told (a dict keeps the last).
        read = [column for column in header if column in TEXT_COLUMNS]
        if twice := next((column for column in read if read.count(column) > 1), None):
            raise ImportSourceError(f"{name}: the CSV header names {twice!r} twice")
        limits.cell_chars = max_chars
        limits.cells = len(header)
        limits.columns = frozenset(i for i, name in enumerate(header) if name in TEXT_COLUMNS)
        index = 0
        for record in records:
            if record.unclosed:
                raise _unclosed_quote_error(name, record)
            cells = record.cells
            if record.count <= len(header) and not any(type(c) is CellLength or c.strip() for c in cells):
                continue
            if record.count == len(header):
                yield SourceRow(record.line, index, dict(zip(header, cells, strict=True)))
            else:
                error = RowError(record.line, "csv", f"expected {len(header)} cells (the header's), got {record.count}")
                # Too many cells: which of them is the extra one cannot be told, so none is kept.
                values = dict(zip(header, cells, strict=False)) if record.count < len(header) else None
                yield SourceRow(record.line, index, values, error)
            index += 1


# Longest first: UTF-32-LE's mark begins with UTF-16-LE's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


# Files that are no text at all, by their first bytes, and what to import instead: read as text,
# each was "invalid JSON: not UTF-8" at its first row.
_BINARY_FORMATS = (
    (b"PAR1", "a Parquet file; import its JSONL or CSV form, or a dataset directory with format hf"),
    (b"PK\x03\x04", "a zip archive (an export's download is one); unpack it and import the data file inside"),
)


def _wide_encoding_check(path: Path, *, name: str) -> None:
    """Refuse a file that says it is UTF-16 or UTF-32 text (a byte order mark, as Windows tools
    write): read as UTF-8, each of its rows was "not UTF-8 text" or "cannot tell the format"; and a
    Parquet file or a zip archive, which are not text."""
    with _open_binary(path) as f:
        head = f.read(4)
    for magic, what in _BINARY_FORMATS:
        if head.startswith(magic):
            raise ImportSourceError(f"{name}: the file is {what}")
    for mark, encoding in _WIDE_BOMS:
        if head.startswith(mark):
            raise ImportSourceError(
                f"{name}: the file is {encoding} text (it starts with a {encoding} byte order mark); save it as UTF-8"
            )


# How far the check below looks for the first line that is not blank.
_HEAD_LINES = 100
_HEAD_BYTES = 1 << 16


def _json_document_check(path: Path, *, name: str) -> None:
    """Refuse a JSON file that is one document written over many lines, not JSON Lines: its first line
    that is not blank opens an array of objects ("[" alone, or "[{...") or is a lone "{" (an indented
    object). No line of it is a row: each was "invalid JSON" (the file "no readable rows"), but for the
    last object of a list with one object a line, which has no comma after it and was read as a row,
    so that --skip-invalid imported it alone."""
    with _open_binary(path) as f:
        for _ in range(_HEAD_LINES):
            line = f.readline(_HEAD_BYTES)
            if not line:
                return
            if first := line.removeprefix(codecs.BOM_UTF8).strip():
                break
        else:
            return
    if first.startswith(b"[") and first[1:].lstrip()[:1] in (b"", b"{"):
        what, convert = "one JSON array", "jq -c '.[]'"
    elif first == b"{":
        what, convert = "a JSON object written over several lines", "jq -c ."
    else:
        return
    raise ImportSourceError(
        f"{name}: the file is {what}, not JSON Lines, which an import reads: one whole object per line, "
        f"each line a pair. Convert it (for example with {convert} {name} > pairs.jsonl) and import that"
    )


def _unclosed_quote_error(name: str, record: CsvRecord) -> ImportSourceError:
    """A quote that never closes swallowed every line after it into one cell: those rows are not
    bad rows to skip but rows that cannot be read, so the file is refused whole, as a truncated one."""
    return ImportSourceError(
        f'{name}: the record starting on line {record.line:,} opens a quote (") that never closes, so '
        "every line after it was read as part of one cell; nothing imported. Close the quote, or double "
        'a quote meant inside a quoted cell ("")'
    )


def file_rows(
    path: Path, *, max_chars: int, name: str | None = None, max_gzip_bytes: int | None = None
) -> Iterator[SourceRow]:
    """Rows of a JSONL or CSV file, chosen by the file name (".csv" or ".csv.gz" is CSV). A file that
    cannot be read to its end (a truncated or corrupt gzip stream, a failing disk, a gzip file of more
    than `max_gzip_bytes` bytes once decompressed; None: no limit) raises ImportSourceError naming
    the last row read. `name` is the file's name in errors (default: its own; an uploaded file's is a
    random one)."""
    name = name or path.name
    if _is_csv(path):
        rows = csv_rows(path, max_chars=max_chars, name=name, max_gzip_bytes=max_gzip_bytes)
    else:
        rows = jsonl_rows(path, max_chars=max_chars, max_gzip_bytes=max_gzip_bytes)
    last = 0
    try:
        _wide_encoding_check(path, name=name)
        if not _is_csv(path):
            _json_document_check(path, name=name)
        for source_row in rows:
            last = source_row.row
            yield source_row
    except DecompressedTooLargeError as exc:
        # Refused whole, as a truncated file is: the rows read so far are not the file.
        where = f"after row {last}" if last else "before the first row"
        mib, part = divmod(exc.limit, 1 << 20)
        limit = f"{exc.limit:,} bytes" if part else f"{mib:,} MiB"
        raise ImportSourceError(
            f"{name}: more than {limit} once decompressed, the most an import reads of a gzip file "
            f"(PAIRWISE_MAX_GZIP_DECOMPRESSED_MB); stopped {where}, nothing imported"
        ) from exc
    # gzip raises EOFError for a stream cut short, zlib.error for damaged deflate data, BadGzipFile
    # (an OSError) for a bad header or checksum; any of them may come at any row.
    except (EOFError, zlib.error, OSError) as exc:
        where = f"after row {last}" if last else "before the first row"
        # Told by the error, not by opening the file again: that would raise again, a traceback,
        # for a file that cannot be opened at all (permission denied).
        damaged = isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile))
        what = "corrupt or truncated gzip data" if damaged else "cannot read the file"
        raise ImportSourceError(f"{name}: {what} {where}: {exc}") from exc


def file_format_detect(
    path: Path, *, max_chars: int, name: str | None = None, max_gzip_bytes: int | None = None
) -> str:
    """The row format of a file, from the keys of its first readable row (see file_rows for
    `max_gzip_bytes`)."""
    first_error: RowError | None = None
    for source_row in file_rows(path, max_chars=max_chars, name=name, max_gzip_bytes=max_gzip_bytes):
        first_error = first_error or source_row.error
        if source_row.values is not None and source_row.error is None:
            shape = shape_detect(source_row.values.keys())
            if shape is None:
                raise ImportSourceError(_shape_unknown_message(path, name, source_row))
            return shape
    if first_error is None:
        # Nothing but blank lines (or a CSV header): the same "no rows" as with a format, which would not help.
        raise ImportSourceError(f"{name or path.name}: no rows")
    # Rows that all fail are most often a CSV file the name did not say was one: a format won't help.
    read_as = "" if _is_csv(path) else " (read as JSONL: only a name ending in .csv or .csv.gz is read as CSV)"
    raise ImportSourceError(f"{name or path.name}: no readable rows to tell the format from: {first_error}{read_as}")


def _shape_unknown_message(path: Path, name: str | None, source_row: SourceRow) -> str:
    """Why no format fits the first readable row, and what to do: a CSV file's names are its
    header's, and the usual faults there are another delimiter or names that differ in case or spaces."""
    names = list(source_row.values or {})
    expected = "expected chosen/rejected, prompt/chosen/rejected or prompt/response_a/response_b"
    if not _is_csv(path):
        return f"cannot tell the format from row {source_row.row}'s fields {sorted(names)}: {expected}; pass a format"
    message = f"{name or path.name}: cannot tell the format from the CSV header's columns {names}: {expected}"
    if len(names) == 1 and (delimiter := next((d for d in ";\t|" if d in names[0]), None)):
        return f"{message}. The header is one column: only comma-separated CSV is read, not {delimiter!r}-separated"
    if shape_detect(n.strip().lower() for n in names):
        return f"{message}. Column names must match exactly: lower case, no spaces around them"
    return f"{message}; rename the header's columns (a format does not rename them)"


def dataset_is_builder(name: str) -> bool:
    """Whether `datasets.load_dataset(name)` means one of the library's own builders ("json", "csv",
    "text", "parquet", ...) rather than a Hub dataset: it checks its builders first, and one given no
    data files reads every file under the working directory."""
    from datasets.packaged_modules import _PACKAGED_DATASETS_MODULES  # what load_dataset itself checks

    return name in _PACKAGED_DATASETS_MODULES


def dataset_load(name_or_path: str, *, split: str | None):
    """A Hugging Face dataset split: a directory written by `save_to_disk` is loaded from disk,
    anything else goes through `datasets.load_dataset` (a Hub name or a local data directory)."""
    import datasets  # heavy: imported only when a dataset import runs

    path = Path(name_or_path)
    if path.is_dir() and ((path / "state.json").is_file() or (path / "dataset_dict.json").is_file()):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            split = split or "train"
            if split not in loaded:
                raise ImportSourceError(f"{name_or_path} has no split {split!r}: it has {sorted(loaded)}")
            return loaded[split]
        return loaded
    try:
        return datasets.load_dataset(name_or_path, split=split or "train")
    except (OSError, ValueError) as exc:  # no such data, the Hub unreachable (ConnectionError), a bad split
        raise ImportSourceError(f"cannot load dataset {name_or_path!r}: {exc}") from exc
    except datasets.exceptions.DatasetsError as exc:
        # Data that cannot be built: a malformed file, files whose columns differ. "An error occurred
        # while generating the dataset" says nothing; the error it wraps names the file and the fault.
        cause = exc.__cause__
        why = (
            f"{exc} ({type(cause).__name__}: {cause})" if cause is not None and str(cause) not in str(exc) else str(exc)
        )
        raise ImportSourceError(f"cannot load dataset {name_or_path!r}: {' '.join(why.split())}") from exc


def dataset_rows(dataset, *, batch_size: int = 1000) -> Iterator[SourceRow]:
    """Rows of a loaded dataset, read in column batches (much faster than one row at a time)."""
    index = 0
    for batch in dataset.iter(batch_size=batch_size):
        columns = list(batch)
        for values in zip(*(batch[c] for c in columns), strict=True):
            yield SourceRow(index + 1, index, dict(zip(columns, values, strict=True)))
            index += 1
