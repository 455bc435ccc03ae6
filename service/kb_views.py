"""HTTP views of the knowledge base: search for the bot, insights for the content team."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiohttp import web

from handoff.privacy.redact import redact_text
from infra.clock import utc_now
from infra.redis_client import RedisUnavailable
from knowledge_base.articles import Article, article_version
from knowledge_base.confidence import Thresholds
from knowledge_base.follow_up import search_in_context
from knowledge_base.index import Match, SearchIndex, SearchResult
from knowledge_base.insights import Miss
from service.errors import json_error
from service.keys import GAP_TOPICS, INSIGHTS, KNOWLEDGE_BASE, SETTINGS
from service.request_parsing import CONVERSATION_ID, conversation_id_in_body, read_json_object

log = logging.getLogger(__name__)
ARTICLE_ID = re.compile(r"^[a-z0-9-]{1,100}$")
ARTICLE_ID_RULE = "must be an article id: 1-100 lowercase letters, digits and -"


def match_json(match: Match, base_url: str, with_answer: bool) -> dict[str, Any]:
    """One article found; `article_version` and `article_updated` say which text of it was
    served (knowledge_base.articles.article_version), so the bot can record it."""
    data: dict[str, Any] = {
        "article_id": match.article.id,
        "title": match.article.title,
        "url": f"{base_url}/{match.article.id}",
        "category": match.article.category,
        "team": match.article.team,
        "score": match.score,
        "article_version": article_version(match.article),
        "article_updated": match.article.updated.isoformat(),
    }
    if with_answer:
        data["section"] = match.section.heading
        data["answer"] = match.answer
    return data


def result_json(result: SearchResult, thresholds: Thresholds, base_url: str) -> dict[str, Any]:
    """The search as the bot reads it: `answered` when sure; `tentative` when the best section
    is worth showing under "did you mean ...?" (knowledge_base.confidence); `answer` holds that
    section in both cases."""
    best = result.best
    level = thresholds.level(best.score if best else None)
    return {
        "query": result.query,
        "answered": level == "answer",
        "tentative": level == "tentative",
        "threshold": thresholds.answer,
        "tentative_threshold": thresholds.tentative,
        "answer": match_json(best, base_url, True) if best and level != "miss" else None,
        "candidates": [match_json(match, base_url, False) for match in result.matches],
    }


async def search(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = await read_json_object(request)
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise json_error(web.HTTPBadRequest, "query must be a non-empty string")
    if len(query) > settings.max_query_chars:
        raise json_error(
            web.HTTPBadRequest, f"query is longer than {settings.max_query_chars} characters"
        )
    conversation_id = conversation_id_in_body(body, default="unknown")
    # Card numbers, security codes and passwords are masked before the query is searched,
    # echoed in the answer or recorded as unanswered.
    query = redact_text(query.strip())
    knowledge_base = request.app[KNOWLEDGE_BASE]
    index = knowledge_base.state.index
    context = context_article(body, index)
    loop = asyncio.get_running_loop()
    searched = await loop.run_in_executor(
        None,
        search_in_context,
        index,
        query,
        settings.thresholds.answer,
        context,
        knowledge_base.products,
    )
    result = searched.result
    payload = result_json(result, settings.thresholds, settings.article_base_url)
    payload["follow_up"] = searched.follow_up
    if not payload["answered"]:  # tentative answers too: the content team sees what was unsure
        payload["miss_recorded"] = await _record_miss(request, result, conversation_id)
    return web.json_response(payload)


def context_article(body: dict[str, Any], index: SearchIndex) -> Article | None:
    """The article the conversation was answered from last (`context_article_id`, optional):
    a follow-up question leans on it. A malformed id is the caller's mistake (400); an id the
    index does not publish (an article since removed) is ignored."""
    article_id = body.get("context_article_id")
    if article_id is None:
        return None
    if not isinstance(article_id, str) or not ARTICLE_ID.match(article_id):
        raise json_error(web.HTTPBadRequest, f"context_article_id {ARTICLE_ID_RULE}")
    article = index.articles.get(article_id)
    return article if article is not None and article.published else None


async def _record_miss(request: web.Request, result: SearchResult, conversation_id: str) -> bool:
    best = result.best
    miss = Miss(
        question=result.query,
        conversation_id=conversation_id,
        closest_article_id=best.article.id if best else None,
        closest_score=best.score if best else None,
        at=utc_now().timestamp(),
    )
    await request.app[GAP_TOPICS].record_miss(miss)  # grouped by meaning at once
    try:
        await request.app[INSIGHTS].record_miss(miss)
    except RedisUnavailable as error:
        log.error("could not record an unanswered question: %s", error)
        return False
    return True


async def feedback(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    article_id = body.get("article_id")
    helpful = body.get("helpful")
    if not isinstance(article_id, str) or not ARTICLE_ID.match(article_id):
        raise json_error(web.HTTPBadRequest, f"article_id {ARTICLE_ID_RULE}")
    if not isinstance(helpful, bool):
        raise json_error(web.HTTPBadRequest, "helpful must be true or false")
    if article_id not in request.app[KNOWLEDGE_BASE].state.index.articles:
        raise json_error(web.HTTPNotFound, f"no article {article_id!r}")
    try:
        await request.app[INSIGHTS].record_feedback(article_id, helpful)
    except RedisUnavailable as error:
        raise json_error(web.HTTPServiceUnavailable, f"feedback not saved: {error}") from None
    conversation_id = body.get("conversation_id")
    if not helpful and isinstance(conversation_id, str) and CONVERSATION_ID.match(conversation_id):
        await request.app[GAP_TOPICS].record_not_helpful(conversation_id, article_id)
    return web.json_response({"article_id": article_id, "helpful": helpful, "recorded": True})


async def articles(request: web.Request) -> web.Response:
    state = request.app[KNOWLEDGE_BASE].state
    settings = request.app[SETTINGS]
    ids = sorted(state.index.articles)
    try:
        counts = await request.app[INSIGHTS].feedback_counts(ids)
    except RedisUnavailable as error:
        raise json_error(web.HTTPServiceUnavailable, str(error)) from None
    listing = [
        {
            "id": article.id,
            "title": article.title,
            "category": article.category,
            "team": article.team,
            "status": article.status,
            "updated": article.updated.isoformat(),
            "article_version": article_version(article),
            "url": f"{settings.article_base_url}/{article.id}",
            "sections": len(article.sections),
            "feedback": counts[article.id],
        }
        for article in (state.index.articles[article_id] for article_id in ids)
    ]
    problems = [{"file": error.source, "problem": error.problem} for error in state.errors]
    return web.json_response(
        {
            "version": state.version,
            "articles": listing,
            "problems": problems,
            "files_still_embedding": state.embedding,
        }
    )


async def unanswered(request: web.Request) -> web.Response:
    raw_limit = request.query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 500:
        raise json_error(web.HTTPBadRequest, "limit must be a whole number from 1 to 500")
    try:
        rows = await request.app[INSIGHTS].top_unanswered(int(raw_limit))
    except RedisUnavailable as error:
        raise json_error(web.HTTPServiceUnavailable, str(error)) from None
    return web.json_response(
        {"questions": [{"question": row.question, "times_asked": row.times_asked} for row in rows]}
    )
