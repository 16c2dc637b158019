"""Reads for the bias report: columns loaded straight into data frames, never model instances."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Case, CharField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.models import BiasReport
from annotate.models import JobState, Judgment, Pair, Project

if TYPE_CHECKING:
    import pandas as pd

# pandas and the metrics are imported where frames are built, not with this module: the web
# process imports it for the report's state and never builds a frame.

JUDGMENT_FIELDS = {
    "judgment_id": "id",
    "annotator": "annotator_id",
    "pair_id": "pair_id",
    "sitting_id": "sitting_id",
    "side": "side",
    "chosen_response": "chosen_response",
    "left_response": "left_response",
    "dwell_ms": "dwell_ms",
    "index_in_sitting": "index_in_sitting",
    "elapsed_in_sitting_ms": "elapsed_in_sitting_ms",
    "since_break_ms": "since_break_ms",
    "source_preference": "pair__source_preference",
    "fast": "fast",
    "is_gold": "is_gold",
    # An annotation of `judgment_frame`: read for gold judgments only, not joined for every judgment.
    "gold_answer": "gold_answer_now",
    "gold_correct": "gold_correct",
    "probe_of": "probe_of_id",
}
PAIR_FIELDS = {
    "pair_id": "id",
    "source_name": "source_name",
    "source_preference": "source_preference",
    "judgment_count": "judgment_count",
    "gold_answer": "gold_answer",
    "transcript_similarity": "transcript_similarity",
    "response_similarity": "response_similarity",
    "words_context": "words_context",
    "words_response_a": "words_response_a",
    "words_response_b": "words_response_b",
    "words_transcript_a": "words_transcript_a",
    "words_transcript_b": "words_transcript_b",
}


def _column_kind(queryset, path: str) -> tuple[str, bool]:
    """("text" | "bool" | "datetime" | "number", nullable) of a values_list path such as
    "pair__source_preference" or "annotator_id", or of one of the queryset's annotations."""
    annotation = queryset.query.annotations.get(path)
    if annotation is not None:
        field = annotation.output_field
    else:
        model = queryset.model
        *relations, last = path.split("__")
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        field = model._meta.get_field(last)
    kinds = {"CharField": "text", "TextField": "text", "SlugField": "text", "BooleanField": "bool"}
    kind = kinds.get(
        field.get_internal_type(), "datetime" if field.get_internal_type() == "DateTimeField" else "number"
    )
    return kind, field.null


def _frame_orm(queryset, fields: dict[str, str]) -> pd.DataFrame:
    import pandas as pd

    rows = queryset.values_list(*fields.values()).iterator(chunk_size=20_000)
    return pd.DataFrame.from_records(list(rows), columns=list(fields))


class _CopyStream(io.RawIOBase):
    """The blocks of a psycopg `COPY … TO STDOUT` as a readable binary stream."""

    def __init__(self, blocks: Iterable) -> None:
        self._blocks = iter(blocks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = memoryview(block)
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _frame_copy(queryset, fields: dict[str, str]) -> pd.DataFrame:
    """The frame `_frame_orm` gives, read with PostgreSQL's `COPY (query) TO STDOUT` as CSV and parsed
    by pandas' C reader: no Python object per row (a million judgments: ~4 s instead of ~12 s)."""
    import pandas as pd

    sql, params = queryset.values_list(*fields.values()).query.sql_with_params()
    kinds = {column: _column_kind(queryset, path) for column, path in fields.items()}
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
        # Parsed as PostgreSQL sends it: the CSV text is never held whole (a million judgments:
        # ~200 MB less at the report's peak).
        frame = pd.read_csv(
            io.BufferedReader(_CopyStream(copy), buffer_size=1 << 20),
            header=None,
            names=list(fields),
            dtype={column: "str" for column, (kind, _) in kinds.items() if kind != "number"},
            keep_default_na=False,
            na_values={column: [""] for column, (kind, null) in kinds.items() if kind == "number" and null},
        )
    for column, (kind, null) in kinds.items():
        if kind == "bool":
            values = frame[column].map({"t": True, "f": False, "": None})
            frame[column] = values.astype(object) if null and values.isna().any() else values.astype(bool)
        elif kind == "datetime":
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def _frame(queryset, fields: dict[str, str]) -> pd.DataFrame:
    if connection.vendor == "postgresql":
        return _frame_copy(queryset, fields)
    return _frame_orm(queryset, fields)


def judgments_with_gold_answer(judgments: QuerySet[Judgment]) -> QuerySet[Judgment]:
    """`judgments` with `gold_answer_now`: the pair's gold answer now, for gold judgments, and "" for
    the others, which is all the metrics read of it. Joined for every judgment, it read the whole pair
    table; read so, the scorecards' frame takes about half the time (bench/scorecards_frame.py,
    docs/benchmarks.md)."""
    answer_now = Pair.objects.filter(pk=OuterRef("pair_id")).values("gold_answer")[:1]
    return judgments.annotate(
        gold_answer_now=Case(
            When(is_gold=True, then=Coalesce(Subquery(answer_now), Value(""))),
            default=Value(""),
            output_field=CharField(),
        )
    )


def judgment_frame(
    *, project: Project, annotator_id: int | None = None, columns: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per judgment of the project (or of one annotator in it), in the column contract of
    `analytics.metrics`: every column of JUDGMENT_FIELDS plus `probe_consistent`, with `gold_correct`
    scored against each pair's current gold answer (`quality.gold_correct_column`); or only `columns`."""
    fields = JUDGMENT_FIELDS if columns is None else {name: JUDGMENT_FIELDS[name] for name in columns}
    judgments = Judgment.objects.filter(project=project)
    if "gold_answer" in fields:
        judgments = judgments_with_gold_answer(judgments)
    if annotator_id is not None:
        judgments = judgments.filter(annotator_id=annotator_id)
    frame = _frame(judgments.order_by("id"), fields)
    for column in ("dwell_ms", "since_break_ms", "gold_correct", "probe_of"):
        if column in frame.columns:
            frame[column] = frame[column].astype(float)
    if columns is None:
        from analytics.metrics.quality import gold_correct_column, probe_consistency_column

        frame["gold_correct"] = gold_correct_column(frame)
        frame["probe_consistent"] = probe_consistency_column(frame)
    return frame


def pair_frame(*, project: Project) -> pd.DataFrame:
    """One row per pair of the project with its stored word counts and similarities."""
    return _frame(Pair.objects.filter(project=project).order_by("id"), PAIR_FIELDS)


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the site's time zone, as an aware datetime: a bound on `answered_at` that
    its index serves, where `answered_at__date` casts every row first."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def bias_report_latest(*, project: Project) -> BiasReport | None:
    return BiasReport.objects.filter(project=project, state=JobState.DONE).order_by("-computed_at", "-id").first()


def bias_report_live(*, project: Project) -> BiasReport | None:
    return BiasReport.objects.filter(project=project, state__in=[JobState.PENDING, JobState.RUNNING]).first()
