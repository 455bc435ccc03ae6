"""Read tests/test_escalation_stories.yml: scripted escalation conversations, expectations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from handoff.detection.decision_record import CustomerTurn
from handoff.privacy.identity import CustomerContext

STORIES_PATH = Path(__file__).resolve().parents[1] / "test_escalation_stories.yml"


@dataclass
class EscalationStory:
    name: str
    expect: list[dict[str, Any]]
    customer: dict[str, Any] | None
    turns: list[CustomerTurn] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [turn.text for turn in self.turns]

    def verified_customer(self) -> CustomerContext | None:
        if not self.customer or self.customer.get("forged"):
            return None
        return CustomerContext(self.customer["id"], self.customer.get("tier"))


def load_stories(path: Path = STORIES_PATH) -> list[EscalationStory]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [_story(entry) for entry in document["stories"]]


def _story(entry: dict[str, Any]) -> EscalationStory:
    metadata = entry.get("metadata") or {}
    story = EscalationStory(entry["story"], metadata.get("expect") or [], metadata.get("customer"))
    pending: dict[str, Any] | None = None
    for step in entry["steps"]:
        if "user" in step:
            if pending:
                story.turns.append(_turn(pending))
            pending = {
                "number": len(story.turns) + 1,
                "text": step["user"].strip(),
                "intent": step.get("intent"),
                "bot_actions": [],
                "outcome": None,
            }
        elif pending and "action" in step:
            pending["bot_actions"].append(step["action"])
        elif pending and "slot_was_set" in step:
            for slot in step["slot_was_set"]:
                if "reply_outcome" in slot:
                    pending["outcome"] = slot["reply_outcome"]
    if pending:
        story.turns.append(_turn(pending))
    return story


def _turn(pending: dict[str, Any]) -> CustomerTurn:
    return CustomerTurn(
        number=pending["number"],
        text=pending["text"],
        intent=pending["intent"],
        confidence=0.3 if pending["intent"] == "nlu_fallback" else 0.9,
        bot_actions=tuple(pending["bot_actions"]),
        outcome=pending["outcome"],
    )
