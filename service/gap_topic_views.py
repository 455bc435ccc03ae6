"""The content team's gap topics (role content or supervisor; 403 otherwise; docs/content.md):
what customers asked that the help centre could not answer, grouped by meaning
(service/desk/gap_topics.py).

    GET  /agent/content/topics?limit=1..200 (default 50)   the topics, largest first
    POST /agent/content/topics/recluster                    a full re-clustering now

An unknown query parameter, one given twice or a bad limit is a 400 saying why.
"""

from __future__ import annotations

from aiohttp import web

from handoff.vocabulary import CONTENT_ROLES
from service.agent_auth import require_role
from service.errors import bad_request
from service.keys import GAP_TOPICS

ROLES = CONTENT_ROLES
PARAMETERS = ("limit",)
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


async def list_topics(request: web.Request) -> web.Response:
    require_role(request, *ROLES)
    return web.json_response(await request.app[GAP_TOPICS].topics(_limit(request)))


async def recluster(request: web.Request) -> web.Response:
    require_role(request, *ROLES)
    return web.json_response(await request.app[GAP_TOPICS].recluster())


def _limit(request: web.Request) -> int:
    for name in request.query:
        if name not in PARAMETERS:
            raise bad_request(f"unknown parameter {name[:40]!r}; this route takes only limit")
    values = request.query.getall("limit", [str(DEFAULT_LIMIT)])
    if len(values) > 1:
        raise bad_request("limit is given more than once")
    text = values[0]
    if not (text.isascii() and text.isdigit() and len(text) <= 3) or not (
        1 <= int(text) <= MAX_LIMIT
    ):
        raise bad_request(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)
