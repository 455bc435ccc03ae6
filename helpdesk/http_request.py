"""An HTTP request a target wants sent, as data: the builders (zendesk.py, chatwoot.py,
webhook.py) make them, the sender (sending.py) sends them. `body` is the exact bytes sent, so a
signature over it is a signature over what the receiver reads."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OutgoingRequest:
    method: str
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    step: str = ""
    """Which request of the event this is ("create", "note", "status"...): part of its
    idempotency key, so two requests of one event are never taken for a repeat."""


def json_body(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def basic_auth(user: str, password: str) -> str:
    """The value of an `Authorization: Basic` header."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
