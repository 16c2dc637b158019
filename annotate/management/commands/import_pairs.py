"""`manage.py import_pairs --project SLUG [--format F] [--split S] [--skip-invalid] PATH_OR_DATASET`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from annotate.importers import FORMATS, ImportSourceError, ImportValidationError
from annotate.models import Project
from annotate.services.imports import pairs_import

ERRORS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Import preference pairs into a project from a JSONL/CSV file (plain or .gz) or a Hugging Face "
        "dataset. Formats: hh-rlhf (chosen/rejected transcripts), preference (prompt/chosen/rejected), "
        "pairs (prompt/response_a/response_b), hf (a dataset name or local directory). Without --format it "
        "is detected from the file name and the first row's fields. Each text value (transcript, prompt, "
        "response) may hold at most settings.PAIRWISE_MAX_TEXT_CHARS characters (100,000 by default); of a "
        "gzip file at most settings.PAIRWISE_MAX_GZIP_DECOMPRESSED_MB MiB are read once decompressed "
        "(4,096 by default), past which the import fails and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="PATH_OR_DATASET")
        parser.add_argument("--project", required=True, help="slug of the project")
        parser.add_argument("--format", dest="fmt", choices=FORMATS)
        parser.add_argument("--split", help="dataset split (hf only; default train)")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows and report each invalid one"
        )
        parser.add_argument(
            "--gold-from-source", action="store_true", help="mark the pairs as gold, with the source's preference"
        )

    def handle(self, *args, source: str, project: str, fmt: str | None, split: str | None, **options) -> None:
        try:
            target = Project.objects.get(slug=project)
        except Project.DoesNotExist as exc:
            raise CommandError(f"no project with slug {project!r}") from exc
        quiet = options["verbosity"] == 0
        with tqdm(desc="rows", unit=" rows", disable=quiet, file=self.stderr._out) as bar:
            try:
                result = pairs_import(
                    project=target,
                    source=source,
                    fmt=fmt,
                    split=split,
                    skip_invalid=options["skip_invalid"],
                    progress=lambda n: bar.update(n - bar.n),
                    gold_from_source=options["gold_from_source"],
                )
            except ImportValidationError as exc:
                lines = [str(e) for e in exc.errors[:ERRORS_SHOWN]]
                rows_shown = len({e.row for e in exc.errors[:ERRORS_SHOWN]})
                if exc.invalid_rows > rows_shown:
                    lines.append(f"... and {exc.invalid_rows - rows_shown} more row(s)")
                raise CommandError(
                    f"{exc.invalid_rows} invalid row(s) in {exc.rows_read} rows; nothing imported "
                    "(--skip-invalid imports the valid rows):\n  " + "\n  ".join(lines)
                ) from exc
            except ImportSourceError as exc:
                raise CommandError(str(exc)) from exc
        for error in result.errors:
            self.stderr.write(f"skipped row {error['row']}, field {error['field']!r}: {error['message']}")
        if (unlisted := result.invalid_rows - len({error["row"] for error in result.errors})) > 0:
            self.stderr.write(f"... and {unlisted} more skipped row(s), not listed")
        self.stdout.write(f"Imported into {target.slug}: {result.summary()}")
