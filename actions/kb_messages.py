"""What the assistant says around knowledge-base answers. Pure functions, no Rasa imports."""

from __future__ import annotations

from typing import Any

FEEDBACK_BUTTONS = [
    {"title": "Yes, that helped", "payload": "/feedback_helpful"},
    {"title": "No, it didn't", "payload": "/feedback_not_helpful"},
]
# Candidates scoring below this are noise (e.g. for gibberish), not worth offering.
CANDIDATE_FLOOR = 0.25
# The longest question the service searches (its max_query_chars); Rasa's REST channel takes
# longer messages, whose first part is what gets searched.
MAX_QUERY_CHARS = 1000
# kb_history keeps the latest lookups only: enough for a follow-up's context and for feedback,
# and the slot is rewritten on every lookup, so a longer list would grow the tracker by more
# on every turn of a long conversation. The whole history is in the conversation's events
# (handoff/ticket/transcript.py follows them).
HISTORY_LENGTH = 3


def answer_text(answer: dict[str, Any]) -> str:
    return f"{answer['answer']}\n\nMore in “{answer['title']}”: {answer['url']}"


def tentative_text(answer: dict[str, Any]) -> str:
    """A section the search was not sure of, shown under "did you mean" so the customer can
    say it is not what they asked (knowledge_base.confidence)."""
    return (
        f"Did you mean “{answer['title']}”? Here's what it says:\n\n{answer['answer']}"
        f"\n\nMore: {answer['url']}"
    )


def miss_text(candidates: list[dict[str, Any]]) -> str:
    if not candidates:
        return "Sorry, I'm not sure I understood that. Could you put it another way?"
    return (
        "I'm not sure I have the right answer for that. One of these articles might help - "
        "or tell me a bit more and I'll try again."
    )


def candidate_buttons(candidates: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Closest article titles as buttons; pressing one asks about that title."""
    return [{"title": c["title"], "payload": c["title"]} for c in candidates[:3]]


def useful_candidates(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in result.get("candidates", []) if c.get("score", 0) >= CANDIDATE_FLOOR][:3]


def lookup_record(query: str, result: dict[str, Any], intent: str | None) -> dict[str, Any]:
    """One entry of the kb_history slot: what was asked, what was shown (the article, its
    version: content hash and `updated` date, as the service served it, and the section that
    answered: its heading, "" for the introduction, None when only titles were offered), how
    sure we were."""
    best = result.get("answer") or (result.get("candidates") or [None])[0]
    return {
        "query": query,
        "intent": intent,
        "answered": bool(result.get("answered") or result.get("tentative")),
        "tentative": bool(result.get("tentative")),
        "article_id": best["article_id"] if best else None,
        "title": best["title"] if best else None,
        "article_version": best.get("article_version") if best else None,
        "article_updated": best.get("article_updated") if best else None,
        "section": best.get("section") if best else None,
        "score": best["score"] if best else None,
        "candidates": [c["article_id"] for c in result.get("candidates", [])],
        "follow_up": bool(result.get("follow_up")),
        "feedback": None,
    }


def last_answered_article(history: list[dict[str, Any]] | None) -> str | None:
    """The article the conversation was answered from last (kb_history, which feedback does
    not clear, unlike kb_last_article_id): the context a follow-up question leans on. A
    tentative answer the customer said did not help is no context."""
    for entry in reversed(history or []):
        rejected = entry.get("tentative") and entry.get("feedback") == "not_helpful"
        if entry.get("answered") and entry.get("article_id") and not rejected:
            return str(entry["article_id"])
    return None


def miss_outcome(result: dict[str, Any]) -> str:
    """reply_outcome for an unanswered search: a follow-up that leaned on the previous answer
    counts less against the conversation than a fresh question (escalation.yml)."""
    return "follow_up_miss" if result.get("follow_up") else "miss"


def with_feedback(
    history: list[dict[str, Any]], article_id: str, helpful: bool
) -> list[dict[str, Any]]:
    """Mark the latest answer from article_id with the customer's feedback."""
    updated = [dict(entry) for entry in history]
    for entry in reversed(updated):
        if entry.get("answered") and entry.get("article_id") == article_id:
            entry["feedback"] = "helpful" if helpful else "not_helpful"
            break
    return updated


def append_history(
    history: list[dict[str, Any]] | None, entry: dict[str, Any]
) -> list[dict[str, Any]]:
    """The history with `entry` numbered after the latest one (so two lookups of the same
    question stay two entries), at most HISTORY_LENGTH long."""
    earlier = list(history or [])
    latest = earlier[-1].get("number") if earlier else 0
    number = (latest if isinstance(latest, int) else len(earlier)) + 1
    return [*earlier, {**entry, "number": number}][-HISTORY_LENGTH:]
