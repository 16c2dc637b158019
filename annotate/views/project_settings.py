"""The Settings page of a project, for its leads: its name, guidelines, whether it is open for
annotation, the sittings and breaks, k, and the quality controls (gold and probes, the reading
floor). Writes go through `annotate.services.projects`, which keeps each change; the page lists the
last CHANGES_SHOWN. What each judgment asks stays with the admin (see that module).

Who may see what: leads only; engineers, annotators, outsiders and unknown projects are a 404
(`project_get_for_user`); anonymous users go to the login.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from annotate.models import Membership, Project, ProjectSettingsChange, Role
from annotate.selectors import project_get_for_user
from annotate.services.projects import SETTINGS_LEADS_CHANGE, SettingsConflictError, project_settings_update

CHANGES_SHOWN = 20

# The page's sections: a heading, a line on when a change takes effect, and the fields.
SECTIONS = (
    ("Project", "", ("name", "guidelines", "is_active")),
    (
        "Sittings and breaks",
        "A sitting already open keeps the minutes, pairs and idle timeout it started with, and a break "
        "already running keeps its end; the lease applies from the next request. The lease is at least the "
        "idle timeout: a reader who has not touched the page keeps the pair as long as the sitting.",
        ("sitting_minutes", "sitting_items", "break_minutes", "idle_timeout_minutes", "lease_minutes"),
    ),
    (
        "Judgments per pair",
        "Every pair's place in the queue is recomputed on saving: lowered, pairs that have enough judgments "
        "leave it; raised, full pairs come back.",
        ("judgments_per_pair",),
    ),
    (
        "Quality control",
        "Gold pairs are set on the Gold pairs page. A pause by the gold rule ends the annotator's sitting; "
        "resume them on the scorecards.",
        ("gold_rate", "gold_min_accuracy", "gold_recent", "probe_rate", "probe_min_gap", "reading_factor"),
    ),
)
LABELS = {
    "name": "Name",
    "guidelines": "Guidelines (Markdown)",
    "is_active": "Open for annotation",
    "sitting_minutes": "Sitting length, minutes",
    "sitting_items": "Sitting length, pairs",
    "break_minutes": "Break after a sitting, minutes",
    "idle_timeout_minutes": "Idle timeout, minutes",
    "lease_minutes": "Lease of an unanswered pair, minutes",
    "judgments_per_pair": "Judgments per pair (k)",
    "gold_rate": "Gold rate (share of pairs served that are gold, 0 to 1)",
    "gold_min_accuracy": "Lowest recent gold accuracy before a pause (0 to 1)",
    "gold_recent": "Recent gold answers the pause rule reads",
    "probe_rate": "Probe rate (share of pairs served again, sides swapped, 0 to 1)",
    "probe_min_gap": "Fewest pairs between a pair and its probe",
    "reading_factor": "Reading factor (an answer faster than this share of the reading time is fast)",
}
HELP = {
    "is_active": "Closed, no new sitting starts; one already open runs to its end.",
    "judgments_per_pair": "No pair is handed out more often, counting pairs being answered now; lowered, "
    "pairs already being answered may still end with up to the old k.",
    "gold_recent": "0 turns the pause rule off.",
}


# What a page showed when its hidden value cannot be read: equal to no setting.
UNREADABLE = object()


class ProjectSettingsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = SETTINGS_LEADS_CHANGE
        labels = LABELS
        help_texts = HELP
        widgets = {"guidelines": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Each field carries the value the page showed (a hidden input), so that `changed_data` is what
        # this lead changed: saving every field put back what another lead had changed meanwhile.
        for name, field in self.fields.items():
            field.show_hidden_initial = True
            # The model's bounds on the inputs too (the form reads only the field type's), and in the
            # form's own check: its bound, 0 for a positive integer, spoke first below it, so that -3
            # was "greater than or equal to 0" where the model wants 1.
            for validator in Project._meta.get_field(name).validators:
                if isinstance(validator, MinValueValidator | MaxValueValidator):
                    kind = type(validator)
                    field.widget.attrs["min" if kind is MinValueValidator else "max"] = validator.limit_value
                    field.validators = [v for v in field.validators if type(v) is not kind] + [validator]

    def shown_value(self, name: str) -> object:
        """The value of field `name` when the page was opened (its hidden initial input), as Django's
        `changed_data` reads it."""
        field = self.fields[name]
        posted = field.hidden_widget().value_from_datadict(self.data, self.files, self.add_initial_prefix(name))
        try:
            return field.to_python(posted)
        except forms.ValidationError:
            return UNREADABLE  # a hand-edited page: what it showed is unknown, so any other value conflicts


def _page_order(field: str) -> tuple[int, str]:
    """The page's order; after them, by name, the fields only the admin changes."""
    return (
        (SETTINGS_LEADS_CHANGE.index(field), "")
        if field in SETTINGS_LEADS_CHANGE
        else (len(SETTINGS_LEADS_CHANGE), field)
    )


def _named(field: str) -> str:
    """A setting in a flash message: its label without the explanation in brackets."""
    return LABELS[field].split(" (")[0].lower()


def _said(field: str, value: object) -> str:
    """A changed setting in the flash message: by its label, or for the switch, what it now is."""
    if field == "is_active":
        return "opened for annotation" if value else "closed for annotation"
    return _named(field)


def _conflict_said(field: str, value: object) -> str:
    """A setting another lead changed, in the refusal: its value now (the guidelines are too long to quote)."""
    return "the guidelines were changed" if field == "guidelines" else f"{_named(field)} is now {_shown(value)}"


def _shown(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _page(
    request: HttpRequest, project: Project, membership: Membership, form: ProjectSettingsForm, status: int = 200
) -> HttpResponse:
    sections = [(title, note, [form[name] for name in names]) for title, note, names in SECTIONS]
    changes = (
        ProjectSettingsChange.objects.filter(project=project).select_related("actor").order_by("-created_at", "-id")
    )[:CHANGES_SHOWN]
    # In the page's order (the database keeps no order of a JSON object's keys); yes/no for a switch.
    rows = [
        (
            change,
            [
                (LABELS.get(field, field), _shown(change.changes[field][0]), _shown(change.changes[field][1]))
                for field in sorted(change.changes, key=_page_order)
            ],
        )
        for change in changes
    ]
    context = {
        "project": project,
        "membership": membership,
        "form": form,
        "sections": sections,
        "changes": rows,
        "changes_shown": CHANGES_SHOWN,
    }
    return render(request, "annotate/project_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, slug: str) -> HttpResponse:
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=[Role.LEAD])
    if request.method == "GET":
        return _page(request, project, membership, ProjectSettingsForm(instance=project))
    # The form validates a copy: on a refusal the page's other parts still show what is saved.
    form = ProjectSettingsForm(request.POST, instance=copy.copy(project))
    if not form.is_valid():
        return _page(request, project, membership, form, status=400)
    try:
        change = project_settings_update(
            project=project,
            actor=request.user,
            values={name: form.cleaned_data[name] for name in form.changed_data},
            expected={name: form.shown_value(name) for name in form.changed_data},
        )
    except SettingsConflictError as conflict:
        return _conflict_page(request, project, membership, conflict)
    except ValidationError as error:
        # Valid against the page, not against a change another lead saved meanwhile (a lease under
        # their new idle timeout): said at its field, the lead's values kept. It was a 500 (found by
        # the lead pages audit).
        for field, said in error.message_dict.items():
            form.add_error(field if field in form.fields else None, said)
        return _page(request, project, membership, form, status=400)
    if change is None:
        messages.info(request, "Nothing changed.")
    else:
        messages.success(
            request, f"Saved: {'; '.join(_said(field, change.changes[field][1]) for field in change.changes)}."
        )
    return redirect("annotate:project_settings", slug=project.slug)


def _conflict_page(
    request: HttpRequest, project, membership: Membership, conflict: SettingsConflictError
) -> HttpResponse:
    """The page again, nothing saved, with what the lead typed kept (it was thrown away, guidelines and
    all, for a clash on one field: found by the lead pages audit) and each field another lead changed
    meanwhile marked, saying what it is now. Those fields now count as seen at their saved values, so
    saving again makes the lead's values the project's, knowingly."""
    data = request.POST.copy()
    for field, value in conflict.fields.items():
        shown = ProjectSettingsForm.base_fields[field].hidden_widget().format_value(value)
        data[f"initial-{field}"] = "" if shown is None else shown
    form = ProjectSettingsForm(data, instance=copy.copy(project))
    form.is_valid()  # it was valid as posted; its fields' errors go on below
    for field, value in conflict.fields.items():
        now = "changed this" if field == "guidelines" else f"set this to {_shown(value)}"
        form.add_error(
            field,
            f"Another lead {now} since you opened the page. Yours is kept here: save again to make it the "
            "project's, or put theirs back.",
        )
    now = "; ".join(_conflict_said(field, value) for field, value in conflict.fields.items())
    messages.error(
        request,
        f"Nothing was saved: another lead changed what you changed since you opened this page ({now}). "
        "Your values are kept below; save again to make them the project's.",
    )
    return _page(request, project, membership, form, status=409)


urlpatterns = [path("projects/<slug:slug>/settings/", project_settings, name="project_settings")]
