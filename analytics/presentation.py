"""How the dashboard and the scorecards show figures: dashes for undefined values, rates with
their counts, intervals, and the tables both pages draw the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.timesince import timesince

DASH = "—"
EN_DASH = "\u2013"  # between the ends of a range


# Formatting: the payload holds None where a figure is undefined; the page shows a dash. --------


def pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return DASH
    return f"{value:,.0f}" if isinstance(value, int) else f"{value:,.{digits}f}"


def p_text(value: float | None) -> str:
    if value is None:
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def length_flag(length: dict | None) -> bool | None:
    """An annotator's length flag from their row of the report's length section: None where no length
    effect was fitted to their judgments (too few, no reference, a report from before length flags),
    which the pages show as a dash rather than "no"."""
    length = length or {}
    return length.get("flagged") if (length.get("model") or {}).get("estimate") is not None else None


def position_flag(position: dict | None) -> bool | None:
    """An annotator's position flag from their row of the report's position section: None where no test
    was made (no decisive judgment), which the pages show as a dash rather than "no", as for length."""
    position = position or {}
    return position.get("flagged") if position.get("p_value") is not None else None


def fatigue_flag(fatigue: dict | None) -> bool | None:
    """An annotator's late-drop flag from their row of the report's fatigue section: None where no decline
    was fitted (fewer than 20 answers with a quality, none that vary within a sitting), which the pages
    show as a dash: "no" said that a test found nothing where none was made."""
    fatigue = fatigue or {}
    return fatigue.get("flagged") if fatigue.get("p_decline") is not None else None


def careless_flag(careless: dict | None) -> bool | None:
    """An annotator's careless-answering flag from their row of the report's careless section: None where
    no test was made (too few judgments with a majority of others, too few other annotators, a report from
    before the flag), which the pages show as a dash."""
    careless = careless or {}
    return careless.get("flagged") if careless.get("p_value") is not None else None


def careless_p(careless: dict | None, key: str = "p_value") -> str:
    """The careless-answering test's p (`key`: "p_value" or "p_adjusted"), or why there was no test."""
    careless = careless or {}
    if careless.get("p_value") is None:
        return careless.get("reason") or DASH
    return p_text(careless.get(key))


def interval(summary: dict) -> str:
    if summary.get("ci_low") is None:
        return DASH
    return f"{pct(summary['ci_low'])} {EN_DASH} {pct(summary['ci_high'])}"


def rate(summary: dict | None) -> str:
    """A proportion summary as "rate (successes / n)"."""
    if not summary or summary.get("rate") is None:
        return DASH
    return f"{pct(summary['rate'])} ({summary['successes']} / {summary['n']})"


def ago(moment: dt.datetime) -> str:
    """How long ago `moment` was, e.g. "3 minutes ago"; "less than a minute ago" under a minute, where
    `timesince` alone would say "0 minutes"."""
    if timezone.now() - moment < dt.timedelta(minutes=1):
        return "less than a minute ago"
    return f"{timesince(moment)} ago"


def seconds(milliseconds: float | None) -> str:
    return DASH if milliseconds is None else f"{milliseconds / 1000:.1f} s"


# Tables: the template draws any of these the same way (caption, column headers, row headers). ----


@dataclass
class Cell:
    text: str
    href: str = ""
    flag: bool = False


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def add(self, *cells: Cell | str) -> None:
        self.rows.append([cell if isinstance(cell, Cell) else Cell(str(cell)) for cell in cells])


def flag_cell(flagged: bool | None) -> Cell:
    """The cell of a flag: "flagged", "no", or a dash where no test was made (None)."""
    if flagged is None:
        return Cell(DASH)
    return Cell("flagged", flag=True) if flagged else Cell("no")


def usernames(ids: list[int]) -> dict[int, str]:
    users = get_user_model().objects.filter(id__in=ids).values_list("id", "username")
    return {user_id: username for user_id, username in users}


# The payload, arranged for the page. -------------------------------------------------------------


def per_annotator_rows(payload: dict) -> dict[int, dict[str, dict]]:
    """Each annotator's rows of the payload's sections, keyed by annotator id then section."""
    sections = {
        "position": payload.get("position", {}).get("per_annotator", []),
        "length": payload.get("length", {}).get("per_annotator", []),
        "fatigue": payload.get("fatigue", {}).get("per_annotator", []),
        "agreement": payload.get("agreement", {}).get("per_annotator", []),
        "careless": payload.get("careless", {}).get("per_annotator", []),
        "speeding": payload.get("speeding", {}).get("per_annotator", []),
    }
    rows: dict[int, dict[str, dict]] = {}
    for section, entries in sections.items():
        for entry in entries:
            rows.setdefault(int(entry["annotator"]), {})[section] = entry
    return rows
