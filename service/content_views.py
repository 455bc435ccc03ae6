"""The content team's API (agent tokens of role content or supervisor; docs/content.md): drafts,
a draft's text and saving an edit of it, trying a draft, publishing it, suggestions from agents'
answers and the audit log. Each view checks the role, parses the request, calls one method of
the content desk (service/desk/content.py) and renders what it returns; what the desk refuses
becomes a 4xx in one place (service/errors.py)."""

from __future__ import annotations

import re

from aiohttp import web

from content.drafts import MAX_ARTICLE_CHARS
from content.suggestions import SUGGESTION_ID
from handoff.vocabulary import CONTENT_ROLES
from knowledge_base.articles import ARTICLE_ID, MAX_QUESTION_LENGTH
from service.agent_auth import require_role
from service.errors import bad_request
from service.keys import CONTENT, GAP_TOPICS
from service.request_parsing import read_json_object, text_field, whole_number_in_query

MAX_ARTICLE_ID_CHARS = 100
MAX_EXTRA_QUESTIONS = 100
VERSION = re.compile(r"^[0-9a-f]{1,64}$")
TOPIC_ID = re.compile(r"^topic-[0-9a-f]{16}$")


def article_id_in_path(request: web.Request) -> str:
    article_id = request.match_info["article_id"]
    if len(article_id) > MAX_ARTICLE_ID_CHARS or not ARTICLE_ID.match(article_id):
        raise bad_request(
            "article ids are lowercase letters and digits in words joined by '-',"
            f" at most {MAX_ARTICLE_ID_CHARS} characters"
        )
    return article_id


async def list_drafts(request: web.Request) -> web.Response:
    require_role(request, *CONTENT_ROLES)
    return web.json_response(await request.app[CONTENT].drafts())


async def show_draft(request: web.Request) -> web.Response:
    require_role(request, *CONTENT_ROLES)
    return web.json_response(await request.app[CONTENT].draft_text(article_id_in_path(request)))


async def save_draft(request: web.Request) -> web.Response:
    editor = require_role(request, *CONTENT_ROLES)
    article_id = article_id_in_path(request)
    body = await read_json_object(request)
    version = text_field(body, "expected_file_version", 64)
    if not VERSION.match(version):
        raise bad_request(
            "expected_file_version must be the file_version the draft was opened with (hex digits)"
        )
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_ARTICLE_CHARS:
        raise bad_request(f"text must be the article's markdown, at most {MAX_ARTICLE_CHARS} chars")
    saved = await request.app[CONTENT].save_draft(article_id, text, version, editor.id)
    return web.json_response(saved)


async def try_draft(request: web.Request) -> web.Response:
    require_role(request, *CONTENT_ROLES)
    article_id = article_id_in_path(request)
    body = await read_json_object(request, required=False)
    extra = body.get("questions", [])
    if (
        not isinstance(extra, list)
        or len(extra) > MAX_EXTRA_QUESTIONS
        or not all(
            isinstance(q, str) and q.strip() and len(q) <= MAX_QUESTION_LENGTH for q in extra
        )
    ):
        raise bad_request(
            f"questions must be a list of at most {MAX_EXTRA_QUESTIONS} non-empty texts"
            f" of at most {MAX_QUESTION_LENGTH} characters"
        )
    outcome = await request.app[CONTENT].try_draft(article_id, [q.strip() for q in extra])
    return web.json_response(outcome)


async def publish(request: web.Request) -> web.Response:
    editor = require_role(request, *CONTENT_ROLES)
    article_id = article_id_in_path(request)
    version = text_field(await read_json_object(request), "expected_version", 64)
    if not VERSION.match(version):
        raise bad_request("expected_version must be the article_version shown (hex digits)")
    published = await request.app[CONTENT].publish(article_id, version, editor.id)
    return web.json_response(published)


async def list_suggestions(request: web.Request) -> web.Response:
    require_role(request, *CONTENT_ROLES)
    limit = whole_number_in_query(request, "limit", 50, 1, 500)
    found = await request.app[CONTENT].suggestions(limit)
    return web.json_response({"suggestions": [suggestion.public() for suggestion in found]})


async def draft_from_suggestion(request: web.Request) -> web.Response:
    editor = require_role(request, *CONTENT_ROLES)
    suggestion_id = request.match_info["suggestion_id"]
    if not SUGGESTION_ID.match(suggestion_id):
        raise bad_request("suggestion ids are sg- and 12 hex digits")
    drafted = await request.app[CONTENT].draft_from_suggestion(suggestion_id, editor.id)
    return web.json_response(drafted, status=201)


async def draft_from_topic(request: web.Request) -> web.Response:
    editor = require_role(request, *CONTENT_ROLES)
    topic_id = request.match_info["topic_id"]
    if not TOPIC_ID.match(topic_id):
        raise bad_request("topic ids are topic- and 16 hex digits")
    questions = await request.app[GAP_TOPICS].topic_questions(topic_id)
    drafted = await request.app[CONTENT].draft_from_topic(questions, editor.id)
    return web.json_response({**drafted, "topic_id": topic_id}, status=201)


async def audit_log(request: web.Request) -> web.Response:
    require_role(request, *CONTENT_ROLES)
    limit = whole_number_in_query(request, "limit", 50, 1, 500)
    return web.json_response({"entries": await request.app[CONTENT].audit(limit)})
