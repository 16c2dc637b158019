"""Writes of the import: pairs in bulk, and the ImportJob rows that track imports run by workers."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from annotate.hub import HubIdError, hub_id_check
from annotate.importers import (
    FIELDS,
    FORMATS,
    HF,
    PAIRS,
    ImportSourceError,
    ImportValidationError,
    ParsedPair,
    RowError,
    SourceRow,
    dataset_is_builder,
    dataset_load,
    dataset_rows,
    file_format_detect,
    file_rows,
    looks_like_file,
    pair_parse,
    shape_detect,
)
from annotate.models import ImportJob, JobState, Pair, Project
from annotate.services.jobs import (
    job_claim,
    job_enqueue,
    job_error_internal,
    job_held,
    jobs_waiting_check,
    task_send,
)
from config.uploads import upload_too_large_message

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000
SQLITE_BATCH = 500
# An import keeps the first row errors only, in memory and on its job row, and counts the others: a
# gzip file of a few megabytes can hold a hundred million bad lines, and each error kept costs about
# 300 bytes of the worker's memory.
ERRORS_KEPT = 1000


@dataclass
class ImportResult:
    """What an import did. `duplicates_skipped` counts valid rows not written because their content
    hash was already in the project or earlier in the same source."""

    source_format: str
    rows_read: int = 0
    pairs_created: int = 0
    duplicates_skipped: int = 0
    invalid_rows: int = 0
    gold_marked: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{_count(self.rows_read, 'row')} read ({self.source_format}): {_count(self.pairs_created, 'pair')} "
            f"created, {_count(self.duplicates_skipped, 'duplicate')} skipped, "
            f"{_count(self.invalid_rows, 'invalid row')}"
            + (f", {_count(self.gold_marked, 'pair')} marked gold" if self.gold_marked else "")
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _source_open(
    *, source: str, fmt: str | None, split: str | None, max_chars: int, hub_only: bool, name: str
) -> tuple[str, Iterator[SourceRow]]:
    """(row format, rows) of a file path or a dataset; `fmt` None means detect it. With `hub_only`, a
    dataset must be a Hugging Face Hub id, not a directory on this machine. `name` names a file in
    errors (an uploaded file's own name is a random one). Of a gzip file, each reading (the format's
    detection, the import) stops with ImportSourceError past PAIRWISE_MAX_GZIP_DECOMPRESSED_MB."""
    if fmt is not None and fmt not in FORMATS:
        raise ImportSourceError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    path = Path(source)
    if fmt == HF and not hub_only and path.is_file():
        # load_dataset takes a Hub name or a directory: given a file, it said it "couldn't find any
        # data file at" the very file.
        raise ImportSourceError(
            f"{name}: format hf reads a dataset (a Hub name or a local directory), not a file; "
            "import a file without a format (it is detected) or with hh-rlhf, preference or pairs"
        )
    # A missing "data.jsonl" is a typo, not a Hub dataset: don't send it to load_dataset.
    if fmt == HF or (fmt is None and not path.is_file() and not looks_like_file(source)):
        if hub_only:
            try:
                hub_id_check(source, what="The dataset")
            except HubIdError as error:
                raise ImportSourceError(str(error)) from error
            if dataset_is_builder(source):
                # Checked here, in the worker, rather than in the request: the list comes with
                # `datasets`, which takes seconds to import.
                raise ImportSourceError(
                    f"The dataset {source!r} names a builder of the datasets library, which would read the "
                    "server's files; only a Hugging Face Hub id is accepted."
                )
        dataset = dataset_load(source, split=split)
        shape = shape_detect(dataset.column_names)
        if shape is None:
            raise ImportSourceError(
                f"dataset columns {dataset.column_names} match no format: expected chosen/rejected, "
                "prompt/chosen/rejected or prompt/response_a/response_b"
            )
        return shape, dataset_rows(dataset)
    if not path.is_file():
        raise ImportSourceError(f"no such file: {source}")
    if split:
        # A file has no splits: the split would be ignored, and the whole file imported.
        raise ImportSourceError(f"{name}: a split ({split!r}) belongs to a dataset (format hf), not to a file")
    max_gzip_bytes = settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB * (1 << 20)
    shape = fmt or file_format_detect(path, max_chars=max_chars, name=name, max_gzip_bytes=max_gzip_bytes)
    return shape, file_rows(path, max_chars=max_chars, name=name, max_gzip_bytes=max_gzip_bytes)


def _valid_pairs(
    rows: Iterator[SourceRow],
    *,
    shape: str,
    max_chars: int,
    result: ImportResult,
    errors: list[RowError],
    skip_invalid: bool,
    progress: Callable[[int], None] | None,
) -> Iterator[ParsedPair]:
    """The valid pairs of `rows`, first occurrence of each hash only; counts go into `result`.
    Without `skip_invalid`, no pair is yielded after the first error (the import will be rolled
    back), but every row is still validated so that all bad rows are counted at once (the first
    ERRORS_KEPT errors are kept in `errors`)."""
    seen: set[str] = set()
    for source_row in rows:
        result.rows_read += 1
        if progress is not None and result.rows_read % PROGRESS_EVERY == 0:
            progress(result.rows_read)
        parsed = pair_parse(source_row, fmt=shape, max_chars=max_chars)
        if isinstance(parsed, list):
            result.invalid_rows += 1
            errors.extend(parsed[: ERRORS_KEPT - len(errors)])
            continue
        if parsed.content_hash in seen:
            result.duplicates_skipped += 1
            continue
        seen.add(parsed.content_hash)
        if skip_invalid or not errors:
            yield parsed
    if progress is not None:
        progress(result.rows_read)


# The pair columns that differ from row to row in an import; the others are the same for all rows.
_ROW_COLUMNS = (
    "context, response_a, response_b, source_row, source_preference, gold_answer, content_hash, sort_key, prompt_marker"
)


class _Inserted(NamedTuple):
    """What an insert wrote: pairs created, and how many of them were made gold."""

    created: int
    gold_marked: int


def _constant_columns(given: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """The pair table's columns that are the same for every imported row, and their values: those in
    `given` (by field name), the others at their model default. Read from the model, so that a field
    added later with a default is filled rather than left to a NOT NULL violation."""
    per_row = {c.strip() for c in _ROW_COLUMNS.split(",")}
    columns, values = [], []
    for f in Pair._meta.concrete_fields:
        if f.primary_key or f.column in per_row:
            continue
        # get_default() is what Django itself would store: the declared default, "" for a text
        # field without one, None otherwise.
        value = given[f.name] if f.name in given else f.get_default()
        columns.append(connection.ops.quote_name(f.column))
        values.append(f.get_db_prep_save(value, connection))
    return columns, values


# Key of the transaction-scoped advisory lock that makes imports into one project take turns.
_IMPORT_LOCK = 0x5057_494D  # "PWIM"


def _binary_type(field) -> str:
    """The PostgreSQL type name psycopg's binary COPY needs for a column ("varchar(300)" → "varchar")."""
    return field.db_type(connection).split("(")[0]


def _postgres_insert(
    pairs: Iterator[ParsedPair], *, project: Project, source_name: str, source_format: str, gold_from_source: bool
) -> _Inserted:
    """COPY the new pairs straight into the pair table, with their source preference as their gold
    answer when `gold_from_source`.

    Streaming into the real table lets PostgreSQL insert and index rows on one core while this
    process reads, validates and hashes the rest on the other. COPY cannot skip conflicts, so
    duplicates are dropped here: the project's hashes are read first, under an advisory lock that
    makes imports into one project take turns, and the file's own repeats are tracked as they come.
    Precondition: inside a transaction."""
    started = time.monotonic()
    per_row = [c.strip() for c in _ROW_COLUMNS.split(",")]
    columns, values = _constant_columns(
        {
            "project": project.pk,
            "source_name": source_name,
            "source_format": source_format,
            "created_at": timezone.now(),
        }
    )
    fields = {f.column: f for f in Pair._meta.concrete_fields}
    types = [_binary_type(fields[c.strip('"')]) for c in columns] + [_binary_type(fields[c]) for c in per_row]
    table = connection.ops.quote_name(Pair._meta.db_table)
    created = gold_marked = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_IMPORT_LOCK, project.pk])
        cursor.execute(f"SELECT content_hash FROM {table} WHERE project_id = %s", [project.pk])  # noqa: S608
        seen = {row[0] for row in cursor.fetchall()}
        # Django's cursor wraps a psycopg 3 cursor, whose copy() streams rows in the COPY protocol;
        # binary format: no escaping of the texts on either side.
        sql = f"COPY {table} ({', '.join(columns)}, {_ROW_COLUMNS}) FROM STDIN (FORMAT BINARY)"
        with cursor.cursor.copy(sql) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            draw = random.random
            constant = tuple(values)
            for p in pairs:
                if p.content_hash in seen:
                    continue
                seen.add(p.content_hash)
                gold = p.source_preference if gold_from_source else ""
                write_row(
                    (
                        *constant,
                        p.context,
                        p.response_a,
                        p.response_b,
                        p.source_row,
                        p.source_preference,
                        gold,
                        p.content_hash,
                        draw(),
                        p.prompt_marker,
                    )
                )
                created += 1
                if gold:
                    gold_marked += 1
    # Debug: the command line and the job say what was imported once it commits; at INFO this line
    # broke into the progress bar, and counted as "copied" pairs a bad row then rolled back.
    logger.debug(
        "pair import into project %s: %d new pairs copied in %.2f s (not yet committed)",
        project.pk,
        created,
        time.monotonic() - started,
    )
    return _Inserted(created, gold_marked)


def _batched_insert(
    pairs: Iterator[ParsedPair], *, project: Project, source_name: str, source_format: str, gold_from_source: bool
) -> _Inserted:
    """bulk_create in batches, skipping hashes already present; for SQLite (the demo). Counts from
    the project's pairs before and after: ignore_conflicts does not say which rows it wrote."""
    project_pairs = Pair.objects.filter(project=project)
    before = project_pairs.count()
    gold_before = project_pairs.exclude(gold_answer="").count() if gold_from_source else 0
    now = timezone.now()
    batch: list[Pair] = []
    for p in pairs:
        batch.append(
            Pair(
                project=project,
                context=p.context,
                response_a=p.response_a,
                response_b=p.response_b,
                source_name=source_name,
                source_row=p.source_row,
                source_format=source_format,
                source_preference=p.source_preference,
                gold_answer=p.source_preference if gold_from_source else "",
                content_hash=p.content_hash,
                sort_key=random.random(),
                prompt_marker=p.prompt_marker,
                created_at=now,
            )
        )
        if len(batch) >= SQLITE_BATCH:
            Pair.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Pair.objects.bulk_create(batch, ignore_conflicts=True)
    gold_marked = project_pairs.exclude(gold_answer="").count() - gold_before if gold_from_source else 0
    return _Inserted(project_pairs.count() - before, gold_marked)


def pair_measures_enqueue(*, project_id: int) -> None:
    """Ask a worker for the new pairs' similarities and word counts (after an import or the demo's
    seeding, once committed). The work is not done in this process if the broker cannot be reached:
    the next bias report fills whatever is missing."""
    from analytics.tasks import fill_pair_measures

    task_send(task=fill_pair_measures, arg=project_id, recovery="the next bias report fills them in")


def pairs_import(
    *,
    project: Project,
    source: str | Path,
    fmt: str | None = None,
    split: str | None = None,
    skip_invalid: bool = False,
    source_name: str | None = None,
    progress: Callable[[int], None] | None = None,
    gold_from_source: bool = False,
    hub_only: bool = False,
) -> ImportResult:
    """Import the pairs of a file or Hugging Face dataset into `project`, in one transaction.

    `fmt` is one of importers.FORMATS, or None to detect it (a path that is not a file is taken for
    a dataset). Without `skip_invalid`, any invalid row raises ImportValidationError counting every
    bad row and nothing is written; with it, the valid rows are written and the bad ones counted in
    the result. Either way the first ERRORS_KEPT row errors are kept. Pairs whose content hash is
    already in the project, or earlier in the source, are skipped and counted. `source_name`
    defaults to the file name or the dataset name; `progress` is called with the number of rows read
    so far. Raises ImportSourceError when the source cannot be read at all or to its end (a gzip file
    of more than PAIRWISE_MAX_GZIP_DECOMPRESSED_MB MiB once decompressed among them), or has no rows,
    and then nothing is written, `skip_invalid` or not. With
    `gold_from_source`, the pairs this import creates that have a source preference are gold pairs
    with that answer (pairs already in the project, duplicates included, are left as they are). After
    the commit, a worker computes the new pairs' similarities and word counts. With `hub_only`
    (imports asked for over the web), a dataset must be a Hugging Face Hub id: a directory on the
    server is refused.
    """
    max_chars: int = settings.PAIRWISE_MAX_TEXT_CHARS
    source = str(source)
    if source_name is None:
        source_name = source if fmt == HF or not Path(source).is_file() else Path(source).name
    # A file name that is not UTF-8 reaches Python with a lone surrogate for each bad byte (PEP 383),
    # which PostgreSQL cannot store: those bytes are kept as U+FFFD.
    source_name = source_name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    shape, rows = _source_open(
        source=source, fmt=fmt, split=split, max_chars=max_chars, hub_only=hub_only, name=source_name
    )
    if gold_from_source and shape == PAIRS:
        # Checked before anything is read: the import would run and mark nothing.
        raise ImportSourceError(
            f"{source_name}: gold from the source needs the source's preference, and pairs "
            "(prompt/response_a/response_b) have none; mark gold pairs on the project's Gold pairs page"
        )
    result = ImportResult(source_format=shape)
    errors: list[RowError] = []
    pairs = _valid_pairs(
        rows,
        shape=shape,
        max_chars=max_chars,
        result=result,
        errors=errors,
        skip_invalid=skip_invalid,
        progress=progress,
    )
    insert = _postgres_insert if connection.vendor == "postgresql" else _batched_insert
    try:
        with transaction.atomic():
            # Gold is written with the rows: a later UPDATE could only find this import's pairs by their
            # source name, which an earlier import of another file of the same name shares.
            created, result.gold_marked = insert(
                pairs,
                project=project,
                source_name=source_name[:300],
                source_format=shape,
                gold_from_source=gold_from_source,
            )
            if not result.rows_read:
                raise ImportSourceError(f"{source_name}: no rows")
            if errors and not skip_invalid:
                # Raising inside the atomic block rolls back everything written above.
                raise ImportValidationError(
                    errors, rows_read=result.rows_read, invalid_rows=result.invalid_rows, source_format=shape
                )
            transaction.on_commit(lambda: pair_measures_enqueue(project_id=project.id))
    except ImportValidationError as invalid:
        hint = _format_hint(invalid, source=source, fmt=fmt, shape=shape, max_chars=max_chars, name=source_name)
        if hint is not None:
            raise ImportSourceError(hint) from invalid
        raise
    result.pairs_created = created
    valid = result.rows_read - result.invalid_rows - result.duplicates_skipped
    result.duplicates_skipped += valid - created
    result.errors = [e.as_dict() for e in errors]
    return result


def _format_hint(
    invalid: ImportValidationError, *, source: str, fmt: str | None, shape: str, max_chars: int, name: str
) -> str | None:
    """For a file read in a format chosen by hand whose every row lacks that format's fields: the
    format its rows do have, said instead of a "missing" for each row (found by the lead pages audit).
    None otherwise."""
    if fmt is None or fmt == HF or invalid.invalid_rows != invalid.rows_read or not invalid.errors:
        return None
    if any(error.message != "missing" for error in invalid.errors) or not Path(source).is_file():
        return None
    try:
        looks = file_format_detect(Path(source), max_chars=max_chars, name=name)
    except ImportSourceError:
        return None
    if looks == shape:
        return None
    return (
        f"{name}: no row has the fields of the format {shape} ({', '.join(FIELDS[shape])}); they look like "
        f"{looks} rows ({', '.join(FIELDS[looks])}). Choose that format, or let it be detected."
    )


def upload_size_check(*, upload: UploadedFile) -> None:
    """Raise ValidationError when `upload` is larger than PAIRWISE_MAX_UPLOAD_MB MiB.

    A body declaring much more than this was refused before it was read
    (config.uploads.MultipartBodyLimitMiddleware); this names the file that is over by less."""
    limit_mb: int = settings.PAIRWISE_MAX_UPLOAD_MB
    if upload.size is not None and upload.size > limit_mb * 1024 * 1024:
        raise ValidationError(upload_too_large_message(limit_mb), code="upload_too_large")


def _upload_save(upload: UploadedFile) -> Path:
    """Store an uploaded file under PAIRWISE_UPLOAD_DIR with a unique name that keeps its suffixes
    (".jsonl.gz", ".csv"), which tell the reader how to parse it."""
    upload_dir = Path(settings.PAIRWISE_UPLOAD_DIR)
    upload_dir.mkdir(parents=True, exist_ok=True)
    suffixes = "".join(s for s in Path(upload.name or "").suffixes[-2:] if s.replace(".", "").isalnum())
    path = upload_dir / f"{uuid.uuid4().hex}{suffixes.lower()}"
    with path.open("wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return path


def import_job_create(
    *,
    project: Project,
    user: AbstractBaseUser,
    fmt: str = "",
    skip_invalid: bool = False,
    upload: UploadedFile | None = None,
    dataset: str = "",
    split: str = "",
) -> ImportJob:
    """Record an import of an uploaded file or a dataset, and enqueue it once the record commits.

    Precondition: the caller checked that `user` leads `project`. Exactly one of `upload` and
    `dataset` is given; with `dataset`, `fmt` is "hf". An empty `fmt` means detect it. Raises
    JobsBusyError when the project already has MAX_WAITING_JOBS imports waiting or running."""
    if (upload is None) == (not dataset):
        raise ValueError("give exactly one of upload and dataset")
    # The import task lives in annotate.tasks, which imports this module.
    from annotate.tasks import import_pairs_task

    # Saved before the project's row is locked (a copy of up to PAIRWISE_MAX_UPLOAD_MB would hold it),
    # and removed again if the job is refused or not recorded.
    saved = _upload_save(upload) if upload is not None else None
    if saved is not None:
        source, original_name = str(saved), upload.name or ""
    else:
        source, original_name, fmt = dataset, dataset, HF
    try:
        with transaction.atomic():
            jobs_waiting_check(model=ImportJob, project=project)
            job = ImportJob.objects.create(
                project=project,
                created_by=user,
                source=source,
                original_name=original_name[:300],
                format=fmt,
                split=split,
                skip_invalid=skip_invalid,
            )
            transaction.on_commit(lambda: job_enqueue(task=import_pairs_task, job_id=job.pk))
    except Exception:
        if saved is not None:
            saved.unlink(missing_ok=True)
        raise
    return job


# Key of the session-scoped advisory lock a worker holds while it runs an import job (`job_held`).
_IMPORT_JOB_LOCK = 0x5057_494A  # "PWIJ"


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run an import job: one pending, or one whose worker died (`job_claim`). The import is one
    transaction, so a dead worker wrote nothing and the job starts over; or, dead between the import's
    commit and the job's end, everything, which the rerun counts as duplicates. A job a live worker
    runs, or one finished, is left alone: returns None. The job ends `done` with the counts, or
    `failed` with the error (row errors in `errors`); its uploaded file is deleted once it has ended."""
    with job_held(key=_IMPORT_JOB_LOCK, job_id=job_id) as held:
        if not held:
            return None
        if not job_claim(model=ImportJob, job_id=job_id, what="import"):
            ended = ImportJob.objects.filter(pk=job_id, state__in=[JobState.DONE, JobState.FAILED]).first()
            if ended is not None:
                _upload_discard(ended.source)  # failed here after its last attempt
            return None
        return _import_job_run_claimed(job_id=job_id)


def _import_job_run_claimed(*, job_id: int) -> ImportJob | None:
    job = ImportJob.objects.select_related("project").get(pk=job_id)
    ended: dict[str, Any] = {}
    try:
        result = pairs_import(
            project=job.project,
            source=job.source,
            fmt=job.format or None,
            split=job.split or None,
            skip_invalid=job.skip_invalid,
            source_name=job.original_name or None,
            # Jobs come from the web: their datasets are Hub ids, never the server's directories.
            hub_only=True,
        )
    except ImportValidationError as exc:
        ended = {
            "state": JobState.FAILED,
            "format": job.format or exc.source_format,  # as read, where it was detected
            "rows_read": exc.rows_read,
            "invalid_rows": exc.invalid_rows,
            "errors": [e.as_dict() for e in exc.errors],
            "error": str(exc),
        }
    except ImportSourceError as exc:
        ended = {"state": JobState.FAILED, "error": str(exc)}
    except Exception as exc:
        # Anything else is a bug or an outage; the job must still not stay "running" forever.
        logger.exception("import job %s failed", job_id)
        ended = {"state": JobState.FAILED, "error": job_error_internal(what="import", error=exc)}
    else:
        ended = {
            "state": JobState.DONE,
            "format": job.format or result.source_format,
            "rows_read": result.rows_read,
            "pairs_created": result.pairs_created,
            "duplicates_skipped": result.duplicates_skipped,
            "invalid_rows": result.invalid_rows,
            "errors": result.errors,
        }
    # An update, not a save: a row deleted while the job ran (in the admin, or with its project) stays
    # deleted; a save inserted it again (found by the job life cycle audit). Then the file: a worker that
    # died between the two left a job to take over whose file was gone (found by the review of this
    # change); the other way round, the sweep deletes the file no live job names.
    recorded = ImportJob.objects.filter(pk=job_id).update(**ended, finished_at=timezone.now())
    _upload_discard(job.source)
    if not recorded:
        return None
    job.refresh_from_db()
    return job


# An upload no waiting or running job names, this old, is left over (its job failed by the stale sweep
# after its worker died, or deleted); younger, its job may not have committed yet.
UPLOAD_ORPHAN_AFTER = dt.timedelta(hours=1)


def uploads_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the uploads in PAIRWISE_UPLOAD_DIR that no pending or running import names, older than
    UPLOAD_ORPHAN_AFTER: a job's own end deletes its file, but not a job failed by the stale sweep,
    nor one deleted while it waited (found by the job life cycle audit: uploads of killed imports
    stayed for good). Returns how many files were deleted."""
    upload_dir = Path(settings.PAIRWISE_UPLOAD_DIR)
    if not upload_dir.is_dir():
        return 0
    cutoff = ((now or timezone.now()) - UPLOAD_ORPHAN_AFTER).timestamp()
    live = {
        Path(source).resolve()
        for source in ImportJob.objects.filter(state__in=[JobState.PENDING, JobState.RUNNING]).values_list(
            "source", flat=True
        )
    }
    deleted = 0
    for path in upload_dir.iterdir():
        try:
            old = path.is_file() and path.stat().st_mtime < cutoff
        except FileNotFoundError:  # its job's end deleted it meanwhile
            continue
        if old and path.resolve() not in live:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def _upload_discard(source: str) -> None:
    """Delete a finished job's uploaded file; dataset names and paths outside the upload directory
    are left alone. A finished job never runs again, so the file is not needed again."""
    path = Path(source)
    if path.parent.resolve() == Path(settings.PAIRWISE_UPLOAD_DIR).resolve():
        path.unlink(missing_ok=True)
