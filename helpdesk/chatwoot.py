"""Chatwoot's Application API, as requests (developers.chatwoot.com/api-reference/
conversations/):

- create: `POST {url}/api/v1/accounts/{account_id}/conversations` with source_id (our
  conversation id), inbox_id (an API channel inbox), contact_id (optional), status "open",
  additional_attributes and custom_attributes; the answer's `id` is the conversation;
- the transcript and every change: `POST .../conversations/{id}/messages` with {content,
  message_type, private}. A customer's turn is an `incoming` message; everything else is a
  private note (`outgoing`, private: true): an outgoing public message in an API inbox would be
  sent to the customer a second time;
- a closing: `POST .../conversations/{id}/toggle_status` with {"status": "resolved"}.

Auth: the `api_access_token` header (an agent's or bot's access token).
"""

from __future__ import annotations

from typing import Any

from helpdesk.desk import Desk, id_from
from helpdesk.events import ASSIGNED, CREATED, MESSAGE, HelpdeskEvent
from helpdesk.http_request import OutgoingRequest, json_body
from helpdesk.notes import change_line, handoff_note


class Chatwoot(Desk):
    @property
    def _conversations(self) -> str:
        return f"{self.target.url}/api/v1/accounts/{self.target.account_id}/conversations"

    def create(self, event: HelpdeskEvent) -> OutgoingRequest:
        facts = event.ticket
        body: dict[str, Any] = {
            "source_id": facts["conversation_id"],
            "inbox_id": self.target.inbox_id,
            "status": "open",
            "additional_attributes": {"support_assistant_ticket_id": facts["ticket_id"]},
            "custom_attributes": {
                "team": facts["team"],
                "priority": facts["priority"],
                "escalation_reason": facts.get("escalation_reason"),
                "escalation_type": facts["escalation_type"],
                "first_response_due": facts.get("first_response_due"),
                "resolution_due": facts.get("resolution_due"),
            },
        }
        if self.target.contact_id is not None:
            body["contact_id"] = self.target.contact_id
        return self._request(self._conversations, body, "create")

    def remote_id(self, answer: Any) -> str:
        return id_from(answer, "id")

    def updates(
        self, event: HelpdeskEvent, remote_id: str, *, just_created: bool
    ) -> list[OutgoingRequest]:
        conversation = f"{self._conversations}/{remote_id}"
        if event.kind == CREATED:
            return [self._note(conversation, handoff_note(event))]
        if event.kind == MESSAGE and event.body["message"]["speaker"] == "customer":
            body = {
                "content": event.body["message"]["text"],
                "message_type": "incoming",
                "private": False,
            }
            return [self._request(f"{conversation}/messages", body, "message")]
        requests = [self._note(conversation, change_line(event))]
        if event.kind not in (ASSIGNED, MESSAGE):
            status = {"status": "resolved"}
            requests.append(self._request(f"{conversation}/toggle_status", status, "status"))
        return requests

    def _note(self, conversation: str, text: str) -> OutgoingRequest:
        body = {"content": text, "message_type": "outgoing", "private": True}
        return self._request(f"{conversation}/messages", body, "note")

    def _request(self, url: str, body: dict[str, Any], step: str) -> OutgoingRequest:
        headers = {"api_access_token": self.credentials["token_env"]}
        headers["Content-Type"] = "application/json"
        return OutgoingRequest("POST", url, json_body(body), headers, step)
