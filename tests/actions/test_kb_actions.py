from __future__ import annotations

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.kb import ActionAnswerFromKb, ActionRecordFeedback
from tests.actions.conftest import ANSWERED, MISSED, tracker


def slots(events):  # type: ignore[no-untyped-def]
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def test_an_answer_carries_the_article_link_and_asks_if_it_helped(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = ANSWERED
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKb().run(
        dispatcher, tracker("how long do i have to return", "ask_question"), {}
    )
    answer, question = dispatcher.messages
    assert "30 days from delivery" in answer["text"]
    assert "https://help.hearthly.example/articles/return-policy" in answer["text"]
    assert "Our return policy" in answer["text"]
    assert question["text"] == "Did that help?"
    assert [b["payload"] for b in question["buttons"]] == [
        "/feedback_helpful",
        "/feedback_not_helpful",
    ]
    recorded = slots(events)
    assert recorded["kb_last_article_id"] == "return-policy"
    assert recorded["kb_history"][-1]["answered"] is True
    assert recorded["kb_history"][-1]["score"] == 0.71
    # the version of the article the customer read, as the service served it
    assert recorded["kb_history"][-1]["article_version"] == "3f9a0c41b2d7"
    assert recorded["kb_history"][-1]["article_updated"] == "2026-10-14"
    assert service.requests == [
        {
            "path": "/kb/search",
            "query": "how long do i have to return",
            "conversation_id": "conversation-1",
        }
    ]


async def test_a_long_question_is_searched_by_its_first_part_not_refused(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = ANSWERED
    long_question = "how long do i have to return " + "a lamp that flickers " * 80
    dispatcher = CollectingDispatcher()
    await ActionAnswerFromKb().run(dispatcher, tracker(long_question, "ask_question"), {})
    assert service.requests[-1]["query"] == long_question[:1000]
    assert "30 days from delivery" in dispatcher.messages[0]["text"]


async def test_an_unsure_answer_asks_did_you_mean_and_is_not_counted_as_a_miss(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = {**ANSWERED, "answered": False, "tentative": True}
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKb().run(
        dispatcher,
        tracker("how long for returns", "ask_question", slots={"kb_miss_count": 1.0}),
        {},
    )
    answer, question = dispatcher.messages
    assert answer["text"].startswith("Did you mean “Our return policy”?")
    assert "30 days from delivery" in answer["text"]
    assert question["text"] == "Is that what you were asking?"
    assert [b["payload"] for b in question["buttons"]] == [
        "/feedback_helpful",
        "/feedback_not_helpful",
    ]
    recorded = slots(events)
    assert "kb_miss_count" not in recorded  # the customer's yes or no decides, not a miss
    assert recorded["kb_last_article_id"] == "return-policy"
    assert recorded["reply_outcome"] == "tentative"
    entry = recorded["kb_history"][-1]
    assert (entry["answered"], entry["tentative"], entry["article_id"]) == (
        True,
        True,
        "return-policy",
    )


async def test_a_miss_offers_the_closest_articles_and_is_counted(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = MISSED
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKb().run(
        dispatcher, tracker("loyalty points?", "ask_question", slots={"kb_miss_count": 1.0}), {}
    )
    [message] = dispatcher.messages
    assert "not sure" in message["text"]
    assert [b["title"] for b in message["buttons"]] == [
        "Promo codes and gift cards",
        "What's included in Hearthly Plus",
    ]
    recorded = slots(events)
    assert recorded["kb_miss_count"] == 2.0
    assert recorded["kb_last_article_id"] is None
    assert recorded["kb_history"][-1]["answered"] is False


async def test_when_the_service_is_down_the_customer_gets_an_apology_and_the_outage_is_recorded(
    service_down,
) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKb().run(
        dispatcher, tracker("where is my refund", "ask_question"), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_kb_unavailable"
    assert events == [SlotSet("reply_outcome", "unavailable")]


async def test_an_error_status_from_the_service_is_handled_like_an_outage(service) -> None:  # type: ignore[no-untyped-def]
    service.status = 500
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerFromKb().run(
        dispatcher, tracker("where is my refund", "ask_question"), {}
    )
    assert events == [SlotSet("reply_outcome", "unavailable")]


async def test_feedback_is_sent_for_the_article_shown_and_kept_in_the_conversation(service) -> None:  # type: ignore[no-untyped-def]
    history = [{"answered": True, "article_id": "return-policy", "feedback": None}]
    dispatcher = CollectingDispatcher()
    events = await ActionRecordFeedback().run(
        dispatcher,
        tracker(
            "no that didn't help",
            "feedback_not_helpful",
            slots={"kb_last_article_id": "return-policy", "kb_history": history},
        ),
        {},
    )
    assert service.requests == [
        {
            "path": "/kb/feedback",
            "article_id": "return-policy",
            "helpful": False,
            "conversation_id": "conversation-1",
        }
    ]
    assert slots(events)["kb_history"][0]["feedback"] == "not_helpful"
    assert SlotSet("kb_last_article_id", None) in events
    assert dispatcher.messages == []


async def test_feedback_survives_an_outage_in_the_conversation(service_down) -> None:  # type: ignore[no-untyped-def]
    history = [{"answered": True, "article_id": "hub-offline", "feedback": None}]
    events = await ActionRecordFeedback().run(
        CollectingDispatcher(),
        tracker(
            "yes thanks",
            "feedback_helpful",
            slots={"kb_last_article_id": "hub-offline", "kb_history": history},
        ),
        {},
    )
    assert slots(events)["kb_history"][0]["feedback"] == "helpful"
