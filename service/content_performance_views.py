"""The content team's article performance (`GET /agent/content/articles/performance`, role
content or supervisor; 403 otherwise): per article and section, times shown and offered,
feedback, conversations handed to a person after it answered, and their CSAT, over the
sessions that started in the last `days` days (content/article_performance.py computes it from
the outcome records the dashboard reads: service/desk/analytics.py).

Query parameters (an unknown one, one given twice or a bad value is a 400 saying why):
    days=1..365 (default 30)                     the window, ending now
    sort=handoffs|not_helpful|shown|csat         the order (default handoffs: most first)
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from content.article_performance import SORTS, Sort
from handoff.vocabulary import CONTENT_ROLES
from infra.clock import iso_utc
from service.agent_auth import require_role
from service.errors import bad_request
from service.keys import ANALYTICS, KNOWLEDGE_BASE

PARAMETERS = ("days", "sort")
DEFAULT_DAYS, MAX_DAYS = 30, 365
ROLES = CONTENT_ROLES


async def article_performance(request: web.Request) -> web.Response:
    require_role(request, *ROLES)
    days, sort = _query(request)
    analytics = request.app[ANALYTICS]
    end = analytics.now()
    start = end - timedelta(days=days)
    rows = await analytics.article_performance(start, end, sort)
    knowledge_base = request.app[KNOWLEDGE_BASE]
    served = knowledge_base.state.index.articles if knowledge_base.searchable else {}
    titles = {article_id: article.title for article_id, article in served.items()}
    return web.json_response(
        {
            "days": days,
            "from": iso_utc(start),
            "to": iso_utc(end),
            "sort": sort,
            "articles": [{**row.to_json(), "title": titles.get(row.article_id)} for row in rows],
        }
    )


def _query(request: web.Request) -> tuple[int, Sort]:
    """The window's days and the order, from a query with no other parameter (400 otherwise)."""
    query: dict[str, str] = {}
    for name, value in request.query.items():
        if name not in PARAMETERS:
            raise bad_request(
                f"unknown parameter {name[:40]!r}; this route takes {', '.join(PARAMETERS)}"
            )
        if name in query:
            raise bad_request(f"{name} is given more than once")
        query[name] = value
    text = query.get("days", str(DEFAULT_DAYS))
    if not (text.isascii() and text.isdigit() and len(text) <= 3) or not 1 <= int(text) <= MAX_DAYS:
        raise bad_request(f"days must be a whole number from 1 to {MAX_DAYS}")
    sort = query.get("sort", SORTS[0])
    for known in SORTS:
        if sort == known:
            return int(text), known
    raise bad_request(f"sort must be one of {', '.join(SORTS)}")
