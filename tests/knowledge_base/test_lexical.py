"""BM25 over passages (knowledge_base/lexical.py): what a customer's words match."""

from __future__ import annotations

import numpy as np

from knowledge_base.lexical import LexicalIndex, fold, words

PASSAGES = (
    "Hearth Thermostat needs a C-wire. The C-wire powers the thermostat.",
    "Pay in 4 with Klarna: split your order into four payments.",
    "Glow bulbs not pairing: reset the bulbs and keep the dimmer up.",
)


def test_words_drop_stop_words_and_fold_inflections() -> None:
    assert words("How do I pair my Glow BULBS?") == ["pair", "glow", "bulb"]
    assert fold("charged") == fold("charges") == fold("charging") == "charg"
    assert fold("HL482913".lower()) == "hl482913"
    assert fold("2026") == "2026"


def test_the_passage_with_the_rare_word_scores_highest() -> None:
    index = LexicalIndex(PASSAGES)
    scores = index.scores("can i use klarna")
    assert int(np.argmax(scores)) == 1
    assert scores[0] == scores[2] == 0.0


def test_inflected_words_meet_and_each_query_word_counts_once() -> None:
    index = LexicalIndex(PASSAGES)
    once = index.scores("bulb not pairing")
    assert int(np.argmax(once)) == 2
    assert np.allclose(index.scores("bulb bulb bulbs not pairing"), once)


def test_no_known_word_and_no_passages_score_nothing() -> None:
    assert not LexicalIndex(PASSAGES).scores("zzz qqq").any()
    assert LexicalIndex([]).scores("thermostat").shape == (0,)
