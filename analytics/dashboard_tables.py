"""The dashboard's tables and chart data, built from a bias report's payload."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from analytics.presentation import (
    DASH,
    EN_DASH,
    Cell,
    Table,
    careless_flag,
    careless_p,
    fatigue_flag,
    flag_cell,
    interval,
    length_flag,
    num,
    p_text,
    pct,
    position_flag,
    rate,
    seconds,
)
from annotate.models import Project

THROUGHPUT_DAYS = 30
# A proportion summary's keys, and the names the careless section gives the rest's pooled counts.
RATE_KEYS = {"rate": "rate", "successes": "agreed", "n": "n"}

# The payload's names for the 0/1 measures of the fatigue curves, as the page calls them.
FATIGUE_MEASURES = {
    "left": "Left rate",
    "loo_majority": "Agreement with the others' majority",
    "source": "Agreement with the source",
    "gold": "Gold accuracy",
    "probe": "Probe consistency",
}
LENGTH_FIGURES = (
    ("n", "Decisive judgments"),
    ("chosen_mean", "Chosen: mean words"),
    ("chosen_median", "Chosen: median words"),
    ("rejected_mean", "Rejected: mean words"),
    ("rejected_median", "Rejected: median words"),
    ("chosen_longer_share", "Chosen longer"),
    ("chosen_shorter_share", "Chosen shorter"),
    ("same_share", "Same length"),
    ("verdict", "Verdict"),
)
LENGTH_TERMS = {
    "intercept": "Position (intercept: log-odds of picking left at equal length)",
    "length_difference": "Length (normalized left minus right words of the responses)",
    "reference_on_left": "Content (the reference's better response shown on the left)",
    # A report computed before the content term was the reference's.
    "a_on_left": "Content (response A shown on the left: a report before the reference; recompute it)",
}


def by_name(per_annotator: dict[int, dict], names: dict[int, str]) -> list[int]:
    """The annotators' ids in the order every table and chart of the dashboard lists them: by name
    (case aside), then by id."""
    return sorted(per_annotator, key=lambda annotator_id: (names.get(annotator_id, "").lower(), annotator_id))


def length_effect_text(model: dict) -> str:
    """An annotator's length effect (log-odds), or why it could not be fitted."""
    return num(model["estimate"], 3) if model.get("estimate") is not None else (model.get("reason") or DASH)


def length_flag_cell(length: dict | None) -> Cell | str:
    """An annotator's length flag (which way it leans when flagged), or a dash when the model could
    not be fitted to their judgments."""
    flagged = length_flag(length)
    if flagged is None:
        return DASH
    return Cell(f"flagged: prefers {length['model']['prefers']}", flag=True) if flagged else Cell("no")


def annotator_table(project: Project, per_annotator: dict[int, dict], names: dict[int, str]) -> Table:
    table = Table(
        "Annotators: judgments, position, length, fatigue and careless-answering flags, speed, agreement",
        [
            "Annotator",
            "Judgments",
            "Left rate",
            "Position bias",
            "Length bias",
            "Quality",
            "Quality drops late",
            "Faster than reading",
            "Agrees with others' majority",
            "Careless answering",
            "Agrees with source",
        ],
    )
    for annotator_id in by_name(per_annotator, names):
        rows = per_annotator[annotator_id]
        position, fatigue = rows.get("position", {}), rows.get("fatigue", {})
        agreement, speeding = rows.get("agreement", {}), rows.get("speeding", {})
        judgments = (position.get("n") or 0) + (position.get("ties") or 0) + (position.get("skips") or 0)
        table.add(
            Cell(
                names.get(annotator_id, f"user {annotator_id}"),
                href=reverse("analytics:annotator", kwargs={"slug": project.slug, "annotator_id": annotator_id}),
            ),
            num(judgments),
            rate(position),
            flag_cell(position_flag(position)),
            length_flag_cell(rows.get("length")),
            pct(fatigue.get("quality")),
            flag_cell(fatigue_flag(fatigue)),
            rate({"rate": speeding.get("share"), "successes": speeding.get("speeding"), "n": speeding.get("n")}),
            rate(agreement.get("loo_majority")),
            flag_cell(careless_flag(rows.get("careless"))),
            rate(agreement.get("source")),
        )
    return table


def position_table(per_annotator: dict[int, dict], names: dict[int, str], overall: dict) -> Table:
    table = Table(
        "Left-choice rate per annotator (ties and skips excluded), Wilson 95% interval, exact binomial test "
        "against 50%, Benjamini-Hochberg adjusted; the row of all annotators is their pooled rate, with no "
        "interval or test, since one annotator's judgments are not independent of each other",
        ["Annotator", "Left / decisive", "Left rate", "95% interval", "p", "Adjusted p", "Flag", "Ties", "Skips"],
    )
    for annotator_id in by_name(per_annotator, names):
        row = per_annotator[annotator_id].get("position")
        if row:
            table.add(
                names.get(annotator_id, f"user {annotator_id}"),
                f"{row['successes']} / {row['n']}",
                pct(row["rate"]),
                interval(row),
                p_text(row.get("p_value")),
                p_text(row.get("p_adjusted")),
                flag_cell(position_flag(row)),
                num(row.get("ties")),
                num(row.get("skips")),
            )
    if overall:
        # Descriptive only: an interval or a test would count every judgment as independent, and one
        # annotator's judgments are alike (a single left-clicker moved the demo's pooled test).
        table.add(
            "All annotators",
            f"{overall.get('successes')} / {overall.get('n')}",
            pct(overall.get("rate")),
            DASH,
            DASH,
            DASH,
            DASH,
            num(overall.get("ties")),
            num(overall.get("skips")),
        )
    return table


def bins_table(caption: str, rows: list[dict]) -> Table:
    table = Table(caption, ["Bin", "Left / decisive", "Left rate", "95% interval"])
    for row in rows:
        table.add(row["bin"], f"{row['successes']} / {row['n']}", pct(row["rate"]), interval(row))
    return table


def length_tables(
    length: dict, per_annotator: dict[int, dict], names: dict[int, str], *, whose: str = "all decisive judgments"
) -> list[Table]:
    """The length figures of `length["overall"]` (which are `whose`), and the table per annotator."""
    overall = length.get("overall", {})
    figures = Table(
        f"Length of the chosen and the rejected, {whose} (words = len(text.split()))",
        ["Figure", "Full transcripts", "Final responses"],
    )
    for key, label in LENGTH_FIGURES:
        cells = []
        for part in ("transcripts", "responses"):
            value = overall.get(part, {}).get(key)
            if key.endswith("_share"):
                cells.append(pct(value))
            elif key == "verdict":
                cells.append(value or ("none" if overall.get(part, {}).get("n") else DASH))
            else:
                cells.append(num(value, 1))
        figures.add(label, *cells)
    by_annotator = Table(
        "Length figures per annotator: shares where the chosen is longer / shorter / the same, and the verdict",
        [
            "Annotator",
            "n",
            "Transcripts: longer / shorter / same",
            "Transcripts: verdict",
            "Responses: longer / shorter / same",
            "Responses: verdict",
        ],
    )
    for annotator_id in by_name(per_annotator, names):
        row = per_annotator[annotator_id].get("length")
        if not row:
            continue
        cells = []
        for part in ("transcripts", "responses"):
            numbers = row.get(part, {})
            shares = " / ".join(
                pct(numbers.get(key)) for key in ("chosen_longer_share", "chosen_shorter_share", "same_share")
            )
            cells += [shares, numbers.get("verdict") or ("none" if numbers.get("n") else DASH)]
        by_annotator.add(
            names.get(annotator_id, f"user {annotator_id}"), num(row.get("responses", {}).get("n")), *cells
        )
    models = Table(
        "Length effect per annotator, with position and content held apart (the length-controlled "
        "regression fitted to each annotator's decisive judgments); p adjusted across annotators "
        f"(Benjamini–Hochberg), flagged below {length.get('flag_alpha', 0.01)}",
        ["Annotator", "n", "Length (log-odds)", "Std. error", "p", "Adjusted p", "Length bias"],
    )
    for annotator_id in by_name(per_annotator, names):
        row = per_annotator[annotator_id].get("length")
        model = (row or {}).get("model")
        if not model:
            continue
        models.add(
            names.get(annotator_id, f"user {annotator_id}"),
            num(model.get("n")),
            length_effect_text(model),
            num(model.get("se"), 3),
            p_text(model.get("p_value")),
            p_text(model.get("p_adjusted")),
            length_flag_cell(row),
        )
    return [figures, by_annotator, models]


def regression_table(model: dict) -> Table:
    clusters = model.get("clusters")
    if clusters is None:
        # A report from before the pooled fit was clustered by annotator: its standard errors counted
        # every judgment as independent, so a single length-lover's habit gave the crowd's length term
        # a small p (the statistics audit). Estimates only.
        title = (
            f"Length-controlled logistic regression of picking left, pooled over annotators (n = {model.get('n', 0)}): "
            "estimates only, from a report made before its p was clustered by annotator (recompute it); "
            "the tests are per annotator, above"
        )
    else:
        annotators = f"{clusters} annotator{'s' if clusters != 1 else ''}"
        tested = any(term.get("p_value") is not None for term in (model.get("coefficients") or {}).values())
        title = (
            f"Length-controlled logistic regression of picking left, pooled over annotators (n = {model.get('n', 0)}, "
            + (
                f"{annotators}): p clustered by annotator (cluster-robust standard errors, Student's t with "
                f"{clusters - 1} degrees of freedom), so that one annotator's habit does not pass for the crowd's"
                if tested
                else f"{annotators}): estimates only, too few annotators for a p clustered by annotator (it needs "
                "more annotators than terms); the tests are per annotator, above"
            )
        )
    table = Table(title, ["Term", "Estimate (log-odds)", "p (clustered)"])
    for name, coefficient in (model.get("coefficients") or {}).items():
        p = coefficient.get("p_value") if clusters is not None else None
        table.add(LENGTH_TERMS.get(name, name), num(coefficient["estimate"], 3), p_text(p))
    for name in model.get("dropped") or []:
        table.add(LENGTH_TERMS.get(name, name), "dropped: no variation", DASH)
    return table


def similarity_tables(similarity: dict, project: Project, user: Any) -> list[Table]:
    buckets = Table(
        "Transcript similarity (the notebook's difflib ratio) in the notebook's buckets",
        ["Pairs", "n", "High (> 0.9)", f"Medium (0.7{EN_DASH}0.9)", "Low (≤ 0.7)", "Mean"],
    )
    for key, label in (("all_pairs", "All measured pairs"), ("judged_pairs", "Judged pairs")):
        row = similarity.get(key) or {}
        buckets.add(
            label,
            num(row.get("n")),
            f"{num(row.get('high'))} ({pct(row.get('high_share'))})",
            f"{num(row.get('medium'))} ({pct(row.get('medium_share'))})",
            f"{num(row.get('low'))} ({pct(row.get('low_share'))})",
            num(row.get("mean"), 4),
        )
    histogram = Table(
        "Similarity histogram: pairs per bin", ["Similarity", "Transcripts (difflib ratio)", "Responses only (Indel)"]
    )
    transcript = similarity.get("histogram") or []
    response = similarity.get("response_histogram") or []
    for t_bin, r_bin in zip(transcript, response, strict=False):
        histogram.add(f"{t_bin['low']:.2f}{EN_DASH}{t_bin['high']:.2f}", num(t_bin["count"]), num(r_bin["count"]))
    top = Table(
        "Top near-duplicate pairs by response-only similarity",
        ["Pair", "Response similarity", "Transcript similarity"],
    )
    for row in similarity.get("top_near_duplicates") or []:
        href = reverse("admin:annotate_pair_change", args=[row["pair_id"]]) if user.is_staff else ""
        top.add(
            Cell(f"Pair {row['pair_id']}", href=href),
            num(row["response_similarity"], 3),
            num(row["transcript_similarity"], 3),
        )
    return [buckets, histogram, top]


def fatigue_table(caption: str, curve: dict, axis: str) -> Table:
    measures = [name for name in FATIGUE_MEASURES if any(row["n"] for row in curve.get(name, []))]
    table = Table(caption, [axis, "Median dwell", *(FATIGUE_MEASURES[name] for name in measures)])
    for number, label in enumerate(curve.get("bins", [])):
        dwell = curve.get("median_dwell_ms", [])
        table.add(
            label,
            seconds(dwell[number] if number < len(dwell) else None),
            *(rate(curve[name][number]) for name in measures),
        )
    return table


def trend_table(trends: dict) -> Table:
    # A report from before the tests compared each sitting with itself holds pooled ones, without
    # "sittings": said so, not shown under this caption.
    within = any("sittings" in test for tests in trends.values() for test in tests.values())
    table = Table(
        "Trend tests within sittings: logistic slope (log-odds per item or per minute) with one intercept "
        "per sitting, so that neither who answers when nor which sittings run long passes for a trend; "
        "dwell as slower than the sitting's median. Pooled over annotators: one annotator's decline can make "
        "the project's p small; the per-annotator late-drop flags say whose it is"
        if within or not trends
        else "Trend tests of a report computed before they were made within sittings: recompute the report",
        ["Measure", "Against", "n", "Sittings", "Estimate", "p"],
    )
    if trends and not within:
        return table
    measures = {"dwell_ms": "Dwell: slower than the sitting's median"} | FATIGUE_MEASURES
    for axis, label in (("index", "index in sitting"), ("minutes", "minutes in sitting")):
        tests = trends.get(axis, {})
        for name, title in measures.items():
            slope = tests.get(name, {})
            if not slope.get("n") and name != "dwell_ms":
                continue
            estimate = slope.get("slope")
            table.add(
                title,
                label,
                num(slope.get("n")),
                num(slope.get("sittings")),
                num(estimate["estimate"], 3) if estimate else (slope.get("reason") or DASH),
                p_text(estimate["p_value"]) if estimate else DASH,
            )
    return table


def agreement_tables(
    agreement: dict, per_annotator: dict[int, dict], names: dict[int, str], *, careless_alpha: float = 0.01
) -> list[Table]:
    kappa = agreement.get("fleiss_kappa") or {}
    alpha = agreement.get("krippendorff_alpha") or {}
    raw, decisive = agreement.get("raw_agreement") or {}, agreement.get("decisive_agreement") or {}
    figures = Table(
        f"Agreement on pairs with two or more judgments ({num(agreement.get('rated_pairs'))} pairs)",
        ["Figure", "Value", "Over"],
    )
    figures.add("Raw pairwise agreement (A / B / tie)", pct(raw.get("agreement")), f"{num(raw.get('pairs'))} pairs")
    figures.add(
        "Pairwise agreement, decisive judgments",
        pct(decisive.get("agreement")),
        f"{num(decisive.get('pairs'))} pairs",
    )
    figures.add(
        "Fleiss' kappa",
        num(kappa.get("value"), 3),
        f"{num(kappa.get('pairs'))} pairs with {num(kappa.get('raters_per_pair'))} judgments",
    )
    figures.add("Krippendorff's alpha (nominal)", num(alpha.get("value"), 3), f"{num(alpha.get('pairs'))} pairs")
    figures.add(
        "Agreement with the leave-one-out majority",
        rate(agreement.get("loo_majority")),
        interval(agreement.get("loo_majority") or {}),
    )
    figures.add("Agreement with the source", rate(agreement.get("source")), interval(agreement.get("source") or {}))
    by_annotator = Table(
        "Agreement per annotator, with Wilson 95% intervals; careless answering: one-sided Fisher's exact test "
        "of agreeing with the others' majority less often than the rest of the annotators (pooled) do, "
        f"Benjamini–Hochberg adjusted, flagged below {careless_alpha} when the rate is also nearer chance (50%) "
        "than the rest's",
        [
            "Annotator",
            "With the others' majority",
            "95% interval",
            "The rest, pooled",
            "p",
            "Adjusted p",
            "Careless answering",
            "With the source",
            "95% interval",
        ],
    )
    for annotator_id in by_name(per_annotator, names):
        row = per_annotator[annotator_id].get("agreement")
        if row:
            careless = per_annotator[annotator_id].get("careless") or {}
            rest = {key: careless.get(f"others_{name}") for key, name in RATE_KEYS.items()}
            by_annotator.add(
                names.get(annotator_id, f"user {annotator_id}"),
                rate(row["loo_majority"]),
                interval(row["loo_majority"]),
                rate(rest),
                careless_p(careless),
                p_text(careless.get("p_adjusted")),
                flag_cell(careless_flag(careless)),
                rate(row["source"]),
                interval(row["source"]),
            )
    return [figures, by_annotator]


def coverage_tables(coverage: dict, throughput: list[dict]) -> list[Table]:
    progress = coverage.get("progress") or {}
    figures = Table("Progress to k judgments per pair", ["Figure", "Value"])
    figures.add("Pairs", num(coverage.get("pairs")))
    # Without it the shares below, taken over the pairs of the k-queue, did not follow from "Pairs".
    figures.add("Gold pairs (outside the k-queue: not counted toward k below)", num(coverage.get("gold_pairs")))
    figures.add("Judgments (skips included)", num(coverage.get("judgments")))
    figures.add("Skips", num(coverage.get("skips")))
    figures.add(
        f"Pairs with k = {progress.get('k', DASH)} judgments",
        f"{num(progress.get('complete_pairs'))} ({pct(progress.get('complete_share'))})",
    )
    figures.add(
        "Wanted judgments collected",
        f"{num(progress.get('collected'))} / {num(progress.get('wanted'))} ({pct(progress.get('collected_share'))})",
    )
    per_pair = Table("Judgments per pair (skips not counted)", ["Judgments", "Pairs"])
    for row in coverage.get("judgments_per_pair") or []:
        per_pair.add(num(row["judgments"]), num(row["pairs"]))
    sources = Table("Pairs by source", ["Source", "Pairs", "With a source preference"])
    for row in coverage.get("by_source") or []:
        sources.add(row["source"] or "(none)", num(row["pairs"]), num(row["with_preference"]))
    contexts = Table("Pairs by context length (words)", ["Context words", "Pairs"])
    for row in coverage.get("by_context_words") or []:
        contexts.add(row["bin"], num(row["pairs"]))
    per_day = Table(f"Judgments per day, last {THROUGHPUT_DAYS} days (live, every answer)", ["Day", "Judgments"])
    for row in throughput:
        per_day.add(row["day"], num(row["judgments"]))
    return [figures, per_day, per_pair, sources, contexts]


def charts(payload: dict, per_annotator: dict[int, dict], names: dict[int, str], throughput: list[dict]) -> dict:
    """The numbers each chart draws, for `json_script` (names are user data: never marked safe)."""
    ids = by_name(per_annotator, names)
    position = [per_annotator[i].get("position", {}) for i in ids]
    length = [per_annotator[i].get("length", {}).get("responses", {}) for i in ids]
    similarity = payload.get("similarity", {})
    fatigue = payload.get("fatigue", {})

    def curve(section: dict) -> dict:
        return {
            "labels": section.get("bins", []),
            "dwell_s": [None if v is None else v / 1000 for v in section.get("median_dwell_ms", [])],
            **{name: [row["rate"] for row in section.get(name, [])] for name in FATIGUE_MEASURES},
        }

    return {
        "throughput": {
            "labels": [row["day"] for row in throughput],
            "counts": [row["judgments"] for row in throughput],
        },
        "position": {
            "labels": [names.get(i, f"user {i}") for i in ids],
            "rate": [row.get("rate") for row in position],
            "low": [row.get("ci_low") for row in position],
            "high": [row.get("ci_high") for row in position],
            "flagged": [bool(row.get("flagged")) for row in position],
            "overall": (payload.get("position", {}).get("overall") or {}).get("rate"),
        },
        "length": {
            "labels": [names.get(i, f"user {i}") for i in ids],
            "longer": [row.get("chosen_longer_share") for row in length],
            "shorter": [row.get("chosen_shorter_share") for row in length],
            "same": [row.get("same_share") for row in length],
        },
        "similarity": {
            "labels": [f"{row['low']:.2f}" for row in similarity.get("histogram", [])],
            "transcript": [row["count"] for row in similarity.get("histogram", [])],
            "response": [row["count"] for row in similarity.get("response_histogram", [])],
        },
        "fatigue_index": curve(fatigue.get("by_index_in_sitting", {})),
        "fatigue_minutes": curve(fatigue.get("by_minutes_in_sitting", {})),
    }
