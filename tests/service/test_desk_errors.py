"""What the desk refuses becomes one HTTP answer each (service/errors.py), never a bare 500."""

from __future__ import annotations

import json

import pytest

from handoff import lifecycle
from handoff.store import AtCapacity
from handoff.ticket.model import TicketFormatError
from handoff.ticket.transcript import TrackerFormatError
from infra.redis_client import RedisUnavailable
from service.desk import HandoffPending, InvalidRequest, NotFound
from service.errors import DESK_ERRORS, desk_error_answer


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (NotFound("no ticket tk-1"), 404, "no ticket tk-1"),
        (lifecycle.NotAllowed("ticket tk-1 belongs to team billing"), 403, None),
        (lifecycle.Conflict("ticket tk-1 is already assigned"), 409, None),
        (AtCapacity("maya already has 3 open chats"), 409, None),
        (lifecycle.TransitionError("rating must be a whole number"), 400, None),
        (InvalidRequest("team must be one of billing, technical"), 400, None),
        (TrackerFormatError("events must be a list"), 400, "tracker: events must be a list"),
        (
            TicketFormatError("confidence 7 > 1"),
            400,
            "the conversation cannot be packaged as a ticket: confidence 7 > 1",
        ),
        (RedisUnavailable("Redis is down"), 503, None),
    ],
)
def test_each_refusal_has_its_status_and_says_why(
    error: Exception, status: int, message: str | None
) -> None:
    answer = desk_error_answer(error)
    assert answer.status == status
    assert answer.content_type == "application/json"
    assert json.loads(answer.text or "") == {"error": message or str(error)}


def test_a_ticket_still_being_created_asks_to_retry_in_a_second() -> None:
    answer = desk_error_answer(HandoffPending("ticket tk-1 is still being created"))
    assert (answer.status, answer.headers["Retry-After"]) == (503, "1")


def test_every_desk_error_is_answered() -> None:
    for error_class in DESK_ERRORS:
        assert desk_error_answer(error_class("x")).status >= 400


def test_anything_else_is_not_mistaken_for_a_desk_error() -> None:
    with pytest.raises(TypeError):
        desk_error_answer(KeyError("tk-1"))
