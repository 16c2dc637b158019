"""Sittings, assignment of pairs and judgments: the writes behind the annotator's page and API.

Lock order, everywhere: the sitting row, then assignment rows, then pair rows (by id). A sitting
start takes the annotator's user row before any of their sittings (the project's latest, then those
open in other projects, by id): sittings and breaks are the person's, one sitting open at a time.
Every write here runs inside `transaction.atomic()`; a caller sees its result only after the commit.

`sittings` opens and closes sittings, `assignment` leases the next pair, `judgments` records answers;
`common` holds what they share. This module is the public face of the three.
"""

from annotate.services.annotating.assignment import assignment_next, leases_expire, pair_statuses_refresh
from annotate.services.annotating.common import (
    EXPIRE_BATCH,
    MAX_LIVE_LEASES,
    MAX_RATIONALE_CHARS,
    REST_MINUTES,
    AnnotationError,
    SubmitResult,
)
from annotate.services.annotating.judgments import READING_WPM, Answer, judgment_submit, reading_floor_ms
from annotate.services.annotating.sittings import (
    sitting_activity_record,
    sitting_end,
    sitting_end_effective,
    sitting_refresh,
    sitting_start,
    sitting_start_refusal,
    sittings_close_stale,
)

__all__ = [
    "EXPIRE_BATCH",
    "MAX_LIVE_LEASES",
    "MAX_RATIONALE_CHARS",
    "READING_WPM",
    "REST_MINUTES",
    "AnnotationError",
    "Answer",
    "SubmitResult",
    "assignment_next",
    "judgment_submit",
    "leases_expire",
    "pair_statuses_refresh",
    "reading_floor_ms",
    "sitting_activity_record",
    "sitting_end",
    "sitting_end_effective",
    "sitting_refresh",
    "sitting_start",
    "sitting_start_refusal",
    "sittings_close_stale",
]
