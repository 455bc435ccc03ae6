"""The escalation decision on every customer turn: continue, offer a person, or hand off now.

Pure core: no I/O, no clock. `EscalationDecider.replay(turns, customer)` walks the
conversation turn by turn (the state - declined offers, an earlier handoff, what is still
unresolved - comes from the conversation itself, so any replica can decide) and returns one
`Decision` per customer turn; `decide()` returns the last one, walking only the last turn when
it has walked the same earlier turns before (asked before and after the bot's reply, and while
the window fills; a bounded memo of states, keyed by what the walk reads). The last turn may
still be waiting for the bot's reply (no `bot_actions` yet): then only an explicit request, a
policy phrase or an answer to an offer decide; the score decides once the bot has replied, so
a knowledge-base miss in this very turn counts.

Weights, thresholds and phrases: the `decision:` section of handoff/detection/escalation.yml.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handoff.bounded_memo import BoundedMemo
from handoff.detection.conversation import ANSWER_OUTCOMES, MISS_OUTCOMES
from handoff.detection.decision_config import DecisionConfig
from handoff.detection.decision_record import (
    CustomerContext,
    CustomerTurn,
    Decision,
    EvidenceSignal,
    Reason,
)
from handoff.detection.decision_state import WalkState, walk_key
from handoff.detection.evidence import cosine, matches, quote, scaled, scorer_transcript, typed
from handoff.detection.frustration import FrustrationScorer, Turn, content_words, similarity
from handoff.vocabulary import NEEDS_APPROVAL

OFFER_ACTION = "utter_offer_human"
HANDOFF_ACTION = "action_handoff"
REQUEST_INTENT = "request_human"
FALLBACK_INTENT = "nlu_fallback"
NOT_HELPFUL_INTENT = "feedback_not_helpful"
OUT_OF_SCOPE_INTENT = "out_of_scope"
RESOLVING_INTENTS = frozenset({"feedback_helpful", "thank"})
ACCEPT_INTENTS = frozenset({"affirm"})
DECLINE_INTENTS = frozenset({"deny"})
QUESTION_ABOUT_THE_BOT = frozenset({"bot_challenge"})
MIN_REPEAT_WORDS = 4  # "Did that help?" repeats by design; only longer replies count
APPROVAL = "an action on the order needs a supervisor's approval"
# Two walks a conversation (its earlier turns, and all its turns): ~1,000 recent conversations.
WALK_MEMO_SIZE = 2_000


@dataclass(frozen=True)
class _Tally:
    """One turn's evidence and scores, before the decision."""

    explicit: EvidenceSignal | None
    policy: str
    withdraw: str
    offered: bool
    factor: float
    offer_at: float
    handoff_at: float
    frustration: float
    unresolved: float
    signals: tuple[EvidenceSignal, ...]

    @property
    def score(self) -> float:
        return self.frustration + self.unresolved


class EscalationDecider:
    """Create once (config + frustration scorer), call per turn."""

    def __init__(
        self, config: DecisionConfig, scorer: FrustrationScorer, memo_size: int = WALK_MEMO_SIZE
    ) -> None:
        self.config = config
        self.scorer = scorer
        # The state after walking a window's turns but the last (see the module docstring);
        # a remembered state is what walking the same turns again gives (pure).
        self._walked: BoundedMemo[WalkState] = BoundedMemo(memo_size)

    def decide(
        self, turns: Sequence[CustomerTurn], customer: CustomerContext | None = None
    ) -> Decision:
        """The decision on the last turn: the same as `replay(turns, customer)[-1]`."""
        if not turns:
            raise ValueError("a decision needs at least one customer turn")
        window = list(turns)[-self.config.limits.history_turns :]
        earlier = (customer, *(walk_key(turn) for turn in window[:-1]))
        known = self._walked.get(earlier)
        if known is None:
            known = WalkState()
            for position in range(len(window) - 1):
                self._step_at(known, window, position, customer)
            self._walked.put(earlier, known)
        state = known.copy()
        decision = self._step_at(state, window, len(window) - 1, customer)
        if len(window) < self.config.limits.history_turns:  # the next turn's earlier turns
            self._walked.put((*earlier, walk_key(window[-1])), state)
        return decision

    def replay(
        self, turns: Sequence[CustomerTurn], customer: CustomerContext | None = None
    ) -> list[Decision]:
        window = list(turns)[-self.config.limits.history_turns :]
        state = WalkState()
        return [self._step_at(state, window, position, customer) for position in range(len(window))]

    def _step_at(
        self,
        state: WalkState,
        window: Sequence[CustomerTurn],
        position: int,
        customer: CustomerContext | None,
    ) -> Decision:
        previous = window[position - 1] if position else None
        transcript = scorer_transcript(window[: position + 1])
        return self._step(state, window[position], previous, transcript, customer)

    # -- one turn ----------------------------------------------------------------------------

    def _step(
        self,
        state: WalkState,
        turn: CustomerTurn,
        previous: CustomerTurn | None,
        transcript: list[Turn],
        customer: CustomerContext | None,
    ) -> Decision:
        """Carry the turn's evidence into the state, then decide: the customer's own words
        first (withdraw, ask for a person, a policy phrase, answer an offer), then the score."""
        tally = self._tally(state, turn, previous, transcript, customer)
        action, reason, note, evidence = self._choose(state, turn, tally, customer)
        return Decision(
            turn=turn.number,
            action=action,  # type: ignore[arg-type]
            reason=reason,
            score=round(tally.score, 4),
            offer_at=round(tally.offer_at, 4),
            handoff_at=round(tally.handoff_at, 4),
            signals=(*evidence, *tally.signals),
            customer=customer,
            note=note,
            frustration=round(tally.frustration, 4),
            unresolved=round(tally.unresolved, 4),
        )

    def _tally(
        self,
        state: WalkState,
        turn: CustomerTurn,
        previous: CustomerTurn | None,
        transcript: list[Turn],
        customer: CustomerContext | None,
    ) -> _Tally:
        config = self.config
        state.frustration = [
            (share * config.frustration_decay, s) for share, s in state.frustration
        ]
        scored = self.scorer.detect(transcript) if typed(turn) else []
        mood = [s for s in scored if s.name in config.frustration_signals]
        if turn.intent in RESOLVING_INTENTS and sum(s.contribution for s in mood) <= 0:
            self._resolve(state)  # "thanks" - but not "great, thanks for nothing"
        else:
            state.turns_unresolved += 1
        self._add_unresolved(state, turn)
        self._add_frustration(state, turn, mood)
        factor = self._threshold_factor(customer)
        frustration = max(0.0, sum(share * s.contribution for share, s in state.frustration))
        lingering = self._unresolved_turns(state, turn)
        unresolved = sum(s.contribution for s in [*state.unresolved, *lingering])
        return _Tally(
            explicit=self._explicit_request(turn, scored),
            policy=matches(config.policy_phrases, turn.text),
            withdraw=matches(config.withdraw_phrases, turn.text),
            offered=previous is not None and OFFER_ACTION in previous.bot_actions,
            factor=factor,
            offer_at=config.offer_at * factor,
            handoff_at=config.handoff_at * factor,
            frustration=frustration,
            unresolved=unresolved,
            signals=(
                *[scaled(share, s) for share, s in state.frustration],
                *state.unresolved,
                *lingering,
            ),
        )

    def _choose(
        self, state: WalkState, turn: CustomerTurn, tally: _Tally, customer: CustomerContext | None
    ) -> tuple[str, Reason | None, str, tuple[EvidenceSignal, ...]]:
        """(action, reason, note, evidence to put first) for this turn; updates the state."""
        if tally.withdraw and not tally.explicit and state.handoff_turn is not None:
            note = f"the customer withdrew the request for a person (turn {state.handoff_turn})"
            state.handoff_turn = None
            return "continue", None, note, ()
        if tally.explicit:
            state.handoff_turn = turn.number
            return "handoff", "explicit_request", "", (tally.explicit,)
        if tally.policy:
            state.handoff_turn = turn.number
            phrase = EvidenceSignal("policy_phrase", "policy", 1.0, 1.0, turn.number, tally.policy)
            return "handoff", "policy", "", (phrase,)
        if turn.outcome == NEEDS_APPROVAL and turn.bot_actions:  # e.g. a refund above the limit
            state.handoff_turn = turn.number
            why = EvidenceSignal(NEEDS_APPROVAL, "policy", 1.0, 1.0, turn.number, APPROVAL)
            return "handoff", "policy", "", (why,)
        if tally.offered and turn.intent in ACCEPT_INTENTS:
            state.handoff_turn = turn.number
            accepted: Reason = state.last_offer_reason or "unresolved"
            return "handoff", accepted, f"accepted the offer of turn {turn.number - 1}", ()
        if tally.offered and (turn.intent in DECLINE_INTENTS or tally.withdraw):
            state.declined_score = state.last_offer_score or tally.score
            return "continue", None, f"declined the offer of turn {turn.number - 1}", ()
        if not turn.bot_actions:
            return "continue", None, "", ()
        score = tally.score
        action, note = self._by_score(state, turn, score, tally.offer_at, tally.handoff_at)
        reason: Reason | None = None
        if action != "continue":
            base = self.config.handoff_at if action == "handoff" else self.config.offer_at
            reason = "policy" if score < base else self._larger(tally.frustration, tally.unresolved)
            if customer and reason == "policy":
                note = f"{customer.tier or 'earlier escalations'}: thresholds x {tally.factor:.2f}"
        if action == "offer":
            state.last_offer_score, state.last_offer_reason = score, reason
        elif action == "handoff":
            state.handoff_turn = turn.number
        return action, reason, note, ()

    def _by_score(
        self, state: WalkState, turn: CustomerTurn, score: float, offer_at: float, handoff_at: float
    ) -> tuple[str, str]:
        action = "handoff" if score >= handoff_at else "offer" if score >= offer_at else "continue"
        if action == "continue":
            return action, ""
        if state.handoff_turn is not None:
            return "continue", f"already handed off at turn {state.handoff_turn}"
        if turn.outcome == "answered" or (
            turn.outcome == "tentative" and not _asked_again(state, turn)
        ):
            return "continue", "answered this turn: the customer's verdict comes first"
        margin = self.config.re_offer_margin
        if state.declined_score is not None:
            if score < state.declined_score + margin:
                return "continue", "a person was declined; not worse enough to ask again"
            return "offer", "worse since the customer declined: asking again, not handing off"
        last_offer = state.last_offer_score
        if action == "offer" and last_offer is not None and score < last_offer + margin:
            return "continue", "a person was already offered"
        return action, ""

    # -- evidence ----------------------------------------------------------------------------

    def _explicit_request(self, turn: CustomerTurn, scored: list) -> EvidenceSignal | None:
        limits = self.config.limits
        if turn.intent == REQUEST_INTENT and turn.confidence >= limits.request_min_confidence:
            evidence = f"intent {REQUEST_INTENT} ({turn.confidence:.2f})"
            return EvidenceSignal("person_request", "request", 1.0, 1.0, turn.number, evidence)
        if turn.intent in QUESTION_ABOUT_THE_BOT:
            return None  # "are you an actual human?" asks about the bot, not for a person
        for signal in scored:
            if signal.name == "person_request":
                return EvidenceSignal(
                    "person_request", "request", 1.0, 1.0, turn.number, signal.evidence
                )
        return None

    def _resolve(self, state: WalkState) -> None:
        keeps = self.config.resolution_keeps
        state.frustration = [(share * keeps, s) for share, s in state.frustration]
        state.unresolved.clear()
        state.open_questions.clear()
        state.turns_unresolved = 0

    def _add_frustration(self, state: WalkState, turn: CustomerTurn, mood: list) -> None:
        weight = self.config.weights.frustration
        total = sum(s.contribution for s in mood)
        if total <= 0:
            return  # a calm or polite turn adds nothing (politeness cannot go below zero)
        for s in mood:
            signal = EvidenceSignal(
                s.name, "frustration", s.weight * weight, s.strength, turn.number, s.evidence
            )
            state.frustration.append((1.0, signal))

    def _add_unresolved(self, state: WalkState, turn: CustomerTurn) -> None:
        weights, limits = self.config.weights, self.config.limits
        found: list[EvidenceSignal] = []

        def add(name: str, weight: float, strength: float, evidence: str) -> None:
            if weight == 0:  # a signal switched off in escalation.yml is no evidence
                return
            found.append(
                EvidenceSignal(name, "unresolved", weight, strength, turn.number, evidence)
            )

        fallback = (
            turn.intent == FALLBACK_INTENT or turn.confidence <= limits.fallback_max_confidence
        )
        # A fallback the knowledge base then missed is one failure, counted as the miss.
        tried = turn.outcome in MISS_OUTCOMES | {"unavailable", "tentative"}
        if fallback and not tried and turn.intent not in ACCEPT_INTENTS | DECLINE_INTENTS:
            add("nlu_fallback", weights.nlu_fallback, 1.0, f"understood with {turn.confidence:.2f}")
        if turn.intent == NOT_HELPFUL_INTENT:
            answered = state.last_answered
            about = f"the answer to turn {answered.number}" if answered else "the last answer"
            add("not_helpful", weights.not_helpful, 1.0, about)
            if answered is not None:
                state.open_questions.append(answered)
        rephrased = self._rephrase(state, turn)
        # An unanswered question asked again and declined as out of scope ("that's outside what
        # I can help with") is still unanswered: as much a failure as a miss. A first
        # out-of-scope message ("tell me a joke") is not.
        declined = rephrased is not None and turn.intent == OUT_OF_SCOPE_INTENT and not tried
        if rephrased is not None:
            earlier, score = rephrased
            evidence = f"asks turn {earlier.number}'s unanswered question again ({score:.2f})"
            add("rephrase", weights.rephrase, score, evidence)
            if declined:
                evidence = f"turn {earlier.number}'s question asked again, declined as out of scope"
                add("declined", weights.declined, 1.0, evidence)
        if turn.outcome == "miss":
            add("kb_miss", weights.kb_miss, 1.0, f"no answer for {quote(turn.text)}")
        elif turn.outcome == "tentative":
            evidence = f'only a "did you mean" for {quote(turn.text)}'
            add("kb_miss", weights.kb_miss, 1.0, evidence)
        elif turn.outcome == "follow_up_miss":
            evidence = f"no answer for the follow-up {quote(turn.text)}"
            add("follow_up_miss", weights.follow_up_miss, 1.0, evidence)
        elif turn.outcome == "unavailable":
            add("service_unavailable", weights.service_unavailable, 1.0, "help articles down")
        # The bot repeating itself: the same answer again. A repeated "I couldn't find that" is
        # the miss itself, already counted.
        repeated = None if found else self._bot_repeat(state, turn)
        if repeated is not None:
            add("bot_repeat", weights.bot_repeat, 1.0, f"same reply as turn {repeated}")
        state.unresolved.extend(found)
        if tried or fallback or declined:
            state.open_questions.append(turn)
        if turn.outcome in ANSWER_OUTCOMES:
            state.last_answered = turn
        if turn.outcome == "answered":  # a tentative answer resolves nothing until confirmed
            state.turns_unresolved = 0
        for text in turn.bot_texts:
            state.bot_texts.append((turn.number, text))

    def _rephrase(self, state: WalkState, turn: CustomerTurn) -> tuple[CustomerTurn, float] | None:
        limits = self.config.limits
        best: tuple[CustomerTurn, float] | None = None
        for earlier in state.open_questions:
            if turn.vector is not None and earlier.vector is not None:
                score, floor = cosine(turn.vector, earlier.vector), limits.rephrase_min_similarity
            else:
                score = similarity(content_words(turn.text), content_words(earlier.text))
                floor = limits.rephrase_min_word_overlap
            if score >= floor and (best is None or score > best[1]):
                best = (earlier, min(1.0, score))
        return best

    def _bot_repeat(self, state: WalkState, turn: CustomerTurn) -> int | None:
        floor = self.scorer.config.limits.bot_repeat_min_similarity
        for text in turn.bot_texts:
            words = content_words(text)
            if len(words) < MIN_REPEAT_WORDS:
                continue
            for number, earlier in state.bot_texts:
                if similarity(words, content_words(earlier)) >= floor:
                    return number
        return None

    def _unresolved_turns(self, state: WalkState, turn: CustomerTurn) -> list[EvidenceSignal]:
        beyond = state.turns_unresolved - self.config.limits.unresolved_turns_min + 1
        if beyond <= 0:
            return []
        evidence = f"{state.turns_unresolved} turns without a resolution"
        weight = self.config.weights.unresolved_turns
        return [
            EvidenceSignal("unresolved_turns", "unresolved", weight, beyond, turn.number, evidence)
        ]

    def _threshold_factor(self, customer: CustomerContext | None) -> float:
        if customer is None:
            return 1.0
        config = self.config
        factor = config.tier_factors.get((customer.tier or "").lower(), 1.0)
        factor *= config.prior_escalation_factor ** max(0, customer.prior_escalations)
        return max(config.min_threshold_factor, factor)

    @staticmethod
    def _larger(frustration: float, unresolved: float) -> Reason:
        return "frustration" if frustration >= unresolved else "unresolved"


def _asked_again(state: WalkState, turn: CustomerTurn) -> bool:
    """Whether this turn asks an earlier unanswered question again (a rephrase signal)."""
    return any(s.name == "rephrase" and s.turn == turn.number for s in state.unresolved)
