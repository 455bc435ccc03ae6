"""The ten-second summary on top of a ticket: three plain lines built from the conversation.

    Wants: a refund - "I was charged twice for hl 482913" (turn 2); order HL-482913, 49.99 USD
    Tried: 1 answer did not help ("When will I get my refund?"); 1 question without a confident
           answer (turn 4)
    Why: unresolved, score 2.35 (hands off at 2.00) - 2 knowledge-base misses (turns 3, 4),
         customer rephrased at turn 4

No model, no I/O: the customer's own words, the articles shown with their feedback, and the
escalation decision record (read defensively: it is another module's data and may be absent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from handoff.ticket import ArticleShown, ContextItem, CustomerTurn

SMALL_TALK_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "feedback_helpful",
        "feedback_not_helpful",
        "request_human",
        "express_frustration",
    }
)
TOPICS = {
    "ask_question": "an answer",
    "report_problem": "help with a problem",
    "refund_request": "a refund",
    "order_status": "news of an order",
    "request_human": "a person",
    "out_of_scope": "something the help centre does not cover",
}
REASONS = {
    "explicit_request": "asked for a person",
    "frustration": "frustration",
    "unresolved": "unresolved",
    "policy": "policy",
}
# The signal that is the reason itself, said once in the head of the line.
REASON_SIGNALS = {"explicit_request": "person_request", "policy": "policy_phrase"}
# Signal name -> (one, several); several None: a phrase that does not take a count.
SIGNALS: dict[str, tuple[str, str | None]] = {
    "person_request": ("asked for a person", None),
    "policy_phrase": ("raised a policy matter", None),
    "kb_miss": ("knowledge-base miss", "knowledge-base misses"),
    "not_helpful": ("answer marked not helpful", "answers marked not helpful"),
    "rephrase": ("customer rephrased", None),
    "declined": ("question declined as out of scope", "questions declined as out of scope"),
    "customer_repeat": ("customer repeated themselves", None),
    "nlu_fallback": ("message not understood", "messages not understood"),
    "service_unavailable": ("help articles unavailable", None),
    "bot_repeat": ("bot repeated itself", None),
    "bot_failure": ("bot said it could not help", None),
    "unresolved_streak": ("unresolved turns in a row", None),
    "negative_sentiment": ("negative tone", None),
    "sentiment_trend": ("mood getting worse", None),
    "frustration_phrase": ("frustrated wording", None),
    "profanity": ("profanity", None),
    "shouting": ("shouting", None),
    "emphatic_punctuation": ("emphatic punctuation", None),
    "sarcasm": ("sarcasm", None),
    "customer_correction": ("corrected the bot", None),
    "customer_doubt": ("doubted an answer", None),
    "customer_pushback": ("pushed back", None),
}
PERSON_REQUEST = re.compile(
    r"\b(?:person|human|agent|someone|somebody|representative|manager|supervisor)\b", re.I
)
QUOTE_LENGTH = 70
TOP_SIGNALS = 3


def summarise(
    turns: Sequence[CustomerTurn],
    articles: Sequence[ArticleShown],
    context: Sequence[ContextItem],
    decision: Mapping[str, Any] | None,
) -> str:
    """Three lines: what the customer wants, what was tried, why it escalated."""
    return "\n".join((wants_line(turns, context), tried_line(articles), why_line(decision, turns)))


def wants_line(turns: Sequence[CustomerTurn], context: Sequence[ContextItem]) -> str:
    request = first_request(turns)
    if request is None:
        return "Wants: unknown - the customer wrote nothing yet"
    topic = TOPICS.get(request.intent or "", _words(request.intent) or "help")
    details = _key_details(context)
    line = f'Wants: {topic} - "{_shorten(request.text, QUOTE_LENGTH)}" (turn {request.turn})'
    return f"{line}; {details}" if details else line


def first_request(turns: Sequence[CustomerTurn]) -> CustomerTurn | None:
    """The first turn that asks for something: not small talk, not a pressed button."""
    typed = [turn for turn in turns if turn.text.strip() and not turn.text.startswith("/")]
    for turn in typed:
        if turn.intent not in SMALL_TALK_INTENTS and turn.button is None:
            return turn
    return typed[0] if typed else None


def tried_line(articles: Sequence[ArticleShown]) -> str:
    answers = [article for article in articles if article.answered]
    misses = [article for article in articles if not article.answered]
    parts = [
        _titled(answers, "not_helpful", "answer did not help", "answers did not help"),
        _titled(answers, "helpful", "answer helped", "answers helped"),
        _titled(answers, "none", "answer got no feedback", "answers got no feedback"),
    ]
    if misses:
        noun = "question" if len(misses) == 1 else "questions"
        parts.append(f"{len(misses)} {noun} without a confident answer{_turns(misses)}")
    found = [part for part in parts if part]
    return "Tried: " + ("; ".join(found) if found else "no help-centre article was shown")


def why_line(decision: Mapping[str, Any] | None, turns: Sequence[CustomerTurn]) -> str:
    if not isinstance(decision, Mapping):
        asked = [turn.turn for turn in turns if _asks_for_person(turn)]
        if asked:
            return f"Why: asked for a person at turn {asked[0]} (no decision record)"
        return "Why: no decision record (handed over by hand or by a rule)"
    reason = decision.get("reason")
    head = REASONS.get(str(reason), _words(str(reason)) if reason else "no reason given")
    score, threshold = _number(decision.get("score")), _number(decision.get("handoff_at"))
    if reason in ("frustration", "unresolved") and score is not None and threshold is not None:
        head += f", score {score:.2f} (hands off at {threshold:.2f})"
    phrases = signal_phrases(decision.get("signals"))
    if reason in REASON_SIGNALS:  # "asked for a person at turn 3" says it all: not twice
        head = phrases.pop(REASON_SIGNALS[reason], head)
    evidence = list(phrases.values())[:TOP_SIGNALS]
    note = decision.get("note")
    if isinstance(note, str) and note:
        evidence.append(note)
    return f"Why: {head}" + (f" - {', '.join(evidence)}" if evidence else "")


def signal_phrases(signals: object) -> dict[str, str]:
    """Signal name -> phrase, strongest first, same-name ones grouped:
    {"kb_miss": "2 knowledge-base misses (turns 1, 2)", ...}."""
    groups: dict[str, tuple[float, list[int]]] = {}
    for signal in signals if isinstance(signals, list) else []:
        if not isinstance(signal, Mapping) or not isinstance(signal.get("name"), str):
            continue
        contribution = _contribution(signal)
        if contribution <= 0:
            continue  # politeness and the like calm things down; not a reason to escalate
        total, turns = groups.get(signal["name"], (0.0, []))
        turn = signal.get("turn")
        groups[signal["name"]] = (
            total + contribution,
            turns + ([turn] if isinstance(turn, int) and turn not in turns else []),
        )
    ranked = sorted(groups.items(), key=lambda item: -item[1][0])
    return {name: _signal_phrase(name, sorted(turns)) for name, (_, turns) in ranked}


def _signal_phrase(name: str, turns: list[int]) -> str:
    one, several = SIGNALS.get(name, (_words(name), None))
    if len(turns) > 1 and several:
        return f"{len(turns)} {several} (turns {_list(turns)})"
    if len(turns) > 1:
        return f"{one} (turns {_list(turns)})"
    return f"{one} at turn {turns[0]}" if turns else one


def _contribution(signal: Mapping[str, Any]) -> float:
    given = _number(signal.get("contribution"))
    if given is not None:
        return given
    weight, strength = _number(signal.get("weight")), _number(signal.get("strength"))
    return weight * strength if weight is not None and strength is not None else 0.0


def _key_details(context: Sequence[ContextItem]) -> str:
    firsts: dict[str, ContextItem] = {}
    for item in context:
        firsts.setdefault(item.kind, item)
    details = []
    for kind, label in (("order_number", "order"), ("amount", ""), ("date", ""), ("product", "")):
        first = firsts.get(kind)
        if first is not None:
            value = f"{first.value} {first.currency}" if first.currency else first.value
            details.append(f"{label} {value}".strip())
    return ", ".join(details)


def _titled(answers: Sequence[ArticleShown], feedback: str, one: str, several: str) -> str:
    chosen = [article for article in answers if article.feedback == feedback]
    if not chosen:
        return ""
    titles = ", ".join(f'"{article.title}"' for article in chosen[:2] if article.title)
    more = ", ..." if len(chosen) > 2 else ""
    count = f"{len(chosen)} {one if len(chosen) == 1 else several}"
    return f"{count} ({titles}{more})" if titles else count


def _turns(articles: Sequence[ArticleShown]) -> str:
    turns = sorted({article.turn for article in articles if article.turn is not None})
    if not turns:
        return ""
    return f" (turn {turns[0]})" if len(turns) == 1 else f" (turns {_list(turns)})"


def _asks_for_person(turn: CustomerTurn) -> bool:
    return turn.intent == "request_human" or bool(PERSON_REQUEST.search(turn.text))


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _words(name: str | None) -> str:
    return (name or "").replace("_", " ").strip()


def _list(numbers: Sequence[int]) -> str:
    return ", ".join(map(str, numbers))


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
