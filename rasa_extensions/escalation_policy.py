"""A Rasa policy that decides, on every customer turn, whether a person should take over.

It runs the pure escalation decision (handoff/detection/decision.py, tuned in
handoff/detection/escalation.yml)
over the conversation in the tracker and acts on it through Rasa's normal mechanics:

- right after the customer speaks: an explicit request for a person, a policy phrase (safety,
  legal) or a yes to an offer predicts `action_handoff`; a customer withdrawing a request
  predicts `action_cancel_handoff`. Everything else is left to the other policies (rules,
  memoization, TED), which answer as usual.
- after the bot's reply (any bot action but those listed in `reply_continues_after`, which
  another action always follows): the score decides - offer a person (`utter_offer_human`, a
  question the customer can decline) or hand off now - so a miss in this very turn counts.
- while a person has the conversation (slot `handoff_status` waiting or assigned) every
  customer message goes to `action_wait_for_agent`, which keeps the bot quiet until the team
  hands the conversation back.
- the service's own `/handed_back` or `/handoff_resolved` (the team is done) predicts
  `action_resume_after_handoff`, whatever `handoff_status` says; the decision then starts
  fresh (handoff/detection/conversation.py ignores the turns before the latest hand-back).
- after its own actions it predicts `action_listen`.

Each decision it acts on, and each decision after the bot's reply, is written to the
conversation (slot `escalation_decision`) as a mandatory policy event, whichever policy wins,
so the handoff ticket can carry the reason, the signals and the turns behind it; the events
are the per-turn log (handoff/detection/decision_log.py). A customer message the bot does not
reply to (no policy predicts a reply) and the policy does not act on leaves no record for its
turn. It predicts with confidence 1.0 and a priority above RulePolicy's when it acts, and
abstains (all zeros) otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.detection.conversation import (
    HAND_BACK_INTENTS,
    customer_context,
    customer_turns,
    recent_window,
)
from handoff.detection.decision import HANDOFF_ACTION, OFFER_ACTION, EscalationDecider
from handoff.detection.decision_record import Decision
from handoff.detection.frustration import FrustrationScorer
from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH
from handoff.escalation_file import load_decision_config, load_frustration_config
from handoff.sentiment import vader_polarity
from handoff.vocabulary import OPEN_TICKET_STATUSES

log = logging.getLogger(__name__)
CANCEL_ACTION = "action_cancel_handoff"
WAIT_ACTION = "action_wait_for_agent"
RESUME_ACTION = "action_resume_after_handoff"
DECISION_SLOT = "escalation_decision"
OWN_ACTIONS = (OFFER_ACTION, HANDOFF_ACTION, CANCEL_ACTION, WAIT_ACTION, RESUME_ACTION)
NOT_REPLIES = frozenset({ACTION_LISTEN_NAME, "action_session_start", "action_restart", None})


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class EscalationPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "priority": 7,  # above RulePolicy (6): a person when the decision says so
            "config_path": None,  # handoff/detection/escalation.yml when not set
            # Bot actions that are always followed by another one in the same reply; after
            # any other bot action the reply may be complete, so the score decides.
            "reply_continues_after": ["action_record_feedback"],
        }

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        path = Path(config.get("config_path") or DEFAULT_CONFIG_PATH)
        scorer = FrustrationScorer(load_frustration_config(path), vader_polarity())
        self.decider = EscalationDecider(load_decision_config(path), scorer)
        self.reply_continues_after = frozenset(config.get("reply_continues_after") or ())

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        # Nothing to learn: the decision is configured, not trained. Checked here so a missing
        # action fails `rasa train`, not the first frustrated customer.
        missing = [a for a in OWN_ACTIONS if a not in domain.action_names_or_texts]
        if missing:
            raise ValueError(f"EscalationPolicy needs these actions in the domain: {missing}")
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        latest = tracker.latest_action_name
        if latest in OWN_ACTIONS:
            return self._predict(domain, ACTION_LISTEN_NAME)
        just_spoke = (
            latest == ACTION_LISTEN_NAME
            and isinstance(tracker.latest_message, UserUttered)
            and tracker.latest_message.text is not None
        )
        if just_spoke and tracker.latest_message.intent.get("name") in HAND_BACK_INTENTS:
            return self._predict(domain, RESUME_ACTION)
        if not just_spoke and (latest in NOT_REPLIES or latest in self.reply_continues_after):
            return self._abstain(domain)
        decision = self._decide(tracker)
        if decision is None:
            return self._abstain(domain)
        events = self._record(tracker, decision)
        if just_spoke:
            with_the_team = tracker.get_slot("handoff_status") in OPEN_TICKET_STATUSES
            if decision.note.startswith("the customer withdrew"):
                return self._predict(domain, CANCEL_ACTION, events)
            if with_the_team:  # a person has the conversation: the bot stays out of it
                return self._predict(domain, WAIT_ACTION, events)
            if decision.action == "handoff":
                return self._predict(domain, HANDOFF_ACTION, events)
            # Not acting yet: the decision after the reply (this turn's outcome known) is the
            # turn's record, so one record a turn is written, not two.
            return self._abstain(domain)
        if _already_acted_this_turn(tracker):
            return self._abstain(domain, events)
        if decision.action == "offer":
            return self._predict(domain, OFFER_ACTION, events)
        if decision.action == "handoff":
            return self._predict(domain, HANDOFF_ACTION, events)
        return self._abstain(domain, events)

    def _decide(self, tracker: DialogueStateTracker) -> Decision | None:
        """The decision over the latest `history_turns` customer turns: only the events that
        hold them are converted, so a turn costs the same at turn 2 and at turn 200."""
        window = self.decider.config.limits.history_turns
        size, earlier = recent_window(_kinds_newest_first(tracker), window)
        newest = [event.as_dict() for event in islice(reversed(tracker.events), size)]
        turns = customer_turns(reversed(newest), earlier=earlier)
        if not turns:
            return None
        customer = customer_context(tracker.current_slot_values())
        return self.decider.decide(turns, customer)

    @staticmethod
    def _record(tracker: DialogueStateTracker, decision: Decision) -> list[SlotSet]:
        """The slot event for the decision, unless the slot already holds it. One event of
        constant size per change: the per-turn log is read back from these events."""
        record = decision.to_dict()
        if tracker.get_slot(DECISION_SLOT) == record:
            return []
        return [SlotSet(DECISION_SLOT, record)]

    def _predict(self, domain: Domain, action: str, events: list | None = None) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, events=events or [])

    def _abstain(self, domain: Domain, events: list | None = None) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain), events=events or [])


def _kinds_newest_first(tracker: DialogueStateTracker) -> Iterator[dict[str, Any]]:
    """The tracker's events, newest first, as much of their JSON form as `recent_window`
    reads (kind, intent, slot name and value), without converting whole events."""
    for event in reversed(tracker.events):
        yield _kind(event)


def _kind(event: Event) -> dict[str, Any]:
    if isinstance(event, UserUttered):
        return {"event": "user", "parse_data": {"intent": event.intent}}
    if isinstance(event, SlotSet):
        return {"event": "slot", "name": event.key, "value": event.value}
    return {"event": event.type_name}


def _already_acted_this_turn(tracker: DialogueStateTracker) -> bool:
    """An offer or handoff already happened since the customer last spoke."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        name = getattr(event, "action_name", None)
        if name in OWN_ACTIONS:
            return True
    return False
