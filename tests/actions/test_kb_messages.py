from actions.kb_messages import (
    append_history,
    normalise_order_number,
    order_question,
    useful_candidates,
    with_feedback,
)


def test_order_numbers_are_normalised_to_one_spelling() -> None:
    for raw in ("HL-482913", "hl482913", "hl 482913", " HL-482913 "):
        assert normalise_order_number(raw) == "HL-482913"
    for raw in (None, "", "482913", "HL-4829", "AB-482913"):
        assert normalise_order_number(raw) is None


def test_a_bare_order_number_is_a_tracking_question() -> None:
    assert order_question("it's HL-482913") == "Where is my order and how do I track it?"
    assert (
        order_question("my order HL-482913 arrived with a cracked bulb")
        == "my order HL-482913 arrived with a cracked bulb"
    )


def test_gibberish_level_candidates_are_not_offered() -> None:
    result = {"candidates": [{"score": 0.31}, {"score": 0.24}]}
    assert useful_candidates(result) == [{"score": 0.31}]


def test_history_is_bounded_and_feedback_marks_the_latest_answer() -> None:
    history = None
    for number in range(25):
        history = append_history(
            history, {"answered": True, "article_id": "a" if number % 2 else "b", "feedback": None}
        )
    assert [entry["number"] for entry in history] == [23, 24, 25]  # the latest three
    marked = with_feedback(history, "a", helpful=True)
    assert marked[-1]["feedback"] is None  # the latest entry is article "b"
    assert marked[-2]["feedback"] == "helpful"
    assert history[-2]["feedback"] is None, "the input is not modified"
