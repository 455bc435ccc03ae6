"""Replaying an escalation policy over a review case.

Two questions, two replays:

- `decisions`: what a policy decides on every turn of the conversation as it happened (the bot's
  offers included): the decision record a reviewer reads next to each turn. Each turn is decided
  on the turns up to it, as Rasa's policy did after the bot's reply.
- `first_escalation`: when a policy would first offer a person or hand off, had it been in
  charge. The recorded offers and handoffs were the live policy's doing, so they are taken out of
  the bot's actions first; the first escalation is all that can be compared (what the customer
  said after it answered the live policy). A turn whose only bot action was the live policy's
  handoff keeps no bot action: only the customer's own words (a request for a person, a policy
  phrase) can decide it, as when Rasa decides before the bot replies.

`load_decider` builds the decider from an escalation file (the shipped one by default) and
`CachedScorer` memoises the frustration scorer, whose output does not depend on the decision's
weights: the tuning replays the same conversations thousands of times. Pure but for reading the
file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from handoff.detection.decision import HANDOFF_ACTION, OFFER_ACTION, EscalationDecider
from handoff.detection.decision_config import DecisionConfig
from handoff.detection.decision_record import CustomerTurn, Decision
from handoff.detection.frustration import FrustrationScorer, Signal, Turn
from handoff.detection.frustration_config import DEFAULT_CONFIG_PATH, FrustrationConfig
from handoff.escalation_file import load_decision_config, load_frustration_config
from handoff.sentiment import vader_polarity
from review.case import ReviewCase

POLICY_ACTIONS = frozenset({OFFER_ACTION, HANDOFF_ACTION})


class CachedScorer(FrustrationScorer):
    """The frustration scorer with its answers remembered per transcript."""

    def __init__(self, config: FrustrationConfig, scorer: FrustrationScorer) -> None:
        super().__init__(config, scorer.polarity)
        self._memo: dict[tuple[Turn, ...], list[Signal]] = {}

    def detect(self, history: Sequence[Turn]) -> list[Signal]:
        key = tuple(history)
        if key not in self._memo:
            self._memo[key] = super().detect(history)
        return self._memo[key]


def load_decider(path: Path = DEFAULT_CONFIG_PATH, cached: bool = False) -> EscalationDecider:
    """The escalation decider of an escalation file, as Rasa's policy builds it."""
    frustration = load_frustration_config(path)
    scorer = FrustrationScorer(frustration, vader_polarity())
    if cached:
        scorer = CachedScorer(frustration, scorer)
    return EscalationDecider(load_decision_config(path), scorer)


def with_config(decider: EscalationDecider, config: DecisionConfig) -> EscalationDecider:
    """Another decision config on the same (possibly cached) frustration scorer."""
    return EscalationDecider(config, decider.scorer)


def decisions(case: ReviewCase, decider: EscalationDecider) -> list[Decision]:
    """One decision per customer turn, each on the conversation up to that turn."""
    turns, customer = list(case.turns), case.customer_context()
    if len(turns) <= decider.config.limits.history_turns:
        return decider.replay(turns, customer)
    return [decider.decide(turns[: index + 1], customer) for index in range(len(turns))]


def without_policy_actions(turns: Sequence[CustomerTurn]) -> list[CustomerTurn]:
    """The turns with the live policy's offers and handoffs taken out of the bot's actions."""
    return [
        dataclasses.replace(
            turn, bot_actions=tuple(a for a in turn.bot_actions if a not in POLICY_ACTIONS)
        )
        for turn in turns
    ]


def first_escalation(case: ReviewCase, decider: EscalationDecider) -> Decision | None:
    """The first offer or handoff the decider would have made in this session, if any."""
    turns, customer = without_policy_actions(case.turns), case.customer_context()
    if len(turns) <= decider.config.limits.history_turns:
        walk = decider.replay(turns, customer)
        return next((d for d in walk if d.action != "continue"), None)
    for index in range(len(turns)):
        decision = decider.decide(turns[: index + 1], customer)
        if decision.action != "continue":
            return decision
    return None
