"""The driver: simulated annotators stepping through the real annotating services on one simulated
clock (see the package docstring)."""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from analytics.simulation.behaviours import (
    AnnotatorSpec,
    Behaviour,
    PairFacts,
    answer_extras,
    dwell_ms_draw,
    side_choose,
)
from annotate.models import AnnotationSession, Assignment, Judgment, Membership, Pair, Project, Role, Side
from annotate.services.annotating import (
    AnnotationError,
    assignment_next,
    judgment_submit,
    sitting_end,
    sitting_end_effective,
    sitting_start,
)

# Dwell stays below this share of the idle and lease limits.
DWELL_CAP_SHARE = 0.9
# Per answer: the chance that the tab is hidden for a while, and that the annotator ends the sitting.
HIDDEN_TAB_RATE = 0.02
EARLY_END_RATE = 0.004
SITTINGS_PER_SHIFT = (2, 5)
# The last sitting starts at least this long (plus the sitting's length) before `end`.
END_MARGIN = dt.timedelta(minutes=15)
# Annotators begin within this long of the clock's start, so that they work side by side.
START_SPREAD = dt.timedelta(minutes=45)
# Sittings in a row that found nothing to do before an annotator gives up.
EMPTY_SITTINGS_LIMIT = 3
VIEWPORTS = ((1920, 969), (1536, 730), (1440, 789), (1366, 657), (2560, 1329), (1280, 649))


@dataclass
class AnnotatorTally:
    """What one simulated annotator did in a run. `sittings` counts the sittings opened in this run;
    `agreed` the decisive judgments that picked the pair's reference (source preference or hidden
    coin); `below_floor` the judgments with a dwell under the reading floor; `refused` the answers
    the server did not record (the sitting or the lease had ended); `gold`/`gold_correct` the
    decisive answers on gold pairs and those right; `probes`/`probes_consistent` the decisive
    swapped repeats whose original (judged in this run) was decisive, and those that chose the same
    response; `stopped` why the annotator stopped (target, sittings, time, pool, paused)."""

    username: str
    behaviour: str
    sittings: int = 0
    judgments: int = 0
    left: int = 0
    right: int = 0
    ties: int = 0
    skips: int = 0
    agreed: int = 0
    refused: int = 0
    below_floor: int = 0
    gold: int = 0
    gold_correct: int = 0
    probes: int = 0
    probes_consistent: int = 0
    dwell_ms: list[int] = field(default_factory=list, repr=False)
    stopped: str = ""

    @property
    def left_rate(self) -> float | None:
        decisive = self.left + self.right
        return self.left / decisive if decisive else None

    @property
    def reference_rate(self) -> float | None:
        decisive = self.left + self.right
        return self.agreed / decisive if decisive else None

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold if self.gold else None

    @property
    def probe_consistency(self) -> float | None:
        return self.probes_consistent / self.probes if self.probes else None

    @property
    def median_dwell_s(self) -> float | None:
        return statistics.median(self.dwell_ms) / 1000 if self.dwell_ms else None


@dataclass
class SimulationResult:
    project_slug: str
    seed: int
    clock_start: dt.datetime
    clock_end: dt.datetime
    judgments: int
    stopped: str
    tallies: list[AnnotatorTally]


def simulated_annotators_ensure(*, project: Project, specs: Sequence[AnnotatorSpec]) -> list[AbstractBaseUser]:
    """The users of `specs`, created with unusable passwords if missing, each an annotator of
    `project`. Raises ValueError if one of them holds another role there."""
    user_model = get_user_model()
    users = []
    with transaction.atomic():
        for spec in specs:
            user, created = user_model.objects.get_or_create(username=spec.username)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            membership, _ = Membership.objects.get_or_create(
                user=user, project=project, defaults={"role": Role.ANNOTATOR}
            )
            if membership.role != Role.ANNOTATOR:
                raise ValueError(f"{spec.username} is a {membership.role} of {project.slug}, not an annotator")
            users.append(user)
    return users


class _Stop(Exception):
    """Raised inside the event loop when the run's judgment target is reached."""


class _Annotator:
    """One simulated person: a small state machine stepped by the driver's event queue. Each step
    runs at the simulated time `t` and returns the time of the next step, or None when done."""

    def __init__(self, *, run: _Run, spec: AnnotatorSpec, user: AbstractBaseUser, seed: int) -> None:
        self.run = run
        self.spec = spec
        self.user = user
        self.rng = random.Random(f"{seed}:{spec.username}")
        self.viewport = self.rng.choice(VIEWPORTS)
        self.tally = AnnotatorTally(username=spec.username, behaviour=str(spec.behaviour))
        self.step: Callable[[dt.datetime], dt.datetime | None] = self._start
        self.sitting: AnnotationSession | None = None
        self.current: Assignment | None = None
        self.prefetched: Assignment | None = None
        self.dwell_ms = 0
        self.empty_sittings = 0
        self.shift_started_at: dt.datetime | None = None
        self.shift_sittings_left = 0

    def _seconds(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(seconds=self.rng.uniform(low, high))

    def first_time(self, start: dt.datetime) -> dt.datetime:
        """When this annotator begins: early in the first simulated day, after anything they did before."""
        t = start + self._seconds(0, START_SPREAD.total_seconds())
        latest = (
            AnnotationSession.objects.filter(project=self.run.project, annotator=self.user)
            .order_by("-started_at", "-id")
            .first()
        )
        if latest is not None:
            idle = dt.timedelta(minutes=self.run.project.idle_timeout_minutes)
            t = max(t, latest.break_until or latest.last_activity_at + idle) + self._seconds(60, 600)
        return t

    def _done(self, reason: str) -> None:
        self.tally.stopped = reason

    def _start(self, t: dt.datetime) -> dt.datetime | None:
        run = self.run
        if run.sittings is not None and self.tally.sittings >= run.sittings:
            return self._done("sittings")
        if t > run.last_start:
            return self._done("time")
        if not self._pairs_left():
            return self._done("pool")
        if self.shift_sittings_left == 0:
            self.shift_started_at = t
            self.shift_sittings_left = self.rng.randint(*SITTINGS_PER_SHIFT)
        try:
            self.sitting, created = sitting_start(project=run.project, annotator=self.user, now=t)
        except AnnotationError as exc:
            if exc.code == "paused":
                return self._done("paused")
            if exc.code == "open_elsewhere":
                # The same person, simulated in another project over the same hours: one sitting at
                # a time, so wait until that one ends by its limits (then its break refuses us).
                return sitting_end_effective(exc.sitting) + self._seconds(5, 120)
            if exc.code != "on_break":
                raise
            return (exc.break_until or exc.sitting.break_until) + self._seconds(5, 120)
        self.tally.sittings += created
        self.step = self._show
        return t + self._seconds(1, 4)  # the page loads

    def _show(self, t: dt.datetime) -> dt.datetime | None:
        """Put the next pair on screen (the prefetched one if any) and prefetch the one after it."""
        run = self.run
        if self.prefetched is not None:
            self.current, self.prefetched = self.prefetched, None
        else:
            try:
                self.current, _ = assignment_next(project=run.project, annotator=self.user, now=t)
            except AnnotationError as exc:
                return self._after_sitting(exc.sitting, t)
            if self.current is None:
                return self._nothing_to_do(t)
        try:
            self.prefetched, _ = assignment_next(
                project=run.project, annotator=self.user, exclude=[self.current.id], now=t
            )
        except AnnotationError as exc:
            return self._after_sitting(exc.sitting, t)
        facts = run.facts(self.current)
        tired = self._tired(t)
        cap_ms = DWELL_CAP_SHARE * 60_000 * min(run.project.idle_timeout_minutes, run.project.lease_minutes)
        self.dwell_ms = dwell_ms_draw(spec=self.spec, rng=self.rng, facts=facts, tired=tired, cap_ms=cap_ms)
        hidden_ms = 0.0
        if self.rng.random() < HIDDEN_TAB_RATE:
            hidden_ms = self.rng.uniform(0.0, max(cap_ms - self.dwell_ms, 0.0))
        self.step = self._answer
        return t + dt.timedelta(milliseconds=self.dwell_ms + hidden_ms + self.rng.uniform(100, 600))

    def _tired(self, t: dt.datetime) -> bool:
        minutes = (t - self.sitting.started_at).total_seconds() / 60
        return self.spec.behaviour == Behaviour.FATIGUED and minutes >= self.spec.fatigue_after_minutes

    def _answer(self, t: dt.datetime) -> dt.datetime | None:
        run = self.run
        assignment = self.current
        facts = run.facts(assignment)
        side = side_choose(
            spec=self.spec,
            rng=self.rng,
            facts=facts,
            left_response=assignment.left_response,
            minutes_in_sitting=(t - self.sitting.started_at).total_seconds() / 60,
            allow_tie=run.project.allow_tie,
            allow_skip=run.project.allow_skip,
        )
        self.current = None
        try:
            result = judgment_submit(
                assignment_id=assignment.id,
                annotator=self.user,
                side=side,
                **answer_extras(project=run.project, rng=self.rng, side=side),
                dwell_ms=self.dwell_ms,
                viewport_width=self.viewport[0],
                viewport_height=self.viewport[1],
                now=t,
            )
        except AnnotationError as exc:
            self.tally.refused += 1
            if exc.code == "sitting_ended":
                return self._after_sitting(exc.sitting, t)
            self.step = self._show  # the lease lapsed: on to the next pair
            return t + self._seconds(1, 3)
        self._count(judgment=result.judgment, facts=facts)
        run.judgment_written()
        if not result.sitting.is_open:
            return self._after_sitting(result.sitting, t)
        if self.rng.random() < EARLY_END_RATE:
            t += self._seconds(2, 10)
            return self._after_sitting(sitting_end(project=run.project, annotator=self.user, now=t), t)
        self.step = self._show
        return t + self._seconds(0.3, 2.0)

    def _count(self, *, judgment: Judgment, facts: PairFacts) -> None:
        tally = self.tally
        tally.judgments += 1
        tally.dwell_ms.append(self.dwell_ms)
        tally.below_floor += self.dwell_ms < facts.reading_ms
        if judgment.side == Side.TIE:
            tally.ties += 1
        elif judgment.side == Side.SKIP:
            tally.skips += 1
        else:
            tally.left += judgment.side == Side.LEFT
            tally.right += judgment.side == Side.RIGHT
            tally.agreed += judgment.chosen_response == facts.reference
            if judgment.gold_correct is not None:
                tally.gold += 1
                tally.gold_correct += judgment.gold_correct
            if judgment.probe_of_id is not None:
                original = self.run.chosen.get(judgment.probe_of_id)
                if original:
                    tally.probes += 1
                    tally.probes_consistent += original == judgment.chosen_response
        self.run.chosen[judgment.pk] = judgment.chosen_response

    def _nothing_to_do(self, t: dt.datetime) -> dt.datetime | None:
        """No pair to show: end the sitting; stop if no pair is left that this annotator could get."""
        sitting = sitting_end(project=self.run.project, annotator=self.user, now=t)
        self.empty_sittings += 1
        if self.empty_sittings >= EMPTY_SITTINGS_LIMIT or not self._pairs_left():
            return self._done("pool")
        return self._after_sitting(sitting, t, empty=True)

    def _pairs_left(self) -> bool:
        """Whether a pair short of k judgments exists that was never given to this annotator (pairs
        held by others' leases count: the leases may lapse)."""
        project = self.run.project
        return (
            Pair.objects.filter(project=project, judgment_count__lt=project.judgments_per_pair, gold_answer="")
            .exclude(assignments__annotator=self.user)
            .exists()
        )

    def _after_sitting(self, sitting: AnnotationSession, t: dt.datetime, *, empty: bool = False) -> dt.datetime:
        """The sitting has closed: take the break, then the next sitting (or tomorrow's shift)."""
        self.empty_sittings = self.empty_sittings if empty else 0
        self.current = self.prefetched = None
        self.shift_sittings_left = max(self.shift_sittings_left - 1, 0)
        self.step = self._start
        after_break = max(sitting.break_until or t, t)
        if self.shift_sittings_left > 0:
            return after_break + self._seconds(10, 240)
        tomorrow = self.shift_started_at + dt.timedelta(days=1) + self._seconds(-3600, 3600)
        return max(tomorrow, after_break + self._seconds(3600, 2 * 3600))


@dataclass
class _Run:
    project: Project
    last_start: dt.datetime
    sittings: int | None
    target: int | None
    progress: Callable[[int], None] | None
    written: int = 0
    pair_facts: dict[int, PairFacts] = field(default_factory=dict)
    # The response each judgment of this run chose, by judgment id: the originals of probes.
    chosen: dict[int, str] = field(default_factory=dict)

    def facts(self, assignment: Assignment) -> PairFacts:
        if assignment.pair_id not in self.pair_facts:
            self.pair_facts[assignment.pair_id] = PairFacts.of(assignment.pair)
        return self.pair_facts[assignment.pair_id]

    def judgment_written(self) -> None:
        self.written += 1
        if self.progress is not None:
            self.progress(self.written)
        if self.target is not None and self.written >= self.target:
            raise _Stop


@contextlib.contextmanager
def global_random_seeded(seed: int | str) -> Iterator[None]:
    """The `random` module seeded with `seed` inside the block, and as it was after it."""
    saved = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(saved)


def annotators_simulate(
    *,
    project: Project,
    specs: Sequence[AnnotatorSpec],
    seed: int = 0,
    judgments: int | None = None,
    sittings: int | None = None,
    days: float = 7.0,
    end: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Run the simulated annotators of `specs` on `project` through the annotating services.

    Stops when `judgments` judgments have been written in this run (if given), when each annotator
    has done `sittings` sittings (if given), when no annotator can get a pair any more, or when the
    simulated clock, started `days` before `end` (default: now), reaches the last sitting start
    (see the package docstring). Creates the users if missing. Commits as it goes (each service call
    is its own transaction), so an interrupted run leaves consistent, partial data."""
    if judgments is not None and judgments < 1:
        raise ValueError("judgments must be at least 1")
    if sittings is not None and sittings < 1:
        raise ValueError("sittings must be at least 1")
    if days <= 0:
        raise ValueError("days must be positive")
    end = end or timezone.now()
    clock_start = end - dt.timedelta(days=days)
    run = _Run(
        project=project,
        last_start=end - dt.timedelta(minutes=project.sitting_minutes) - END_MARGIN,
        sittings=sittings,
        target=judgments,
        progress=progress,
    )
    users = simulated_annotators_ensure(project=project, specs=specs)
    people = [_Annotator(run=run, spec=spec, user=user, seed=seed) for spec, user in zip(specs, users, strict=True)]
    queue = [(person.first_time(clock_start), i) for i, person in enumerate(people)]
    heapq.heapify(queue)
    stopped = "every annotator stopped"
    t = clock_start
    # The assignment service's draws (counterbalancing coin, gold and probe picks) are seeded too.
    with global_random_seeded(seed):
        try:
            while queue:
                t, i = heapq.heappop(queue)
                next_time = people[i].step(t)
                if next_time is not None:
                    heapq.heappush(queue, (next_time, i))
        except _Stop:
            stopped = f"target of {judgments} judgments reached"
            for person in people:
                if person.tally.stopped:
                    continue
                person.tally.stopped = "target"
                if person.sitting is not None:
                    try:
                        sitting_end(project=project, annotator=person.user, now=t)
                    except AnnotationError:
                        continue  # already closed: nothing to end
    return SimulationResult(
        project_slug=project.slug,
        seed=seed,
        clock_start=clock_start,
        # The last event can be an annotator due back after a break or the night, found out of time
        # hours past `end`: the clock stopped at `end`, and no record is later.
        clock_end=min(t, end),
        judgments=run.written,
        stopped=stopped,
        tallies=[person.tally for person in people],
    )


def simulation_summary(result: SimulationResult) -> list[str]:
    """The run as printable lines: one row per annotator, then the totals."""
    header = (
        "annotator",
        "behaviour",
        "sittings",
        "judgments",
        "left rate",
        "ties",
        "skips",
        "ref. agree",
        "median dwell s",
        "below floor",
        "gold acc.",
        "probe cons.",
        "refused",
        "stopped",
    )
    rows = [header]
    for tally in result.tallies:
        rows.append(
            (
                tally.username,
                tally.behaviour,
                str(tally.sittings),
                str(tally.judgments),
                _ratio(tally.left_rate),
                str(tally.ties),
                str(tally.skips),
                _ratio(tally.reference_rate),
                "-" if tally.median_dwell_s is None else f"{tally.median_dwell_s:.1f}",
                str(tally.below_floor),
                _ratio(tally.gold_accuracy),
                _ratio(tally.probe_consistency),
                str(tally.refused),
                tally.stopped,
            )
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    left = sum(t.left for t in result.tallies)
    decisive = left + sum(t.right for t in result.tallies)
    lines += [
        "",
        f"{result.judgments} judgments in project {result.project_slug!r} (seed {result.seed}), "
        f"overall left rate {_ratio(left / decisive if decisive else None)}; "
        f"simulated clock {result.clock_start:%Y-%m-%d %H:%M} to {result.clock_end:%Y-%m-%d %H:%M} UTC; "
        f"{result.stopped}.",
    ]
    return lines


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
