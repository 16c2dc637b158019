"""The annotator's HTML pages: my projects, a project's guidelines, and the annotation page.

The pages only read. Every change (starting a sitting, leasing a pair, answering, ending a sitting)
goes through the JSON API in `annotate.apis.annotating`, which the page's script calls. The
guidelines' "Start a sitting" button POSTs to the annotation page, which then starts one at once: a
link cannot (from another site, a GET would start a sitting and lease pairs in the annotator's name).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods
from markdown_it import MarkdownIt

from annotate.models import AnnotationSession, Project, Role, Safety, Strength
from annotate.selectors import memberships_with_progress, project_get_for_user

# Keyboard letters of the extras. Strength: the row of keys under 1-4, strongest first (Llama 2's scale).
STRENGTH_KEYS = {Strength.SIGNIFICANTLY: "q", Strength.BETTER: "w", Strength.SLIGHTLY: "e", Strength.NEGLIGIBLY: "r"}
SAFETY_KEYS = {Safety.BOTH_SAFE: "z", Safety.CHOSEN_SAFE: "x", Safety.BOTH_UNSAFE: "c"}


def _guidelines_seen_key(project: Project) -> str:
    return f"pairwise:guidelines_seen:{project.pk}"


def _start_asked_key(project: Project) -> str:
    return f"pairwise:start_asked:{project.pk}"


def guidelines_html(text: str) -> SafeString:
    """Render a project's guidelines (markdown) to HTML that is safe to show.

    The "js-default" preset of markdown-it-py escapes every raw HTML tag in the source and refuses
    `javascript:`, `vbscript:`, `file:` and non-image `data:` links, so leads can write markdown but
    cannot inject markup or script into annotators' pages.

    Headings go one level down (`#` becomes h2, h6 stays h6): the page's own h1 names the project,
    and the guidelines are a section of it."""
    markdown = MarkdownIt("js-default")
    env: dict = {}
    tokens = markdown.parse(text, env)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    return mark_safe(markdown.renderer.render(tokens, markdown.options, env))  # noqa: S308 (raw HTML is escaped by the preset)


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The user's projects, with their role and progress: own judgments, pairs complete / total.

    A pair is complete when it holds the project's k judgments (skips do not count toward k). Gold
    pairs are outside the k-queue (their judgments never count toward k), so they are left out of
    both figures, as on the dashboard: counted, they kept the bar from ever filling."""
    memberships = memberships_with_progress(user=request.user)
    return render(request, "annotate/project_list.html", {"memberships": memberships, "Role": Role})


@login_required
def guidelines(request: HttpRequest, slug: str) -> HttpResponse:
    """A project's guidelines, readable by every member. Viewing them lets an annotator start."""
    project, membership = project_get_for_user(user=request.user, slug=slug)
    is_annotator = membership.role == Role.ANNOTATOR
    if is_annotator:
        request.session[_guidelines_seen_key(project)] = True
    return render(
        request,
        "annotate/guidelines.html",
        {
            "project": project,
            "membership": membership,
            "is_annotator": is_annotator,
            "guidelines_html": guidelines_html(project.guidelines),
            "confirm_with_enter": asks_more_than_a_side(project),
        },
    )


def asks_more_than_a_side(project: Project) -> bool:
    """Whether an answer needs more than the side: then a side key only selects the side and Enter
    sends the answer. Otherwise (at most an optional rationale) a side key sends at once."""
    return bool(
        project.ask_strength
        or project.ask_safety
        or project.criteria
        or (project.ask_rationale and project.rationale_min_chars > 0)
    )


@login_required
@ensure_csrf_cookie
@require_http_methods(["GET", "HEAD", "POST"])
def annotate(request: HttpRequest, slug: str) -> HttpResponse:
    """The annotation page, for the project's annotators only (leads and engineers do not annotate).

    Before an annotator's first sitting in the project it sends them to the guidelines once. A POST
    (the guidelines' start button, CSRF-checked) asks the page to start a sitting when it opens: the
    request is kept in the session for the one GET it redirects to, so a reload does not ask again."""
    project, membership = project_get_for_user(user=request.user, slug=slug, roles=[Role.ANNOTATOR])
    if request.method == "POST":
        request.session[_start_asked_key(project)] = True
        return redirect("annotate:annotate", slug=project.slug)
    seen = request.session.get(_guidelines_seen_key(project), False)
    if not seen and not AnnotationSession.objects.filter(project=project, annotator=request.user).exists():
        return redirect("annotate:guidelines", slug=project.slug)
    slug_kwargs = {"slug": project.slug}
    config = {
        "slug": project.slug,
        "autostart": request.session.pop(_start_asked_key(project), False),
        "allowTie": project.allow_tie,
        "allowSkip": project.allow_skip,
        "askStrength": project.ask_strength,
        "askRationale": project.ask_rationale,
        "rationaleMinChars": project.rationale_min_chars if project.ask_rationale else 0,
        "askSafety": project.ask_safety,
        "criteria": list(project.criteria or []),
        "confirmWithEnter": asks_more_than_a_side(project),
        "idleTimeoutSeconds": project.idle_timeout_minutes * 60,
        "breakMinutes": project.break_minutes,
        # A paused annotator cannot start sittings (the API answers 409 "paused"); say so at once.
        "paused": membership.paused_at is not None,
        # A closed project starts no sitting (the API answers 409 "closed"); one already open may end.
        "closed": not project.is_active,
        "urls": {
            "progress": reverse("api:progress", kwargs=slug_kwargs),
            "sittings": reverse("api:sitting-start", kwargs=slug_kwargs),
            "endSitting": reverse("api:sitting-end", kwargs=slug_kwargs),
            "activity": reverse("api:sitting-activity", kwargs=slug_kwargs),
            "next": reverse("api:next-pair", kwargs=slug_kwargs),
            # The script puts the assignment's id in place of the 0.
            "judgment": reverse("api:judgment-submit", kwargs={"assignment_id": 0}),
            "projects": reverse("annotate:project_list"),
            "guidelines": reverse("annotate:guidelines", kwargs=slug_kwargs),
        },
    }
    context = {
        "project": project,
        "config": config,
        "confirm_with_enter": config["confirmWithEnter"],
        "criteria": config["criteria"],
        "strength_choices": [(value, label, STRENGTH_KEYS[value]) for value, label in Strength.choices],
        "safety_choices": [(value, label, SAFETY_KEYS[value]) for value, label in Safety.choices],
    }
    return render(request, "annotate/annotate.html", context)


urlpatterns = [
    path("", project_list, name="project_list"),
    path("projects/<slug:slug>/guidelines/", guidelines, name="guidelines"),
    path("projects/<slug:slug>/annotate/", annotate, name="annotate"),
]
