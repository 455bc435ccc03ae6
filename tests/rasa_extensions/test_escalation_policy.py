"""The EscalationPolicy inside Rasa: what it predicts and what it writes to the tracker."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.detection.conversation import customer_context, customer_turns
from handoff.detection.vectors import encode_vector
from rasa_extensions.escalation_policy import EscalationPolicy

DOMAIN_PATH = Path(__file__).resolve().parents[2] / "bot" / "domain"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_PATH))


@pytest.fixture
def policy(tmp_path: Path) -> EscalationPolicy:
    return EscalationPolicy(
        EscalationPolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("escalation_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def customer(text: str, intent: str, confidence: float = 0.9) -> list[Event]:
    parse_data = {"intent": {"name": intent, "confidence": confidence}, "entities": []}
    return [
        ActionExecuted("action_listen"),
        UserUttered(text, parse_data["intent"], [], parse_data),
    ]


def kb_miss() -> list[Event]:
    return [
        ActionExecuted("action_answer_from_kb"),
        BotUttered("I'm not sure I have the right answer for that."),
        SlotSet("reply_outcome", "miss"),
    ]


def predicted(policy: EscalationPolicy, domain: Domain, events: list[Event]) -> tuple[str, list]:
    tracker = DialogueStateTracker.from_events("customer-1", events, domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    if prediction.max_confidence == 0:
        return "abstain", prediction.events
    return domain.action_names_or_texts[prediction.max_confidence_index], prediction.events


def decision_of(events: list) -> dict:
    return next(
        e.value for e in events if isinstance(e, SlotSet) and e.key == "escalation_decision"
    )


def test_an_explicit_request_hands_off_before_any_other_policy_answers(
    policy: EscalationPolicy, domain: Domain
) -> None:
    action, events = predicted(policy, domain, customer("get me a human", "request_human"))
    assert action == "action_handoff"
    record = decision_of(events)
    assert (record["turn"], record["action"], record["reason"]) == (
        1,
        "handoff",
        "explicit_request",
    )


def test_a_question_is_left_to_the_other_policies_and_decided_after_the_reply(
    policy: EscalationPolicy, domain: Domain
) -> None:
    first = [*customer("do you sell garden furniture", "ask_question"), *kb_miss()]
    second = customer("any outdoor furniture, like patio chairs?", "ask_question")

    action, _ = predicted(policy, domain, [*first, *second])
    assert action == "abstain"

    action, events = predicted(policy, domain, [*first, *second, *kb_miss()])
    assert action == "utter_offer_human"
    record = decision_of(events)
    assert (record["turn"], record["action"], record["reason"]) == (2, "offer", "unresolved")
    # one slot event: the per-turn log is these events (handoff/detection/decision_log.py)
    assert [e.key for e in events if isinstance(e, SlotSet)] == ["escalation_decision"]


def test_what_a_decision_writes_does_not_grow_with_the_conversation(
    policy: EscalationPolicy, domain: Domain
) -> None:
    def written(turns: int) -> int:
        chat = [
            event
            for number in range(turns)
            for event in [
                *customer(f"hello number {number}", "greet"),
                ActionExecuted("utter_greet"),
                BotUttered("Hi! How can I help?"),
            ]
        ]
        spoke = [*chat, *customer("do you sell garden furniture", "ask_question")]
        _, when_spoken = predicted(policy, domain, spoke)
        assert when_spoken == []  # not acting: the decision after the reply is the record
        _, events = predicted(policy, domain, [*spoke, *kb_miss()])
        return sum(len(json.dumps(event.value)) for event in events)

    assert written(40) == written(12) > 0  # turns 41 and 13: the same number of digits


def test_after_its_own_offer_the_bot_listens(policy: EscalationPolicy, domain: Domain) -> None:
    events = [
        *customer("do you sell garden furniture", "ask_question"),
        *kb_miss(),
        ActionExecuted("utter_offer_human"),
    ]
    assert predicted(policy, domain, events)[0] == "action_listen"


def test_small_talk_is_left_alone(policy: EscalationPolicy, domain: Domain) -> None:
    events = [*customer("hello there", "greet"), ActionExecuted("utter_greet")]
    assert predicted(policy, domain, events)[0] == "abstain"


def test_a_verified_vip_is_offered_a_person_after_one_miss(
    policy: EscalationPolicy, domain: Domain
) -> None:
    vip = [SlotSet("customer_id", "c-9"), SlotSet("customer_tier", "vip")]
    events = [*vip, *customer("do you sell garden furniture", "ask_question"), *kb_miss()]
    action, prediction_events = predicted(policy, domain, events)
    assert action == "utter_offer_human"
    assert decision_of(prediction_events)["reason"] == "policy"


def angry_then_with_an_agent() -> list[Event]:
    return [
        *customer("this is useless, nothing works!!!", "express_frustration"),
        *kb_miss(),
        *customer("STILL broken, you are useless!!!", "express_frustration"),
        *kb_miss(),
        *customer("get me a human", "request_human"),
        ActionExecuted("action_handoff"),
        SlotSet("handoff_status", "assigned"),
    ]


@pytest.mark.parametrize("intent", ["handed_back", "handoff_resolved"])
def test_the_services_hand_back_resumes_even_while_the_slot_says_assigned(
    policy: EscalationPolicy, domain: Domain, intent: str
) -> None:
    events = [*angry_then_with_an_agent(), *customer(f"/{intent}", intent, 1.0)]
    action, recorded = predicted(policy, domain, events)
    assert (action, recorded) == ("action_resume_after_handoff", [])
    after = [*events, ActionExecuted("action_resume_after_handoff")]
    assert predicted(policy, domain, after)[0] == "action_listen"


def test_after_a_hand_back_earlier_anger_does_not_offer_a_person_again(
    policy: EscalationPolicy, domain: Domain
) -> None:
    events = [
        *angry_then_with_an_agent(),
        *customer("/handed_back", "handed_back", 1.0),
        ActionExecuted("action_resume_after_handoff"),
        SlotSet("takeover", {"ticket_id": "tk-1", "messages": []}),
        SlotSet("handoff_status", None),
        BotUttered("You're back with Hearthly's assistant."),
        *customer("how do I pair a glow bulb", "ask_question"),
        ActionExecuted("action_answer_from_kb"),
        BotUttered("Hold the bulb's button for five seconds."),
        SlotSet("reply_outcome", "answered"),
    ]
    action, recorded = predicted(policy, domain, events)
    assert action == "abstain"
    record = decision_of(recorded)
    # the first fresh turn keeps the session's numbering (three turns before the hand-back)
    assert (record["turn"], record["action"]) == (4, "continue")


def test_after_a_hand_back_new_anger_can_escalate_again(
    policy: EscalationPolicy, domain: Domain
) -> None:
    """Without the fresh start the replayed history says 'already handed off' forever."""
    events = [
        *angry_then_with_an_agent(),
        *customer("/handed_back", "handed_back", 1.0),
        ActionExecuted("action_resume_after_handoff"),
        SlotSet("takeover", {"ticket_id": "tk-1", "messages": []}),
        SlotSet("handoff_status", None),
        *customer("this is useless, nothing works!!!", "express_frustration"),
        *kb_miss(),
    ]
    action, recorded = predicted(policy, domain, events)
    assert action == "action_handoff"
    assert (decision_of(recorded)["turn"], decision_of(recorded)["reason"]) == (4, "frustration")


MESSAGES = [
    ("where is my order", "ask_question"),
    ("this is useless, nothing works!!!", "express_frustration"),
    ("thanks", "thank"),
    ("no", "deny"),
    ("yes please", "affirm"),
    ("I want a person", "request_human"),
    ("never mind, I don't need a person", "deny"),
    ("asdf qwerty", "nlu_fallback"),
    ("/handed_back", "handed_back"),
    ("/handoff_resolved", "handoff_resolved"),
]
REPLIES: list[list[Event]] = [
    kb_miss(),
    [
        ActionExecuted("action_answer_from_kb"),
        BotUttered("Here it is."),
        SlotSet("reply_outcome", "answered"),
    ],
    [ActionExecuted("utter_offer_human"), BotUttered("Would you like to talk to a person?")],
    [ActionExecuted("action_handoff"), SlotSet("handoff_status", "assigned")],
    [ActionExecuted("action_resume_after_handoff"), SlotSet("takeover", {"ticket_id": "tk-1"})],
    [SlotSet("takeover", None), SlotSet("handoff_status", None)],
    [SessionStarted(), ActionExecuted("action_session_start")],
    [Restarted()],
]


def long_conversation(seed: int, turns: int = 90) -> list[Event]:
    """A long random conversation: repeated questions (with vectors), anger, requests and
    withdrawals, offers, handoffs, hand-backs by message and by the takeover slot, new
    sessions and restarts (rarer on odd seeds, so long stretches of turns too)."""
    rng = random.Random(seed)
    rare = 0.03 if seed % 2 else 0.1
    events: list[Event] = []
    for _ in range(turns):
        text, intent = rng.choice(MESSAGES)
        vector = encode_vector([math.sin(rng.randrange(3) * 5 + i) for i in range(8)])
        parse_data = {
            "intent": {"name": intent, "confidence": rng.random()},
            "entities": [],
            "sentence_vector": vector,
        }
        events += [
            ActionExecuted("action_listen"),
            UserUttered(text, parse_data["intent"], [], parse_data),
        ]
        events += rng.choice(REPLIES[:4] if rng.random() > rare else REPLIES)
    return events


@pytest.mark.parametrize("seed", range(4))
def test_the_decision_reads_only_its_window_and_decides_as_over_the_whole_session(
    policy: EscalationPolicy, domain: Domain, seed: int
) -> None:
    """The decision over the latest turns' events only (flat cost per turn) is the one the
    whole session's events give, at every point of long conversations."""
    tracker = DialogueStateTracker.from_events("customer-1", [], domain.slots)
    for event in long_conversation(seed):
        tracker.update(event)
        whole = customer_turns(e.as_dict() for e in tracker.events_after_latest_restart())
        if not whole:
            assert policy._decide(tracker) is None
            continue
        customer = customer_context(tracker.current_slot_values())
        assert policy._decide(tracker) == policy.decider.decide(whole, customer)
