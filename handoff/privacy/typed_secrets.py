"""Mask what Rasa read out of a masked secret: entity values and slots copied from it.

`redact_value` masks each string on its own, so a password is masked in the customer's text
("my password is [password removed]") but not where Rasa's NLU took it out as an entity
("Zq83941412!9" as an `order_number`) and a slot was filled from it: on their own those
strings carry no label and no card checksum. This module reads the customer messages of a
batch of Rasa events (a tracker's, or one turn's), finds what masking removes from each
(`secret_spans`), takes those pieces and the values of the entities extracted from inside
them as the batch's typed secrets, and masks every string of the batch (entity and slot
values, bot texts that repeat them) that is or holds one.

Pure; only the rare message whose text masking changes costs more than a look.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from handoff.privacy.redact import redact_text, secret_spans

# A piece of a secret shorter than this is replaced only where it is a whole value (a slot
# holding "1234"), never inside other text ("9" inside every number of the conversation).
MIN_PIECE_IN_TEXT = 4
# Said around a secret ("my password is hunter2!,"): a value Rasa took may lack it.
PUNCTUATION = " \t\n\"'()[].,;:!?"


def typed_secrets(events: object, masked: Callable[[str], str] = redact_text) -> dict[str, str]:
    """The secrets typed in the batch's customer messages and the entity values extracted
    from inside them, each with the mask that replaces it. `masked` is `redact_text` or a
    memo of it."""
    found: dict[str, str] = {}
    if not isinstance(events, list):
        return found
    for event in events:
        if not isinstance(event, Mapping) or event.get("event") != "user":
            continue
        text = event.get("text")
        if not isinstance(text, str) or masked(text) == text:
            continue
        spans = secret_spans(text)
        for start, end, mask in spans:
            piece = text[start:end]
            found[piece.strip()] = found[piece.strip(PUNCTUATION)] = mask
        for value, mask in _entities_inside(event, spans):
            found[value] = mask
    return {secret: mask for secret, mask in found.items() if secret}


def redact_with_echoes(text: str) -> str:
    """`redact_text`, and every other place in the text that repeats what it removed masked
    too: a log line quoting the customer's message and, later, the entities read from it."""
    masked = redact_text(text)
    if masked == text:
        return text
    secrets: dict[str, str] = {}
    for start, end, mask in secret_spans(text):
        piece = text[start:end]
        secrets[piece.strip()] = secrets[piece.strip(PUNCTUATION)] = mask
    return str(without_secrets(masked, {key: mask for key, mask in secrets.items() if key}))


def without_secrets(value: Any, secrets: Mapping[str, str]) -> Any:
    """A copy of JSON-like data in which every string that is one of the secrets, or holds
    one (at least MIN_PIECE_IN_TEXT long), is masked; numbers equal to one too."""
    if not secrets:
        return value
    longest_first = sorted(
        (secret for secret in secrets if len(secret) >= MIN_PIECE_IN_TEXT), key=len, reverse=True
    )
    return _walk(value, secrets, longest_first)


def _walk(value: Any, secrets: Mapping[str, str], pieces: list[str]) -> Any:
    if isinstance(value, str):
        return _masked_text(value, secrets, pieces)
    if isinstance(value, dict):
        return {
            _masked_text(key, secrets, pieces): _walk(item, secrets, pieces)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_walk(item, secrets, pieces) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return secrets.get(str(value), value)
    return value


def _masked_text(text: str, secrets: Mapping[str, str], pieces: list[str]) -> str:
    whole = secrets.get(text.strip())
    if whole is not None:
        return whole
    for piece in pieces:
        if piece in text:
            text = text.replace(piece, secrets[piece])
    return text


def _entities_inside(
    event: Mapping[str, Any], spans: list[tuple[int, int, str]]
) -> list[tuple[str, str]]:
    """(value, mask) of each entity Rasa extracted from a span that masking removes."""
    parse_data = event.get("parse_data")
    entities = parse_data.get("entities") if isinstance(parse_data, Mapping) else None
    if not isinstance(entities, list):
        return []
    inside: list[tuple[str, str]] = []
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        start, end, value = entity.get("start"), entity.get("end"), entity.get("value")
        if not isinstance(start, int) or not isinstance(end, int) or value is None:
            continue
        for span_start, span_end, mask in spans:
            if start < span_end and span_start < end:  # the entity overlaps the secret
                inside.append((str(value).strip(), mask))
                break
    return inside
