"""The QA review API (agent tokens, service/agent_auth.py; docs/escalation-management.md): the
review queue, one conversation with the decision record of every turn, a verdict, an agent
scorecard (all for supervisors) and scorecards (a supervisor: anyone's; an agent: their own).
Each view checks the role, parses the request, calls one method of the review desk
(service/desk/review.py) and renders what it returns.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from service.agent_auth import AGENT, require_role
from service.desk.review import QUEUE_LIMIT, SUPERVISOR
from service.errors import bad_request
from service.keys import REVIEW
from service.request_parsing import (
    CONVERSATION_ID,
    CONVERSATION_ID_RULE,
    read_json_object,
    ticket_id_in_path,
)

MAX_BODY_BYTES = 8 * 1024


async def queue(request: web.Request) -> web.Response:
    require_role(request, SUPERVISOR)
    limit = _limit(request.query.get("limit"))
    waiting, entries = await request.app[REVIEW].queue(limit)
    return web.json_response({"waiting": waiting, "queue": [asdict(e) for e in entries]})


async def conversation(request: web.Request) -> web.Response:
    require_role(request, SUPERVISOR)
    conversation_id, session = _session_in_path(request)
    reviewed = await request.app[REVIEW].conversation(conversation_id, session)
    case = reviewed.case.to_dict()
    by_turn = {decision["turn"]: decision for decision in reviewed.decisions}
    turns = [
        {
            **{key: value for key, value in turn.items() if key != "vector"},
            "decision": by_turn.get(turn["number"]),
        }
        for turn in case["turns"]
    ]
    return web.json_response(
        {
            "conversation_id": reviewed.case.conversation_id,
            "session": reviewed.case.session,
            "customer": case["customer"],
            "captured_at": case["captured_at"],
            "recorded": case["recorded"],
            "articles_shown": case["articles_shown"],
            "turns": turns,
            "sample": asdict(reviewed.sample) if reviewed.sample else None,
            "verdict": asdict(reviewed.verdict) if reviewed.verdict else None,
        }
    )


async def give_verdict(request: web.Request) -> web.Response:
    reviewer = require_role(request, SUPERVISOR)
    conversation_id, session = _session_in_path(request)
    body = await read_json_object(request, MAX_BODY_BYTES)
    verdict = await request.app[REVIEW].give_verdict(reviewer, conversation_id, session, body)
    return web.json_response(asdict(verdict), status=201)


async def score_ticket(request: web.Request) -> web.Response:
    reviewer = require_role(request, SUPERVISOR)
    ticket_id = ticket_id_in_path(request)
    body = await read_json_object(request, MAX_BODY_BYTES)
    card = await request.app[REVIEW].score_ticket(reviewer, ticket_id, body)
    return web.json_response(card.to_dict(), status=201)


async def scorecards(request: web.Request) -> web.Response:
    agent_id = request.query.get("agent_id") or None
    if agent_id is not None and not CONVERSATION_ID.match(agent_id):
        raise bad_request("agent_id must be 1-128 letters, digits or ._:@-")
    answer: dict[str, Any] = await request.app[REVIEW].scorecards(request[AGENT], agent_id)
    return web.json_response(answer)


def _session_in_path(request: web.Request) -> tuple[str, str]:
    conversation_id = request.match_info["conversation_id"]
    if not CONVERSATION_ID.match(conversation_id):
        raise bad_request(CONVERSATION_ID_RULE)
    return conversation_id, request.match_info["session"]


def _limit(raw: str | None) -> int:
    if raw is None:
        return 50
    if not raw.isdigit() or not 1 <= int(raw) <= QUEUE_LIMIT:
        raise bad_request(f"limit must be a whole number from 1 to {QUEUE_LIMIT}")
    return int(raw)
