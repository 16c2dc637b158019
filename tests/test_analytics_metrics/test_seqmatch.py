"""The compiled SequenceMatcher ratio equals difflib's on strings built to hit its corner cases."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.metrics import seqmatch

REPO = Path(__file__).resolve().parents[2]

# Few distinct characters make long runs, ties between equally long matches and, past 200
# characters, "popular" characters that autojunk removes; the emoji and the lone surrogate are
# outside the Basic Multilingual Plane or not encodable as UTF-8.
ALPHABETS = st.sampled_from(["ab", "ab c", "abcdefghij ", "x\U0001f600\ud800é "])
LENGTHS = st.sampled_from([0, 1, 7, 199, 200, 201, 450])


@st.composite
def string_pairs(draw):
    alphabet = draw(ALPHABETS)
    a = draw(st.text(alphabet=alphabet, min_size=draw(LENGTHS), max_size=600))
    if draw(st.booleans()):
        # b edits a: long shared runs broken by small insertions and deletions, like two answers.
        b = list(a)
        for _ in range(draw(st.integers(0, 12))):
            position = draw(st.integers(0, len(b)))
            if b and draw(st.booleans()):
                del b[min(position, len(b) - 1)]
            else:
                b.insert(position, draw(st.sampled_from(alphabet)))
        return a, "".join(b)
    return a, draw(st.text(alphabet=alphabet, min_size=draw(LENGTHS), max_size=600))


@settings(max_examples=600, deadline=None)
@given(string_pairs())
def test_its_ratio_is_bit_identical_to_difflib(pair):
    a, b = pair
    matcher = difflib.SequenceMatcher(None, a, b)
    assert seqmatch.matching_total(a, b) == sum(block.size for block in matcher.get_matching_blocks())
    assert seqmatch.ratio(a, b) == matcher.ratio()


def test_it_applies_autojunk_from_exactly_200_characters_of_the_second_string():
    # "a" is popular in the second string from 200 characters on (more than 200 // 100 + 1
    # times): it no longer anchors a match, only extends one, and the ratios change as difflib's.
    a = "ab" * 5 + "c" + "ab" * 5
    ratios = {}
    for length in (199, 200, 201):
        b = ("ba" * length)[: length - 1] + "c"
        ratios[length] = seqmatch.ratio(a, b)
        assert ratios[length] == difflib.SequenceMatcher(None, a, b).ratio()
    assert ratios[199] != ratios[200]


def test_it_gives_difflibs_answers_for_empty_strings():
    assert seqmatch.ratio("", "") == difflib.SequenceMatcher(None, "", "").ratio() == 1.0
    assert seqmatch.ratio("abc", "") == seqmatch.ratio("", "abc") == 0.0


def test_the_reports_summaries_do_not_load_numba():
    # The report imports the similarity module for its buckets and histogram; numba (~120 MiB with
    # the compiled code) is loaded only by the processes that measure pairs.
    code = (
        "import sys; from analytics.metrics import similarity; "
        "similarity.similarity_buckets([0.5]); print('numba' in sys.modules); "
        "similarity.transcript_similarity('ab', 'ba'); print('numba' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.split() == ["False", "True"]
