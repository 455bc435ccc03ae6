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
- For stock widgets, which ignore both events, each goes with a chat message saying the same
  (gateway/survey_in_chat.py): the CSAT question with a button per score, then the thanks. A
  pressed button comes back as the customer's message `/survey{"csat": N}`, which the server
  hands to `save` (`in_chat`) instead of Rasa; its refusals are chat text too.
"""

from __future__ import annotations

import logging

import socketio

from gateway import protocol, survey_in_chat
from gateway.notices import ErrorSender
from gateway.service_client import ServiceClient, ServiceRefused, ServiceUnavailable

log = logging.getLogger(__name__)

HELPFUL_PAYLOAD = "/feedback_helpful"
"""The payload of the assistant's "Yes, that helped" button (actions/kb_messages.py)."""


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
        room = {"room": conversation_id, "ignore_queue": here}
        await self.sio.emit(survey_in_chat.SURVEY_REQUEST, request, **room)
        await self.sio.emit("bot_uttered", survey_in_chat.question_message(), **room)
        return True

    async def save(
        self, sid: str, conversation_id: str, data: object, in_chat: bool = False
    ) -> bool:
        """Check a `survey` event (`in_chat`: a score button's message) and keep it through the
        service; `survey_saved` on success. True when the session's answers are kept (now or
        before)."""
        try:
            answers = protocol.parse_survey(data)
        except protocol.InvalidSurvey as error:
            await self.send_error(sid, "invalid_survey", str(error), in_chat=in_chat)
            return False
        try:
            await self.service.save_survey(conversation_id, answers)
        except ServiceRefused as error:
            return await self._refused(sid, conversation_id, error, in_chat)
        except ServiceUnavailable as error:
            log.error("survey: the service: %s", error)
            message = "the answers could not be saved; try again"
            await self.send_error(sid, "unavailable", message, in_chat=in_chat)
            return False
        await self._saved(conversation_id, {"skipped": bool(answers.get("skipped"))})
        return True

    async def _saved(self, conversation_id: str, saved: dict[str, bool]) -> None:
        saved = {"skipped": False, "already_recorded": False, **saved}
        await self.sio.emit(survey_in_chat.SURVEY_SAVED, saved, room=conversation_id)
        told = survey_in_chat.saved_message(saved)
        await self.sio.emit("bot_uttered", told, room=conversation_id)

    async def _refused(
        self, sid: str, conversation_id: str, error: ServiceRefused, in_chat: bool
    ) -> bool:
        if error.status == 400:
            await self.send_error(sid, "invalid_survey", error.error, in_chat=in_chat)
            return False
        if error.status == 409 and await self._answered(conversation_id):
            await self._saved(conversation_id, {"already_recorded": True})
            return True
        log.info("survey refused in %s: %s", conversation_id, error)
        message = "there is no survey to answer now"
        await self.send_error(sid, "survey_not_open", message, in_chat=in_chat)
        return False

    async def _answered(self, conversation_id: str) -> bool:
        try:
            return bool((await self.service.survey_status(conversation_id)).get("answered"))
        except (ServiceUnavailable, ServiceRefused):
            return False
