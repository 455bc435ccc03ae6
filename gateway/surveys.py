"""The customer's survey in the widget, over socket.io: CSAT (1-5) and customer effort (CES, 1-7,
"How easy was it to get your issue handled?"), or Skip; at most one per conversation session.

- `survey_request` `{session, audience, questions, comment}` (server -> widget): after the
  customer pressed "Yes, that helped" (the bot's `HELPFUL_PAYLOAD` button, accepted because the
  bot offered it) and after an agent resolved the chat (the outbox's `resolved` entry), when the
  service says the session's survey is open and not answered (`GET
  /handoff/conversations/{id}/survey`: about the assistant, `bot`, or about an agent, `agent`).
  Each question carries its scale and wording, so the widget keeps no copy; a comment box goes
  with an agent chat's survey (kept, masked, with the ticket's CSAT).
- `survey` `{csat?, ces?, comment?}` or `{skipped: true}` (widget -> server): checked here
  (gateway/protocol.py `parse_survey`; out of range -> `gateway_error` `invalid_survey`), kept
  by the service (`POST /handoff/conversations/{id}/survey`) -> `survey_saved`
  `{skipped, already_recorded}` to the conversation's sockets. A second survey for the session
  is refused by the service (409): the widget is told it was already recorded. No survey open
  -> `gateway_error` `survey_not_open`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import socketio

from gateway import protocol
from gateway.service_client import ServiceClient, ServiceRefused, ServiceUnavailable

log = logging.getLogger(__name__)

HELPFUL_PAYLOAD = "/feedback_helpful"
"""The payload of the assistant's "Yes, that helped" button (actions/kb_messages.py)."""

ErrorSender = Callable[[str, str, str], Awaitable[None]]


class SurveyEvents:
    def __init__(
        self, sio: socketio.AsyncServer, service: ServiceClient, send_error: ErrorSender
    ) -> None:
        self.sio = sio
        self.service = service
        self.send_error = send_error

    async def offer(self, conversation_id: str, here: bool = False) -> bool:
        """Send `survey_request` to the conversation's sockets (`here`: only those on this
        replica) when its session's survey is open and not answered; True when sent. The
        service being down only costs the survey."""
        try:
            status = await self.service.survey_status(conversation_id)
        except (ServiceUnavailable, ServiceRefused) as error:
            log.warning("no survey offered in %s: %s", conversation_id, error)
            return False
        request = protocol.survey_request(status)
        if request is None:
            return False
        await self.sio.emit("survey_request", request, room=conversation_id, ignore_queue=here)
        return True

    async def save(self, sid: str, conversation_id: str, data: object) -> None:
        """Check a `survey` event and keep it through the service; `survey_saved` on success."""
        try:
            answers = protocol.parse_survey(data)
        except protocol.InvalidSurvey as error:
            await self.send_error(sid, "invalid_survey", str(error))
            return
        try:
            await self.service.save_survey(conversation_id, answers)
        except ServiceRefused as error:
            await self._refused(sid, conversation_id, error)
            return
        except ServiceUnavailable as error:
            log.error("survey: the service: %s", error)
            await self.send_error(sid, "unavailable", "the answers could not be saved; try again")
            return
        saved = {"skipped": bool(answers.get("skipped")), "already_recorded": False}
        await self.sio.emit("survey_saved", saved, room=conversation_id)

    async def _refused(self, sid: str, conversation_id: str, error: ServiceRefused) -> None:
        if error.status == 400:
            await self.send_error(sid, "invalid_survey", error.error)
            return
        if error.status == 409 and await self._answered(conversation_id):
            saved = {"skipped": False, "already_recorded": True}
            await self.sio.emit("survey_saved", saved, room=conversation_id)
            return
        log.info("survey refused in %s: %s", conversation_id, error)
        await self.send_error(sid, "survey_not_open", "there is no survey to answer now")

    async def _answered(self, conversation_id: str) -> bool:
        try:
            return bool((await self.service.survey_status(conversation_id)).get("answered"))
        except (ServiceUnavailable, ServiceRefused):
            return False
