"""Export jobs: the options, state and result of one export, and the file to download."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from annotate.models import Job, Project


class ExportJob(Job):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="export_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=16)
    options = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    filter_effects = models.JSONField(default=dict, blank=True)
    file = models.CharField(max_length=500, blank=True, help_text="The archive to download, under MEDIA_ROOT.")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    expired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the archive was deleted for age (PAIRWISE_EXPORT_KEEP_DAYS)."
    )

    @property
    def expires_at(self) -> dt.datetime | None:
        """When the sweep will delete the archive (PAIRWISE_EXPORT_KEEP_DAYS after the export finished),
        or None: no archive, or archives are kept for good."""
        keep = settings.PAIRWISE_EXPORT_KEEP_DAYS
        if not self.file or self.finished_at is None or keep <= 0:
            return None
        return self.finished_at + dt.timedelta(days=keep)

    def __str__(self) -> str:
        return f"Export {self.pk} of {self.project} ({self.format}, {self.state})"
