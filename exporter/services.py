"""Exports: judgments from the database, filtered and aggregated, written as training data.

`export_write` is the whole export into a directory (the CLI calls it directly); `export_job_run`
runs it for an `ExportJob` row in a worker and packs the directory into one archive to download.
The record builders, aggregation and writers are the Django-free modules beside this one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import math
import shutil
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from analytics.selectors import bias_report_latest
from annotate.hub import HubIdError, hub_id_check
from annotate.importers import ASSISTANT
from annotate.models import AuditEvent, JobState, Judgment, Membership, Pair, Project, ProjectSettingsChange
from annotate.services.jobs import job_claim, job_enqueue, job_error_internal, job_held, jobs_waiting_check
from annotate.services.members import PAUSED, RESUMED
from exporter import aggregation, records
from exporter.models import ExportJob

logger = logging.getLogger(__name__)

FORMATS = (*records.FORMATS, "tokenized")
WRITERS = ("jsonl", "jsonl.gz", "parquet", "hf")
AGGREGATES = ("majority", "dawid-skene")
# `criteria` is written as a JSON string (see `_records`).
# `is_gold` and `probe_of_id` (the judgment a swapped repeat repeats) tell apart the records that
# --include-gold and --include-probes let in.
PER_JUDGMENT_COLUMNS = (
    *aggregation.PER_JUDGMENT_FIELDS,
    "criteria",
    "safety",
    "rationale",
    "fast",
    "is_gold",
    "probe_of_id",
)
# What is read of each judgment: its per-judgment columns (judgment_id is the row's id), and what
# aggregation and the gold/probe filters need (among those columns).
JUDGMENT_FIELDS = (
    "id",
    "pair_id",
    "chosen_response",
    *(name for name in PER_JUDGMENT_COLUMNS if name != "judgment_id"),
)
# Llama 2's margins for its strength scale (Strength 1..4: significantly, better, slightly, negligibly).
STRENGTH_MARGIN = {1: 3, 2: 2, 3: 1, 4: 0}
PAIR_FIELDS = (
    "id",
    "context",
    "response_a",
    "response_b",
    "source_name",
    "source_row",
    "content_hash",
    "prompt_marker",
    "transcript_similarity",
    "response_similarity",
)


class ExportError(Exception):
    """Options that cannot be exported as given; `option`, when one option is the cause, names it (as
    ExportOptions does), for the Exports page to mark its field."""

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


def aware_in_site_zone(value: dt.datetime, *, name: str = "") -> dt.datetime:
    """`value` as an aware datetime: a time without a zone is in the site's TIME_ZONE (the Exports page,
    the API and the command read `since` and `until` so). A ValueError that names `name` for a time
    that zone's clocks skip or show twice, on the nights they change: it was read as one of its two
    offsets without a word (2026-03-29T02:30 in Berlin, a time no clock there showed, as 03:30)."""
    if timezone.is_aware(value):
        return value
    zone = timezone.get_current_timezone()
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    typed = " ".join(filter(None, (name, value.isoformat(timespec="minutes"))))
    # zoneinfo gives a skipped time the offset from before the change with fold 0, and a repeated one
    # the offset of its first showing: the clocks went forward past it if that offset is the smaller.
    if first.utcoffset() < second.utcoffset():
        raise ValueError(
            f"{typed} is no time in {zone}: its clocks skip it that night. Give a time they show, "
            "or one with its UTC offset."
        )
    raise ValueError(
        f"{typed} comes twice in {zone}: its clocks show it again that night. Give it with its UTC "
        f"offset: {first.isoformat(timespec='minutes')} (the first) or {second.isoformat(timespec='minutes')}."
    )


# The max_length any export may ask for (ExportOptions.check); the tokenizer's own limit comes on top.
MAX_LENGTH_RANGE = (8, 8192)


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how. Every filter is off when None (False for the `exclude_*` ones)."""

    format: str = records.FORMAT_HH_RLHF
    writer: str = "jsonl"
    per_judgment: bool = False
    with_metadata: bool = False
    aggregate: str = "majority"
    include_gold: bool = False
    include_probes: bool = False
    min_judgments: int | None = None
    min_agreement: float | None = None
    max_similarity: float | None = None
    max_response_similarity: float | None = None
    exclude_flagged: bool = False
    exclude_paused: bool = False
    max_sitting_minutes: float | None = None
    max_index_in_sitting: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    source: str | None = None
    test_size: float = 0.1
    seed: int = 0
    tokenizer: str = "gpt2"
    max_length: int = 512

    def check(self) -> None:
        """Raise the first of `problems`, if there is one."""
        for problem in self.problems():
            raise problem

    def problems(self) -> Iterator[ExportError]:
        """Each reason these options cannot be exported, in order (the Exports page shows them all, at
        their fields; the API and the command line say the first)."""
        if self.format not in FORMATS:
            yield ExportError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}.", option="format")
        if self.aggregate not in AGGREGATES:
            yield ExportError(
                f"aggregate must be one of {', '.join(AGGREGATES)}, not {self.aggregate!r}.", option="aggregate"
            )
        if self.writer not in WRITERS:
            yield ExportError(f"writer must be one of {', '.join(WRITERS)}, not {self.writer!r}.", option="writer")
        if self.include_probes and not self.per_judgment:
            # A probe is its annotator judging the same pair again: aggregated, it could only be
            # counted as a second vote of one person (breaking ties, lifting agreement).
            yield ExportError(
                "include_probes needs per_judgment: a swapped repeat is the same annotator's judgment "
                "of the same pair again, not another vote to aggregate.",
                option="include_probes",
            )
        # Options a format would ignore are refused, so that the manifest never records one as applied.
        if self.with_metadata and self.format in {records.FORMAT_HH_RLHF, "tokenized"}:
            yield ExportError(
                f"{self.format} records carry no metadata columns; metadata columns (with_metadata) need the "
                "preference or conversational format.",
                option="with_metadata",
            )
        if self.format == "tokenized" and self.writer != "jsonl":
            yield ExportError(
                f"The tokenized format writes its own files (a torch Dataset); writer {self.writer!r} does not apply.",
                option="writer",
            )
        # NaN passes no comparison, so a range check alone lets it through (max_sitting_minutes had
        # none at all), and the job's options are stored as JSON, which has no NaN or infinity.
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, float) and not math.isfinite(value):
                yield ExportError(f"{item.name} must be a finite number.", option=item.name)
        for name in ("min_agreement", "max_similarity", "max_response_similarity"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                yield ExportError(f"{name} must be between 0 and 1.", option=name)
        if self.max_sitting_minutes is not None and self.max_sitting_minutes < 0:
            yield ExportError("max_sitting_minutes must be at least 0.", option="max_sitting_minutes")
        for name in ("min_judgments", "max_index_in_sitting"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                yield ExportError(f"{name} must be at least 1.", option=name)
        if self.since is not None and self.until is not None and self.since >= self.until:
            yield ExportError("since must be before until.", option="since")
        if not 0 <= self.test_size <= 1:
            yield ExportError("test_size must be between 0 and 1.", option="test_size")
        if not MAX_LENGTH_RANGE[0] <= self.max_length <= MAX_LENGTH_RANGE[1]:
            yield ExportError(
                f"max_length must be between {MAX_LENGTH_RANGE[0]} and {MAX_LENGTH_RANGE[1]} tokens.",
                option="max_length",
            )
        # Options left at their defaults are not asked for; others that this export would not use are
        # refused (the manifest records only the options used: `applied`).
        defaults = ExportOptions()
        for name, applies_to in sorted(self._unused().items()):
            if getattr(self, name) != getattr(defaults, name):
                yield ExportError(f"{name} {applies_to}; this export would not use it.", option=name)

    def _unused(self) -> dict[str, str]:
        """The options this export does not use, each with what it applies to."""
        unused = {}
        if self.per_judgment:
            unused["aggregate"] = "combines a pair's judgments, which per_judgment keeps apart"
        if self.format != "tokenized":
            unused |= dict.fromkeys(("tokenizer", "max_length"), "applies to the tokenized format only")
        if self.writer != "hf":  # (the tokenized format takes no writer but jsonl)
            unused |= dict.fromkeys(("test_size", "seed"), "splits train from test for writer hf only")
        if self.format == "tokenized":
            unused["writer"] = "is a file type for records; the tokenized format writes its own files"
        if self.format in {records.FORMAT_HH_RLHF, "tokenized"}:
            unused["with_metadata"] = "adds columns to the preference and conversational records only"
        return unused

    def applied(self) -> dict[str, Any]:
        """`as_json` without the options this export does not use: what the manifest and card record."""
        unused = self._unused()
        return {name: value for name, value in self.as_json().items() if name not in unused}

    def as_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportOptions:
        values = dict(data)
        for name in ("since", "until"):
            if values.get(name):
                values[name] = dt.datetime.fromisoformat(values[name])
        return cls(**values)


@dataclass
class ExportResult:
    counts: dict[str, Any] = field(default_factory=dict)
    filter_effects: dict[str, int] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)


def _flagging_report(report):
    """`report`, the latest bias report, which says who is flagged. Raises ExportError when the project
    has none yet: excluding the flagged would then silently exclude nobody."""
    if report is None or not report.payload:
        raise ExportError(
            "exclude_flagged needs a bias report, and this project has none yet: the worker computes one "
            "within minutes of the first judgments of an active project, and a lead can ask for one now "
            "(Recompute on the dashboard, or `manage.py bias_report --project SLUG --save`); export again "
            "once it is there.",
            option="exclude_flagged",
        )
    if not report.flags_current:
        # Computed before an upgrade that changed who is flagged (a report from before length flags
        # has none): excluding by it would keep annotators this version flags.
        raise ExportError(
            f"exclude_flagged needs a bias report of this version of Pairwise, and the latest one (#{report.id}) "
            "was computed by an older version, which flags by other rules: the worker recomputes it within "
            "minutes while the project is open for annotation, and a lead can ask for one now (Recompute on "
            "the dashboard, or `manage.py bias_report --project SLUG --save`); export again once it is there.",
            option="exclude_flagged",
        )
    return report


# The report's sections whose per-annotator rows carry a flag. Careless answering (agreement with the
# others' majority below the rest's): a random clicker, flagged by none of the other three, stayed in.
FLAGGED_SECTIONS = ("position", "length", "fatigue", "careless")


def flagged_annotators(report) -> tuple[int, set[int]]:
    """The bias report's id and the annotators it flags (position, length, fatigue or careless
    answering); see _flagging_report."""
    report = _flagging_report(report)
    flagged = set()
    for name in FLAGGED_SECTIONS:
        flagged |= {int(row["annotator"]) for row in report.payload[name]["per_annotator"] if row.get("flagged")}
    return report.id, flagged


def paused_annotators(*, project: Project) -> set[int]:
    """Annotators paused in `project` now (by its lead or by the gold rule): their judgments, those
    made before the pause included, are what a lead who paused them for bad work does not trust.

    One removed from the project while paused counts too (the audit log's last pause or resume of
    theirs is a pause): the removal deletes the membership that held the pause, and removing a bad
    annotator is the step after pausing them, not a pardon. Added back, they are a member again,
    unpaused as the lead who added them chose."""
    members = Membership.objects.filter(project=project)
    paused = set(members.filter(paused_at__isnull=False).values_list("user_id", flat=True))
    last: dict[int, str] = {}
    for subject_id, action in (
        AuditEvent.objects.filter(project=project, action__in=[PAUSED, RESUMED])
        .exclude(subject_id__in=members.values("user_id"))
        .order_by("created_at", "id")
        .values_list("subject_id", "action")
    ):
        last[subject_id] = action
    return paused | {subject_id for subject_id, action in last.items() if action == PAUSED}


def _keep(rows: list, predicate, name: str, effects: dict[str, int], active: bool) -> list:
    """Apply one filter, recording how many rows it removed (filters that are off are not listed)."""
    if not active:
        return rows
    kept = [row for row in rows if predicate(row)]
    effects[name] = len(rows) - len(kept)
    return kept


def _judgments_filtered(
    *, project: Project, options: ExportOptions, flagged: set[int], paused: set[int], effects: dict[str, int]
) -> list[dict]:
    rows = list(Judgment.objects.filter(project=project).order_by("id").values(*JUDGMENT_FIELDS))
    for row in rows:
        row["judgment_id"] = row.pop("id")
    # Gold now as well as served as gold: a pair a lead marked gold after it was judged in the queue is
    # gold all the same. The gold pairs' ids, from their partial index, rather than a join of every
    # judgment to the pair table.
    gold_now = set(Pair.objects.filter(project=project).exclude(gold_answer="").values_list("id", flat=True))
    # Gold answers and swapped repeats are instruments for measuring annotators, not data: out by default.
    rows = _keep(
        rows,
        lambda r: not r["is_gold"] and r["pair_id"] not in gold_now,
        "gold_excluded",
        effects,
        not options.include_gold,
    )
    rows = _keep(rows, lambda r: r["probe_of_id"] is None, "probes_excluded", effects, not options.include_probes)
    rows = _keep(rows, lambda r: r["annotator_id"] not in flagged, "exclude_flagged", effects, options.exclude_flagged)
    rows = _keep(rows, lambda r: r["annotator_id"] not in paused, "exclude_paused", effects, options.exclude_paused)
    limit_ms = (options.max_sitting_minutes or 0) * 60_000
    rows = _keep(
        rows,
        lambda r: r["elapsed_in_sitting_ms"] <= limit_ms,
        "max_sitting_minutes",
        effects,
        options.max_sitting_minutes is not None,
    )
    rows = _keep(
        rows,
        lambda r: r["index_in_sitting"] <= options.max_index_in_sitting,
        "max_index_in_sitting",
        effects,
        options.max_index_in_sitting is not None,
    )
    rows = _keep(rows, lambda r: r["answered_at"] >= options.since, "since", effects, options.since is not None)
    rows = _keep(rows, lambda r: r["answered_at"] < options.until, "until", effects, options.until is not None)
    return rows


def _pairs_filtered(*, pair_ids: Iterable[int], options: ExportOptions, effects: dict[str, int]) -> dict[int, dict]:
    pairs = []
    ids = sorted(set(pair_ids))
    for start in range(0, len(ids), 5000):
        pairs += Pair.objects.filter(id__in=ids[start : start + 5000]).values(*PAIR_FIELDS)
    pairs = _keep(pairs, lambda p: p["source_name"] == options.source, "source", effects, options.source is not None)
    pairs = _keep(
        pairs,
        lambda p: p["transcript_similarity"] is not None and p["transcript_similarity"] <= options.max_similarity,
        "max_similarity",
        effects,
        options.max_similarity is not None,
    )
    pairs = _keep(
        pairs,
        lambda p: p["response_similarity"] is not None and p["response_similarity"] <= options.max_response_similarity,
        "max_response_similarity",
        effects,
        options.max_response_similarity is not None,
    )
    return {p["id"]: p for p in pairs}


def _order_key(pair: dict) -> tuple:
    # Source order first, so that an HH-RLHF import comes back out in its file's order.
    return (pair["source_name"], pair["source_row"] if pair["source_row"] is not None else -1, pair["id"])


def _records(*, options: ExportOptions, judgments: list[dict], pairs: dict[int, dict], effects: dict[str, int]):
    """The export's records (in a stable order), their stable keys for the train/test split, each
    record's ids (`pair_id`, and `judgment_id` per judgment), and counts."""
    judgments = [row for row in judgments if row["pair_id"] in pairs]
    out: list[tuple[tuple, str, dict]] = []
    counts: dict[str, Any] = {"judgments_in": len(judgments)}
    if options.per_judgment:
        kept = _per_judgment_pairs_filtered(judgments=judgments, options=options, effects=effects)
        per = aggregation.judgments_per_record(rows=kept, fields=PER_JUDGMENT_COLUMNS)
        # judgments_in stays the count before the pair filters, as in the aggregated mode.
        counts |= per.counts | {"judgments_in": len(judgments)}
        for pair_id, winner, metadata in per.records:
            # A JSON string, in every writer: a project's criteria are its own (and may change), so no
            # one column type fits them, and without criteria the dict is always {}, which Arrow infers
            # as a struct with no fields and Parquet cannot write. Sorted keys: the same text on any
            # database, whatever order it keeps a JSON object's keys in.
            metadata["criteria"] = json.dumps(metadata["criteria"] or {}, ensure_ascii=False, sort_keys=True)
            out.append(((*_order_key(pairs[pair_id]), metadata["judgment_id"]), pair_id, winner, metadata))
    else:
        aggregated = aggregation.pairs_aggregate(votes_by_pair=aggregation.votes_group(rows=judgments))
        if options.aggregate == "dawid-skene":
            outcomes = _dawid_skene(judgments=judgments)
            counts["pairs_in"] = aggregated.counts["pairs_in"]
            counts["pairs_without_winner"] = counts["pairs_in"] - len(outcomes)
        else:
            outcomes = {pair_id: (outcome, {}) for pair_id, outcome in aggregated.outcomes.items()}
            counts |= aggregated.counts
        if options.min_judgments is not None:
            kept = {k: o for k, o in outcomes.items() if o[0].n_decisive >= options.min_judgments}
            effects["min_judgments"] = len(outcomes) - len(kept)
            outcomes = kept
        if options.min_agreement is not None:
            kept = {k: o for k, o in outcomes.items() if o[0].agreement >= options.min_agreement}
            effects["min_agreement"] = len(outcomes) - len(kept)
            outcomes = kept
        votes = aggregation.votes_group(rows=judgments)
        for pair_id, (outcome, extra) in outcomes.items():
            extra = extra | {"strength_margin": strength_margin(votes=votes[pair_id], winner=outcome.winner)}
            out.append((_order_key(pairs[pair_id]), pair_id, outcome.winner, outcome.metadata() | extra))
    out.sort(key=lambda item: item[0])
    built, keys = [], []
    split_keys: dict[int, str] = {}
    ids: dict[str, list[int]] = {"pair_id": []} | ({"judgment_id": []} if options.per_judgment else {})
    for _, pair_id, winner, metadata in out:
        ids["pair_id"].append(pair_id)
        if options.per_judgment:
            ids["judgment_id"].append(metadata["judgment_id"])
        pair = pairs[pair_id]
        chosen, rejected = (
            (pair["response_a"], pair["response_b"])
            if winner == "a"
            else (
                pair["response_b"],
                pair["response_a"],
            )
        )
        extra = None
        if options.with_metadata:
            extra = {"pair_id": pair_id, "source_name": pair["source_name"], "source_row": pair["source_row"]}
            extra |= metadata
        fmt = records.FORMAT_HH_RLHF if options.format == "tokenized" else options.format
        built.append(
            records.record_build(
                fmt=fmt,
                context=pair["context"],
                chosen=chosen,
                rejected=rejected,
                metadata=extra,
                prompt_marker=pair["prompt_marker"],
            )
        )
        if pair_id not in split_keys:
            split_keys[pair_id] = split_key(pair["context"])
        keys.append(split_keys[pair_id])
    counts["records"] = len(built)
    return built, keys, ids, counts


def split_key(context: str) -> str:
    """The train/test split key of a pair with this context: its conversation's opening, the context
    up to its first "\n\nAssistant:" (all of it when it has none). Every record of a pair, of every
    pair of one prompt (several response pairs per prompt are common), and of every pair whose
    conversation continues another's (its context is the other's, that pair's response and more
    turns) lands in one split, so that the test split asks nothing that train has seen, not even a
    test record's response inside a train prompt. Keyed by the whole context, as before, a
    conversation and its continuation could straddle the split (found by the ML engineer's audit).
    Conversations that merely open alike ("Hi") land together too, which costs only evenness."""
    opening = context.split(ASSISTANT, 1)[0]
    return "opening:" + hashlib.sha256(opening.encode()).hexdigest()


def _per_judgment_pairs_filtered(
    *, judgments: list[dict], options: ExportOptions, effects: dict[str, int]
) -> list[dict]:
    """Per-judgment mode's `min_judgments` and `min_agreement`: each pair is judged by all its decisive
    votes, as the aggregated mode judges it, and its judgments are kept or dropped together (a filter
    that looked at single judgments could not see agreement at all). The effects count pairs, as in
    the aggregated mode. A pair's agreement is the share of its decisive votes for the response chosen
    more often, so an even split (no winner, never in an aggregated export) has 0.5. Pairs without a
    decisive vote give no record whatever the filters, and stay counted as ties and skips."""
    if options.min_judgments is None and options.min_agreement is None:
        return judgments
    # The aggregated mode's own tally of each pair; an even split has no winner, hence no agreement.
    # Swapped repeats (with include_probes) are records but not votes: an annotator votes once.
    votes = [row for row in judgments if row["probe_of_id"] is None]
    outcomes = {
        pair_id: outcome
        for pair_id, pair_votes in aggregation.votes_group(rows=votes).items()
        if (outcome := aggregation.votes_aggregate(votes=pair_votes)).n_decisive
    }
    pair_ids = _keep(
        list(outcomes),
        lambda pair_id: outcomes[pair_id].n_decisive >= options.min_judgments,
        "min_judgments",
        effects,
        options.min_judgments is not None,
    )
    pair_ids = _keep(
        pair_ids,
        lambda pair_id: (outcomes[pair_id].agreement or 0.5) >= options.min_agreement,
        "min_agreement",
        effects,
        options.min_agreement is not None,
    )
    dropped = set(outcomes) - set(pair_ids)
    return [row for row in judgments if row["pair_id"] not in dropped]


def strength_margin(*, votes: Sequence[dict], winner: str) -> float | None:
    """Mean signed margin of the decisive votes that carry a strength: Llama 2's margin (3, 2, 1, 0
    for significantly / better / slightly / negligibly better) for the winner, negated against it.
    None when no vote has a strength. A reward-model loss can use it as its margin."""
    signed = [
        STRENGTH_MARGIN[v["strength"]] * (1 if v["chosen_response"] == winner else -1)
        for v in votes
        if v["chosen_response"] in ("a", "b") and v.get("strength") in STRENGTH_MARGIN
    ]
    return sum(signed) / len(signed) if signed else None


def _dawid_skene(*, judgments: list[dict]) -> dict[int, tuple[aggregation.PairOutcome, dict[str, float]]]:
    """Dawid–Skene winners, with the posterior of the winner as `confidence`; the other per-pair
    figures are the majority's, with agreement recomputed for the Dawid–Skene winner."""
    from exporter.reliability import dawid_skene_aggregate

    by_pair = aggregation.votes_group(rows=judgments)
    outcomes = {}
    for pair_id, (winner, confidence) in dawid_skene_aggregate(rows=judgments).items():
        outcome = aggregation.votes_aggregate(votes=by_pair[pair_id])
        for_winner = sum(1 for row in by_pair[pair_id] if row["chosen_response"] == winner)
        outcome = dataclasses.replace(outcome, winner=winner, agreement=for_winner / outcome.n_decisive)
        outcomes[pair_id] = (outcome, {"confidence": confidence})
    return outcomes


def _length_effect(model: dict | None) -> dict[str, Any] | str:
    """The length term of the report's length-controlled regression, for the dataset card: its
    log-odds and p, or why there is none."""
    model = model or {}
    if "n_without_reference" not in model:
        return "not in this report: it was computed before content was held apart by a reference; recompute it"
    term = (model.get("coefficients") or {}).get("length_difference")
    if term is None:
        return model.get("reason") or "no length term"
    if "clusters" not in model:
        # Its p took every judgment as independent: one annotator's habit passed for the crowd's.
        return "not in this report: it was computed before its p was clustered by annotator; recompute it"
    return {
        "log_odds": term["estimate"],
        "p_value": term["p_value"],
        "p_value_inference": "cluster-robust by annotator, Student's t with annotators - 1 degrees of freedom"
        if term["p_value"] is not None
        else "none: a p clustered by annotator needs more annotators than the model's terms",
        "annotators": model["clusters"],
        "judgments": model["n"],
        "judgments_without_reference": model.get("n_without_reference", 0),
    }


def _bias_summary(report) -> dict[str, Any] | None:
    if report is None or not report.payload:
        return None
    payload = report.payload
    return {
        "computed_at": report.computed_at.isoformat() if report.computed_at else None,
        "judgments": payload["n_judgments"],
        "left_rate_overall": payload["position"]["overall"].get("rate"),
        "annotators_flagged_for_position": [
            r["annotator"] for r in payload["position"]["per_annotator"] if r["flagged"]
        ],
        "annotators_flagged_for_length": [
            r["annotator"] for r in payload["length"]["per_annotator"] if r.get("flagged")
        ],
        "annotators_flagged_for_fatigue": [r["annotator"] for r in payload["fatigue"]["per_annotator"] if r["flagged"]],
        "annotators_flagged_for_careless_answering": [
            r["annotator"] for r in payload["careless"]["per_annotator"] if r["flagged"]
        ]
        if "careless" in payload
        else "not in this report: it was computed before the careless-answering flag; recompute it",
        "length_effect_with_position_and_content_apart": _length_effect(payload["length"].get("length_controlled")),
        # The seed notebook's rule on the transcripts' word counts: it takes no account of content.
        "length_verdict_of_the_notebook_rule": (payload["length"]["overall"]["transcripts"] or {}).get("verdict"),
        "near_duplicates": payload["similarity"]["all_pairs"],
        "agreement": {k: v for k, v in payload["agreement"].items() if k != "per_annotator"},
    }


def export_write(*, project: Project, options: ExportOptions, out_dir: str | Path) -> ExportResult:
    """Write the export of `project` into `out_dir` (created; must be empty or absent): the data,
    a dataset card `README.md` and `manifest.json`. The same database state and options give the
    same bytes."""
    from exporter import writers  # pyarrow: loaded by the worker that exports, not by the web process

    options.check()
    # Read (or refused, with no report; the tokenizer loaded and checked) before anything is written.
    # One read of the latest report: the manifest's flagged and the card's summary come from the same.
    report = bias_report_latest(project=project)
    report_id, flagged = flagged_annotators(report) if options.exclude_flagged else (None, set())
    tokenizer = _tokenizer_for(options) if options.format == "tokenized" else None
    if options.source is not None:
        _source_check(project=project, source=options.source)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} is not empty.")
    out_dir.mkdir(parents=True, exist_ok=True)
    if options.max_similarity is not None or options.max_response_similarity is not None:
        from analytics.services import pair_measures_fill

        pair_measures_fill(project_id=project.id)
    effects: dict[str, int] = {}
    paused = paused_annotators(project=project) if options.exclude_paused else set()
    judgments = _judgments_filtered(project=project, options=options, flagged=flagged, paused=paused, effects=effects)
    pairs = _pairs_filtered(pair_ids=(row["pair_id"] for row in judgments), options=options, effects=effects)
    built, keys, ids, counts = _records(options=options, judgments=judgments, pairs=pairs, effects=effects)
    _data_write(options=options, built=built, keys=keys, ids=ids, out_dir=out_dir, counts=counts, tokenizer=tokenizer)
    applied = options.applied()
    settings_changes = _settings_changes(project)
    writers.dataset_card_write(
        path=out_dir / writers.CARD_NAME,
        title=f"{project.name}: human preference judgments",
        description=(
            "Pairwise comparisons judged by people in Pairwise, with positions randomized and "
            "counterbalanced by the server and sittings limited in time and items."
        ),
        fmt=options.format,
        collection={
            "judgments per pair (k)": project.judgments_per_pair,
            "position": "randomized by the server, counterbalanced across a pair's annotators",
            "sittings": f"{project.sitting_minutes} min / {project.sitting_items} items, "
            f"{project.break_minutes} min breaks",
            "aggregation": "one record per judgment"
            if options.per_judgment
            else "Dawid–Skene (crowd-kit), the winner's posterior as `confidence`"
            if options.aggregate == "dawid-skene"
            else "majority of decisive votes",
        }
        | _settings_changes_line(settings_changes),
        counts=counts,
        options=applied,
        bias_summary=_bias_summary(report),
    )
    manifest = writers.manifest_write(
        out_dir=out_dir,
        fmt=options.format,
        options=applied,
        counts=counts,
        filter_effects=effects,
        code_version=writers.code_version_get(),
        extra={"project": project.slug, "settings_changes": settings_changes}
        | _excluded(options=options, report_id=report_id, flagged=flagged, paused=paused),
    )
    return ExportResult(counts=counts, filter_effects=effects, files=manifest["files"])


def _excluded(*, options: ExportOptions, report_id: int | None, flagged: set[int], paused: set[int]) -> dict:
    """For the manifest: whom exclude_flagged (with the report that flagged them) and exclude_paused
    left out, by user id, so that an export can be told apart from one made after a new report."""
    excluded: dict[str, Any] = {}
    if options.exclude_flagged:
        excluded["flagged"] = {"bias_report": report_id, "annotator_ids": sorted(flagged)}
    if options.exclude_paused:
        excluded["paused"] = {"annotator_ids": sorted(paused)}
    return {"excluded_annotators": excluded} if excluded else {}


def _source_check(*, project: Project, source: str) -> None:
    """Refuse a source no pair of the project comes from (a typo exported nothing, and said so only
    as a filter count), naming the sources there are."""
    pairs = Pair.objects.filter(project=project)
    # No source name holds a NUL character (PostgreSQL's text cannot): looked up there, one was a 500.
    if "\x00" not in source and pairs.filter(source_name=source).exists():
        return
    names = list(pairs.order_by("source_name").values_list("source_name", flat=True).distinct()[:21])
    listed = ", ".join(repr(name) for name in names[:20]) + (", …" if len(names) > 20 else "")
    raise ExportError(
        f"No pair of this project comes from the source {source!r}; "
        + (f"its sources: {listed}." if names else "it has no pairs."),
        option="source",
    )


def _tokenizer_for(options: ExportOptions) -> Any:
    """The tokenized format's tokenizer, loaded; refused when max_length is past what its model takes."""
    from exporter.torch_dataset import tokenizer_load

    try:
        tokenizer = tokenizer_load(options.tokenizer)
    except (OSError, ValueError) as error:
        # Not on the Hub, not reachable, or not a usable tokenizer: the engineer's to fix, so said.
        raise ExportError(f"The tokenizer {options.tokenizer!r} could not be loaded: {error}") from error
    # transformers puts a huge placeholder (int(1e30)) where the tokenizer names no limit.
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and limit < 10**9 and options.max_length > limit:
        raise ExportError(
            f"max_length {options.max_length} is longer than the {limit} tokens the tokenizer's model takes "
            f"(its model_max_length); use {limit} or less."
        )
    return tokenizer


def _data_write(
    *,
    options: ExportOptions,
    built: list,
    keys: Sequence[str],
    ids: dict[str, list[int]],
    out_dir: Path,
    counts: dict,
    tokenizer: Any,
) -> None:
    from exporter import writers

    if options.format == "tokenized":
        from exporter.torch_dataset import TokenizedPreferenceDataset

        dataset = TokenizedPreferenceDataset(built, tokenizer=tokenizer, max_length=options.max_length, ids=ids)
        dataset.save(out_dir / "tokenized")
        # Right truncation can cut an item inside its shared context: chosen and rejected then have the
        # same tokens, and nothing is left to learn from it. Said, not hidden (nor dropped: the items
        # stay aligned with the records and ids).
        counts["items_at_max_length"] = dataset.config["items_at_max_length"]
        counts["items_identical_after_truncation"] = dataset.config["items_identical_after_truncation"]
        return
    # One schema for every export of the same options, whatever the records hold (none, or a column
    # all None), for the writers that have one.
    metadata = None
    if options.with_metadata:
        metadata = writers.METADATA_PER_JUDGMENT if options.per_judgment else writers.METADATA_AGGREGATED
    schema = writers.records_schema(
        fmt=options.format,
        metadata=metadata,
        confidence=options.aggregate == "dawid-skene" and not options.per_judgment,
    )
    if options.writer == "hf":
        counts["splits"] = writers.dataset_dict_write(
            records=built,
            path=out_dir / "dataset",
            test_size=options.test_size,
            seed=options.seed,
            keys=keys,
            schema=schema,
        )
    elif options.writer == "parquet":
        writers.parquet_write(records=built, path=out_dir / "data.parquet", schema=schema)
    else:
        writers.jsonl_write(
            records=built, path=out_dir / ("data.jsonl.gz" if options.writer == "jsonl.gz" else "data.jsonl")
        )


# Jobs -------------------------------------------------------------------------------------------


def export_job_create(*, project: Project, user: AbstractBaseUser, options: ExportOptions) -> ExportJob:
    """A pending job, its task enqueued after commit. Raises ExportError on bad options, and
    JobsBusyError when the project already has MAX_WAITING_JOBS exports waiting or running."""
    from exporter.tasks import run_export

    options.check()
    # Refused now, not as a failed job (the tokenizer's own limit waits for the worker, which loads it).
    if options.exclude_flagged:
        _flagging_report(bias_report_latest(project=project))
    if options.source is not None:
        _source_check(project=project, source=options.source)
    with transaction.atomic():
        jobs_waiting_check(model=ExportJob, project=project)
        job = ExportJob.objects.create(
            project=project, created_by=user, format=options.format, options=options.as_json()
        )
        transaction.on_commit(lambda: job_enqueue(task=run_export, job_id=job.id))
    return job


def _needs_zip64(path: Path) -> bool:
    # zipfile needs to know before writing an entry that it may pass 4 GiB (writestr knew the size), by
    # its own rule: deflate may grow data that does not compress by up to 5%.
    return path.stat().st_size * 1.05 > zipfile.ZIP64_LIMIT


def _archive(directory: Path, archive: Path) -> None:
    """A zip of `directory` with sorted entries and fixed timestamps: same files, same bytes."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            # Copied a MiB at a time: read whole, each file was held in the worker's memory at once
            # (found by the export audit). The same bytes as writestr, which writes through open() too.
            with open(path, "rb") as handle, zipped.open(info, "w", force_zip64=_needs_zip64(path)) as entry:
                shutil.copyfileobj(handle, entry, 1 << 20)


def export_archive_discard(*, job: ExportJob) -> None:
    """Delete the archive of a job whose row is being deleted (in the admin, or with its project),
    once that deletion commits: the file would otherwise stay on disk with no row to find it by. A
    deletion rolled back keeps the file its row still names."""
    if not job.file:
        return
    media = Path(settings.MEDIA_ROOT).resolve()
    path = (media / job.file).resolve()
    if path.is_relative_to(media):
        transaction.on_commit(lambda: path.unlink(missing_ok=True))


# Key of the session-scoped advisory lock a worker holds while it runs an export job (`job_held`).
_EXPORT_JOB_LOCK = 0x5057_454A  # "PWEJ"


# A work directory or archive that no live job is writing, or no row names, this old is left over.
EXPORT_ORPHAN_AFTER = dt.timedelta(hours=1)


def exports_prune(*, now: dt.datetime | None = None) -> int:
    """Delete what export jobs left under MEDIA_ROOT/exports and no row needs: the work directories of
    jobs not pending or running, and the archives no row names, older than EXPORT_ORPHAN_AFTER (a job
    failed by the stale sweep after its worker died kept its work directory, one that died zipping its
    half-written archive: found by the job life cycle audit). Returns how many were deleted."""
    root = Path(settings.MEDIA_ROOT) / "exports"
    if not root.is_dir():
        return 0
    cutoff = ((now or timezone.now()) - EXPORT_ORPHAN_AFTER).timestamp()
    live = set(ExportJob.objects.filter(state__in=[JobState.PENDING, JobState.RUNNING]).values_list("id", flat=True))
    named = {
        (Path(settings.MEDIA_ROOT) / name).resolve()
        for name in ExportJob.objects.exclude(file="").values_list("file", flat=True)
    }
    deleted = 0
    for path in root.glob("*/*"):
        try:
            if path.stat().st_mtime >= cutoff:
                continue
        except FileNotFoundError:  # its job removed it meanwhile
            continue
        if path.is_dir() and path.name.startswith("job-"):
            job_id = path.name.removeprefix("job-")
            if job_id.isdigit() and int(job_id) not in live:
                shutil.rmtree(path, ignore_errors=True)
                deleted += 1
        elif path.is_file() and path.suffix == ".zip" and path.resolve() not in named:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the archives of exports finished more than PAIRWISE_EXPORT_KEEP_DAYS ago (none when it is
    0): every export of a large project is a full copy of its judgments, and they piled up for good. The
    row stays, with no file and `expired_at` set, so the page and the API say the archive expired rather
    than that it is missing. A file is deleted once its row no longer names it. Returns how many expired."""
    keep = settings.PAIRWISE_EXPORT_KEEP_DAYS
    if keep <= 0:
        return 0
    now = now or timezone.now()
    old = ExportJob.objects.filter(state=JobState.DONE, finished_at__lt=now - dt.timedelta(days=keep)).exclude(file="")
    media = Path(settings.MEDIA_ROOT).resolve()
    expired = 0
    for job_id, name in old.values_list("id", "file"):
        # Conditional on the name it read: a row changed meanwhile (deleted, its deletion taking the
        # file) is left to what changed it.
        if not ExportJob.objects.filter(pk=job_id, file=name).update(file="", expired_at=now):
            continue
        expired += 1
        path = (media / name).resolve()
        if path.is_relative_to(media):
            path.unlink(missing_ok=True)
    return expired


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Claim the job and run it: one pending, or one whose worker died (`job_claim`: it starts over,
    its work directory and any archive of the dead worker's replaced). A job a live worker runs, or
    one finished, is left alone: returns None."""
    with job_held(key=_EXPORT_JOB_LOCK, job_id=job_id) as held:
        if not held or not job_claim(model=ExportJob, job_id=job_id, what="export"):
            return None
        return _export_job_run_claimed(job_id=job_id)


def _export_job_run_claimed(*, job_id: int) -> ExportJob | None:
    from exporter import writers

    job = ExportJob.objects.select_related("project").get(pk=job_id)
    root = Path(settings.MEDIA_ROOT) / "exports" / str(job.project_id)
    work = root / f"job-{job.id}"
    archive = root / f"{job.project.slug}-export-{job.id}.zip"
    try:
        shutil.rmtree(work, ignore_errors=True)
        options = ExportOptions.from_json(job.options)
        # Jobs come from the web: a tokenizer is a Hub id, never a directory of the worker's machine
        # (checked here too, since the worker's working directory is not the web server's). Only for the
        # format that loads one: the default "gpt2" of any other failed the job where the worker's
        # working directory held a directory of that name (found by the export audit).
        if options.format == "tokenized":
            hub_id_check(options.tokenizer, what="The tokenizer")
        result = export_write(project=job.project, options=options, out_dir=work)
        _archive(work, archive)
        digest = writers.file_sha256(archive)
    except Exception as error:
        logger.exception("export job %s failed", job_id)
        # An archive begun is no export (a disk that filled up while zipping): no row names it.
        archive.unlink(missing_ok=True)
        user_facing = isinstance(error, ExportError | HubIdError)
        message = str(error) if user_facing else job_error_internal(what="export", error=error)
        if not ExportJob.objects.filter(pk=job_id).update(
            state=JobState.FAILED, error=message, finished_at=timezone.now()
        ):
            return None  # the row was deleted while the job ran
        job.refresh_from_db()
        return job
    finally:
        shutil.rmtree(work, ignore_errors=True)
    recorded = ExportJob.objects.filter(pk=job_id).update(
        state=JobState.DONE,
        counts=result.counts,
        filter_effects=result.filter_effects,
        file=str(archive.relative_to(settings.MEDIA_ROOT)),
        size=archive.stat().st_size,
        sha256=digest,
        finished_at=timezone.now(),
    )
    if not recorded:
        # The row was deleted while the job ran (before it named its file, so its deletion could not
        # take the file with it): the archive would stay on disk with no row to find it by.
        archive.unlink(missing_ok=True)
        return None
    job.refresh_from_db()
    return job


def _settings_changes(project: Project) -> list[dict[str, Any]]:
    """The leads' changes to the project's settings, oldest first: k, sittings or gold rules that
    changed during collection hold for some judgments and not others."""
    changes = ProjectSettingsChange.objects.filter(project=project).order_by("created_at", "id")
    return [
        {"at": change.created_at, "actor_id": change.actor_id, "made_in": change.made_in, "changes": change.changes}
        for change in changes
    ]


def _settings_changes_line(changes: list[dict[str, Any]]) -> dict[str, str]:
    """The card's line on them (no dates: the card is deterministic; the manifest has them)."""
    if not changes:
        return {}
    fields = sorted({field for change in changes for field in change["changes"]})
    times = f"{len(changes)} time{'s' if len(changes) != 1 else ''}"
    return {
        "settings changed": f"{times} on the project's Settings page or in the admin ({', '.join(fields)}); the "
        "figures above are the current ones, and `manifest.json` lists each change with its date, before and after"
    }
