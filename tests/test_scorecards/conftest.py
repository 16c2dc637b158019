"""A small project judged through the real annotating services, small enough to work its figures by hand.

Pairs: 6 ordinary pairs (source preference "a") and 4 gold pairs (gold answer "a"), k = 2. Each of
two annotators judges 13 items in one sitting, in four phases, with the project's rates changed
between phases so that what is served is certain: 5 ordinary pairs (no gold, no probes), the 4 gold
pairs (gold rate 1), the sixth ordinary pair, then 3 swapped repeats of earlier ordinary pairs (probe
rate 1, gap 1).

- "annotator2" (honest), two days ago from 09:00: always picks response "a"; one answer every
  60 s; visible dwell 10 s + 1 s × i (i = 0..12: median 16 s, never under the reading floor);
  sitting item limit 100, so the sitting stays open and lasts to its last activity: 13 minutes.
- "annotator" (lefty), yesterday from 09:00: always picks the left side; one answer every 30 s;
  dwell 100 ms + 10 ms × i (median 160 ms, all under the reading floor of about 1 s); item limit
  13, so the 13th answer ends the sitting: 6.5 minutes.

Lefty is served the pairs honest judged (started pairs come first) with the sides counterbalanced
(the opposite of honest's). Which side honest saw first is a coin of the server (`random`), seeded
here so that every run is the same; the tests count sides from the stored assignments.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from analytics.models import BiasReport
from analytics.services import bias_report_compute
from annotate.models import JobState, Project, Side
from annotate.services.annotating import assignment_next, judgment_submit, sitting_start
from tests.conftest import make_pairs

# The last ordinary pair comes after the gold ones: gold is served only while the queue has a pair
# for the annotator (after "no pair is available", a pair served would be known to be gold).
PHASES = (("ordinary", 5), ("gold", 4), ("ordinary", 1), ("probe", 3))
ITEMS = sum(count for _, count in PHASES)


def judge(
    project: Project,
    annotator,
    *,
    start: dt.datetime,
    step: dt.timedelta,
    dwell: Callable[[int], int],
    choose: Callable,
    item_limit: int,
    phases: tuple[tuple[str, int], ...] = PHASES,
) -> None:
    """One sitting from `start` through `phases` (by default the three PHASES), an answer every `step`."""
    project.sitting_items = item_limit
    project.gold_rate = project.probe_rate = 0.0
    project.save()
    sitting_start(project=project, annotator=annotator, now=start)
    now, i = start, 0
    for phase, count in phases:
        project.gold_rate = 1.0 if phase == "gold" else 0.0
        project.probe_rate = 1.0 if phase == "probe" else 0.0
        project.save(update_fields=["gold_rate", "probe_rate"])
        for _ in range(count):
            now += step
            # Served `dwell` before the answer: a page cannot show a pair longer than it has been out.
            served = now - dt.timedelta(milliseconds=dwell(i))
            assignment, _ = assignment_next(project=project, annotator=annotator, now=served)
            judgment_submit(
                assignment_id=assignment.id, annotator=annotator, side=choose(assignment), dwell_ms=dwell(i), now=now
            )
            i += 1
    project.gold_rate = project.probe_rate = 0.0
    project.save(update_fields=["gold_rate", "probe_rate"])


def picks_a(assignment) -> str:
    return Side.LEFT if assignment.left_response == "a" else Side.RIGHT


def picks_left(assignment) -> str:
    return Side.LEFT


def nine_am(days_ago: int) -> dt.datetime:
    return timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) - dt.timedelta(days=days_ago)


@pytest.fixture
def scored_project(project, lead, engineer, annotator, annotator2) -> Project:
    random.seed(6)
    project.judgments_per_pair = 2
    project.sitting_minutes = 60
    project.probe_min_gap = 1
    project.save()
    make_pairs(project, 6)
    for pair in make_pairs(project, 4, prefix="gold"):
        pair.gold_answer = "a"
        pair.save(update_fields=["gold_answer"])
    judge(
        project,
        annotator2,
        start=nine_am(2),
        step=dt.timedelta(seconds=60),
        dwell=lambda i: 10_000 + 1_000 * i,
        choose=picks_a,
        item_limit=100,
    )
    judge(
        project,
        annotator,
        start=nine_am(1),
        step=dt.timedelta(seconds=30),
        dwell=lambda i: 100 + 10 * i,
        choose=picks_left,
        item_limit=ITEMS,
    )
    return project


@pytest.fixture
def report(scored_project) -> BiasReport:
    """A bias report computed synchronously, as the Celery task would."""
    report = BiasReport.objects.create(project=scored_project)
    bias_report_compute(report_id=report.id)
    report.refresh_from_db()
    assert report.state == JobState.DONE, report.error
    return report


class _Tables(HTMLParser):
    """Collects every <table>: its caption and its rows as lists of cell texts (whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": [], "attrs": dict(attrs)})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def page_tables(html: str) -> list[dict]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def table_rows(html: str, caption_start: str) -> list[list[str]]:
    """The rows (header row included) of the page's table whose caption starts with `caption_start`."""
    found = [table for table in page_tables(html) if table["caption"].startswith(caption_start)]
    assert len(found) == 1, f"no single table captioned {caption_start!r}: {[t['caption'] for t in page_tables(html)]}"
    return found[0]["rows"]


def figures(html: str, caption_start: str) -> dict[str, str]:
    """A Figure / Value table as a dict."""
    return {row[0]: row[1] for row in table_rows(html, caption_start)[1:]}
