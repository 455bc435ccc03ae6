"""Compact sentence vectors for the conversation record.

Rasa's NLU keeps each message's all-MiniLM-L6-v2 vector (from the service) in the message's
parse data, so the escalation decision can tell when a customer asks the same unanswered
question again. Stored as base64 of the unit vector quantised to signed bytes: 384 numbers
take 512 characters, and the cosine of two decoded vectors is within about 0.01 of the
original. Pure, stdlib only, Python 3.10 compatible.
"""

from __future__ import annotations

import base64
import binascii
import math
from array import array
from collections.abc import Iterable

PARSE_DATA_KEY = "sentence_vector"
SCALE = 127


def encode_vector(values: Iterable[float]) -> str | None:
    """Base64 of the unit-length vector as signed bytes; None for a zero vector."""
    floats = [float(v) for v in values]
    norm = math.sqrt(sum(v * v for v in floats))
    if not floats or norm == 0 or not math.isfinite(norm):
        return None
    quantised = array("b", (max(-SCALE, min(SCALE, round(v / norm * SCALE))) for v in floats))
    return base64.b64encode(quantised.tobytes()).decode("ascii")


def decode_vector(text: object) -> tuple[float, ...] | None:
    """The vector back as floats; None when missing or not a vector we wrote."""
    if not isinstance(text, str) or not text:
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    values = array("b")
    values.frombytes(raw)
    return tuple(v / SCALE for v in values) if len(values) else None
