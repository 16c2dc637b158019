"""Synthetic annotators that drive the real annotating services, for demo dashboards and tests.

Each simulated annotator is a user (`sim-honest-1`, `sim-left-1`, …) with an annotator membership
and an unusable password. The driver replays what the browser client does, through the services
of `annotate.services.annotating` and nothing else: `sitting_start`, `assignment_next` (the pair on
screen, then a prefetch of the next one with `exclude=[current]`), `judgment_submit` with a side,
a visible dwell time and a viewport, `sitting_end` when an annotator stops early. Every call passes
`now=` from a simulated clock, so weeks of work take seconds and all server-side facts (served and
answered times, index and minutes in the sitting, time since the break, the sitting's ordinal that
day, sittings closed by time, items or idleness, breaks) come out of the services as they would
for people.

Time. The clock starts `days` before `end` (the real now by default) and no sitting starts later
than `end` minus the project's sitting length and `END_MARGIN`, so every record lies in the past.
Annotators work in shifts of 2 to 5 sittings a day, each sitting followed by the project's break
(the driver jumps past `break_until`); they act in one global time order (an event queue), so
leases, k and counterbalancing interact as they would with people working side by side.

Dwell. The reading floor of a pair is words / 238 wpm, where words = `len(text.split())` of the
context and both responses (the definition the speeding metric uses). A judgment's visible dwell
is floor * pace * LogNormal(0, DWELL_SIGMA) plus a decision time LogNormal(ln(decision_ms), 0.4);
the pace is per behaviour (`BEHAVIOUR_DEFAULTS`), times FATIGUED_PACE for a fatigued annotator
past the onset; dwell never reaches the idle or lease limit (people skim very long conversations).
Now and then the tab is hidden for a while: that time passes on the server clock, not in dwell.

Behaviours (what the annotator picks; ties and skips first, with `tie_rate` and `skip_rate`, where
the project allows them):
- honest: the reference response with probability 1 - noise, else the other one. The reference is
  the pair's `source_preference`, or, for a pair without one, a hidden quality coin that is a
  deterministic function of the pair's texts (`hidden_preference`), so all honest annotators share
  it, and the same pairs get the same coins in any database, whatever their ids.
- left: the left side with probability `left_rate`, whatever the content.
- length: the response with more words with probability `length_rate` (a coin on equal lengths).
- fatigued: honest, with error rate `noise` until `fatigue_after_minutes` into each sitting and
  `fatigued_noise` after; reads faster once tired.
- random: a fair coin between left and right, with a very short dwell.

Quality control. A gold pair's reference is its `gold_answer`; a swapped repeat probe is judged
like any pair, so content-driven annotators answer it consistently and position-driven ones do
not. An annotator the service pauses (low gold accuracy) stops. Where the project asks for a
strength, a rationale, per-criterion sides or a safety label, the annotator gives one (see
`answer_extras`), so the submit is valid.

The simulator reads `Assignment.left_response` and the `Pair` to act on content: that is the
server's knowledge, fine for a simulator and never what a client sees.

Reproducibility: the annotators' draws come from `random.Random` seeded by (seed, username); the
assignment service draws from the `random` module (counterbalancing ties, gold and probe picks),
which the driver seeds for the run and restores afterwards. Nothing the annotators do depends on a
row's id or on the time of day: all times are offsets from `end`. So the same pairs (texts, gold
answers and queue positions `sort_key`) on an empty project, the same specs and the same seed give
the same judgments, whenever and in whatever database they run, as long as the simulated people
have no sittings of their own elsewhere in those hours (sittings and breaks are the person's, in
every project: another project's run over the same hours with the same user names changes theirs);
only the absolute times (and with them each sitting's `ordinal_today`, counted from midnight)
follow `end`.
"""

from analytics.simulation.behaviours import (
    BEHAVIOUR_DEFAULTS,
    DEFAULT_MIX,
    READING_WPM,
    AnnotatorSpec,
    Behaviour,
    Pace,
    PairFacts,
    annotator_specs_parse,
    answer_extras,
    dwell_ms_draw,
    hidden_preference,
    side_choose,
)
from analytics.simulation.driver import (
    AnnotatorTally,
    SimulationResult,
    annotators_simulate,
    simulated_annotators_ensure,
    simulation_summary,
)

__all__ = [
    "BEHAVIOUR_DEFAULTS",
    "DEFAULT_MIX",
    "READING_WPM",
    "AnnotatorSpec",
    "AnnotatorTally",
    "Behaviour",
    "Pace",
    "PairFacts",
    "SimulationResult",
    "annotator_specs_parse",
    "annotators_simulate",
    "answer_extras",
    "dwell_ms_draw",
    "hidden_preference",
    "side_choose",
    "simulated_annotators_ensure",
    "simulation_summary",
]
