"""A project with judgments made through the real annotating services, and a report computed from them.

The pairs are the first 30 real HH-RLHF rows of the shared test split (response A is the
source's chosen response on even rows, B on odd ones). Three annotators judge every one (k = 3)
in one sitting each, with server clock times passed as `now`: "lefty" (annotator) picks the left
side nine times in ten, "honest" (annotator2) follows the pair's source preference, "coin"
(annotator3) picks left, right or tie at random. The report is computed synchronously by the
service the Celery task calls (no broker in these tests).
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import json
import random

import pytest
from django.utils import timezone

from analytics.models import BiasReport
from analytics.services import bias_report_compute
from annotate.importers import content_hash_compute, transcripts_split
from annotate.models import JobState, Membership, Pair, Project, Role, Side
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from tests.conftest import HH_RLHF_TEST, make_user

PAIRS = 30
SECONDS_BETWEEN_ANSWERS = 20


def hh_rlhf_pairs(project: Project, n: int) -> list[Pair]:
    """The first `n` rows of the shared HH-RLHF split as pairs of `project`."""
    pairs = []
    with gzip.open(HH_RLHF_TEST, "rt", encoding="utf-8") as lines:
        for row, line in enumerate(itertools.islice(lines, n)):
            record = json.loads(line)
            context, chosen, rejected = transcripts_split(record["chosen"], record["rejected"])
            a, b, preferred = (chosen, rejected, "a") if row % 2 == 0 else (rejected, chosen, "b")
            pairs.append(
                Pair(
                    project=project,
                    context=context,
                    response_a=a,
                    response_b=b,
                    source_name="hh-rlhf harmless-base test",
                    source_row=row,
                    source_preference=preferred,
                    content_hash=content_hash_compute(context=context, response_a=a, response_b=b),
                )
            )
    return Pair.objects.bulk_create(pairs)


def judge_all(*, project: Project, annotator, start: dt.datetime, choose, seed: int) -> int:
    """Open one sitting at `start` and answer every pair of the project in it (the sitting's item
    limit is the number of pairs, so the last answer ends the sitting).

    `choose(assignment, rng)` returns the side to submit. Returns the number of judgments made."""
    rng = random.Random(seed)
    now = start
    sitting_start(project=project, annotator=annotator, now=now)
    made = 0
    for _ in range(project.sitting_items):
        now += dt.timedelta(seconds=SECONDS_BETWEEN_ANSWERS)
        assignment, _ = assignment_next(project=project, annotator=annotator, now=now)
        if assignment is None:
            break
        dwell = rng.randint(2_000, 18_000)
        judgment_submit(
            assignment_id=assignment.id,
            annotator=annotator,
            side=choose(assignment, rng),
            dwell_ms=dwell,
            now=now + dt.timedelta(milliseconds=dwell),
        )
        made += 1
    return made


def lefty(assignment, rng: random.Random) -> str:
    return Side.LEFT if rng.random() < 0.9 else Side.RIGHT


def honest(assignment, rng: random.Random) -> str:
    preferred = assignment.pair.source_preference
    return Side.LEFT if assignment.left_response == preferred else Side.RIGHT


def coin(assignment, rng: random.Random) -> str:
    return rng.choice([Side.LEFT, Side.RIGHT, Side.TIE])


def judging_days() -> tuple[dt.datetime, dt.datetime]:
    """09:00 (site time) two days ago and yesterday: whole sittings on known, past days."""
    nine = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    return nine - dt.timedelta(days=2), nine - dt.timedelta(days=1)


@pytest.fixture
def judged_project(project, lead, engineer, annotator, annotator2) -> Project:
    """`project` with 30 pairs judged three times each by three annotators: 30 judgments
    two days ago, 60 yesterday."""
    # The server puts a response on the left by a coin (`random`) and pairs get random sort keys:
    # seeded, so that every run judges the same pairs with the same sides.
    random.seed(4)
    project.sitting_items = PAIRS
    project.sitting_minutes = 60
    project.save(update_fields=["sitting_items", "sitting_minutes"])
    hh_rlhf_pairs(project, PAIRS)
    third = make_user("annotator3")
    Membership.objects.create(user=third, project=project, role=Role.ANNOTATOR)
    first_day, second_day = judging_days()
    judge_all(project=project, annotator=annotator, start=first_day, choose=lefty, seed=1)
    judge_all(project=project, annotator=annotator2, start=second_day, choose=honest, seed=2)
    judge_all(project=project, annotator=third, start=second_day, choose=coin, seed=3)
    return project


def report_compute(project: Project) -> BiasReport:
    """A report row computed synchronously, as the Celery task would."""
    report = BiasReport.objects.create(project=project)
    bias_report_compute(report_id=report.id)
    report.refresh_from_db()
    if report.state != JobState.DONE:
        raise RuntimeError(f"the report did not finish: {report.state} {report.error}")
    return report


@pytest.fixture
def report(judged_project) -> BiasReport:
    return report_compute(judged_project)
