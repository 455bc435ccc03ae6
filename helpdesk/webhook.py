"""A generic webhook target: the event's JSON body, POSTed as it is and signed (signing.py).

Headers: `Content-Type: application/json`, `X-Support-Signature: t=<unix>,v1=<hex>`,
`X-Support-Event: <kind>`, `X-Support-Event-Id: <event id>` (and, added by the sender,
`Idempotency-Key`). Any 2xx answer is a delivery; anything else is retried.
"""

from __future__ import annotations

from collections.abc import Mapping

from helpdesk.config import Target
from helpdesk.events import HelpdeskEvent
from helpdesk.http_request import OutgoingRequest, json_body
from helpdesk.signing import SIGNATURE_HEADER, signature_header


def webhook_request(
    event: HelpdeskEvent, target: Target, credentials: Mapping[str, str], now: float
) -> OutgoingRequest:
    body = json_body(event.body)
    secret = credentials["secret_env"].encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(secret, body, int(now)),
        "X-Support-Event": event.kind,
        "X-Support-Event-Id": event.event_id,
    }
    return OutgoingRequest("POST", target.url, body, headers, "")
