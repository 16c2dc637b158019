"""The gold page of a project, for its leads: which pairs are gold and with what answer, the gold
judgments collected so far, and the lead's hand on the gold answers (one pair at a time, or every
pair with a source preference at once). Writes go through `annotate.services.gold`.

Who may see what: leads only. Engineers, annotators, outsiders and unknown projects are a 404
(`project_get_for_user`), and so is a pair of another project; anonymous users go to the login.

Definitions
- Gold pairs: pairs with a gold answer ("a" or "b"), counted live.
- Gold judgments: judgments of assignments served as gold (`Judgment.is_gold`), skips and ties
  included. Accuracy: over the decisive ones on pairs that are still gold, the share that chose
  the pair's current gold answer (as the scorecards score them), with a Wilson 95% interval from
  statsmodels. A judgment on a pair whose gold answer was cleared since is not scored.
- Last human turn: the last "Human:" turn of the context, read from the context's last
  CONTEXT_TAIL_CHARS characters so that a list page never loads whole conversations.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Length, Right
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from annotate.models import AuditEvent, Judgment, Membership, Pair, Project, Response, Role
from annotate.selectors import CONTEXT_TURN, context_turns, project_get_for_user, text_shown
from annotate.services.gold import GOLD_CLEARED, GOLD_SET, pair_gold_set, pairs_gold_from_source

PAIRS_PER_PAGE = 25
CONTEXT_TAIL_CHARS = 1000
SEARCH_MAX_CHARS = 200
# The form's values for the service's answers: a cleared gold answer is "" in the database, and a
# form value of its own keeps a missing field from reading as "clear".
FORM_ANSWERS = {"a": Response.A.value, "b": Response.B.value, "clear": ""}
SHOW_CHOICES = [
    ("all", "All pairs"),
    ("gold", "Gold pairs"),
    ("not_gold", "Pairs that are not gold"),
    ("preference", "Not gold, with a source preference"),
]
PAIR_COLUMNS = ("id", "source_name", "source_row", "source_preference", "gold_answer")


# Forms. --------------------------------------------------------------------------------------------


class GoldAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("a", "A"), ("b", "B"), ("clear", "Not gold")])


class FromSourceForm(forms.Form):
    """A number of pairs, or all of them ticked: an empty number meant all, and a second click on the
    page reloaded after a first, its number gone, made every pair of the project gold, out of the
    queue (found by the lead pages audit)."""

    limit = forms.IntegerField(
        required=False,
        min_value=1,
        label="At most this many pairs",
        help_text="A random sample of this size; or tick \u201call of them\u201d.",
    )
    everything = forms.BooleanField(required=False, label="All of them")

    def clean(self) -> dict:
        cleaned = super().clean()
        limit, everything = cleaned.get("limit"), cleaned.get("everything")
        if "limit" in cleaned and limit is None and not everything:
            self.add_error("limit", "Give a number of pairs, or tick \u201call of them\u201d.")
        elif limit is not None and everything:
            self.add_error("limit", "Give a number of pairs or tick \u201call of them\u201d, not both.")
        return cleaned


class GoldSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=SEARCH_MAX_CHARS, strip=True, label="Search")
    show = forms.ChoiceField(required=False, choices=SHOW_CHOICES, label="Show")


# Reads. --------------------------------------------------------------------------------------------


def gold_summary(*, project: Project) -> dict:
    """The gold pairs of `project` by answer, the pairs a from-source marking would take, and the
    gold judgments with their accuracy (module docstring). Two aggregate queries."""
    pairs = Pair.objects.filter(project=project).aggregate(
        pairs=Count("id"),
        gold=Count("id", filter=~Q(gold_answer="")),
        gold_a=Count("id", filter=Q(gold_answer=Response.A)),
        gold_b=Count("id", filter=Q(gold_answer=Response.B)),
        candidates=Count("id", filter=Q(gold_answer="", source_preference__in=[Response.A, Response.B])),
    )
    still_gold = ~Q(pair__gold_answer="")
    judgments = Judgment.objects.filter(project=project, is_gold=True).aggregate(
        judgments=Count("id"),
        scored=Count("id", filter=still_gold & Q(chosen_response__in=[Response.A, Response.B])),
        correct=Count("id", filter=still_gold & Q(chosen_response=F("pair__gold_answer"))),
    )
    # The analytics' Wilson interval (statsmodels), imported on use: not with the URLs.
    from analytics.metrics.proportions import proportion_summary

    accuracy = proportion_summary(successes=judgments["correct"], n=judgments["scored"])
    return pairs | {"gold_judgments": judgments["judgments"], "accuracy": accuracy}


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal, or a dash when undefined."""
    return "—" if value is None else f"{value * 100:.1f}%"


def pairs_search(*, project: Project, q: str = "", show: str = "all") -> QuerySet[Pair]:
    """The pairs of `project` the list shows, by id, as dicts of PAIR_COLUMNS plus the context's
    tail and length. `q` matches a pair id (digits, an optional leading "#"), or is contained,
    case-insensitively, in the source name, the context or either response; "#" and digits match
    the id only."""
    pairs = Pair.objects.filter(project=project)
    if show == "gold":
        pairs = pairs.exclude(gold_answer="")
    elif show == "not_gold":
        pairs = pairs.filter(gold_answer="")
    elif show == "preference":
        pairs = pairs.filter(gold_answer="", source_preference__in=[Response.A, Response.B])
    if q:
        match = (
            Q(source_name__icontains=q)
            | Q(context__icontains=q)
            | Q(response_a__icontains=q)
            | Q(response_b__icontains=q)
        )
        number = q.removeprefix("#")
        if number.isascii() and number.isdigit() and len(number) < 19:  # a bigint's digits; "²" is no id
            # "#123" is an id and nothing else: ORed with the text match, it read every pair's texts.
            # Plain digits may be text too.
            match = Q(pk=int(number)) if q.startswith("#") else match | Q(pk=int(number))
        pairs = pairs.filter(match)
    return (
        pairs.order_by("id")
        .annotate(context_tail=Right("context", CONTEXT_TAIL_CHARS), context_chars=Length("context"))
        .values(*PAIR_COLUMNS, "context_tail", "context_chars")
    )


def last_human_turn(tail: str, *, complete: bool) -> str:
    """The last human turn of a context from its last characters `tail` (`complete`: the tail is the
    whole context). Text before any marker is a human turn, as in `context_turns`; a turn that began
    before the tail is shown from the tail, after an ellipsis."""
    parts = CONTEXT_TURN.split(tail)
    roles = parts[1::2]
    for i in range(len(roles) - 1, -1, -1):
        if roles[i] == "Human":
            return parts[2 * i + 2].strip()
    head = parts[0].strip()
    return head if complete else f"…{head}"


def _pair_row(row: dict) -> dict:
    complete = row["context_chars"] <= CONTEXT_TAIL_CHARS
    return row | {"last_turn": last_human_turn(row["context_tail"], complete=complete)}


def _pair_for_lead(project: Project, pair_id: int) -> Pair:
    """A pair of `project` with what the detail page shows; 404 for a pair of any other project."""
    return get_object_or_404(
        Pair.objects.only(
            "id",
            "project_id",
            "context",
            "response_a",
            "response_b",
            "source_name",
            "source_row",
            "source_format",
            "source_preference",
            "gold_answer",
            "judgment_count",
        ),
        project=project,
        pk=pair_id,
    )


def pair_judgment_counts(*, pair: Pair) -> dict:
    """The pair's judgments: all but the swapped repeats (which count toward no k), the swapped
    repeats, gold ones, and (while the pair is gold) the gold ones that chose its current gold answer,
    else None."""
    counts = Judgment.objects.filter(pair=pair).aggregate(
        judgments=Count("id", filter=Q(probe_of__isnull=True)),
        repeats=Count("id", filter=Q(probe_of__isnull=False)),
        gold=Count("id", filter=Q(is_gold=True)),
        gold_correct=Count("id", filter=Q(is_gold=True, chosen_response=pair.gold_answer)),
    )
    if not pair.gold_answer:
        counts["gold_correct"] = None
    return counts


# Views. --------------------------------------------------------------------------------------------


def _leader_project(request: HttpRequest, slug: str) -> tuple[Project, Membership]:
    return project_get_for_user(user=request.user, slug=slug, roles=[Role.LEAD])


def _here(request: HttpRequest, page_url: str) -> str:
    """Where the page's forms send the lead back to: the page itself. A refused form is shown again at
    the POST-only address it was sent to, which a GET answers with a 405: then the page's own address."""
    return request.get_full_path() if request.method == "GET" else page_url


def _list_page(
    request: HttpRequest, project: Project, membership: Membership, from_source_form: FromSourceForm | None = None
) -> HttpResponse:
    search = GoldSearchForm(request.GET)
    q, show = "", "all"
    if search.is_valid():
        q, show = search.cleaned_data["q"], search.cleaned_data["show"] or "all"
    page = Paginator(pairs_search(project=project, q=q, show=show), PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    summary = gold_summary(project=project)
    accuracy = summary["accuracy"]
    list_url = reverse("annotate:gold", kwargs={"slug": project.slug})
    context = {
        "project": project,
        "membership": membership,
        "summary": summary,
        "percents": {
            "gold_rate": percent(project.gold_rate),
            "gold_min_accuracy": percent(project.gold_min_accuracy),
            "accuracy": percent(accuracy["rate"]),
            "low": percent(accuracy["ci_low"]),
            "high": percent(accuracy["ci_high"]),
        },
        "search": search,
        "q": q,
        "show": show,
        "page": page,
        "rows": [_pair_row(row) for row in page.object_list],
        "from_source_form": from_source_form or FromSourceForm(),
        "gold_never_shown": GOLD_NEVER_SHOWN if project.gold_rate == 0 else "",
        "list_url": list_url,
        "here": _here(request, list_url),
    }
    return render(request, "annotate/gold.html", context, status=400 if from_source_form is not None else 200)


@login_required
def gold_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The gold summary, the searchable list of the project's pairs with their gold answers, and the
    form that makes gold every pair with a source preference."""
    return _list_page(request, *_leader_project(request, slug))


def _pair_page(request: HttpRequest, project: Project, pair: Pair, form: GoldAnswerForm | None = None) -> HttpResponse:
    context = {
        "project": project,
        "pair": pair,
        "turns": context_turns(pair.context),
        # Stored responses keep the transcript's leading space; the page shows them as text.
        "response_a": text_shown(pair.response_a),
        "response_b": text_shown(pair.response_b),
        "counts": pair_judgment_counts(pair=pair),
        "history": _gold_history(project=project, pair_id=pair.id),
        "form": form,
        "here": _here(request, reverse("annotate:gold_pair", kwargs={"slug": project.slug, "pair_id": pair.id})),
    }
    return render(request, "annotate/gold.html", context, status=400 if form is not None else 200)


def _gold_history(*, project: Project, pair_id: int) -> list[AuditEvent]:
    """Who set or cleared this pair's gold answer, and when, newest first (its audit rows name the pair
    in their reason: "pair 12: gold answer A (was not gold)"). A change re-scores every gold answer
    given on the pair and can pause its annotators: the page showed none of it (found by the lead pages
    audit). Each row's `change` is its reason without the pair's name."""
    prefix = f"pair {pair_id}: "
    events = list(
        AuditEvent.objects.filter(project=project, action__in=[GOLD_SET, GOLD_CLEARED], reason__startswith=prefix)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    for event in events:
        event.change = event.reason.removeprefix(prefix)
    return events


@login_required
def gold_pair(request: HttpRequest, slug: str, pair_id: int) -> HttpResponse:
    """One pair in full: the conversation and responses A and B side by side, with the gold form."""
    project, _ = _leader_project(request, slug)
    return _pair_page(request, project, _pair_for_lead(project, pair_id))


GOLD_NEVER_SHOWN = (
    "The project's gold rate is 0%: no annotator is shown gold pairs, so gold pairs are out of annotation "
    "(they leave the queue of pairs judged k times) until the rate is set above 0 on the project's Settings page."
)


def _warn_if_gold_is_never_shown(request: HttpRequest, project: Project) -> None:
    """Found in review: at a gold rate of 0, marking pairs gold silently took them out of annotation."""
    if project.gold_rate == 0:
        messages.warning(request, GOLD_NEVER_SHOWN)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else fallback


@login_required
@require_POST
def gold_pair_set(request: HttpRequest, slug: str, pair_id: int) -> HttpResponse:
    """Set a pair's gold answer to A or B, or clear it; then back where the lead came from. A bad
    answer shows the pair again with the error (400) and writes nothing."""
    project, _ = _leader_project(request, slug)
    pair = _pair_for_lead(project, pair_id)
    form = GoldAnswerForm(request.POST)
    if not form.is_valid():
        return _pair_page(request, project, pair, form)
    change = pair_gold_set(
        project=project, pair_id=pair.id, answer=FORM_ANSWERS[form.cleaned_data["answer"]], actor=request.user
    )
    if not change.changed:
        messages.info(request, f"Pair {pair.id} already had that gold answer; nothing changed.")
    elif change.after:
        # The answer it replaced, if any: a page opened before another lead's change said otherwise.
        was = f" (it was {change.before.upper()})" if change.before else ""
        messages.success(request, f"Pair {pair.id} is gold, with answer {change.after.upper()}{was}.")
        _warn_if_gold_is_never_shown(request, project)
    else:
        messages.success(request, f"Pair {pair.id} is no longer gold; it is back in the queue.")
    return redirect(
        _safe_next(request, reverse("annotate:gold_pair", kwargs={"slug": project.slug, "pair_id": pair.id}))
    )


@login_required
@require_POST
def gold_from_source(request: HttpRequest, slug: str) -> HttpResponse:
    """Make gold, with the source's preference, the pairs that have one (at most `limit`)."""
    project, membership = _leader_project(request, slug)
    form = FromSourceForm(request.POST)
    if not form.is_valid():
        return _list_page(request, project, membership, form)
    try:
        marked = pairs_gold_from_source(project=project, actor=request.user, limit=form.cleaned_data["limit"])
    except ValidationError as error:
        form.add_error("limit", error)
        return _list_page(request, project, membership, form)
    if marked:
        messages.success(request, f"{marked} pair{'s' if marked != 1 else ''} made gold with the source preference.")
        _warn_if_gold_is_never_shown(request, project)
    else:
        messages.info(request, "No pair with a source preference was left to make gold; nothing changed.")
    return redirect("annotate:gold", slug=project.slug)


urlpatterns = [
    path("projects/<slug:slug>/gold/", gold_page, name="gold"),
    path("projects/<slug:slug>/gold/from-source/", gold_from_source, name="gold_from_source"),
    path("projects/<slug:slug>/gold/<id:pair_id>/", gold_pair, name="gold_pair"),
    path("projects/<slug:slug>/gold/<id:pair_id>/set/", gold_pair_set, name="gold_pair_set"),
]
