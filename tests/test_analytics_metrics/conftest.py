"""Real HH-RLHF rows split into pairs, shared by the metric tests (no database needed)."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from analytics.metrics.similarity import TRANSCRIPT_JOINER, pair_text_measures_batch
from tests.conftest import HH_RLHF_TEST


def split_transcripts(chosen: str, rejected: str) -> tuple[str, str, str] | None:
    """(context, chosen response, rejected response): the split at the last "\\n\\nAssistant:" that
    both transcripts share with everything before it, so that context + joiner + response
    rebuilds each transcript byte for byte. None when they share no such turn."""
    index = chosen.rfind(TRANSCRIPT_JOINER)
    while index >= 0:
        end = index + len(TRANSCRIPT_JOINER)
        if rejected[:end] == chosen[:end]:
            return chosen[:index], chosen[end:], rejected[end:]
        index = chosen.rfind(TRANSCRIPT_JOINER, 0, index)
    return None


@pytest.fixture(scope="session")
def hh_rows() -> list[dict]:
    with gzip.open(HH_RLHF_TEST, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="session")
def hh_triples(hh_rows) -> list[tuple[str, str, str]]:
    """(context, response_a = the source's chosen, response_b = its rejected) of every row."""
    triples = [split_transcripts(row["chosen"], row["rejected"]) for row in hh_rows]
    assert all(triple is not None for triple in triples)
    return triples


@pytest.fixture(scope="session")
def hh_pairs(hh_triples) -> pd.DataFrame:
    """The pair table of the 2,312 rows with the measures stored at import; the source prefers A."""
    measures = pd.DataFrame(pair_text_measures_batch(hh_triples))
    return measures.assign(
        pair_id=range(len(hh_triples)), source_name="hh-rlhf/harmless-base-test", source_preference="a"
    )
