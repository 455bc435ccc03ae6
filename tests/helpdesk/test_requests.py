"""Each target's requests as the desks document them (the HTTP round trip: test_delivery.py)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from handoff import lifecycle
from handoff.customer_messages import add_customer_message
from helpdesk.chatwoot import Chatwoot
from helpdesk.events import events_of
from helpdesk.signing import verify
from helpdesk.webhook import webhook_request
from helpdesk.zendesk import Zendesk
from tests.helpdesk.receivers import SECRETS, WEBHOOK_SECRET, targets_section
from tests.helpdesk.test_config import helpdesk_of, routing_with
from tests.support.handoff import HUB, OPEN_HOURS, record

CONFIG = helpdesk_of(routing_with(targets_section("https://desk", ["technical"])))
ZENDESK = Zendesk(CONFIG.target("zendesk-main"), {"email_env": "a@b.example", "token_env": "tok"})
CHATWOOT = Chatwoot(CONFIG.target("chatwoot-main"), {"token_env": "cw"})
LATER = OPEN_HOURS + timedelta(minutes=2)


def test_zendesk_creates_a_ticket_with_a_private_note_and_the_custom_fields() -> None:
    (created,) = events_of(None, record(HUB, "conv-1"))
    request = ZENDESK.create(created)

    assert (request.method, request.url) == ("POST", "https://desk/zendesk/api/v2/tickets.json")
    auth = base64.b64decode(request.headers["Authorization"].removeprefix("Basic ")).decode()
    assert auth == "a@b.example/token:tok"
    ticket = json.loads(request.body)["ticket"]
    assert ticket["comment"]["public"] is False
    assert (
        "Transcript:" in ticket["comment"]["body"]
        and created.body["ticket"]["summary"] in ticket["comment"]["body"]
    )
    assert ticket["custom_fields"] == [
        {"id": 360001, "value": "explicit_request"},
        {"id": 360002, "value": "functional"},
    ]
    assert (ticket["priority"], ticket["external_id"]) == ("normal", "tk-conv-1")
    assert ZENDESK.updates(created, "55", just_created=True) == []


def test_zendesk_solves_the_ticket_when_the_chat_closes() -> None:
    claimed = lifecycle.assign(record(HUB, "conv-1"), "priya", now=LATER, by="priya")
    (handed,) = events_of(claimed, lifecycle.hand_back(claimed, "priya", now=LATER))
    (update,) = ZENDESK.updates(handed, "55", just_created=False)
    assert (update.method, update.url) == ("PUT", "https://desk/zendesk/api/v2/tickets/55.json")
    body = json.loads(update.body)["ticket"]
    assert body["status"] == "solved" and body["comment"]["public"] is False


def test_chatwoot_gets_customer_turns_as_incoming_and_the_rest_as_private_notes() -> None:
    waiting = record(HUB, "conv-1")
    (created,) = events_of(None, waiting)
    create = json.loads(CHATWOOT.create(created).body)
    assert (create["source_id"], create["inbox_id"], create["status"]) == ("conv-1", 7, "open")
    written = add_customer_message(waiting, "still blinking", now=LATER)
    (message,) = events_of(waiting, written)
    (incoming,) = CHATWOOT.updates(message, "9", just_created=False)
    assert incoming.url == "https://desk/chatwoot/api/v1/accounts/3/conversations/9/messages"
    assert json.loads(incoming.body) == {
        "content": "still blinking",
        "message_type": "incoming",
        "private": False,
    }
    assert incoming.headers["api_access_token"] == "cw"
    claimed = lifecycle.assign(written, "priya", now=LATER, by="priya")
    resolved = lifecycle.resolve(claimed, "priya", "fixed", now=LATER)
    (closing,) = events_of(claimed, resolved)
    note, status = CHATWOOT.updates(closing, "9", just_created=False)
    assert json.loads(note.body)["private"] is True
    assert status.url.endswith("/conversations/9/toggle_status")
    assert json.loads(status.body) == {"status": "resolved"}


def test_a_webhook_is_the_event_json_signed_over_its_exact_bytes() -> None:
    (created,) = events_of(None, record(HUB, "conv-1"))
    target = CONFIG.target("events-webhook")
    request = webhook_request(
        created, target, {"secret_env": SECRETS["HELPDESK_WEBHOOK_SECRET"]}, 1_767_225_600
    )
    assert json.loads(request.body) == created.body
    signature = request.headers["X-Support-Signature"]
    assert (
        verify(WEBHOOK_SECRET.encode(), request.body, signature, now=1_767_225_610) == 1_767_225_600
    )
    assert request.headers["X-Support-Event-Id"] == "tk-conv-1:created"
