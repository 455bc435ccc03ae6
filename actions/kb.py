"""Actions that answer from the knowledge base and record whether the answer helped."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import kb_messages as messages
from actions.service_client import ServiceUnavailable, service_client

log = logging.getLogger(__name__)


async def answer_from_kb(
    dispatcher: CollectingDispatcher, tracker: Tracker, query: str
) -> list[EventType]:
    """Search the knowledge base (with the article answered from last, for follow-ups) and
    reply: an answer, a tentative one ("did you mean ...?"), or on a miss the closest
    articles."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    query = query[: messages.MAX_QUERY_CHARS]
    context = messages.last_answered_article(tracker.get_slot("kb_history"))
    try:
        result = await service_client().search(query, tracker.sender_id, context)
    except ServiceUnavailable as error:
        log.error("knowledge-base search failed for %s: %s", tracker.sender_id, error)
        dispatcher.utter_message(response="utter_kb_unavailable")
        return [SlotSet("reply_outcome", "unavailable")]  # the escalation policy offers a person
    history = messages.append_history(
        tracker.get_slot("kb_history"), messages.lookup_record(query, result, intent)
    )
    if result.get("answered") or result.get("tentative"):
        # A tentative answer is an answer the customer judges: "did you mean ...?" first.
        answer = result["answer"]
        if result.get("answered"):
            dispatcher.utter_message(text=messages.answer_text(answer))
            dispatcher.utter_message(text="Did that help?", buttons=messages.FEEDBACK_BUTTONS)
        else:
            dispatcher.utter_message(text=messages.tentative_text(answer))
            dispatcher.utter_message(
                text="Is that what you were asking?", buttons=messages.FEEDBACK_BUTTONS
            )
        return [
            SlotSet("kb_last_article_id", answer["article_id"]),
            SlotSet("kb_history", history),
            SlotSet("reply_outcome", "answered" if result.get("answered") else "tentative"),
        ]
    candidates = messages.useful_candidates(result)
    dispatcher.utter_message(
        text=messages.miss_text(candidates), buttons=messages.candidate_buttons(candidates)
    )
    misses = float(tracker.get_slot("kb_miss_count") or 0) + 1
    return [
        SlotSet("kb_miss_count", misses),
        SlotSet("kb_last_article_id", None),
        SlotSet("kb_history", history),
        SlotSet("reply_outcome", messages.miss_outcome(result)),
    ]


class ActionAnswerFromKb(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        query = (tracker.latest_message.get("text") or "").strip()
        if not query:
            dispatcher.utter_message(response="utter_default")
            return []
        return await answer_from_kb(dispatcher, tracker, query)


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        article_id = tracker.get_slot("kb_last_article_id")
        if not article_id:
            return []  # feedback with no answer shown: nothing to attribute it to
        helpful = (tracker.latest_message.get("intent") or {}).get("name") == "feedback_helpful"
        try:
            await service_client().feedback(article_id, helpful, tracker.sender_id)
        except ServiceUnavailable as error:
            # Kept in the conversation (kb_history) even when the counter could not be updated.
            log.error("feedback on %s (%s) not counted: %s", article_id, helpful, error)
        history = messages.with_feedback(tracker.get_slot("kb_history") or [], article_id, helpful)
        return [SlotSet("kb_history", history), SlotSet("kb_last_article_id", None)]
