import json
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.services import bias_report_keep, bias_report_payload
from annotate.models import Project


class Command(BaseCommand):
    help = "Compute a project's bias report now and print it (the same figures as the dashboard and the API)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--json", action="store_true", help="print the whole payload as JSON")
        parser.add_argument(
            "--save",
            action="store_true",
            help="also keep it as the project's latest report, as the worker does (the dashboard shows it, "
            "and an export with --exclude-flagged leaves out whom it flags)",
        )

    def handle(self, *args, project: str, json: bool = False, save: bool = False, **options) -> None:
        from analytics.services import pair_measures_fill

        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project with slug {project!r}.")
        started_at, started = timezone.now(), time.monotonic()
        pair_measures_fill(project_id=found.id)
        payload = bias_report_payload(project=found)
        if save:
            duration_ms = int((time.monotonic() - started) * 1000)
            report = bias_report_keep(project=found, payload=payload, started_at=started_at, duration_ms=duration_ms)
            self.stderr.write(f"Kept as bias report {report.pk}, the project's latest.")
        if json:
            self.stdout.write(_dumps(payload))
            return
        self.stdout.write(_summary(found, payload))


def _dumps(payload: dict) -> str:
    return json.dumps(payload, indent=2, sort_keys=True)


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _p(value) -> str:
    return "—" if value is None else f"{value:.3g}"


def _rate(section: dict | None) -> str:
    """A rate with its 95% interval, or a dash when there is none."""
    if not section or section.get("rate") is None:
        return "—"
    return f"{_pct(section['rate'])} [{_pct(section.get('ci_low'))}, {_pct(section.get('ci_high'))}]"


def _flagged(rows: dict[int, dict], annotator: int) -> bool:
    return bool(rows.get(annotator, {}).get("flagged"))


def _by_annotator(rows: list[dict] | None) -> dict[int, dict]:
    return {int(row["annotator"]): row for row in rows or []}


def _summary(project: Project, payload: dict) -> str:
    """The report as a person reads it: who is flagged and why, one line per annotator, then the
    project's length, near-duplicate and agreement figures. `--json` prints every figure."""
    position = payload["position"]
    positions = _by_annotator(position.get("per_annotator"))
    fatigue = _by_annotator(payload.get("fatigue", {}).get("per_annotator"))
    lengths = _by_annotator(payload.get("length", {}).get("per_annotator"))
    agreement = payload.get("agreement", {})
    agreements = _by_annotator(agreement.get("per_annotator"))
    speeding = payload.get("speeding", {})
    fast = _by_annotator(speeding.get("per_annotator"))
    careless = _by_annotator(payload.get("careless", {}).get("per_annotator"))
    ids = sorted(set(positions) | set(fatigue) | set(lengths) | set(agreements) | set(fast) | set(careless))
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    progress = payload.get("coverage", {}).get("progress") or {}
    lines = [
        f"Bias report for {project.name} ({project.slug}): {payload['n_judgments']} judgments by "
        f"{payload['n_annotators']} annotators on {payload['n_pairs']} pairs"
        + (
            f"; {progress['collected']} of the {progress['wanted']} judgments k = {progress['k']} asks for"
            if progress.get("wanted")
            else ""
        ),
        "",
    ]
    sections = (("position", positions), ("length", lengths), ("fatigue", fatigue), ("careless", careless))
    reasons = {annotator: [name for name, rows in sections if _flagged(rows, annotator)] for annotator in ids}
    flagged = [f"{names.get(a, a)} ({', '.join(why)})" for a, why in reasons.items() if why]
    lines.append(f"Flagged: {'; '.join(flagged) if flagged else 'nobody'}")
    lines += [
        "",
        "Per annotator: left-choice rate (ties and skips left out) and its 95% interval, its p adjusted "
        "across annotators; length effect with position and content held apart (log-odds, p adjusted); "
        "quality decline late in sittings (p adjusted); agreement with the others' majority, and the p "
        "(adjusted) of agreeing with it less often than the rest do (careless answering: flagged only nearer "
        "chance than the rest); answers faster than "
        "reading:",
    ]
    for annotator in ids:
        pos, tired = positions.get(annotator, {}), fatigue.get(annotator, {})
        model = lengths.get(annotator, {}).get("model") or {}
        effect = "—" if model.get("estimate") is None else f"{model['estimate']:+.2f}"
        lines.append(
            f"  {names.get(annotator, annotator)} (id {annotator}): n={pos.get('n', 0)} left={_rate(pos)} "
            f"p_adj={_p(pos.get('p_adjusted'))}; length {effect} p_adj={_p(model.get('p_adjusted'))}; "
            f"decline p_adj={_p(tired.get('p_adjusted'))}; "
            f"majority={_pct((agreements.get(annotator, {}).get('loo_majority') or {}).get('rate'))} "
            f"careless p_adj={_p(careless.get(annotator, {}).get('p_adjusted'))}; "
            f"fast={_pct(fast.get(annotator, {}).get('share'))}"
            + (f"  FLAGGED ({', '.join(reasons[annotator])})" if reasons[annotator] else "")
        )
    overall = position.get("overall", {})
    pooled = _pct(overall.get("rate")) if overall.get("rate") is not None else "—"
    lines.append(f"  all: n={overall.get('n', 0)} left={pooled} (pooled over annotators: no interval or test)")
    lines += ["", *_length_lines(payload.get("length", {})), "", *_similarity_lines(payload.get("similarity", {}))]
    lines += ["", *_agreement_lines(agreement)]
    return "\n".join(lines)


def _length_lines(length: dict) -> list[str]:
    overall = (length.get("overall") or {}).get("transcripts") or {}
    if not overall.get("n"):
        return ["Length: no decisive judgments yet."]
    lines = [
        f"Length (words of the full transcripts, as the notebook counts; {overall['n']} decisive judgments): "
        f"chosen mean {overall['chosen_mean']:.1f}, median {overall['chosen_median']:g}; rejected mean "
        f"{overall['rejected_mean']:.1f}, median {overall['rejected_median']:g}; chosen longer "
        f"{_pct(overall['chosen_longer_share'])}, shorter {_pct(overall['chosen_shorter_share'])}, same "
        f"{_pct(overall['same_share'])}" + (f": {overall['verdict']}" if overall.get("verdict") else "")
    ]
    model = length.get("length_controlled") or {}
    coefficients = model.get("coefficients") or {}
    terms = [
        (label, coefficients[name])
        for name, label in (
            ("length_difference", "length"),
            ("intercept", "position"),
            ("reference_on_left", "content"),
        )
        if coefficients.get(name)
    ]
    # Computed here and now: the pooled fit has its clusters, and a p exactly where it has more than terms.
    clusters = model.get("clusters")
    tested = coefficients.get("length_difference", {}).get("p_value") is not None
    if tested:
        inference = f"p clustered by annotator, {clusters} annotators"
    else:
        # Not more annotators than terms: the clustered covariance is singular, and there is no p.
        inference = (
            f"estimates only: {clusters} annotator{'s' if clusters != 1 else ''}, no more than the "
            f"{len(coefficients)} terms, are too few for a p clustered by annotator"
        )
    if coefficients.get("length_difference"):
        lines.append(
            "  with position and content held apart (logistic regression pooled over annotators, "
            + inference
            + "): "
            + ", ".join(
                f"{label} {term['estimate']:+.2f}" + (f" (p {_p(term['p_value'])})" if tested else "")
                for label, term in terms
            )
            + (
                f"; {model['n_without_reference']} judgments of pairs without a reference left out"
                if model.get("n_without_reference")
                else ""
            )
        )
    return lines


def _similarity_lines(similarity: dict) -> list[str]:
    pairs = similarity.get("all_pairs") or {}
    if not pairs.get("n"):
        return ["Near-duplicates: no pair measured yet."]
    bounds = pairs.get("boundaries", {})
    return [
        f"Near-duplicates (transcript similarity of {pairs['n']} pairs, mean {pairs['mean']:.3f}): "
        f"{pairs['high']} above {bounds.get('high_above')} ({_pct(pairs['high_share'])}), {pairs['medium']} "
        f"between ({_pct(pairs['medium_share'])}), {pairs['low']} at most {bounds.get('low_at_most')} "
        f"({_pct(pairs['low_share'])})"
    ]


def _agreement_lines(agreement: dict) -> list[str]:
    def value(name: str, key: str) -> str:
        section = agreement.get(name) or {}
        figure = section.get(key)
        return "—" if figure is None else f"{figure:.3f} ({section.get('pairs', 0)} pairs)"

    return [
        "Agreement: "
        f"raw {value('raw_agreement', 'agreement')}, decisive {value('decisive_agreement', 'agreement')}, "
        f"Fleiss' kappa {value('fleiss_kappa', 'value')}, Krippendorff's alpha {value('krippendorff_alpha', 'value')}; "
        f"with the others' majority {_rate(agreement.get('loo_majority'))}, "
        f"with the source's preference {_rate(agreement.get('source'))}"
    ]
