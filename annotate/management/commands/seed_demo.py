"""`python manage.py seed_demo`: the demo project, its five users and its pairs, idempotently.

The demo users get fixed, documented passwords, so the command refuses to run unless `DEBUG` is on
or `--force` is given: known passwords must never be planted in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F

from annotate.demo_pairs import SOURCE_FORMAT, SOURCE_NAME, demo_pair_rows
from annotate.models import Membership, Pair, Project, Role
from annotate.services.imports import pair_measures_enqueue

DEMO_URL = "http://127.0.0.1:8000/"
SIMULATED_SLUG = "demo-simulated"
SIMULATION_SEED = 0
SIMULATED_MIX = "honest:3,left:1,fatigued:1,length:1,random:1"
DEMO_SLUG = "demo"
DEMO_NAME = "Demo: helpful and harmless assistant"

DEMO_GUIDELINES = """\
# Helpful and harmless assistant

You will see a conversation between a person (**Human**) and an AI assistant, then two possible next replies \
from the assistant. Pick the reply you would rather the assistant had given. Read the whole conversation first: \
the better reply answers the *last* message in the light of everything before it.

- **Helpful**: it does what was asked, is correct, and is clear. Longer is not better: padding, lecturing and \
repetition count against a reply, and so does ignoring what the person already said.
- **Harmless**: it does not help anyone hurt people or animals, break the law or deceive; it turns such requests \
down politely and offers a safe alternative where it can.
- When the two pull apart, harmlessness wins: a polite refusal beats a useful answer to a harmful request. But \
refusing a harmless request ("how do I kill a frozen process?") is a failure, not caution.
- Wrong facts, broken code, unsafe advice and rudeness weigh heavily, however confident the reply sounds.

**Ties.** Choose *tie* only when you would be equally happy with either reply, for example when they differ by a \
word that changes nothing. If one is even slightly better, pick it.

**Skip** when you cannot judge fairly: you would need expertise you lack to tell which is correct, the text is \
garbled, or the content upsets you. Skipping is never held against you.

Which reply appears on the left is random: do not let position sway you. Take the break when a sitting ends.
"""

# Project settings of the demo: sittings of 20 minutes or 25 items, 3-minute breaks, 3 judgments per pair.
DEMO_PROJECT_SETTINGS: dict[str, Any] = {
    "name": DEMO_NAME,
    "guidelines": DEMO_GUIDELINES,
    "sitting_minutes": 20,
    "sitting_items": 25,
    "break_minutes": 3,
    "idle_timeout_minutes": 5,
    "judgments_per_pair": 3,
    "allow_tie": True,
    "allow_skip": True,
}


SIMULATED_PROJECT_SETTINGS: dict[str, Any] = {
    **DEMO_PROJECT_SETTINGS,
    "name": "Demo with simulated annotators",
    # Every simulated annotator sees every pair, so that each has enough judgments to be measured.
    "judgments_per_pair": 7,
    "gold_rate": 0.1,
    "probe_rate": 0.1,
    "probe_min_gap": 8,
    "gold_recent": 10,
    "gold_min_accuracy": 0.5,
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: Role


# Known, documented passwords: for the local demo only (see the DEBUG/--force guard).
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("lead", "demo-lead-pass", Role.LEAD),
    DemoUser("engineer", "demo-engineer-pass", Role.ENGINEER),
    DemoUser("ann1", "demo-ann1-pass", Role.ANNOTATOR),
    DemoUser("ann2", "demo-ann2-pass", Role.ANNOTATOR),
    DemoUser("ann3", "demo-ann3-pass", Role.ANNOTATOR),
)


class Command(BaseCommand):
    help = (
        "Create the demo project, a lead, an engineer and three annotators with known passwords, and the demo "
        "pairs; print the logins. Safe to run again. Refuses unless DEBUG is on or --force is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (this plants well-known passwords: never in production).",
        )
        parser.add_argument(
            "--with-simulated",
            action="store_true",
            help=f"Also fill the project {SIMULATED_SLUG!r} with simulated annotators and compute its bias report, "
            "so that the dashboard and scorecards have something to show.",
        )
        parser.add_argument(
            "--url", default=DEMO_URL, help=f"Where the demo is served, printed at the end ({DEMO_URL})."
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Set the demo passwords on demo users that already exist (by default they keep theirs).",
        )

    def handle(
        self,
        *args: Any,
        force: bool,
        reset_passwords: bool,
        with_simulated: bool = False,
        url: str = DEMO_URL,
        **options: Any,
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with well-known passwords, so it only runs with DEBUG=1 "
                "(the local demo). Pass --force if you really mean to seed this database."
            )
        with transaction.atomic():
            project, project_created = Project.objects.get_or_create(slug=DEMO_SLUG, defaults=DEMO_PROJECT_SETTINGS)
            password_notes = [self._seed_user(project=project, demo=demo, reset=reset_passwords) for demo in DEMO_USERS]
            pairs_before = Pair.objects.filter(project=project).count()
            self._seed_pairs(project=project)
            pairs_added = Pair.objects.filter(project=project).count() - pairs_before
        if pairs_added:
            # As after an import: a worker stores the new pairs' similarities and word counts.
            pair_measures_enqueue(project_id=project.id)

        self.stdout.write(
            f"Project {project.slug!r} ({project.name}): {'created' if project_created else 'already there'}; "
            f"{pairs_added} pairs added, {pairs_before + pairs_added} in total."
        )
        self.stdout.write("")
        rows = [("login", "password", "role"), *password_notes]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for i, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if i == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        if with_simulated:
            self._seed_simulated()
        self.stdout.write("")
        self.stdout.write(f"Open {url} and log in as one of them.")

    def _seed_simulated(self) -> None:
        """A second project with the demo pairs judged by simulated annotators (honest, left-biased,
        fatigued, length-loving, random) through the real services, and its bias report."""
        from analytics.models import BiasReport
        from analytics.services import bias_report_compute
        from analytics.simulation import annotator_specs_parse, annotators_simulate
        from analytics.simulation.driver import global_random_seeded

        project, _ = Project.objects.get_or_create(slug=SIMULATED_SLUG, defaults=SIMULATED_PROJECT_SETTINGS)
        user_model = get_user_model()
        for demo in DEMO_USERS:
            if demo.role != Role.ANNOTATOR:
                Membership.objects.get_or_create(
                    user=user_model.objects.get(username=demo.username), project=project, defaults={"role": demo.role}
                )
        # The pairs' random queue positions come from a seeded draw too, so that with the simulator's
        # own seed the demo's judgments and its report's figures (the same flags, the same rates) are
        # the same on every machine, whatever ids the database gives the rows; the dates follow the
        # clock (the simulated days end when the command runs), and so do the judgments per day.
        with global_random_seeded(SIMULATION_SEED):
            self._seed_pairs(project=project)
        if project.judgments.exists():
            self.stdout.write(f"Project {project.slug!r}: simulated judgments already there.")
            return
        # A few pairs with a clear winner serve as gold, so the scorecards have gold accuracy to show.
        gold = Pair.objects.filter(project=project).exclude(source_preference="").order_by("id")[:12]
        Pair.objects.filter(id__in=[pair.id for pair in gold]).update(gold_answer=F("source_preference"))
        self.stdout.write(f"Project {project.slug!r}: simulating annotators (about a minute)...")
        result = annotators_simulate(
            project=project, specs=annotator_specs_parse(SIMULATED_MIX, left_rate=0.85), seed=SIMULATION_SEED, days=2
        )
        report = BiasReport.objects.create(project=project)
        bias_report_compute(report_id=report.id)
        self.stdout.write(
            f"Project {project.slug!r}: {result.judgments} simulated judgments; bias report computed. "
            "Log in as lead to see its dashboard and scorecards."
        )

    def _seed_user(self, *, project: Project, demo: DemoUser, reset: bool) -> tuple[str, str, str]:
        """Create the user and their membership if missing; return (login, password shown, role).

        An existing user keeps their password unless `reset`; the table then says whether the demo
        password still works, rather than printing one that may not."""
        user, created = get_user_model().objects.get_or_create(username=demo.username)
        if created or reset:
            user.set_password(demo.password)
            user.save(update_fields=["password"])
            shown = demo.password
        elif user.check_password(demo.password):
            shown = demo.password
        else:
            shown = "(changed; --reset-passwords restores it)"
        membership, _ = Membership.objects.get_or_create(user=user, project=project, defaults={"role": demo.role})
        if membership.role != demo.role:
            # The demo cast must hold its demo role, even if someone edited the membership since.
            membership.role = demo.role
            membership.save(update_fields=["role"])
        return demo.username, shown, demo.role.label

    def _seed_pairs(self, *, project: Project) -> None:
        """Insert the demo pairs; those already present (same content hash) are left alone."""
        Pair.objects.bulk_create(
            [
                Pair(project=project, source_name=SOURCE_NAME, source_format=SOURCE_FORMAT, **row)
                for row in demo_pair_rows()
            ],
            ignore_conflicts=True,
        )
