"""The customer's survey (CSAT 1-5 and customer effort, CES 1-7), the handoff desk's part: whether
a conversation's latest session may be surveyed now and about whom, and keeping the answers.

A session may be surveyed once (docs/escalation-management.md, "Surveys"):
- about an agent (`agent`) when its latest ticket was resolved by an agent;
- about the assistant (`bot`) when it had no ticket and the customer marked the last answer
  helpful ("Yes, that helped");
anything else (a ticket still open, handed back or withdrawn; nothing marked helpful) has no
survey open. The answers are kept by the outcome store (outcomes/store.py: one per session, a
second is refused) and go into the session's outcome record; an agent chat's CSAT (and the
customer's comment, masked) is also kept on the ticket, where the console shows it.

The rules are pure functions here; `TicketDesk.survey_status` and `save_survey`
(service/desk/tickets.py) read Redis and call them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from handoff.lifecycle import Conflict
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import MAX_CSAT_COMMENT_CHARS
from outcomes.classify import last_answer_helpful, session_tickets
from outcomes.record import Audience, Survey
from outcomes.session import Session
from outcomes.surveys import InvalidSurvey, survey_from
from service.desk.errors import InvalidRequest

SURVEY_FIELDS = ("csat", "ces", "skipped")
NOT_RESOLVED = "the chat with a person is not resolved: there is nothing to survey yet"
NOT_HELPED = "no answer of the assistant was marked helpful in this session"


class SurveyStore(Protocol):
    """What the desk needs of outcomes.store.OutcomeStore."""

    async def tracker(self, conversation_id: str) -> dict[str, Any] | None: ...

    async def saved_survey(self, conversation_id: str, session: str) -> Survey | None: ...

    async def save_survey(
        self, conversation_id: str, session: str, survey: Survey, *, now: datetime
    ) -> bool: ...


class SurveyListener(Protocol):
    """The QA review (service/desk/review.py): a survey answered after the session's record."""

    async def survey_answered(self, conversation_id: str, session: str, survey: Survey) -> bool: ...


class NoSurvey(Conflict):
    """The session has no survey open (the message says why): 409."""


class SurveyAlreadyAnswered(Conflict):
    """The session's survey was answered (or skipped) already: 409, nothing stored twice."""


@dataclass(frozen=True)
class SurveyStatus:
    conversation_id: str
    session: str
    audience: Audience | None
    """Whom the survey would be about; None when no survey is open (`reason` says why)."""
    answered: bool
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "session": self.session,
            "open": self.audience is not None and not self.answered,
            "audience": self.audience,
            "answered": self.answered,
            "reason": self.reason,
        }


def survey_audience(session: Session, tickets: Sequence[TicketRecord]) -> Audience:
    """Whom the session's survey is about; raises NoSurvey when it has none open."""
    own = session_tickets(session, tickets)
    if own:
        latest = own[-1]
        if latest.status == "resolved" and latest.agent_id is not None:
            return "agent"
        raise NoSurvey(NOT_RESOLVED)
    if last_answer_helpful(session):
        return "bot"
    raise NoSurvey(NOT_HELPED)


def parse_answers(body: Mapping[str, Any], audience: Audience) -> tuple[Survey, str | None]:
    """The survey and the comment (agent chats only) of a request body; InvalidRequest (400)
    for anything out of range or unknown."""
    comment = body.get("comment")
    answers = {name: value for name, value in body.items() if name != "comment"}
    try:
        survey = survey_from(answers, audience)
    except InvalidSurvey as error:
        raise InvalidRequest(str(error)) from None
    if comment is None:
        return survey, None
    if audience != "agent":
        raise InvalidRequest("a comment goes only with the survey of a chat with a person")
    if not isinstance(comment, str) or len(comment) > MAX_CSAT_COMMENT_CHARS:
        raise InvalidRequest(f"comment must be text of at most {MAX_CSAT_COMMENT_CHARS} characters")
    if survey.skipped:
        raise InvalidRequest("a skipped survey has no comment")
    return survey, comment.strip() or None


def survey_json(conversation_id: str, session: str, survey: Survey) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "session": session,
        "audience": survey.audience,
        "csat": survey.csat,
        "ces": survey.ces,
        "skipped": survey.skipped,
    }
