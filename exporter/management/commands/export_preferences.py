import argparse
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from annotate.models import Project
from exporter.services import AGGREGATES, FORMATS, WRITERS, ExportError, ExportOptions, aware_in_site_zone, export_write


def _datetime(value: str) -> dt.datetime:
    """An ISO 8601 date and time; one without a zone is in the site's TIME_ZONE, as on the Exports page
    and in the API (it was UTC here alone, so the same "since" chose other judgments here)."""
    parsed = dt.datetime.fromisoformat(value)
    try:
        return aware_in_site_zone(parsed)
    except ValueError as error:  # argparse says only "invalid value" of a plain ValueError
        raise argparse.ArgumentTypeError(str(error)) from None


class Command(BaseCommand):
    help = "Export a project's judgments as training data (HH-RLHF, TRL records, or a tokenized torch Dataset)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--format", default="hh-rlhf", choices=FORMATS)
        parser.add_argument("--writer", default="jsonl", choices=WRITERS, help="file type (not for tokenized)")
        parser.add_argument("--out", required=True, help="output directory (created; must be empty)")
        parser.add_argument("--per-judgment", action="store_true", help="one record per judgment, no aggregation")
        parser.add_argument("--with-metadata", action="store_true", help="metadata columns (TRL formats)")
        parser.add_argument(
            "--aggregate", default="majority", choices=AGGREGATES, help="how a pair's votes make one record"
        )
        parser.add_argument("--include-gold", action="store_true", help="keep judgments of gold pairs")
        parser.add_argument(
            "--include-probes", action="store_true", help="keep swapped repeat probes (with --per-judgment)"
        )
        parser.add_argument("--min-judgments", type=int, help="at least this many decisive votes per pair")
        parser.add_argument("--min-agreement", type=float, help="winner's share of decisive votes, 0..1")
        parser.add_argument("--max-similarity", type=float, help="transcript similarity (the notebook's; e.g. 0.9)")
        parser.add_argument("--max-response-similarity", type=float, help="similarity of the responses alone")
        parser.add_argument(
            "--exclude-flagged",
            action="store_true",
            help="drop annotators flagged by the latest report (position, length, fatigue)",
        )
        parser.add_argument("--exclude-paused", action="store_true", help="drop annotators paused in the project now")
        parser.add_argument("--max-sitting-minutes", type=float, help="drop judgments later in a sitting than this")
        parser.add_argument("--max-index-in-sitting", type=int, help="drop judgments past this index in a sitting")
        parser.add_argument(
            "--since", type=_datetime, help="answered at or after (ISO 8601; without a zone, in TIME_ZONE)"
        )
        parser.add_argument("--until", type=_datetime, help="answered before (ISO 8601; without a zone, in TIME_ZONE)")
        parser.add_argument("--source", help="only pairs from this source name")
        parser.add_argument("--test-size", type=float, default=0.1, help="test share for --writer hf")
        parser.add_argument("--seed", type=int, default=0, help="seed of the train/test rule")
        parser.add_argument("--tokenizer", default="gpt2", help="tokenizer name or local path (tokenized)")
        parser.add_argument("--max-length", type=int, default=512, help="max_length (tokenized)")

    def handle(self, *args, **opts) -> None:
        project = Project.objects.filter(slug=opts["project"]).first()
        if project is None:
            raise CommandError(f"No project with slug {opts['project']!r}.")
        options = ExportOptions(
            format=opts["format"],
            writer=opts["writer"],
            per_judgment=opts["per_judgment"],
            with_metadata=opts["with_metadata"],
            aggregate=opts["aggregate"],
            include_gold=opts["include_gold"],
            include_probes=opts["include_probes"],
            min_judgments=opts["min_judgments"],
            min_agreement=opts["min_agreement"],
            max_similarity=opts["max_similarity"],
            max_response_similarity=opts["max_response_similarity"],
            exclude_flagged=opts["exclude_flagged"],
            exclude_paused=opts["exclude_paused"],
            max_sitting_minutes=opts["max_sitting_minutes"],
            max_index_in_sitting=opts["max_index_in_sitting"],
            since=opts["since"],
            until=opts["until"],
            source=opts["source"],
            test_size=opts["test_size"],
            seed=opts["seed"],
            tokenizer=opts["tokenizer"],
            max_length=opts["max_length"],
        )
        try:
            result = export_write(project=project, options=options, out_dir=opts["out"])
        except ExportError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            # An --out that cannot be made a directory, a --tokenizer that cannot be loaded: a
            # message, not a traceback.
            raise CommandError(f"The export was not written: {error}") from error
        effects = ", ".join(f"{k} -{v}" for k, v in result.filter_effects.items()) or "no filters"
        counts = result.counts
        # Each mode counts the pairs it could not decide under its own name; per judgment, none.
        if "pairs_without_majority" in counts:
            undecided = f"{_pairs(counts['pairs_without_majority'])} without a majority; "
        elif "pairs_without_winner" in counts:
            undecided = f"{_pairs(counts['pairs_without_winner'])} without a winner; "
        else:
            undecided = ""
        self.stdout.write(
            f"Exported {counts['records']} records ({options.format}) to {opts['out']}; {undecided}filters: {effects}."
        )


def _pairs(n: int) -> str:
    return f"{n} pair{'' if n == 1 else 's'}"
