"""A review case: what the escalation decision saw in one conversation session, kept so a QA
verdict can be replayed against any policy long after the transcript itself is purged.

It holds the masked `CustomerTurn`s the `EscalationDecider` replays (text, intent, confidence,
the sentence vector in its compact form, the bot's actions, texts and outcome), the verified
customer's tier and earlier escalations (never their id), what the live policy decided on
each turn (`recorded`, from the `escalation_decision` slot events), and the knowledge-base
articles shown with the version the customer read (`articles_shown`, the ticket's
`ArticleShown`s: content hash and `updated`). No secret survives: every
text is masked again with handoff/privacy/redact.py when the case is built or read.

The JSON form (`to_json`/`from_json`) is versioned and validated: a stored case that does not read
back raises `CaseFormatError` saying what is wrong. Pure and standard library only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from handoff.detection.decision_record import CustomerTurn
from handoff.detection.vectors import decode_vector, encode_vector
from handoff.privacy.identity import CustomerContext
from handoff.privacy.redact import redact_text
from handoff.ticket.model import FEEDBACK_VALUES, ArticleShown

CASE_VERSION = 1
MAX_TURNS = 200
MAX_TEXT_CHARS = 4000
MAX_BOT_TEXTS = 20
ACTIONS = ("continue", "offer", "handoff")
VERIFIED_CUSTOMER = "verified-customer"
"""The id a case's customer gets back for the replay: the decision reads tier and escalations."""


class CaseFormatError(ValueError):
    """A case that cannot be built or read back; the message says what is wrong."""


@dataclass(frozen=True)
class CaseCustomer:
    """The verified customer's context as the decision uses it, without who they are."""

    tier: str | None = None
    prior_escalations: int = 0

    def context(self) -> CustomerContext:
        return CustomerContext(VERIFIED_CUSTOMER, self.tier, self.prior_escalations)


@dataclass(frozen=True)
class RecordedDecision:
    """What the live policy decided on one customer turn (its latest `escalation_decision`)."""

    turn: int
    action: str
    reason: str | None = None
    score: float = 0.0


@dataclass(frozen=True)
class ReviewCase:
    conversation_id: str
    session: str
    """The session's start (ISO 8601 UTC), as in the outcome record's key."""
    turns: tuple[CustomerTurn, ...]
    customer: CaseCustomer | None = None
    recorded: tuple[RecordedDecision, ...] = ()
    captured_at: str | None = None
    version: int = CASE_VERSION
    articles_shown: tuple[ArticleShown, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.conversation_id}:{self.session}"

    @property
    def first_escalation(self) -> RecordedDecision | None:
        """The live policy's first offer or handoff in the session, if any."""
        return next((d for d in self.recorded if d.action != "continue"), None)

    def customer_context(self) -> CustomerContext | None:
        return self.customer.context() if self.customer else None

    def turn_numbers(self) -> list[int]:
        return [turn.number for turn in self.turns]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "conversation_id": self.conversation_id,
            "session": self.session,
            "captured_at": self.captured_at,
            "customer": (
                {"tier": self.customer.tier, "prior_escalations": self.customer.prior_escalations}
                if self.customer
                else None
            ),
            "turns": [_turn_json(turn) for turn in self.turns],
            "recorded": [
                {"turn": d.turn, "action": d.action, "reason": d.reason, "score": d.score}
                for d in self.recorded
            ],
            "articles_shown": [asdict(article) for article in self.articles_shown],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ReviewCase:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise CaseFormatError(f"not JSON: {error}") from error
        return case_from_dict(data)


def masked_turn(turn: CustomerTurn) -> CustomerTurn:
    """The turn with its customer text and bot texts masked (idempotent)."""
    return CustomerTurn(
        number=turn.number,
        text=redact_text(turn.text),
        intent=turn.intent,
        confidence=turn.confidence,
        vector=turn.vector,
        bot_actions=turn.bot_actions,
        bot_texts=tuple(redact_text(text) for text in turn.bot_texts),
        outcome=turn.outcome,
    )


def build_case(
    conversation_id: str,
    session: str,
    turns: Sequence[CustomerTurn],
    customer: CaseCustomer | None = None,
    recorded: Sequence[RecordedDecision] = (),
    captured_at: str | None = None,
    articles_shown: Sequence[ArticleShown] = (),
) -> ReviewCase:
    """A case from turns already read (masked here), checked like a stored one."""
    case = ReviewCase(
        conversation_id=conversation_id,
        session=session,
        turns=tuple(masked_turn(turn) for turn in turns),
        customer=customer,
        recorded=tuple(recorded),
        captured_at=captured_at,
        articles_shown=tuple(articles_shown),
    )
    return case_from_dict(case.to_dict())  # one validation for both ways in


def case_from_dict(data: object) -> ReviewCase:
    if not isinstance(data, Mapping):
        raise CaseFormatError("a review case is a JSON object")
    problems: list[str] = []
    for name in ("conversation_id", "session"):
        if not isinstance(data.get(name), str) or not data[name]:
            problems.append(f"{name} must be non-empty text")
    if data.get("version", CASE_VERSION) != CASE_VERSION:
        problems.append(f"version must be {CASE_VERSION}")
    raw_turns = data.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns or len(raw_turns) > MAX_TURNS:
        problems.append(f"turns must be a list of 1-{MAX_TURNS} customer turns")
        raw_turns = []
    turns = [_turn(raw, index, problems) for index, raw in enumerate(raw_turns)]
    numbers = [turn.number for turn in turns if turn is not None]
    if numbers != sorted(set(numbers)):
        problems.append("turn numbers must increase")
    customer = _customer(data.get("customer"), problems)
    recorded = _recorded(data.get("recorded", []), problems)
    articles = _articles(data.get("articles_shown", []), problems)  # none in older cases
    captured_at = data.get("captured_at")
    if captured_at is not None and not isinstance(captured_at, str):
        problems.append("captured_at must be text or null")
    if problems:
        raise CaseFormatError("; ".join(problems))
    return ReviewCase(
        conversation_id=str(data["conversation_id"]),
        session=str(data["session"]),
        turns=tuple(turn for turn in turns if turn is not None),
        customer=customer,
        recorded=recorded,
        captured_at=captured_at,
        articles_shown=articles,
    )


def _turn_json(turn: CustomerTurn) -> dict[str, Any]:
    return {
        "number": turn.number,
        "text": turn.text,
        "intent": turn.intent,
        "confidence": round(turn.confidence, 4),
        "vector": encode_vector(turn.vector) if turn.vector is not None else None,
        "bot_actions": list(turn.bot_actions),
        "bot_texts": list(turn.bot_texts),
        "outcome": turn.outcome,
    }


def _turn(raw: object, index: int, problems: list[str]) -> CustomerTurn | None:
    where = f"turns[{index}]"
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be an object")
        return None
    number, text, confidence = raw.get("number"), raw.get("text"), raw.get("confidence", 1.0)
    found = len(problems)
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        problems.append(f"{where}.number must be a whole number from 1")
    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        problems.append(f"{where}.text must be text of at most {MAX_TEXT_CHARS} characters")
    if not _number(confidence) or not 0.0 <= float(confidence) <= 1.0:
        problems.append(f"{where}.confidence must be a number from 0 to 1")
    for name in ("intent", "outcome", "vector"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            problems.append(f"{where}.{name} must be text or null")
    actions, bot_texts = raw.get("bot_actions", []), raw.get("bot_texts", [])
    for name, values in (("bot_actions", actions), ("bot_texts", bot_texts)):
        if not _texts(values, MAX_BOT_TEXTS):
            problems.append(f"{where}.{name} must be a list of at most {MAX_BOT_TEXTS} texts")
    if len(problems) > found:
        return None
    return CustomerTurn(
        number=int(number),  # type: ignore[arg-type]
        text=redact_text(str(text)),
        intent=raw.get("intent"),
        confidence=float(confidence),
        vector=decode_vector(raw.get("vector")),
        bot_actions=tuple(actions),
        bot_texts=tuple(redact_text(t) for t in bot_texts),
        outcome=raw.get("outcome"),
    )


def _customer(raw: object, problems: list[str]) -> CaseCustomer | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append("customer must be an object or null")
        return None
    tier, escalations = raw.get("tier"), raw.get("prior_escalations", 0)
    if tier is not None and not isinstance(tier, str):
        problems.append("customer.tier must be text or null")
        return None
    if not isinstance(escalations, int) or isinstance(escalations, bool) or escalations < 0:
        problems.append("customer.prior_escalations must be a whole number from 0")
        return None
    return CaseCustomer(tier, escalations)


def _recorded(raw: object, problems: list[str]) -> tuple[RecordedDecision, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_TURNS:
        problems.append(f"recorded must be a list of at most {MAX_TURNS} decisions")
        return ()
    decisions = []
    for index, entry in enumerate(raw):
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("turn"), int)
            or entry.get("action") not in ACTIONS
            or not (entry.get("reason") is None or isinstance(entry.get("reason"), str))
            or not _number(entry.get("score", 0.0))
        ):
            problems.append(f"recorded[{index}] must have a turn, an action of {ACTIONS}")
            continue
        decisions.append(
            RecordedDecision(
                entry["turn"], entry["action"], entry.get("reason"), float(entry.get("score", 0))
            )
        )
    return tuple(sorted(decisions, key=lambda d: d.turn))


ARTICLE_TEXTS = ("article_id", "title", "article_version", "article_updated", "section")


def _articles(raw: object, problems: list[str]) -> tuple[ArticleShown, ...]:
    """The articles shown, as the ticket writes them (handoff/ticket/model.py ArticleShown);
    a text the case does not hold is None (no version in a case from before versions)."""
    if not isinstance(raw, list) or len(raw) > MAX_TURNS:
        problems.append(f"articles_shown must be a list of at most {MAX_TURNS} articles")
        return ()
    articles = []
    for index, entry in enumerate(raw):
        if (
            not isinstance(entry, Mapping)
            or not all(entry.get(name) is None or _short(entry[name]) for name in ARTICLE_TEXTS)
            or not (entry.get("score") is None or _number(entry["score"]))
            or not isinstance(entry.get("answered"), bool)
            or entry.get("feedback", "none") not in FEEDBACK_VALUES
            or not (entry.get("turn") is None or _whole(entry["turn"]))
        ):
            problems.append(f"articles_shown[{index}] must be an article shown, as in a ticket")
            continue
        score = entry.get("score")
        texts = {name: entry.get(name) for name in ARTICLE_TEXTS}
        articles.append(
            ArticleShown(
                **texts,
                score=None if score is None else float(score),
                answered=entry["answered"],
                feedback=entry.get("feedback", "none"),
                turn=entry.get("turn"),
            )
        )
    return tuple(articles)


def _short(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT_CHARS


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _texts(values: object, limit: int) -> bool:
    return (
        isinstance(values, list)
        and len(values) <= limit
        and all(isinstance(v, str) and len(v) <= MAX_TEXT_CHARS for v in values)
    )
