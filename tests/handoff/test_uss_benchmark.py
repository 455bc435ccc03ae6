from __future__ import annotations

from benchmarks.uss_frustration import in_fitting_part, is_dissatisfied, parse_rated_turns

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
