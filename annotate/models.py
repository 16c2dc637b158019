"""The core records of Pairwise: projects, members, pairs, sittings, assignments, judgments.

See `../shared/docs/design.md`. Writes live in `services.py`, reads in `selectors.py`.
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


def random_sort_key() -> float:
    """Random position of a pair in the project's queue (indexed; no ORDER BY random())."""
    return random.random()


DAY = 24 * 60  # minutes
WEEK = 7 * DAY


class Project(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    guidelines = models.TextField(blank=True, help_text="Markdown, shown before the first sitting.")
    # Upper bounds: a day's sitting, a week's break or lease. Beyond them the server's date arithmetic
    # overflowed (a break of 9,999,999,999,999 minutes saved, then every start was a 500).
    sitting_minutes = models.PositiveIntegerField(default=25, validators=[MinValueValidator(1), MaxValueValidator(DAY)])
    sitting_items = models.PositiveIntegerField(
        default=40, validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    break_minutes = models.PositiveIntegerField(default=5, validators=[MaxValueValidator(WEEK)])
    idle_timeout_minutes = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(DAY)]
    )
    lease_minutes = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(WEEK)],
        help_text="An unanswered pair goes back to the pool after this.",
    )
    judgments_per_pair = models.PositiveIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(50)], help_text="k"
    )
    allow_tie = models.BooleanField(default=True)
    allow_skip = models.BooleanField(default=True)
    ask_strength = models.BooleanField(default=False)
    ask_rationale = models.BooleanField(default=False)
    rationale_min_chars = models.PositiveIntegerField(default=0, help_text="With ask_rationale: required, this long.")
    ask_safety = models.BooleanField(default=False, help_text="Ask for a safety label with each judgment.")
    criteria = models.JSONField(
        default=list, blank=True, help_text='Criteria judged separately, e.g. ["helpfulness", "harmlessness"].'
    )
    # Quality control.
    gold_rate = models.FloatField(default=0.0, validators=[MinValueValidator(0), MaxValueValidator(1)])
    gold_min_accuracy = models.FloatField(
        default=0.7,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Recent gold accuracy below this pauses the annotator.",
    )
    gold_recent = models.PositiveIntegerField(
        default=10, validators=[MaxValueValidator(1000)], help_text="How many recent gold answers the pause rule reads."
    )
    probe_rate = models.FloatField(default=0.0, validators=[MinValueValidator(0), MaxValueValidator(1)])
    probe_min_gap = models.PositiveIntegerField(
        default=10,
        validators=[MaxValueValidator(10_000)],
        help_text="A swapped repeat comes at least this many items after the original.",
    )
    reading_factor = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Fraction of the reading time (238 words per minute) below which an answer is fast.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A browser sends a textarea's lines with "\r\n": kept, a save that changed nothing else
        # changed the guidelines, and the settings changes said so.
        if isinstance(self.guidelines, str):
            self.guidelines = self.guidelines.replace("\r\n", "\n")
        # The annotation page and the submit read `criteria` as a list of names: anything else
        # (a number, a dict, a bare string read letter by letter) broke them with a 500.
        criteria = self.criteria
        if not isinstance(criteria, list) or not all(isinstance(name, str) and name.strip() for name in criteria):
            raise ValidationError(
                {"criteria": 'A list of criterion names, e.g. ["helpfulness", "harmlessness"], or [] for none.'}
            )
        if len(set(criteria)) != len(criteria):
            raise ValidationError({"criteria": "Each criterion once."})
        # A reader who has not touched the page keeps the pair until the sitting goes idle: a shorter
        # lease gave the pair to someone else while its reader's sitting was still open.
        if (
            isinstance(self.lease_minutes, int)
            and isinstance(self.idle_timeout_minutes, int)
            and self.lease_minutes < self.idle_timeout_minutes
        ):
            raise ValidationError(
                {"lease_minutes": f"At least the idle timeout ({self.idle_timeout_minutes} minutes)."}
            )


class Role(models.TextChoices):
    ANNOTATOR = "annotator", "Annotator"
    LEAD = "lead", "Project lead"
    ENGINEER = "engineer", "ML engineer"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="A paused annotator cannot start sittings.")
    paused_reason = models.CharField(max_length=500, blank=True)
    resumed_at = models.DateTimeField(
        null=True, blank=True, help_text="The last resume: the gold rule reads only gold answers after it."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="one_membership_per_project")]

    def __str__(self) -> str:
        return f"{self.user} · {self.project} · {self.role}"


class Response(models.TextChoices):
    A = "a", "Response A"
    B = "b", "Response B"


class PairStatus(models.IntegerChoices):
    """Where a pair stands in the queue; `FULL` pairs have k judgments or live leases."""

    FRESH = 0, "Fresh"
    STARTED = 1, "Started"
    FULL = 2, "Full"


class Pair(models.Model):
    """Two responses to one context. `context + "\\n\\nAssistant:" + response_x` rebuilds an HH-RLHF
    transcript byte for byte; `response_a`/`response_b` are never shown as such to annotators."""

    # No index of its own: the unique (project, content_hash) index serves lookups by project, and
    # one index less makes bulk imports faster.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pairs", db_index=False)
    context = models.TextField()
    response_a = models.TextField()
    response_b = models.TextField()
    source_name = models.CharField(max_length=300, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)
    source_format = models.CharField(max_length=32, blank=True)
    prompt_marker = models.BooleanField(
        default=True,
        db_default=True,
        help_text="Whether the source's prompt ended with the final '\\n\\nAssistant:' (an HH-RLHF transcript's "
        "always does). The context is stored without it; exports give it back only where it was.",
    )
    source_preference = models.CharField(max_length=1, choices=Response.choices, blank=True)
    gold_answer = models.CharField(
        max_length=1, choices=Response.choices, blank=True, help_text="Set on gold pairs: the known better response."
    )
    content_hash = models.CharField(max_length=64)
    sort_key = models.FloatField(default=random_sort_key)
    # Counters kept by the assignment service, so that picking the next pair never counts rows;
    # `status` follows from them and k, and is stored so that the queue's partial index holds only
    # open pairs.
    judgment_count = models.PositiveIntegerField(default=0, help_text="Judgments that count toward k (not skips).")
    lease_count = models.PositiveIntegerField(default=0, help_text="Live, unanswered leases.")
    a_left_count = models.PositiveIntegerField(
        default=0,
        help_text="Live leases and judgments that count (not skips or probes), of the pair's kind now (gold or "
        "queue), with response A on the left.",
    )
    b_left_count = models.PositiveIntegerField(
        default=0,
        help_text="Live leases and judgments that count (not skips or probes), of the pair's kind now (gold or "
        "queue), with response B on the left.",
    )
    status = models.PositiveSmallIntegerField(choices=PairStatus.choices, default=PairStatus.FRESH)
    # Computed once after import by a Celery task (analytics.similarity), never per report.
    transcript_similarity = models.FloatField(
        null=True, blank=True, help_text="difflib ratio of the two full transcripts (the notebook's measure)."
    )
    response_similarity = models.FloatField(
        null=True, blank=True, help_text="Normalized Indel similarity of the two responses alone."
    )
    # Word counts, len(text.split()) as the notebook counts them; computed with the similarities.
    words_context = models.PositiveIntegerField(null=True, blank=True)
    words_response_a = models.PositiveIntegerField(null=True, blank=True)
    words_response_b = models.PositiveIntegerField(null=True, blank=True)
    words_transcript_a = models.PositiveIntegerField(null=True, blank=True)
    words_transcript_b = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "content_hash"], name="pair_unique_content_per_project"),
        ]
        indexes = [
            # The next-pair query: open pairs, started ones first, then by the random key.
            models.Index(
                fields=["project", "-status", "sort_key"],
                name="pair_queue",
                condition=Q(status__lt=2, gold_answer=""),
            ),
            models.Index(fields=["project", "sort_key"], name="gold_pairs", condition=~Q(gold_answer="")),
        ]

    def __str__(self) -> str:
        return f"Pair {self.pk} ({self.project_id})"

    def response(self, which: str) -> str:
        return self.response_a if which == Response.A else self.response_b


class EndReason(models.TextChoices):
    TIME = "time", "Time limit"
    ITEMS = "items", "Item limit"
    IDLE = "idle", "Idle timeout"
    MANUAL = "manual", "Ended by the annotator"
    PAUSED = "paused", "Annotator paused"
    REMOVED = "removed", "Annotator left the project"


class AnnotationSession(models.Model):
    """One sitting of one annotator in one project, followed by a break."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sittings")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sittings")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    item_limit = models.PositiveIntegerField()
    items_done = models.PositiveIntegerField(default=0)
    fast_streak = models.PositiveIntegerField(default=0, help_text="Latest answers in a row under the reading floor.")
    last_activity_at = models.DateTimeField(
        help_text="The start, the last answer, or the annotator's last input on the pair on screen: the idle "
        "timeout runs from it."
    )
    ordinal_today = models.PositiveIntegerField(
        help_text="1 for the annotator's first sitting of the day (in the site's TIME_ZONE), in any project."
    )
    stretch_started_at = models.DateTimeField(
        help_text="When the annotator's working stretch began: the start of the first sitting, in any project, "
        "after a rest of at least REST_MINUTES (or this project's break, if longer)."
    )
    idle_timeout_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The project's idle timeout when the sitting started, which it keeps as it keeps its deadline "
        "and item limit (a lead's change applies from the next sitting); empty for sittings from before it was "
        "kept, which follow the project's.",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=8, choices=EndReason.choices, blank=True)
    break_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "annotator"], condition=Q(ended_at__isnull=True), name="one_open_sitting"
            ),
        ]
        indexes = [models.Index(fields=["annotator", "project", "-started_at"], name="sitting_latest")]

    def __str__(self) -> str:
        return f"Sitting {self.pk} of {self.annotator} in {self.project}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def idle_timeout(self) -> dt.timedelta:
        """The idle timeout this sitting runs under: its own, or for an older sitting its project's."""
        minutes = self.idle_timeout_minutes
        return dt.timedelta(minutes=minutes if minutes is not None else self.project.idle_timeout_minutes)

    @property
    def lease(self) -> dt.timedelta:
        """How long a lease served (or renewed) in this sitting runs: the project's lease, which its
        validation keeps at least its idle timeout; and, when a lead has changed the idle timeout
        since the sitting began, at least the one the sitting kept. A lead who lowered both from 5
        minutes to 1 left open sittings on 5 minutes of idle timeout with leases of 1, and a careful
        reader's answer refused as run out (found by the review of this change)."""
        lease = dt.timedelta(minutes=self.project.lease_minutes)
        kept = self.idle_timeout_minutes
        if kept is not None and kept != self.project.idle_timeout_minutes:
            lease = max(lease, dt.timedelta(minutes=kept))
        return lease


class AssignmentState(models.TextChoices):
    LEASED = "leased", "Leased"
    ANSWERED = "answered", "Answered"
    RELEASED = "released", "Released (sitting ended)"
    EXPIRED = "expired", "Lease expired"


SERVED_AT_HELP = (
    "When the server leased the pair (server clock). The page leases the next pair while one is on screen, so "
    "this may come before the pair was shown: dwell_ms is the time it was visible."
)


class Assignment(models.Model):
    """A pair leased to an annotator inside a sitting, with the side the server put response A on."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assignments")
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    sitting = models.ForeignKey(AnnotationSession, on_delete=models.CASCADE, related_name="assignments")
    left_response = models.CharField(max_length=1, choices=Response.choices)
    state = models.CharField(max_length=8, choices=AssignmentState.choices, default=AssignmentState.LEASED)
    served_at = models.DateTimeField(help_text=SERVED_AT_HELP)
    expires_at = models.DateTimeField()
    is_gold = models.BooleanField(default=False)
    probe_of = models.OneToOneField(
        "Judgment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="probe_assignment",
        help_text="Set on a swapped repeat: the earlier judgment of the same pair by the same annotator.",
    )

    class Meta:
        constraints = [
            # An annotator is never given the same pair twice, except as a deliberate, recorded probe.
            models.UniqueConstraint(
                fields=["pair", "annotator"], condition=Q(probe_of__isnull=True), name="assignment_once_per_annotator"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "expires_at"], name="live_leases", condition=Q(state="leased")),
            models.Index(fields=["sitting", "state"], name="assignment_sitting_state"),
        ]

    def __str__(self) -> str:
        return f"Assignment {self.pk}: pair {self.pair_id} to {self.annotator_id}"

    @property
    def right_response(self) -> str:
        return Response.B if self.left_response == Response.A else Response.A


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    TIE = "tie", "Tie"
    SKIP = "skip", "Skip"


class Safety(models.TextChoices):
    BOTH_SAFE = "both_safe", "Both safe"
    CHOSEN_SAFE = "chosen_safe", "Only the chosen one is safe"
    BOTH_UNSAFE = "both_unsafe", "Both unsafe"


class Strength(models.IntegerChoices):
    """Llama 2's scale: how much better the chosen response is."""

    SIGNIFICANTLY = 1, "Significantly better"
    BETTER = 2, "Better"
    SLIGHTLY = 3, "Slightly better"
    NEGLIGIBLY = 4, "Negligibly better / unsure"


class ImmutableError(Exception):
    pass


class Judgment(models.Model):
    """One answer, written once. `chosen_response` is derived on the server from the assignment."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="judgment")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="judgments")
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="judgments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judgments")
    sitting = models.ForeignKey(AnnotationSession, on_delete=models.CASCADE, related_name="judgments")
    side = models.CharField(max_length=5, choices=Side.choices)
    chosen_response = models.CharField(
        max_length=1, choices=Response.choices, blank=True, help_text="Empty for a tie or a skip."
    )
    strength = models.PositiveSmallIntegerField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    left_response = models.CharField(max_length=1, choices=Response.choices)
    served_at = models.DateTimeField(help_text=SERVED_AT_HELP)
    answered_at = models.DateTimeField()
    dwell_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Visible time measured by the client.")
    index_in_sitting = models.PositiveIntegerField(help_text="1 for the first answer of the sitting.")
    elapsed_in_sitting_ms = models.PositiveBigIntegerField()
    since_break_ms = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Since the annotator's working stretch began: their first sitting, or the first after a "
        "rest (see AnnotationSession.stretch_started_at). Null only where that is unknown (imported data).",
    )
    sitting_ordinal_today = models.PositiveIntegerField()
    viewport_width = models.PositiveIntegerField(null=True, blank=True)
    viewport_height = models.PositiveIntegerField(null=True, blank=True)
    criteria = models.JSONField(default=dict, blank=True, help_text="Per criterion: left, right or tie.")
    safety = models.CharField(max_length=12, choices=Safety.choices, blank=True)
    # Copied from the assignment when the judgment is written (like left_response): a judgment is
    # the analytic record, read in bulk by reports and exports without joining its assignment, and
    # neither side changes after it is written.
    is_gold = models.BooleanField(default=False)
    gold_correct = models.BooleanField(null=True, blank=True, help_text="On gold pairs, decisive answers only.")
    probe_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="probe",
        help_text="A swapped repeat's original.",
    )
    reading_floor_ms = models.PositiveIntegerField(null=True, blank=True)
    fast = models.BooleanField(default=False, help_text="Answered faster than the reading-time floor.")

    class Meta:
        indexes = [
            models.Index(fields=["project", "answered_at"], name="judgment_project_time"),
            models.Index(fields=["project", "annotator"], name="judgment_project_annotator"),
        ]

    def __str__(self) -> str:
        return f"Judgment {self.pk}: {self.side} on pair {self.pair_id}"

    def save(self, *args, **kwargs) -> None:
        # Judgments are the record of what a person said: never edited after the fact.
        if self.pk is not None and not self._state.adding:
            raise ImmutableError("A judgment is written once and never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("A judgment is never deleted on its own.")


class JobState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A background job's row: its state, the error if it failed, and when it ran. A worker claims
    it with a conditional update (`annotate.services.jobs.job_claim`) under the job's advisory lock,
    so two workers never run the same job, and one whose worker died is taken over."""

    state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.PENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(
        default=0, help_text="Workers that started it: more than one when a worker died running it."
    )

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class ImportJob(Job):
    """The state of one import."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=500, help_text="Uploaded file path or dataset name.")
    original_name = models.CharField(max_length=300, blank=True)
    format = models.CharField(max_length=16)
    split = models.CharField(max_length=64, blank=True)
    skip_invalid = models.BooleanField(default=False)
    rows_read = models.PositiveIntegerField(default=0)
    pairs_created = models.PositiveIntegerField(default=0)
    duplicates_skipped = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Import {self.pk} into {self.project} ({self.state})"


class AuditEvent(models.Model):
    """What a lead did to a member, and why: kept for good."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_events")
    # PROTECT, not SET_NULL or CASCADE: a null actor means the automatic gold rule, so deleting a lead
    # rewrote their pauses as automatic ones, and deleting a subject took the rows about them with it.
    # Deactivate a user who left instead.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the automatic gold accuracy rule acted.",
    )
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_events")
    action = models.CharField(max_length=32)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.subject} in {self.project}"


class ProjectSettingsChange(models.Model):
    """A change to a project's settings, by a lead on its Settings page or by staff in the admin: which
    fields, from what to what."""

    class MadeIn(models.TextChoices):
        SETTINGS_PAGE = "settings_page", "Settings page"
        ADMIN = "admin", "Admin"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="settings_changes")
    # Empty for the changes kept before it was (migration 0013): made on either.
    made_in = models.CharField(max_length=16, choices=MadeIn.choices, null=True, default=MadeIn.SETTINGS_PAGE)
    # PROTECT, as the audit of members: deactivate a user who left instead of deleting them.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changes = models.JSONField(help_text="{field: [before, after]} for each field that changed.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{', '.join(self.changes)} of {self.project} by {self.actor}"
