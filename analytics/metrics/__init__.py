"""Bias metrics of Pairwise: pure functions over plain sequences, numpy arrays and pandas frames.

No Django here: the report task loads columns from the database into the two tables below and
calls these functions; every public function returns JSON-ready dicts (ints, floats, strings,
lists; NaN and infinities as None) that can be stored as a report payload as they are.

The judgment table (one row per judgment; skips included)
    annotator              hashable      who judged (user id)
    pair_id                hashable      the pair judged
    side                   str           "left", "right", "tie" or "skip"
    chosen_response        str           "a" or "b" for left/right, "" for tie and skip
    left_response          str           "a" or "b": the response the server put on the left
    dwell_ms               float         visible time measured by the client; NaN if unknown
    index_in_sitting       int           1 for the first answer of the sitting
    elapsed_in_sitting_ms  int           from the start of the sitting to the answer
    since_break_ms         float         since the working stretch began (the first sitting, or the
                                         first after a rest); NaN where unknown
  optional:
    source_preference      str           "a", "b" or "": the pair's source label, never shown
    gold_correct           float         1/0 on gold pairs, NaN elsewhere
    probe_consistent       float         1/0 on repeated probes, NaN elsewhere
    sitting_id             hashable      the sitting

The pair table (one row per pair)
    pair_id, source_name (str, "" for none), source_preference ("a", "b" or "")
    words_context, words_response_a, words_response_b, words_transcript_a, words_transcript_b
        int, `len(text.split())`; a transcript is context + "\\n\\nAssistant:" + response
    transcript_similarity, response_similarity
        float, see `similarity`
All of these come from `similarity.pair_text_measures`, computed once when a pair is imported.

Modules: `position`, `length`, `similarity`, `fatigue` (with speeding), `agreement`,
`coverage`; `proportions` and `regression` wrap the scipy/statsmodels calls they share.
"""
