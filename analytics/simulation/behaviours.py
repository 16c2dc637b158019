"""Behaviours of simulated annotators: what they pick and how long they look (see the package docstring)."""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from enum import StrEnum

from annotate.models import Pair, Project, Response, Safety, Side, Strength

READING_WPM = 238
DWELL_SIGMA = 0.35
DECISION_SIGMA = 0.4
# A tired annotator reads this much of what they read when fresh.
FATIGUED_PACE = 0.6
DEFAULT_MIX = "honest:3,left:1,fatigued:1,length:1,random:1"


class Behaviour(StrEnum):
    HONEST = "honest"
    LEFT = "left"
    LENGTH = "length"
    FATIGUED = "fatigued"
    RANDOM = "random"


@dataclass(frozen=True)
class Pace:
    """`reading`: dwell as a multiple of the reading floor (median); `decision_ms`: median decision time."""

    reading: float
    decision_ms: float


BEHAVIOUR_DEFAULTS: dict[Behaviour, Pace] = {
    Behaviour.HONEST: Pace(reading=1.3, decision_ms=3000),
    Behaviour.FATIGUED: Pace(reading=1.3, decision_ms=3000),
    Behaviour.LEFT: Pace(reading=0.9, decision_ms=2500),
    Behaviour.LENGTH: Pace(reading=0.6, decision_ms=2000),
    Behaviour.RANDOM: Pace(reading=0.05, decision_ms=1200),
}


@dataclass(frozen=True)
class AnnotatorSpec:
    """One simulated annotator: who they are and how they choose (see the package docstring).

    Rates are probabilities in [0, 1]; `pace` overrides the behaviour's default `Pace`."""

    username: str
    behaviour: Behaviour
    noise: float = 0.1
    left_rate: float = 0.7
    length_rate: float = 0.8
    fatigue_after_minutes: float = 10.0
    fatigued_noise: float = 0.45
    tie_rate: float = 0.02
    skip_rate: float = 0.01
    pace: Pace | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "behaviour", Behaviour(self.behaviour))
        for name in ("noise", "left_rate", "length_rate", "fatigued_noise", "tie_rate", "skip_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.tie_rate + self.skip_rate > 1.0:
            raise ValueError("tie_rate + skip_rate must not exceed 1")
        if self.fatigue_after_minutes < 0:
            raise ValueError("fatigue_after_minutes must not be negative")

    @property
    def effective_pace(self) -> Pace:
        return self.pace or BEHAVIOUR_DEFAULTS[self.behaviour]


def annotator_specs_parse(mix: str = DEFAULT_MIX, *, prefix: str = "sim", **rates: float) -> list[AnnotatorSpec]:
    """Specs from a mix such as "honest:3,left:1": `<prefix>-<behaviour>-<i>` for i = 1..count, each
    with the given `rates` (AnnotatorSpec fields, e.g. left_rate=0.7). Raises ValueError on a bad mix."""
    specs: list[AnnotatorSpec] = []
    seen: set[str] = set()
    for item in filter(None, (part.strip() for part in mix.split(","))):
        name, _, count_text = item.partition(":")
        try:
            behaviour = Behaviour(name.strip())
            count = int(count_text) if count_text else 1
        except ValueError as exc:
            choices = ", ".join(b.value for b in Behaviour)
            raise ValueError(f"bad annotator mix item {item!r}: use BEHAVIOUR:COUNT with one of {choices}") from exc
        if count < 0 or behaviour in seen:
            raise ValueError(f"bad annotator mix item {item!r}: counts are >= 0 and each behaviour appears once")
        seen.add(behaviour)
        specs += [
            AnnotatorSpec(username=f"{prefix}-{behaviour}-{i}", behaviour=behaviour, **rates)
            for i in range(1, count + 1)
        ]
    if not specs:
        raise ValueError("the annotator mix names no annotator")
    return specs


def hidden_preference(*, context: str, response_a: str, response_b: str) -> str:
    """The hidden quality coin of a pair without a source preference: "a" or "b", a fixed function
    of the pair's texts (the first byte of sha256 of `context + "\\x00" + response_a + "\\x00" +
    response_b`, even → "a"). Not of its id: ids depend on what the database held before, and the
    same pairs must get the same coins in any database."""
    texts = "\x00".join((context, response_a, response_b))
    return Response.A if hashlib.sha256(texts.encode("utf-8")).digest()[0] % 2 == 0 else Response.B


@dataclass(frozen=True)
class PairFacts:
    """What the simulator knows of a pair: the reference response (gold answer, else source
    preference, else the hidden coin), word counts and the reading floor at 238 wpm."""

    pair_id: int
    reference: str
    words_a: int
    words_b: int
    reading_ms: float

    @classmethod
    def of(cls, pair: Pair) -> PairFacts:
        words_a, words_b = len(pair.response_a.split()), len(pair.response_b.split())
        words = len(pair.context.split()) + words_a + words_b
        return cls(
            pair_id=pair.pk,
            reference=pair.gold_answer
            or pair.source_preference
            or hidden_preference(context=pair.context, response_a=pair.response_a, response_b=pair.response_b),
            words_a=words_a,
            words_b=words_b,
            reading_ms=words / READING_WPM * 60_000,
        )


def _other(response: str) -> str:
    return Response.B if response == Response.A else Response.A


def side_choose(
    *,
    spec: AnnotatorSpec,
    rng: random.Random,
    facts: PairFacts,
    left_response: str,
    minutes_in_sitting: float,
    allow_tie: bool,
    allow_skip: bool,
) -> str:
    """The side `spec`'s annotator picks for a pair shown with `left_response` on the left."""
    draw = rng.random()
    if spec.behaviour != Behaviour.RANDOM:
        if allow_tie and draw < spec.tie_rate:
            return Side.TIE
        if allow_skip and spec.tie_rate <= draw < spec.tie_rate + spec.skip_rate:
            return Side.SKIP
    if spec.behaviour == Behaviour.LEFT:
        return Side.LEFT if rng.random() < spec.left_rate else Side.RIGHT
    if spec.behaviour == Behaviour.RANDOM:
        return Side.LEFT if rng.random() < 0.5 else Side.RIGHT
    if spec.behaviour == Behaviour.LENGTH:
        if facts.words_a == facts.words_b:
            chosen = rng.choice((Response.A, Response.B))
        else:
            longer = Response.A if facts.words_a > facts.words_b else Response.B
            chosen = longer if rng.random() < spec.length_rate else _other(longer)
    else:
        tired = spec.behaviour == Behaviour.FATIGUED and minutes_in_sitting >= spec.fatigue_after_minutes
        error = spec.fatigued_noise if tired else spec.noise
        chosen = facts.reference if rng.random() >= error else _other(facts.reference)
    return Side.LEFT if chosen == left_response else Side.RIGHT


def dwell_ms_draw(*, spec: AnnotatorSpec, rng: random.Random, facts: PairFacts, tired: bool, cap_ms: float) -> int:
    """Visible time on one pair (package docstring), at least 300 ms and below `cap_ms`."""
    pace = spec.effective_pace
    reading = facts.reading_ms * pace.reading * (FATIGUED_PACE if tired else 1.0)
    ms = reading * rng.lognormvariate(0.0, DWELL_SIGMA)
    ms += rng.lognormvariate(math.log(pace.decision_ms), DECISION_SIGMA)
    return int(min(max(ms, 300.0), cap_ms))


RATIONALE_SENTENCE = "The {which} response answers the request more directly and more safely. "


def answer_extras(*, project: Project, rng: random.Random, side: str) -> dict:
    """The extras `project` requires with `side` (none for a skip): a strength for a decisive side,
    a rationale of at least `rationale_min_chars`, a side per criterion (mostly the overall side)
    and a safety label."""
    if side == Side.SKIP:
        return {}
    decisive = side in (Side.LEFT, Side.RIGHT)
    extras: dict = {}
    if project.ask_strength and decisive:
        extras["strength"] = rng.choice(Strength.values)
    if project.ask_rationale:
        sentence = RATIONALE_SENTENCE.format(which=side if decisive else "either")
        extras["rationale"] = (sentence * (project.rationale_min_chars // len(sentence) + 1)).strip()
    if project.criteria:
        sides = (Side.LEFT, Side.RIGHT, Side.TIE)
        extras["criteria"] = {
            name: str(rng.choice(sides) if rng.random() < 0.15 else side if decisive else Side.TIE)
            for name in project.criteria
        }
    if project.ask_safety:
        labels = (Safety.BOTH_SAFE, Safety.CHOSEN_SAFE, Safety.BOTH_UNSAFE) if decisive else (Safety.BOTH_SAFE,)
        extras["safety"] = str(rng.choices(labels, weights=(16, 3, 1)[: len(labels)])[0])
    return extras
