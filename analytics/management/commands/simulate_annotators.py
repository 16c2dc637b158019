"""`manage.py simulate_annotators --project SLUG [--annotators MIX] [--judgments N | --sittings S] …`.

Synthetic annotators with planted behaviour, driving the real annotating services on a simulated
clock that ends before now (see `analytics.simulation`). For demo dashboards and tests: the
judgments it writes are fake, so it refuses to run unless DEBUG is on or --force is given.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.simulation import (
    DEFAULT_MIX,
    AnnotatorSpec,
    annotator_specs_parse,
    annotators_simulate,
    simulation_summary,
)
from annotate.models import Project

PROGRESS_EVERY = 500


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Simulate annotators of known behaviour (honest, left-biased, length-loving, fatigued, random) "
        "working through the project's pairs in sittings with breaks, over the past --days days, through "
        "the real annotating services; then print judgments and left rate per annotator. Users "
        "<prefix>-<behaviour>-<i> are created (unusable passwords) as annotators of the project. Without "
        "--judgments or --sittings it runs until every pair has k judgments or time runs out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = AnnotatorSpec(username="-", behaviour="honest")
        parser.add_argument("--project", required=True, help="slug of the project")
        parser.add_argument(
            "--annotators",
            default=DEFAULT_MIX,
            help=f"behaviour:count list (behaviours: honest, left, length, fatigued, random); default {DEFAULT_MIX}",
        )
        parser.add_argument("--judgments", type=int, help="stop after this many judgments in total")
        parser.add_argument("--sittings", type=int, help="stop each annotator after this many sittings")
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        parser.add_argument("--days", type=float, default=7.0, help="the simulated clock starts this many days ago")
        parser.add_argument(
            "--prefix",
            default="sim",
            help="user name prefix (default sim); the same names in two projects are the same people, whose "
            "sittings and breaks in one hold in the other (one sitting at a time): give each project its own",
        )
        parser.add_argument(
            "--noise", type=_rate, default=defaults.noise, help="error rate of honest annotators (and fresh fatigued)"
        )
        parser.add_argument("--left-rate", type=_rate, default=defaults.left_rate, help="left rate of left-biased")
        parser.add_argument(
            "--length-rate", type=_rate, default=defaults.length_rate, help="how often length-lovers pick the longer"
        )
        parser.add_argument(
            "--fatigue-after",
            type=float,
            default=defaults.fatigue_after_minutes,
            help="minutes into a sitting after which fatigued annotators err more",
        )
        parser.add_argument(
            "--fatigued-noise", type=_rate, default=defaults.fatigued_noise, help="error rate once fatigued"
        )
        parser.add_argument("--tie-rate", type=_rate, default=defaults.tie_rate, help="share of ties (if allowed)")
        parser.add_argument("--skip-rate", type=_rate, default=defaults.skip_rate, help="share of skips (if allowed)")
        parser.add_argument(
            "--force", action="store_true", help="run even though DEBUG is off (writes fake judgments: demo data only)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "simulate_annotators writes synthetic judgments, so it only runs with DEBUG=1 (the demo). "
                "Pass --force if you really mean to fill this database's project with them."
            )
        try:
            project = Project.objects.get(slug=options["project"])
        except Project.DoesNotExist as exc:
            raise CommandError(f"no project with slug {options['project']!r}") from exc
        try:
            specs = annotator_specs_parse(
                options["annotators"],
                prefix=options["prefix"],
                noise=options["noise"],
                left_rate=options["left_rate"],
                length_rate=options["length_rate"],
                fatigue_after_minutes=options["fatigue_after"],
                fatigued_noise=options["fatigued_noise"],
                tie_rate=options["tie_rate"],
                skip_rate=options["skip_rate"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        quiet = options["verbosity"] == 0

        def progress(written: int) -> None:
            if not quiet and written % PROGRESS_EVERY == 0:
                self.stderr.write(f"{written} judgments…")

        try:
            result = annotators_simulate(
                project=project,
                specs=specs,
                seed=options["seed"],
                judgments=options["judgments"],
                sittings=options["sittings"],
                days=options["days"],
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for line in simulation_summary(result):
            self.stdout.write(line)
