"""The ten-second summary on top of a ticket, in plain words, like a colleague's note:

    Wants: a refund - "I was charged twice for hl 482913" (turn 2); order HL-482913, 49.99 USD
    Tried: 1 answer did not help ("When will I get my refund?"); 1 question without a confident
           answer (turn 4)
    Why: the assistant could not resolve it
    - the help centre had no answer for 2 questions (turns 3, 4)
    - asked the same thing again (turn 4)

"Wants" is the customer's first substantive message in their own words (already masked), with
a category only when a confident intent names one in plain words; never an intent name. A
customer who asked for a person before saying anything else is said to have done so, so the
agent knows to ask. "Why" is handoff/ticket/why_escalated.py: the reason, then only the signals that
carried the decision, one "- " line each (older tickets have a single "Why:" line).

No model, no I/O: the customer's own words, the articles shown with their feedback, and the
escalation decision record (read defensively: it is another module's data and may be absent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from handoff.detection.frustration import content_words
from handoff.ticket.model import ArticleShown, ContextItem, CustomerTurn
from handoff.ticket.why_escalated import WhyEscalated, why_escalated

SOCIAL_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "feedback_helpful",
        "feedback_not_helpful",
    }
)
"""Intents that say nothing about what the customer came for: greetings, thanks, yes and no,
feedback on an answer (an outcome record's topic is never one of them, outcomes/classify.py)."""
SMALL_TALK_INTENTS = SOCIAL_INTENTS | {"request_human", "express_frustration"}
"""...and asking for a person or venting: no need an agent could act on either."""
# Intents that name a need in plain words; any other intent (a fallback, a question, a new
# one) adds nothing an agent can use: the customer's own words say it.
NEEDS = {
    "refund_request": "a refund",
    "order_status": "news of an order",
    "report_problem": "help with a problem",
}
# Words that carry no need: "hi", "help", "I have a question", "agent please".
NO_NEED_TEXT = """
hiya greetings morning afternoon evening good there thanks thank help helping question
questions problem problems issue issues query something need want like would let get give
find talk speak chat connect transfer put escalate real live actual human person people
agent agents manager supervisor representative rep someone somebody anyone operator staff
employee now asap urgent quick quickly right away straight bot please pls thx ty
"""
NO_NEED_WORDS = frozenset(NO_NEED_TEXT.split())
EMAIL = re.compile(r"\S+@\S+")  # "agent please, jane@example.com" says nothing of the need
SUBSTANCE_WORDS = 3  # a small-talk turn ("hi, my hub blinks amber") still says what they need
PERSON_REQUEST = re.compile(
    r"\b(?:person|human|agent|someone|somebody|representative|manager|supervisor)\b", re.I
)
CONFIDENT = 0.5  # a category from an intent below this confidence is a guess: left out
QUOTE_LENGTH = 70


def summarise(
    turns: Sequence[CustomerTurn],
    articles: Sequence[ArticleShown],
    context: Sequence[ContextItem],
    decision: Mapping[str, Any] | None,
    order_actions: object = None,
) -> str:
    """What the customer wants, what was tried (articles, and the assistant's actions on
    orders: the `order_actions` slot), why it escalated (a head line, then one "- " line per
    signal that carried the decision)."""
    why = why_it_escalated(turns, decision)
    tried = tried_line(articles, order_actions)
    return "\n".join((wants_line(turns, context), tried, *why.lines()))


def why_it_escalated(
    turns: Sequence[CustomerTurn], decision: Mapping[str, Any] | None
) -> WhyEscalated:
    """The decision record's reason and deciding signals; without a record, the turn where
    the customer asked for a person (if they did)."""
    asked = [turn.turn for turn in turns if _asks_for_person(turn)]
    return why_escalated(decision, asked[0] if asked else None)


def wants_line(turns: Sequence[CustomerTurn], context: Sequence[ContextItem]) -> str:
    """The customer's need in their own words (masked), never an intent name."""
    need = customer_need(turns)
    details = _key_details(context)
    if need is not None:
        confident = need.confidence is None or need.confidence >= CONFIDENT
        topic = NEEDS.get(need.intent or "") if confident else None
        quote = f'"{_shorten(need.text, QUOTE_LENGTH)}" (turn {need.turn})'
        line = f"Wants: {topic} - {quote}" if topic else f"Wants: {quote}"
    elif not _typed(turns):
        line = "Wants: not known yet - the customer has written nothing"
    else:
        # Nothing substantive before it: the request for a person came straight away.
        asked = next((turn.turn for turn in _typed(turns) if _asks_for_person(turn)), None)
        asked_first = f"asked for a person straight away (turn {asked}); " if asked else ""
        line = f"Wants: {asked_first}hasn't said what it's about yet"
    return f"{line}; {details}" if details else line


def customer_need(turns: Sequence[CustomerTurn]) -> CustomerTurn | None:
    """The customer's first substantive message: typed (no payload like "/greet", no pressed
    button), and more than a greeting, "help" or a bare request for a person."""
    for turn in _typed(turns):
        words = content_words(EMAIL.sub(" ", turn.text)) - NO_NEED_WORDS
        if len(words) >= (SUBSTANCE_WORDS if turn.intent in SMALL_TALK_INTENTS else 1):
            return turn
    return None


def first_request(turns: Sequence[CustomerTurn]) -> CustomerTurn | None:
    """The first turn that asks for something: not small talk, not a pressed button (for
    routing and incidents; the summary's "Wants" reads `customer_need`)."""
    typed = [turn for turn in turns if turn.text.strip() and not turn.text.startswith("/")]
    for turn in typed:
        if turn.intent not in SMALL_TALK_INTENTS and turn.button is None:
            return turn
    return typed[0] if typed else None


def tried_line(articles: Sequence[ArticleShown], order_actions: object = None) -> str:
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
    found = [part for part in parts if part] + actions_done(order_actions)
    return "Tried: " + ("; ".join(found) if found else "no help-centre article was shown")


ACTION_RESULTS = {
    "done": "done",
    "issued": "issued",
    "needs_approval": "needs a supervisor's approval",
    "refused": "refused",
    "unavailable": "not done: the order service was unavailable",
}


def actions_done(records: object) -> list[str]:
    """ "refund of $89.99 on HL-100152 issued (turn 5)": each action on an order the assistant
    recorded (actions/orders.py), malformed records skipped."""
    said = []
    for record in records if isinstance(records, list) else ():
        if not isinstance(record, Mapping) or record.get("result") not in ACTION_RESULTS:
            continue
        cents, currency = record.get("amount_cents"), record.get("currency") or "USD"
        amount = ""
        if isinstance(cents, int) and not isinstance(cents, bool):
            value = f"{cents // 100:,}.{cents % 100:02d}"
            amount = f" of ${value}" if currency == "USD" else f" of {value} {currency}"
        what = {"cancel": "cancellation", "return": "return"}.get(str(record.get("action")))
        turn = record.get("turn")
        at = f" (turn {turn})" if isinstance(turn, int) and not isinstance(turn, bool) else ""
        said.append(
            f"{what or 'refund'}{amount} on {record.get('order_number')} "
            f"{ACTION_RESULTS[record['result']]}{at}"
        )
    return said


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
    titles = ", ".join(
        f'"{_shorten(article.title, QUOTE_LENGTH)}"' for article in chosen[:2] if article.title
    )
    more = ", ..." if len(chosen) > 2 else ""
    count = f"{len(chosen)} {one if len(chosen) == 1 else several}"
    return f"{count} ({titles}{more})" if titles else count


def _turns(articles: Sequence[ArticleShown]) -> str:
    turns = sorted({article.turn for article in articles if article.turn is not None})
    if not turns:
        return ""
    return f" (turn {turns[0]})" if len(turns) == 1 else f" (turns {_list(turns)})"


def _typed(turns: Sequence[CustomerTurn]) -> list[CustomerTurn]:
    """What the customer typed: no payload ("/greet"), no pressed button, nothing empty."""
    return [
        turn
        for turn in turns
        if turn.text.strip() and not turn.text.startswith("/") and turn.button is None
    ]


def _asks_for_person(turn: CustomerTurn) -> bool:
    return turn.intent == "request_human" or bool(PERSON_REQUEST.search(turn.text))


def _list(numbers: Sequence[int]) -> str:
    return ", ".join(map(str, numbers))


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
