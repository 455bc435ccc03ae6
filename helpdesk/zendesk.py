"""Zendesk Support's Tickets API, as requests (developer.zendesk.com/api-reference/ticketing/
tickets/tickets/):

- create: `POST {url}/api/v2/tickets.json` with {"ticket": {subject, comment: {body, public:
  false}, priority, external_id, tags, custom_fields: [{id, value}]}}; the answer's `ticket.id`
  is the Zendesk ticket. No requester is set: with the customer as requester, Zendesk's default
  trigger would e-mail them about a ticket they never opened there (the API user requests it);
- every later event: `PUT {url}/api/v2/tickets/{id}.json` with a private comment (public: false:
  an internal note, never e-mailed to the customer) and, when it changed, the status (open;
  solved when the chat closed) and priority.

Auth: an API token, `Authorization: Basic base64("{email}/token:{api_token}")`. Zendesk honours
the `Idempotency-Key` header on create, so a repeated create returns the same ticket.
"""

from __future__ import annotations

from typing import Any

from helpdesk.desk import Desk, id_from
from helpdesk.events import ASSIGNED, CREATED, MESSAGE, HelpdeskEvent
from helpdesk.http_request import OutgoingRequest, basic_auth, json_body
from helpdesk.notes import change_line, handoff_note, subject

PRIORITIES = {"urgent": "urgent", "high": "high", "normal": "normal", "low": "low"}
"""Our four priorities are Zendesk's four; the map is explicit so a change is deliberate."""
SOLVED = "solved"


class Zendesk(Desk):
    def create(self, event: HelpdeskEvent) -> OutgoingRequest:
        facts = event.ticket
        ticket: dict[str, Any] = {
            "subject": subject(event),
            "comment": {"body": handoff_note(event), "public": False},
            "priority": PRIORITIES[facts["priority"]],
            "external_id": facts["ticket_id"],
            "tags": _tags(facts),
        }
        if self.target.custom_fields:
            ticket["custom_fields"] = [
                {"id": field_id, "value": facts.get(fact)}
                for fact, field_id in self.target.custom_fields.items()
            ]
        url = f"{self.target.url}/api/v2/tickets.json"
        return self._request("POST", url, {"ticket": ticket}, "create")

    def remote_id(self, answer: Any) -> str:
        return id_from(answer, "ticket", "id")

    def updates(
        self, event: HelpdeskEvent, remote_id: str, *, just_created: bool
    ) -> list[OutgoingRequest]:
        if event.kind == CREATED and just_created:
            return []  # the create request carried the note
        ticket: dict[str, Any] = {"comment": {"body": change_line(event), "public": False}}
        if event.kind == ASSIGNED:
            ticket["status"] = "open"
            ticket["priority"] = PRIORITIES[event.ticket["priority"]]
        elif event.kind not in (CREATED, MESSAGE):
            ticket["status"] = SOLVED
        url = f"{self.target.url}/api/v2/tickets/{remote_id}.json"
        return [self._request("PUT", url, {"ticket": ticket}, "update")]

    def _request(self, method: str, url: str, body: dict[str, Any], step: str) -> OutgoingRequest:
        auth = basic_auth(f"{self.credentials['email_env']}/token", self.credentials["token_env"])
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        return OutgoingRequest(method, url, json_body(body), headers, step)


def _tags(facts: dict[str, Any]) -> list[str]:
    """Zendesk tags have no spaces: lower case, `_` for anything else."""
    raw = ["support_assistant", f"team_{facts['team']}", f"priority_{facts['priority']}"]
    if facts.get("escalation_reason"):
        raw.append(f"escalation_{facts['escalation_reason']}")
    raw.append(f"escalation_type_{facts['escalation_type']}")
    return ["".join(c if c.isalnum() or c in "_:-" else "_" for c in tag.lower()) for tag in raw]
