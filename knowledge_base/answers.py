"""Turn a retrieved markdown section into a chat-sized answer."""

from __future__ import annotations

import re

MAX_ANSWER_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def plain_text(markdown: str) -> str:
    """Light markdown to plain text: keep list markers, drop emphasis and link targets."""
    text = _MARKDOWN_LINK.sub(r"\1", markdown)
    text = _MARKDOWN_EMPHASIS.sub(r"\2", text)
    text = re.sub(r"(?<!\w)\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = text.replace("`", "")
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def trim_answer(markdown: str, max_chars: int = MAX_ANSWER_CHARS) -> str:
    """The readable start of a section: whole paragraphs and list items, then whole sentences.

    Never cuts a word or a list item in half; adds "…" when something was left out.
    """
    text = plain_text(markdown)
    if len(text) <= max_chars:
        return text
    kept: list[str] = []
    used = 0
    for block in _blocks(text):
        cost = len(block) + (1 if kept else 0)
        if used + cost <= max_chars:
            kept.append(block)
            used += cost
            continue
        if not kept:  # the first block alone is too long: keep whole sentences of it
            kept.append(_first_sentences(block, max_chars - 1))
        break
    return "\n".join(kept).rstrip() + " …"


def _blocks(text: str) -> list[str]:
    """Paragraph lines and list items as units that are kept or dropped whole."""
    return text.splitlines()


def _first_sentences(paragraph: str, max_chars: int) -> str:
    kept = ""
    for sentence in _SENTENCE_END.split(paragraph):
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > max_chars:
            break
        kept = candidate
    if kept:
        return kept
    return paragraph[:max_chars].rsplit(" ", 1)[0]
