"""The knowledge-base action sends the article answered from last, so the service can read a
follow-up question with its topic; a follow-up miss is told apart from a fresh miss."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions import kb_messages as messages
from actions.kb import ActionAnswerFromKb
from tests.actions.conftest import ANSWERED, MISSED, tracker

HISTORY = [
    {"query": "what does plus include", "answered": True, "article_id": "plus-benefits"},
    {"query": "was that helpful", "answered": True, "article_id": "plus-benefits"},
    {"query": "loyalty points?", "answered": False, "article_id": "promo-codes-and-gift-cards"},
]


def slots(events):  # type: ignore[no-untyped-def]
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def test_the_last_answered_article_goes_with_the_search(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = {**ANSWERED, "follow_up": True}
    # kb_last_article_id was cleared by the feedback; kb_history still knows the answer
    conversation = tracker(
        "how much does it cost?",
        "ask_question",
        slots={"kb_history": HISTORY, "kb_last_article_id": None},
    )
    events = await ActionAnswerFromKb().run(CollectingDispatcher(), conversation, {})
    assert service.requests == [
        {
            "path": "/kb/search",
            "query": "how much does it cost?",
            "conversation_id": "conversation-1",
            "context_article_id": "plus-benefits",
        }
    ]
    recorded = slots(events)
    assert recorded["reply_outcome"] == "answered"
    assert recorded["kb_history"][-1]["follow_up"] is True


async def test_a_conversation_without_an_answer_sends_no_context(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = ANSWERED
    history = [HISTORY[-1]]  # only a miss so far
    conversation = tracker("how long do i have to return", "ask_question", {"kb_history": history})
    await ActionAnswerFromKb().run(CollectingDispatcher(), conversation, {})
    assert "context_article_id" not in service.requests[0]


async def test_a_follow_up_miss_is_recorded_as_one(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = {**MISSED, "follow_up": True}
    conversation = tracker("and the weather?", "ask_question", slots={"kb_history": HISTORY})
    events = await ActionAnswerFromKb().run(CollectingDispatcher(), conversation, {})
    recorded = slots(events)
    assert recorded["reply_outcome"] == "follow_up_miss"
    assert recorded["kb_miss_count"] == 1.0
    assert recorded["kb_history"][-1]["follow_up"] is True


async def test_a_fresh_miss_is_still_a_miss(service) -> None:  # type: ignore[no-untyped-def]
    service.search_answer = {**MISSED, "follow_up": False}
    conversation = tracker("loyalty points?", "ask_question", slots={"kb_history": HISTORY})
    events = await ActionAnswerFromKb().run(CollectingDispatcher(), conversation, {})
    assert slots(events)["reply_outcome"] == "miss"


def test_the_context_is_the_latest_answered_lookup() -> None:
    assert messages.last_answered_article(HISTORY) == "plus-benefits"
    assert messages.last_answered_article([]) is None
    assert messages.last_answered_article(None) is None
    assert messages.last_answered_article([{"answered": False, "article_id": "x"}]) is None
    rejected = {"answered": True, "tentative": True, "article_id": "y", "feedback": "not_helpful"}
    assert messages.last_answered_article([{"answered": True, "article_id": "x"}, rejected]) == "x"
    rejected["feedback"] = "helpful"
    assert messages.last_answered_article([{"answered": True, "article_id": "x"}, rejected]) == "y"


def test_an_older_service_without_follow_up_gives_plain_misses() -> None:
    assert messages.miss_outcome(MISSED) == "miss"
