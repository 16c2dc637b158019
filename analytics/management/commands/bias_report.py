import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analytics.services import bias_report_payload
from annotate.models import Project


class Command(BaseCommand):
    help = "Compute a project's bias report now and print it (the same figures as the dashboard and the API)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--json", action="store_true", help="print the whole payload as JSON")

    def handle(self, *args, project: str, json: bool = False, **options) -> None:
        from analytics.services import pair_measures_fill

        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project with slug {project!r}.")
        pair_measures_fill(project_id=found.id)
        payload = bias_report_payload(project=found)
        if json:
            self.stdout.write(_dumps(payload))
            return
        self.stdout.write(_summary(found, payload))


def _dumps(payload: dict) -> str:
    return json.dumps(payload, indent=2, sort_keys=True)


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _summary(project: Project, payload: dict) -> str:
    lines = [
        f"Bias report for {project.name} ({project.slug}): {payload['n_judgments']} judgments by "
        f"{payload['n_annotators']} annotators on {payload['n_pairs']} pairs",
        "",
        "Position (left-choice rate, ties and skips excluded):",
    ]
    overall = payload["position"]["overall"]
    lines.append(f"  overall  n={overall['n']}  left={_pct(overall['rate'])}  p={overall.get('p_value')}")
    ids = [row["annotator"] for row in payload["position"]["per_annotator"]]
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    for row in payload["position"]["per_annotator"]:
        flag = "  FLAGGED" if row.get("flagged") else ""
        lines.append(
            f"  {names.get(row['annotator'], row['annotator'])} (id {row['annotator']}): "
            f"n={row['n']} left={_pct(row['rate'])} "
            f"[{_pct(row['ci_low'])}, {_pct(row['ci_high'])}] p_adj={row.get('p_adjusted')}{flag}"
        )
    length = payload["length"]
    lines += ["", "Length (full transcripts, as the notebook counts):"]
    lines.append(f"  {_dumps(length.get('overall', {}).get('transcripts', length.get('overall')))}")
    lines += ["", "Near-duplicates (transcript similarity buckets):"]
    lines.append(f"  {_dumps(payload['similarity']['all_pairs'])}")
    agreement = payload["agreement"]
    lines += ["", f"Agreement: {_dumps({k: v for k, v in agreement.items() if k != 'per_annotator'})}"]
    return "\n".join(lines)
