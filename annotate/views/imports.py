"""The import page of a project: leads upload a file, which a worker imports, and follow the jobs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from annotate.importers import HH_RLHF, PAIRS, PREFERENCE
from annotate.models import ImportJob, JobState, Role
from annotate.selectors import project_get_for_user
from annotate.services.imports import import_job_create, upload_size_check
from annotate.services.jobs import JobsBusyError

JOBS_SHOWN = 50


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="JSONL or CSV, plain or .gz.")
    format = forms.ChoiceField(
        choices=[
            ("", "Detect from the file"),
            (HH_RLHF, "HH-RLHF transcripts (chosen / rejected)"),
            (PREFERENCE, "Preference (prompt / chosen / rejected)"),
            (PAIRS, "Pairs (prompt / response_a / response_b), no preference"),
        ],
        required=False,
    )
    skip_invalid = forms.BooleanField(
        required=False, label="Skip invalid rows", help_text="Import the valid rows and list the bad ones."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text += (
            f" At most {settings.PAIRWISE_MAX_UPLOAD_MB:,} MiB; a .gz file at most"
            f" {settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB:,} MiB once decompressed."
        )

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        upload_size_check(upload=upload)
        return upload


@login_required
def import_page(request: HttpRequest, slug: str) -> HttpResponse:
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=[Role.LEAD])
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = import_job_create(
                    project=project,
                    user=request.user,
                    fmt=form.cleaned_data["format"],
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    upload=form.cleaned_data["file"],
                )
            except JobsBusyError as error:
                messages.error(request, f"Import not started: {error}")
            else:
                messages.success(request, f"Import {job.pk} of {job.original_name} queued.")
            return redirect("annotate:imports", slug=project.slug)
    else:
        form = ImportUploadForm()
    jobs = list(ImportJob.objects.filter(project=project).order_by("-created_at", "-id")[:JOBS_SHOWN])
    busy = any(job.state in (JobState.PENDING, JobState.RUNNING) for job in jobs)
    return render(
        request,
        "annotate/import_page.html",
        {
            "project": project,
            "membership": membership,
            "form": form,
            "jobs": jobs,
            "refresh": busy,
            "jobs_shown": JOBS_SHOWN,
        },
    )


urlpatterns = [
    path("projects/<slug:slug>/imports/", import_page, name="imports"),
]
