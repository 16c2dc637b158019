"""Record builders for the export formats, and the one JSON serialization every JSONL file uses.

No Django here: every builder takes plain strings — a pair's `context` (the conversation up to the
final assistant turn, in HH-RLHF's "\\n\\nHuman: …\\n\\nAssistant: …" form) and the text of the chosen
and the rejected response as stored on the pair (`response_a` / `response_b`, which start where
HH-RLHF's final "\\n\\nAssistant:" ends, so usually with a space).

Formats (`FORMATS`):

- ``hh-rlhf``: ``{"chosen": context + "\\n\\nAssistant:" + chosen, "rejected": … }``, nothing else,
  so that `record_json_line` reproduces an HH-RLHF source line byte for byte.
- ``preference`` (TRL standard preference): ``prompt`` = context + "\\n\\nAssistant:", ``chosen`` and
  ``rejected`` = the responses as stored; ``prompt + chosen`` is the HH-RLHF transcript exactly (the
  convention of TRL's Anthropic HH examples), then the optional metadata columns.
- ``conversational`` (TRL conversational preference): ``prompt`` = the context's turns as
  ``[{"role": "user"|"assistant", "content": …}]``, ``chosen`` / ``rejected`` = one assistant message
  each, then the optional metadata columns. See `context_turns` for the whitespace rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from annotate.importers import TURN_MARKER, transcripts_split  # pure parsing: no Django

ASSISTANT_MARKER = "\n\nAssistant:"
HUMAN_MARKER = "\n\nHuman:"

FORMAT_HH_RLHF = "hh-rlhf"
FORMAT_PREFERENCE = "preference"
FORMAT_CONVERSATIONAL = "conversational"
FORMATS = (FORMAT_HH_RLHF, FORMAT_PREFERENCE, FORMAT_CONVERSATIONAL)

_CORE_KEYS = {
    FORMAT_HH_RLHF: ("chosen", "rejected"),
    FORMAT_PREFERENCE: ("prompt", "chosen", "rejected"),
    FORMAT_CONVERSATIONAL: ("prompt", "chosen", "rejected"),
}

_ROLE = {"Human": "user", "Assistant": "assistant"}


def transcript_split(*, chosen: str, rejected: str) -> tuple[str, str, str]:
    """Split two HH-RLHF transcripts into (context, chosen_response, rejected_response): the
    importer's rule (`annotate.importers.transcripts_split`), which `hh_rlhf_record` inverts.
    Raises ValueError when the common prefix holds no "\n\nAssistant:" (the two transcripts do not
    share a final assistant turn to compare)."""
    parts = transcripts_split(chosen, rejected)
    if parts is None:
        raise ValueError('the transcripts share no "\n\nAssistant:" turn to split at')
    return parts


def pair_orient(*, response_a: str, response_b: str, winner: str) -> tuple[str, str]:
    """(chosen_response, rejected_response) of a pair whose winning response is `winner` ('a' or 'b')."""
    if winner == "a":
        return response_a, response_b
    if winner == "b":
        return response_b, response_a
    raise ValueError(f"winner must be 'a' or 'b', not {winner!r}")


def context_turns(context: str) -> list[dict[str, str]]:
    """The turns of an HH-RLHF context as TRL conversational messages.

    Whitespace: each turn's content is `str.strip()`-ped. In HH-RLHF the space after "Human:" /
    "Assistant:" and the blank line before the next speaker are the transcript's syntax, not the
    speaker's words; in the conversational format a chat template supplies its own separators, so
    keeping them would put stray spaces and newlines inside every message (and a leading space in
    every response). Inner whitespace is kept as written. This makes the conversational format
    lossy with respect to outer whitespace; `hh-rlhf` and `preference` keep every byte.

    A speaker's name at the very start ("Human: …", without the blank line) starts a turn too. Text
    before the first marker (a context that starts with neither, e.g. a bare prompt) becomes one user
    turn when it is not blank. A response that itself contains
    "\\n\\nHuman:" is split there: the transcript format cannot tell the difference either."""
    turns: list[dict[str, str]] = []
    pieces = TURN_MARKER.split(context)
    # pieces = [text before the first marker, speaker, text, speaker, text, ...]
    head = pieces[0].strip()
    if head:
        turns.append({"role": "user", "content": head})
    for speaker, text in zip(pieces[1::2], pieces[2::2], strict=True):
        turns.append({"role": _ROLE[speaker], "content": text.strip()})
    return turns


def _with_metadata(record: dict[str, Any], metadata: Mapping[str, Any] | None, fmt: str) -> dict[str, Any]:
    if metadata:
        clash = set(metadata) & set(_CORE_KEYS[fmt])
        if clash:
            raise ValueError(f"metadata keys {sorted(clash)} would overwrite the record's own fields")
        record.update(metadata)
    return record


def _assistant_turn(response: str) -> str:
    """A response as an HH-RLHF assistant turn after a prompt that had no "\\n\\nAssistant:": the marker,
    then the space HH-RLHF puts after it unless the response begins with white space of its own."""
    return ASSISTANT_MARKER + (response if response[:1].isspace() else " " + response)


def hh_rlhf_record(*, context: str, chosen: str, rejected: str, prompt_marker: bool = True) -> dict[str, str]:
    """HH-RLHF's record: the two full transcripts, keys in the source's order, no metadata (the
    source has none, and any extra key would break byte identity with it).

    `prompt_marker` (`Pair.prompt_marker`): the source's prompt ended with "\\n\\nAssistant:", as every
    HH-RLHF transcript's does; its transcripts are written back byte for byte. A prompt that did not
    (TRL data that is not HH-RLHF's) gets one assistant turn per response (`_assistant_turn`), after a
    human turn ("\\n\\nHuman: " + prompt) when it has none of its own ("What is 2+2?"); a turn of its own
    is one `context_turns` reads, so "Human: What is 2+2?" (the name at the very start) has one."""
    if prompt_marker:
        return {"chosen": context + ASSISTANT_MARKER + chosen, "rejected": context + ASSISTANT_MARKER + rejected}
    own = any(speaker == "Human" for speaker in TURN_MARKER.findall(context))
    human = context if own else f"{HUMAN_MARKER} {context}"
    return {"chosen": human + _assistant_turn(chosen), "rejected": human + _assistant_turn(rejected)}


def preference_record(
    *,
    context: str,
    chosen: str,
    rejected: str,
    metadata: Mapping[str, Any] | None = None,
    prompt_marker: bool = True,
) -> dict[str, Any]:
    """TRL standard preference record: the prompt as the source had it. Where that ended with
    "\\n\\nAssistant:" (`prompt_marker`: HH-RLHF transcripts always), the responses are kept as stored
    (with their leading space), so `prompt + chosen` is the HH-RLHF transcript; a prompt without it
    ("What is 2+2?") is written as it was imported, with nothing added."""
    prompt = context + ASSISTANT_MARKER if prompt_marker else context
    record = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    return _with_metadata(record, metadata, FORMAT_PREFERENCE)


def conversational_record(
    *, context: str, chosen: str, rejected: str, metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """TRL conversational preference record; contents stripped as `context_turns` explains."""
    record = {
        "prompt": context_turns(context),
        "chosen": [{"role": "assistant", "content": chosen.strip()}],
        "rejected": [{"role": "assistant", "content": rejected.strip()}],
    }
    return _with_metadata(record, metadata, FORMAT_CONVERSATIONAL)


def record_build(
    *,
    fmt: str,
    context: str,
    chosen: str,
    rejected: str,
    metadata: Mapping[str, Any] | None = None,
    prompt_marker: bool = True,
) -> dict[str, Any]:
    """The record of format `fmt` (one of `FORMATS`). `metadata` is ignored for ``hh-rlhf``, whose
    form has no room for it; for the TRL formats its keys follow the core columns in their order.
    `prompt_marker`: see `hh_rlhf_record` (the conversational format needs no such thing)."""
    if fmt == FORMAT_HH_RLHF:
        return hh_rlhf_record(context=context, chosen=chosen, rejected=rejected, prompt_marker=prompt_marker)
    if fmt == FORMAT_PREFERENCE:
        return preference_record(
            context=context, chosen=chosen, rejected=rejected, metadata=metadata, prompt_marker=prompt_marker
        )
    if fmt == FORMAT_CONVERSATIONAL:
        return conversational_record(context=context, chosen=chosen, rejected=rejected, metadata=metadata)
    raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def record_json_line(record: Mapping[str, Any]) -> str:
    """One JSONL line, serialized as HH-RLHF's files are: keys in the record's order, `json`'s default
    separators (", " and ": "), non-ASCII written as UTF-8 rather than escaped, "\\n" at the end.
    NaN and infinities are refused: they are not JSON and other readers reject them."""
    return json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n"


def record_transcripts(record: Mapping[str, Any]) -> tuple[str, str]:
    """The full chosen and rejected texts of a record of any format, as the notebook tokenizes them.

    - ``{"chosen": str, "rejected": str}`` (``hh-rlhf``, the notebook's rows): as they are;
    - ``preference`` (``prompt`` a string): ``prompt + chosen`` and ``prompt + rejected`` — the
      HH-RLHF transcripts again — where the prompt ends with "\\n\\nAssistant:"; a prompt without it is
      written in HH-RLHF form as the ``hh-rlhf`` export writes such a pair (`hh_rlhf_record`);
    - ``conversational`` (``prompt`` a list of messages): the messages written back in HH-RLHF form,
      "\\n\\nHuman: " / "\\n\\nAssistant: " + content; the whitespace `context_turns` stripped is
      not restored (export ``hh-rlhf`` for exact transcripts, or render a chat template yourself)."""
    prompt = record.get("prompt")
    if prompt is None:
        return record["chosen"], record["rejected"]
    if isinstance(prompt, str):
        if not prompt.endswith(ASSISTANT_MARKER):
            transcripts = hh_rlhf_record(
                context=prompt, chosen=record["chosen"], rejected=record["rejected"], prompt_marker=False
            )
            return transcripts["chosen"], transcripts["rejected"]
        return prompt + record["chosen"], prompt + record["rejected"]
    head = "".join(_message_text(message) for message in prompt)
    chosen = "".join(_message_text(message) for message in record["chosen"])
    rejected = "".join(_message_text(message) for message in record["rejected"])
    return head + chosen, head + rejected


_SPEAKER = {"user": HUMAN_MARKER, "assistant": ASSISTANT_MARKER}


def _message_text(message: Mapping[str, str]) -> str:
    role = message["role"]
    if role not in _SPEAKER:
        raise ValueError(f"cannot write a {role!r} message in HH-RLHF form")
    return f"{_SPEAKER[role]} {message['content']}"
