"""Bias reports: one row per computation, the payload stored as JSON for the dashboard and API."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotate.models import JobState, Project

# The rules a report's flags and tests follow. Bump it when they change (a new flag, a test done another
# way): a report of an older format, kept from before an upgrade, flags by the old rules, so that an
# export excluding the flagged refuses it and beat recomputes it, new judgments or not. Reports from
# before the format was recorded have none: format 1. Format 3: the pooled length regression's p is
# clustered by annotator (exports' dataset cards carry it). Format 4: a fourth flag, careless answering
# (agreement with the others' majority below the rest's), which the older reports lack.
BIAS_REPORT_FORMAT = 4


class BiasReport(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="bias_reports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parameters = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.PENDING)
    error = models.TextField(blank=True)
    judgments_seen = models.PositiveIntegerField(default=0, help_text="Judgments in the project when computed.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one computation per project at a time.
            models.UniqueConstraint(
                fields=["project"], condition=Q(state__in=["pending", "running"]), name="one_live_report_per_project"
            ),
        ]
        indexes = [models.Index(fields=["project", "state", "-computed_at"], name="report_latest")]

    def __str__(self) -> str:
        return f"Bias report {self.pk} of {self.project} ({self.state})"

    @property
    def flags_current(self) -> bool:
        """Whether its flags follow this version's rules (`BIAS_REPORT_FORMAT`)."""
        return bool(self.payload) and self.payload.get("format", 1) == BIAS_REPORT_FORMAT
