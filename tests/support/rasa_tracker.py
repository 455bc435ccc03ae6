"""Build Rasa tracker JSON the way `GET /conversations/{id}/tracker` returns it.

Each event has the keys of Rasa 3.6's `Event.as_dict()` (see rasa/shared/core/events.py), and
the knowledge-base actions record kb_history entries as actions/kb.py does (through
actions/kb_messages.py), so the tests read what the real stack writes.
"""

from __future__ import annotations

import copy
from typing import Any

from actions import kb_messages

START = 1_773_480_000.0  # 2026-03-14T09:20:00Z
FEEDBACK_BUTTONS = kb_messages.FEEDBACK_BUTTONS
ArticleVersion = tuple[str, str]  # (article_version, article_updated) as /kb/search serves them


def _version(version: ArticleVersion | None) -> dict[str, str]:
    if version is None:
        return {}
    return {"article_version": version[0], "article_updated": version[1]}


class TrackerBuilder:
    def __init__(self, sender_id: str = "conv-1", start: float = START) -> None:
        self.sender_id = sender_id
        self.clock = start
        self.events: list[dict[str, Any]] = []
        self.slots: dict[str, Any] = {"kb_history": None, "kb_miss_count": 0.0}
        self.latest_user: dict[str, Any] | None = None

    # -- raw events, shaped like Event.as_dict() ---------------------------------------------

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        self.clock += 2.5
        event = {"event": kind, "timestamp": self.clock, **fields}
        self.events.append(event)
        return event

    def action(self, name: str, policy: str | None = "RulePolicy") -> TrackerBuilder:
        self.event(
            "action",
            name=name,
            policy=policy,
            confidence=1.0,
            action_text=None,
            hide_rule_turn=False,
        )
        return self

    def session_start(self) -> TrackerBuilder:
        """What ActionSessionStart logs: the boundary, carried-over slots, then listening."""
        self.action("action_session_start", policy=None)
        self.event("session_started")
        for name, value in self.slots.items():
            self.event("slot", name=name, value=copy.deepcopy(value))
        return self.action("action_listen")

    def user(
        self,
        text: str,
        intent: str,
        confidence: float = 0.97,
        entities: list[dict[str, Any]] | None = None,
    ) -> TrackerBuilder:
        parse_data = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
            "message_id": f"m{len(self.events)}",
            "metadata": {},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
        }
        self.latest_user = self.event(
            "user",
            text=text,
            parse_data=parse_data,
            input_channel="socketio",
            message_id=f"m{len(self.events)}",
            metadata={},
        )
        self.event("user_featurization", use_text_for_featurization=False)
        return self

    def bot(self, text: str, buttons: list[dict[str, str]] | None = None) -> TrackerBuilder:
        data = {
            "elements": None,
            "quick_replies": None,
            "buttons": buttons,
            "attachment": None,
            "image": None,
            "custom": None,
        }
        self.event("bot", text=text, data=data, metadata={"utter_action": "utter_x"})
        return self

    def slot(self, name: str, value: Any) -> TrackerBuilder:
        self.slots[name] = copy.deepcopy(value)
        self.event("slot", name=name, value=copy.deepcopy(value))
        return self

    def listen(self) -> TrackerBuilder:
        return self.action("action_listen")

    # -- what the project's actions do -----------------------------------------------------

    def kb_answer(
        self,
        article_id: str,
        title: str,
        score: float,
        version: ArticleVersion | None = None,
        section: str | None = None,
    ) -> TrackerBuilder:
        """action_answer_from_kb answering the latest customer turn; `version` is the
        (article_version, article_updated) the service served, None for one that did not;
        `section` the heading of the section that answered, None for a service that did not
        say."""
        shown = {"article_id": article_id, "title": title, "score": score, **_version(version)}
        if section is not None:
            shown["section"] = section
        result = {"answered": True, "answer": shown, "candidates": [shown]}
        self.action("action_answer_from_kb")
        self.bot(f"Here is what I found. More in “{title}”.")
        self.bot("Did that help?", buttons=FEEDBACK_BUTTONS)
        self.slot("kb_last_article_id", article_id)
        self.slot("kb_history", self._history_with(result))
        return self.listen()

    def kb_miss(
        self, candidates: list[tuple[str, str, float]], version: ArticleVersion | None = None
    ) -> TrackerBuilder:
        """action_answer_from_kb finding nothing confident: closest titles as buttons;
        `version` is the closest one's (article_version, article_updated)."""
        result = {
            "answered": False,
            "candidates": [
                {"article_id": article_id, "title": title, "score": score}
                for article_id, title, score in candidates
            ],
        }
        if candidates:
            result["candidates"][0].update(_version(version))
        self.action("action_answer_from_kb")
        shown = kb_messages.useful_candidates(result)
        self.bot(kb_messages.miss_text(shown), buttons=kb_messages.candidate_buttons(shown))
        self.slot("kb_miss_count", float(self.slots.get("kb_miss_count") or 0) + 1)
        self.slot("kb_last_article_id", None)
        self.slot("kb_history", self._history_with(result))
        return self.listen()

    def feedback(self, helpful: bool) -> TrackerBuilder:
        """The customer presses a feedback button; action_record_feedback records it."""
        intent = "feedback_helpful" if helpful else "feedback_not_helpful"
        self.user(f"/{intent}", intent, confidence=1.0)
        self.action("action_record_feedback")
        article_id = self.slots.get("kb_last_article_id")
        history = kb_messages.with_feedback(self.slots.get("kb_history") or [], article_id, helpful)
        self.slot("kb_history", history)
        self.slot("kb_last_article_id", None)
        return self

    def _history_with(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        assert self.latest_user is not None, "a lookup answers a customer turn"
        query = self.latest_user["text"]
        intent = self.latest_user["parse_data"]["intent"]["name"]
        entry = kb_messages.lookup_record(query, result, intent)
        return kb_messages.append_history(self.slots.get("kb_history"), entry)

    def tracker(self) -> dict[str, Any]:
        """The tracker JSON (include_events=AFTER_RESTART, the default)."""
        latest = self.latest_user or {}
        return copy.deepcopy(
            {
                "sender_id": self.sender_id,
                "slots": self.slots,
                "latest_message": latest.get("parse_data"),
                "latest_event_time": self.clock,
                "followup_action": None,
                "paused": False,
                "events": self.events,
                "latest_input_channel": "socketio",
                "active_loop": {},
                "latest_action": {"action_name": "action_listen"},
                "latest_action_name": "action_listen",
            }
        )
