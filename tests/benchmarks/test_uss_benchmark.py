from __future__ import annotations

import pytest

from benchmarks.uss_frustration import (
    bot_outcome,
    cross_validate,
    in_fitting_part,
    is_dissatisfied,
    parse_rated_turns,
)
from handoff.escalation_file import load_frustration_config

SAMPLE = (
    "USER\tI need a cheap hotel.\tHotel-Inform\t3,3,3\n"
    "SYSTEM\tSorry, there are none.\tHotel-NoOffer\t\n"
    "USER\tAre you sure? Try again.\t\t2,2,3\n"
    "SYSTEM\tStill nothing.\t\t\n"
    "USER\tOVERALL\t\t2,2,2\n"
    "\n"
    "USER\tA train to London please.\tTrain-Inform\t2,2,3,3\n"
    "SYSTEM\tWhen would you like to leave?\t\t\n"
)


def test_dissatisfied_means_more_than_half_of_the_ratings_at_most_two() -> None:
    assert is_dissatisfied((2, 2, 3))
    assert is_dissatisfied((1, 2, 2, 5))
    assert not is_dissatisfied((2, 2, 3, 3))  # a tie is not a majority
    assert not is_dissatisfied((3, 3, 1))


def test_rated_turns_carry_their_history_and_skip_the_overall_row() -> None:
    turns = parse_rated_turns(SAMPLE)

    assert [t.dialogue_index for t in turns] == [0, 0, 1]
    assert [t.dissatisfied for t in turns] == [False, True, False]
    second = turns[1]
    assert [turn.speaker for turn in second.history] == ["customer", "bot", "customer"]
    assert second.history[-1].text == "Are you sure? Try again."


def test_the_split_is_stable_and_about_seventy_thirty() -> None:
    fitting = [i for i in range(1000) if in_fitting_part(i)]

    assert fitting == [i for i in range(1000) if in_fitting_part(i)]
    assert 650 <= len(fitting) <= 750


@pytest.mark.parametrize(
    ("act", "outcome"),
    [
        ("Hotel-NoOffer", "no_result"),
        ("Train-NoOffer", "no_result"),
        ("Booking-NoBook", "failed"),
        ("Booking-Book", "answered"),
        ("Train-OfferBooked", "answered"),
        ("Hotel-Request", None),  # a question says nothing about success
        ("Restaurant-Inform", None),  # may come with "sorry, none, but..."
        ("", None),
    ],
)
def test_only_unambiguous_dialogue_acts_become_bot_outcomes(act: str, outcome: str | None) -> None:
    assert bot_outcome(act) == outcome


def test_bot_turns_carry_their_outcome_unless_text_only() -> None:
    with_acts = parse_rated_turns(SAMPLE)[1].history
    text_only = parse_rated_turns(SAMPLE, outcomes=False)[1].history

    assert [turn.outcome for turn in with_acts] == [None, "no_result", None]
    assert [turn.outcome for turn in text_only] == [None, None, None]
    assert [turn.text for turn in with_acts] == [turn.text for turn in text_only]


def cross_validated(strengths: list[dict[str, float]], actual: list[bool]) -> dict:
    dialogue_ids = list(range(len(actual)))  # one turn per dialogue
    return cross_validate(load_frustration_config(), strengths, actual, dialogue_ids)


def test_cross_validation_scores_every_fold_with_weights_fitted_elsewhere() -> None:
    actual = [i % 4 == 0 for i in range(200)]
    telling = [{"customer_correction": 1.0} if a else {} for a in actual]
    misleading = [{} if a else {"customer_correction": 1.0} for a in actual]

    found = cross_validated(telling, actual)
    assert found["f1"] == 1.0
    assert found["turns"] == 200
    assert len(found["fold_f1"]) == 5
    assert cross_validated(misleading, actual)["f1"] == 0.0
