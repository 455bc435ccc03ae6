"""Why a conversation was handed to a person, as an agent reads it: one head line and the few
signals that carried the decision, in plain words.

    asked for a person at turn 3
    the assistant could not resolve it
      - the help centre had no answer for 2 questions (turns 2, 3)
      - asked the same thing again (turn 3)

The decision record (handoff/detection/decision_record.py) keeps every signal, down to a +0.03 trace
of a mood three turns ago; an agent needs only the ones that mattered. A signal group (same-name
signals added up) *carried* the decision when it is among the strongest whose sum reached the
threshold that applied, and on its own is at least `MATERIAL_SHARE` of that threshold.
An explicit request for a person or a safety/legal phrase decides alone: it is the head, and
other signals are listed only when they had already earned an offer of a person by themselves.

Pure, Python 3.10 compatible, standard library only: the record is another module's data
(possibly from another version) and is read defensively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MATERIAL_SHARE = 0.1  # of the threshold: below it a signal is a trace, not a reason
MOST_REASONS = 4
QUOTE_LENGTH = 40
REASONS = {
    "frustration": "the customer is frustrated",
    "unresolved": "the assistant could not resolve it",
}
# The signal that is the reason itself, named once in the head.
REASON_SIGNALS = {"explicit_request": "person_request", "policy": "policy_phrase"}
# Signal name -> (one, several, quotes): "several" takes the count, None when the phrase does
# not; "quotes" when the evidence is the customer's own words ("'useless', 'still no'").
SIGNALS: dict[str, tuple[str, str | None, bool]] = {
    "person_request": ("asked for a person", None, False),
    "policy_phrase": ("raised a safety, legal or security matter", None, True),
    "needs_approval": ("an action on the order needs a supervisor's approval", None, False),
    "kb_miss": (
        "the help centre had no answer for the question",
        "the help centre had no answer for {n} questions",
        False,
    ),
    "follow_up_miss": (
        "a follow-up question to an answer found nothing",
        "{n} follow-up questions to answers found nothing",
        False,
    ),
    "not_helpful": ("said an answer did not help", "said {n} answers did not help", False),
    "rephrase": ("asked the same thing again", None, False),
    "declined": (
        "asked again and was told it is outside what the assistant covers",
        None,
        False,
    ),
    "customer_repeat": ("repeated themselves", None, False),
    "nlu_fallback": (
        "the assistant did not understand the message",
        "the assistant did not understand {n} messages",
        False,
    ),
    "service_unavailable": ("the help articles could not be reached", None, False),
    "bot_repeat": ("the assistant repeated itself", None, False),
    "bot_failure": ("the assistant said it could not help", None, False),
    "unresolved_streak": ("several replies in a row did not resolve it", None, False),
    "unresolved_turns": ("still unresolved after many turns", None, False),
    "negative_sentiment": ("sounded upset", None, False),
    "sentiment_trend": ("mood getting worse", None, False),
    "frustration_phrase": ("frustrated wording", None, True),
    "profanity": ("swore", None, False),
    "shouting": ("wrote in capitals", None, True),
    "emphatic_punctuation": ("emphatic punctuation", None, True),
    "sarcasm": ("sarcasm", None, True),
    "customer_correction": ("corrected the assistant", None, True),
    "customer_doubt": ("doubted an answer", None, True),
    "customer_pushback": ("pushed back", None, True),
}
ACCEPTED_OFFER = re.compile(r"^accepted the offer of turn (\d+)$")
UNRESOLVED_TURNS = re.compile(r"^(\d+) turns without a resolution$")


@dataclass(frozen=True)
class SignalGroup:
    """Same-name signals of a decision record, added up: their turns and the customer's words."""

    name: str
    contribution: float
    turns: tuple[int, ...]
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class WhyEscalated:
    """`head`: the decision in a few words; `reasons`: the signals that carried it."""

    head: str
    reasons: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """'Why: <head>' then one '- <reason>' line per reason (the summary's text form);
        each on one line, whatever the record held, so readers can split the text by lines."""
        return [f"Why: {_flat(self.head)}", *(f"- {_flat(reason)}" for reason in self.reasons)]


def why_escalated(decision: Mapping[str, Any] | None, asked_at: int | None) -> WhyEscalated:
    """The head and the deciding signals of a decision record. Without a record,
    `asked_at` (the turn where the customer asked for a person, if any) tells why."""
    if not isinstance(decision, Mapping):
        if asked_at is not None:
            return WhyEscalated(f"asked for a person at turn {asked_at} (no decision record)")
        return WhyEscalated("no decision record (handed over by hand or by a rule)")
    reason = decision.get("reason")
    signals = decision.get("signals")
    own_name = REASON_SIGNALS.get(str(reason))
    own = next(iter(signal_groups(signals, 0.0, only=own_name)), None) if own_name else None
    head = _head(decision, reason, own)
    if not isinstance(reason, str) or not reason:
        return WhyEscalated(head)  # no escalation was decided: nothing carried one
    threshold = _threshold(decision)
    if reason in REASON_SIGNALS:
        # The request or phrase decided alone; the rest only when it had earned an offer.
        offer_at, score = _number(decision.get("offer_at")), _number(decision.get("score"))
        if offer_at is None or score is None or score < offer_at:
            return WhyEscalated(head)
        threshold = offer_at
    if threshold is None or threshold <= 0:  # a record without thresholds: all that counted
        threshold = sum(g.contribution for g in signal_groups(signals, 0.0)) or 1.0
    floor = MATERIAL_SHARE * threshold
    others = [g for g in signal_groups(signals, floor) if g.name != own_name]
    carried = deciding_signals(others, threshold)
    return WhyEscalated(head, tuple(phrase(group) for group in carried))


def deciding_signals(groups: Sequence[SignalGroup], threshold: float) -> list[SignalGroup]:
    """The strongest groups until their sum reaches the threshold, none below
    MATERIAL_SHARE of it, at most MOST_REASONS."""
    carried: list[SignalGroup] = []
    total = 0.0
    for group in sorted(groups, key=lambda g: -g.contribution):
        if group.contribution < MATERIAL_SHARE * threshold or len(carried) == MOST_REASONS:
            break
        carried.append(group)
        total += group.contribution
        if total >= threshold:
            break
    return carried


def signal_groups(signals: object, floor: float, only: str | None = None) -> list[SignalGroup]:
    """The record's signals of at least `floor` (a trace of an earlier mood is no reason),
    grouped by name, strongest first. Politeness and the like (negative) calm things down:
    they are never a reason to escalate."""
    found: dict[str, list[tuple[float, int | None, str]]] = {}
    for signal in signals if isinstance(signals, list) else []:
        if not isinstance(signal, Mapping) or not isinstance(signal.get("name"), str):
            continue
        if only is not None and signal["name"] != only:
            continue
        contribution = _contribution(signal)
        if contribution <= 0 or contribution < floor:
            continue
        turn, said = signal.get("turn"), signal.get("evidence")
        number = turn if isinstance(turn, int) and not isinstance(turn, bool) else None
        found.setdefault(signal["name"], []).append(
            (contribution, number, said if isinstance(said, str) else "")
        )
    groups = []
    for name, items in found.items():
        in_order = sorted(items, key=lambda item: item[1] or 0)
        turns = tuple(dict.fromkeys(turn for _, turn, _ in in_order if turn is not None))
        evidence = tuple(dict.fromkeys(said for _, _, said in in_order if said))
        groups.append(SignalGroup(name, sum(item[0] for item in items), turns, evidence))
    return sorted(groups, key=lambda g: -g.contribution)


def phrase(group: SignalGroup) -> str:
    """'the help centre had no answer for 2 questions (turns 2, 3)', "frustrated wording:
    'useless' (turn 4)"; an unknown signal (a newer version's) reads as its words."""
    one, several, quotes = SIGNALS.get(group.name, (group.name.replace("_", " "), None, False))
    text = several.format(n=len(group.turns)) if several and len(group.turns) > 1 else one
    if group.name == "unresolved_turns":
        counts = [int(m.group(1)) for e in group.evidence if (m := UNRESOLVED_TURNS.match(e))]
        text = f"still unresolved after {max(counts)} turns" if counts else text
    if quotes and group.evidence:
        text += ": " + _shorten(", ".join(group.evidence), QUOTE_LENGTH)
    if not group.turns:
        return text
    label = "turn" if len(group.turns) == 1 else "turns"
    return f"{text} ({label} {', '.join(map(str, group.turns))})"


def _head(decision: Mapping[str, Any], reason: object, own: SignalGroup | None) -> str:
    turn = decision.get("turn")
    at = f" at turn {turn}" if isinstance(turn, int) and not isinstance(turn, bool) else ""
    if reason == "explicit_request":
        asked = own.turns[-1] if own and own.turns else None
        return f"asked for a person at turn {asked}" if asked else f"asked for a person{at}"
    if reason == "policy" and own is not None:
        when = f" at turn {own.turns[-1]}" if own.turns else at
        if not own.evidence:
            return f"raised a safety, legal or security matter{when}"
        said = _shorten(", ".join(own.evidence), QUOTE_LENGTH)
        return f"mentioned {said}{when}: safety, legal and security matters always go to a person"
    if reason == "policy" and signal_groups(decision.get("signals"), 0.0, "needs_approval"):
        head = f"asked for what the assistant may not do alone{at}: a supervisor decides"
    elif reason == "policy":
        head = _sooner(decision.get("customer"))
    elif isinstance(reason, str) and reason:
        head = REASONS.get(reason, reason.replace("_", " "))
    else:
        head = "no escalation reason recorded"
    note = decision.get("note")
    accepted = ACCEPTED_OFFER.match(note) if isinstance(note, str) else None
    if accepted:
        head += f"; accepted the offer of a person{at}"
    return head


def _sooner(customer: object) -> str:
    """Reason "policy" without a phrase: the verified customer's tier or history lowered the
    thresholds."""
    tier = customer.get("tier") if isinstance(customer, Mapping) else None
    if isinstance(tier, str) and tier:
        return f"handed over sooner for a {tier.upper() if tier == 'vip' else tier} customer"
    return "handed over sooner: the customer needed a person before"


def _threshold(decision: Mapping[str, Any]) -> float | None:
    """The threshold the score crossed: hand off, else offer (an accepted offer)."""
    score = _number(decision.get("score"))
    handoff_at, offer_at = _number(decision.get("handoff_at")), _number(decision.get("offer_at"))
    if score is not None and handoff_at is not None and score < handoff_at and offer_at:
        return offer_at
    return handoff_at


def _contribution(signal: Mapping[str, Any]) -> float:
    given = _number(signal.get("contribution"))
    if given is not None:
        return given
    weight, strength = _number(signal.get("weight")), _number(signal.get("strength"))
    return weight * strength if weight is not None and strength is not None else 0.0


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _flat(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    flat = _flat(text)
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
