"""The content team's desk: drafts (list, try, publish) and suggestions from agents' answers.

The markdown files in KB_ARTICLES_DIR stay the source of truth: a publish rewrites the draft's
file (content/drafts.py) and the running knowledge base picks it up by its hot reload
(knowledge_base/library.py). A publish names the article version the editor looked at
(`expected_version`, knowledge_base.articles.article_version); when the file says something
else now (an edit in git, another editor's publish) it is refused with a Conflict (409), never
overwritten. One publish of an article runs at a time across replicas (a Redis lock), so of two
editors publishing at once exactly one wins. Who published or drafted what, and when, goes to
the audit log (content/store.py).

Trying a draft replays questions (data/kb_questions.yml, the recent unanswered questions and
any the editor adds) against the index now served and against a second index with the draft
added (`KnowledgeBase.index_with`): the live index is never reloaded for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import redis.asyncio as redis

from content.drafts import (
    ReplayQuestion,
    Search,
    article_file,
    compare_replay,
    create_exclusively,
    drafts_in,
    edited_text,
    file_version,
    published_text,
    replay_questions,
    write_atomically,
)
from content.new_drafts import PLACEHOLDER, draft_markdown, unique_slug
from content.store import PUBLISH_LOCK, ContentStore
from content.suggestions import Suggestion, draft_article, suggestion_from_ticket
from handoff import lifecycle
from handoff.ticket_record import TicketRecord
from infra.clock import Clock, iso_utc
from infra.redis_client import LockBusy, RedisUnavailable, connect_checked, held
from knowledge_base.articles import (
    Article,
    ArticleError,
    article_version,
    parse_article,
    read_article,
)
from knowledge_base.confidence import Thresholds
from knowledge_base.eval_figures import Labelled
from knowledge_base.evaluate import load_questions
from knowledge_base.index import SearchIndex
from knowledge_base.insights import InsightStore
from knowledge_base.library import KnowledgeBase
from service.desk.errors import InvalidRequest, NotFound
from service.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
_Written = TypeVar("_Written")  # what a locked write of an article's file returns
UNANSWERED_REPLAYED = 100
"""The most recent unanswered questions a try-out replays (the most asked first)."""
KB_QUESTIONS = PROJECT_ROOT / "data" / "kb_questions.yml"
"""The labelled questions a try-out measures retrieval on (as `make eval-kb` does)."""
PUBLISH_HOLD_SECONDS = 10.0
PUBLISH_WAIT_SECONDS = 5.0


@dataclass
class ContentDesk:
    knowledge_base: KnowledgeBase
    insights: InsightStore
    store: ContentStore
    redis: redis.Redis
    thresholds: Thresholds
    labelled: list[Labelled]
    """The labelled questions (data/kb_questions.yml) a try-out measures accuracy on."""
    clock: Clock

    @property
    def folder(self) -> Path:
        return self.knowledge_base.folder

    async def drafts(self) -> dict[str, Any]:
        """The drafts in the articles folder with their versions, and the files that do not
        parse (with why)."""
        found, problems = await asyncio.to_thread(drafts_in, self.folder)
        return {
            "drafts": [article_json(article) for article in found],
            "problems": [{"file": p.source, "problem": p.problem} for p in problems],
        }

    async def try_draft(self, article_id: str, extra_questions: list[str]) -> dict[str, Any]:
        """What the assistant would answer with the draft published (content/drafts.py)."""
        draft = await self._draft(article_id)
        unanswered = await self.insights.top_unanswered(UNANSWERED_REPLAYED)
        questions = replay_questions(
            self.labelled, [row.question for row in unanswered], extra_questions
        )
        return await asyncio.to_thread(self._replay, draft, questions)

    def _replay(self, draft: Article, questions: list[ReplayQuestion]) -> dict[str, Any]:
        before = self.knowledge_base.state.index
        after = self.knowledge_base.index_with(draft)
        threshold = self.thresholds.answer

        def searching(index: SearchIndex) -> Search:
            return lambda text: index.search(text, threshold)

        searches = (searching(before), searching(after))
        outcome = compare_replay(draft.id, questions, self.labelled, searches, self.thresholds)
        return {"article_id": draft.id, "article_version": article_version(draft), **outcome}

    async def _draft(self, article_id: str) -> Article:
        path = await asyncio.to_thread(article_file, self.folder, article_id)
        if path is None:
            raise NotFound(f"no article {article_id!r} in the articles folder")
        try:
            article = await asyncio.to_thread(read_article, path)
        except ArticleError as problem:
            raise InvalidRequest(f"the draft cannot be read: {problem}") from None
        _require_id(article, article_id)
        if article.published:
            raise InvalidRequest(f"{article_id} is published already, not a draft")
        return article

    async def publish(self, article_id: str, expected_version: str, by: str) -> dict[str, Any]:
        """Flip the draft's file to published, if it still is the version the editor saw."""
        article = await self._write_locked(
            article_id, lambda: self._publish_file(article_id, expected_version)
        )
        at = await self._audit("publish", by, article)
        log.info("%s published article %s (version %s)", by, article_id, article_version(article))
        return {**article_json(article), "published_by": by, "published_at": at}

    async def _write_locked(self, article_id: str, write: Callable[[], _Written]) -> _Written:
        """Run a write of the article's file under its lock: one save or publish of an article
        at a time, across replicas."""
        try:
            async with held(
                self.redis,
                PUBLISH_LOCK.format(article_id=article_id),
                hold_seconds=PUBLISH_HOLD_SECONDS,
                wait_seconds=PUBLISH_WAIT_SECONDS,
            ):
                return await asyncio.to_thread(write)
        except LockBusy:
            raise lifecycle.Conflict(f"{article_id} is being saved or published") from None

    async def _audit(self, action: str, by: str, article: Article) -> str:
        """Who did what to which version, and when (returned)."""
        at = iso_utc(self.clock())
        version = article_version(article)
        await self.store.audit(
            {"at": at, "action": action, "by": by, "article_id": article.id, "version": version}
        )
        return at

    def _publish_file(self, article_id: str, expected_version: str) -> Article:
        path, text, current = self._current(article_id)
        if current.published:
            raise lifecycle.Conflict(f"{article_id} is already published")
        _require_version(current, expected_version, "publishing")
        try:
            new_text = published_text(text, path.name, self.clock().date())
        except ArticleError as problem:
            raise InvalidRequest(f"the draft cannot be published: {problem.problem}") from None
        write_atomically(path, new_text)
        return parse_article(new_text, path.name)

    async def draft_text(self, article_id: str) -> dict[str, Any]:
        """A draft with its file's text, for the editor."""
        _, text, draft = await asyncio.to_thread(self._current, article_id)
        if draft.published:
            raise InvalidRequest(f"{article_id} is published already, not a draft")
        return {**article_json(draft), "text": text, "file_version": file_version(text)}

    async def save_draft(
        self, article_id: str, text: str, expected_file_version: str, by: str
    ) -> dict[str, Any]:
        """Rewrite the draft's file with the editor's text, if the file still is the text they
        opened (its file_version: front matter included); one write of an article at a time
        (the publish lock). The saved draft with its new file_version, to save again."""
        article, saved_text = await self._write_locked(
            article_id, lambda: self._save_file(article_id, text, expected_file_version)
        )
        await self._audit("edit", by, article)
        return {**article_json(article), "file_version": file_version(saved_text)}

    def _save_file(
        self, article_id: str, text: str, expected_file_version: str
    ) -> tuple[Article, str]:
        path, old_text, current = self._current(article_id)
        if current.published:
            raise lifecycle.Conflict(f"{article_id} is published: edit it in the files")
        now = file_version(old_text)
        if now != expected_file_version:
            raise lifecycle.Conflict(
                f"{article_id}'s file changed since you opened it (file version"
                f" {expected_file_version}, {now} now): open it again and redo your edit there"
            )
        try:
            new_text = edited_text(text, path.name, article_id, self.clock().date())
        except ArticleError as problem:
            raise InvalidRequest(f"the draft was not saved: {problem.problem}") from None
        write_atomically(path, new_text)
        return parse_article(new_text, path.name), new_text

    def _current(self, article_id: str) -> tuple[Path, str, Article]:
        """The article's file, its text and what it says now (read once)."""
        path = article_file(self.folder, article_id)
        if path is None:
            raise NotFound(f"no article {article_id!r} in the articles folder")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"no article {article_id!r} in the articles folder") from None
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidRequest(f"the draft cannot be read: {error}") from None
        try:
            current = parse_article(text, path.name)
        except ArticleError as problem:
            raise InvalidRequest(f"the draft cannot be read: {problem.problem}") from None
        _require_id(current, article_id)
        return path, text, current

    async def suggestions(self, limit: int) -> list[Suggestion]:
        return await self.store.suggestions(limit)

    async def draft_from_suggestion(self, suggestion_id: str, by: str) -> dict[str, Any]:
        """A new draft file from the suggestion; its article id and version."""
        suggestion = await self.store.suggestion(suggestion_id)
        if suggestion is None:
            raise NotFound(f"no suggestion {suggestion_id}")
        if suggestion.draft_article_id is not None:
            raise lifecycle.Conflict(
                f"suggestion {suggestion_id} is draft {suggestion.draft_article_id} already"
            )
        article = await asyncio.to_thread(self._write_draft, suggestion)
        await self.store.save_suggestion(replace(suggestion, draft_article_id=article.id))
        await self._audit("draft", by, article)
        return {**article_json(article), "suggestion_id": suggestion_id}

    def _write_draft(self, suggestion: Suggestion) -> Article:
        return self._write_new(
            suggestion.question,
            lambda article_id: draft_article(suggestion, article_id, self.clock().date()),
        )

    async def draft_from_topic(self, questions: list[str], by: str) -> dict[str, Any]:
        """A new draft for a gap topic's questions: titled by the first (the representative),
        all of them in `questions:`, filed beside the article closest to them; its answer is
        still to be written (PLACEHOLDER, which publishing refuses)."""
        best = await asyncio.to_thread(
            lambda: self.knowledge_base.state.index.search(questions[0], 0.0, limit=1).best
        )
        category = best.article.category if best else "general"
        team = best.article.team if best else "general"
        today = self.clock().date()
        article = await asyncio.to_thread(
            self._write_new,
            questions[0],
            lambda article_id: draft_markdown(
                article_id, questions, PLACEHOLDER, category=category, team=team, today=today
            ),
        )
        await self._audit("draft", by, article)
        return article_json(article)

    def _write_new(self, question: str, markdown: Callable[[str], str]) -> Article:
        """A new draft's file, under an id from the question that no article or file has
        (retried if one appears meanwhile); `markdown(article_id)` is its text."""
        for _ in range(20):
            taken = {path.stem for path in self.folder.glob("*.md")}
            taken |= set(self.knowledge_base.state.index.articles)
            article_id = unique_slug(question, taken)
            if create_exclusively(self.folder / f"{article_id}.md", markdown(article_id)):
                return read_article(self.folder / f"{article_id}.md")
        raise lifecycle.Conflict("could not find a free article id; try again")

    async def agent_finished(self, record: TicketRecord, agent_id: str) -> None:
        """After a resolve or a hand-back: the customer's question and the agent's answer join
        the suggestions (once per ticket). Redis failing is logged, never fails the action."""
        index = self.knowledge_base.state.index if self.knowledge_base.searchable else None
        shown = {
            article.id: (article.category, article.team)
            for article in (index.articles.values() if index else ())
        }
        team = record.routing.skill_team or record.team
        now = self.clock()
        suggestion = suggestion_from_ticket(record.ticket, team, agent_id, iso_utc(now), shown)
        if suggestion is None:
            return
        try:
            await self.store.add_suggestion(suggestion, now.timestamp())
        except RedisUnavailable as error:
            log.error("could not keep an agent's answer as a suggestion: %s", error)

    async def audit(self, limit: int) -> list[dict[str, str]]:
        return await self.store.audit_entries(limit)

    async def close(self) -> None:
        await self.redis.aclose()


async def open_content_desk(
    redis_url: str,
    knowledge_base: KnowledgeBase,
    insights: InsightStore,
    thresholds: Thresholds,
    clock: Clock,
) -> ContentDesk:
    """The desk on a Redis client of its own (checked), with the labelled questions loaded."""
    client = await connect_checked(redis_url)
    labelled = await asyncio.to_thread(load_questions, KB_QUESTIONS)
    return ContentDesk(
        knowledge_base, insights, ContentStore(client), client, thresholds, labelled, clock
    )


def _require_version(article: Article, expected_version: str, before: str) -> None:
    """409 when the file is not the version the editor looked at (an edit in git, another
    editor's save or publish): it is never overwritten."""
    if article_version(article) != expected_version:
        raise lifecycle.Conflict(
            f"{article.id} changed since version {expected_version}: it is"
            f" {article_version(article)} now; look at it again before {before}"
        )


def _require_id(article: Article, article_id: str) -> None:
    """The file named after the id holds that article, not another one."""
    if article.id != article_id:
        raise InvalidRequest(f"{article.source} holds article {article.id!r}, not {article_id!r}")


def article_json(article: Article) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "title": article.title,
        "status": article.status,
        "category": article.category,
        "team": article.team,
        "updated": article.updated.isoformat(),
        "article_version": article_version(article),
        "file": article.source,
        "sections": [section.heading for section in article.sections],
    }
