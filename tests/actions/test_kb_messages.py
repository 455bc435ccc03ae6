from actions.kb_messages import (
    append_history,
    useful_candidates,
    with_feedback,
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
