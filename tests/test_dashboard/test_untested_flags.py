"""A flag where no test was made is a dash, not "no": position with no decisive judgment, the late drop
with too few answers to fit (as the length flag already was)."""

from __future__ import annotations

import pandas as pd

from analytics.dashboard_tables import annotator_table, position_table
from analytics.metrics.fatigue import fatigue
from analytics.metrics.position import position_bias
from analytics.presentation import DASH
from annotate.models import Project


def judgments(annotator: int, sides: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "annotator": annotator,
            "pair_id": range(len(sides)),
            "side": sides,
            "chosen_response": ["a" if side == "left" else "b" if side == "right" else "" for side in sides],
            "left_response": "a",
            "dwell_ms": 5_000.0,
            "index_in_sitting": range(1, len(sides) + 1),
            "elapsed_in_sitting_ms": [60_000 * i for i in range(len(sides))],
            "since_break_ms": [60_000.0 * i for i in range(len(sides))],
            "sitting_id": annotator,
            "source_preference": "a",
        }
    )


def test_an_annotator_with_nothing_to_test_shows_dashes_for_position_and_late_drop_flags():
    # Annotator 1: 40 answers, left 36 times (tested: flagged). Annotator 2: ties and one skip only.
    frame = pd.concat(
        [judgments(1, ["left"] * 36 + ["right"] * 4), judgments(2, ["tie"] * 5 + ["skip"])], ignore_index=True
    )
    position, tired = position_bias(frame), fatigue(frame)
    rows = {
        row["annotator"]: {"position": row, "fatigue": next(f for f in tired["per_annotator"] if f["annotator"] == a)}
        for a, row in ((row["annotator"], row) for row in position["per_annotator"])
    }
    assert rows[2]["position"]["p_value"] is None and rows[2]["fatigue"]["p_decline"] is None
    names = {1: "one", 2: "two"}

    table = annotator_table(Project(slug="p"), rows, names)
    columns = table.columns
    cells = {row[0].text: {column: cell.text for column, cell in zip(columns, row, strict=True)} for row in table.rows}
    assert cells["one"]["Position bias"] == "flagged"
    assert cells["two"]["Position bias"] == DASH
    assert cells["two"]["Quality drops late"] == DASH

    flags = {row[0].text: row[6].text for row in position_table(rows, names, {}).rows}
    assert flags == {"one": "flagged", "two": DASH}
