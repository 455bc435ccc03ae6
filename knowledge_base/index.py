"""The searchable index: every section of every published article as a unit vector.

Pure: built from parsed articles and an embedder, searched with a query vector. An article's
score is its best-matching passage; the answer is that passage, trimmed for a chat bubble.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge_base.answers import plain_text, trim_answer
from knowledge_base.articles import Article, Section
from knowledge_base.embeddings import Embedder


@dataclass(frozen=True)
class Passage:
    """A text that is embedded and searched, and the section it answers with."""

    article: Article
    section: Section
    text: str
    overview: bool = False


@dataclass(frozen=True)
class Match:
    article: Article
    section: Section
    score: float

    @property
    def answer(self) -> str:
        return trim_answer(self.section.text)


@dataclass(frozen=True)
class SearchResult:
    query: str
    threshold: float
    matches: tuple[Match, ...]  # best first, one per article

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @property
    def answered(self) -> bool:
        return self.best is not None and self.best.score >= self.threshold


def passages_for(article: Article) -> list[Passage]:
    """What gets embedded for one article: each headed section in the article's context, and
    overview passages (title and tags; title and introduction). An introduction describes the
    article
    rather than answering anything, so the overview answers with the first headed section."""
    answerable = [section for section in article.sections if section.heading] or list(
        article.sections
    )
    passages = [
        Passage(
            article, section, ". ".join((article.title, section.heading, plain_text(section.text)))
        )
        for section in answerable
    ]
    overview = f"{article.title}. {', '.join(article.tags)}"
    passages.append(Passage(article, answerable[0], overview, overview=True))
    for intro in (s for s in article.sections if not s.heading):
        text = f"{article.title}. {plain_text(intro.text)}"
        passages.append(Passage(article, answerable[0], text, overview=True))
    return passages


class SearchIndex:
    def __init__(
        self,
        articles: Sequence[Article],
        embedder: Embedder,
        query_embedder: Embedder | None = None,
    ) -> None:
        """embedder embeds the passages (usually cached on disk); query_embedder the customers'
        questions, which are never written to disk (defaults to embedder)."""
        self.articles = {article.id: article for article in articles}
        self.passages = [
            passage
            for article in articles
            if article.published
            for passage in passages_for(article)
        ]
        self._query_embedder = query_embedder or embedder
        self._vectors = embedder.embed([passage.text for passage in self.passages])

    @property
    def published_count(self) -> int:
        return sum(1 for article in self.articles.values() if article.published)

    def search(self, query: str, threshold: float, limit: int = 3) -> SearchResult:
        if not self.passages or not query.strip():
            return SearchResult(query, threshold, ())
        query_vector = self._query_embedder.embed([query])[0]
        scores = self._vectors @ query_vector
        best_per_article: dict[str, Match] = {}
        answer_section: dict[str, Section] = {}
        for position in np.argsort(-scores):
            passage = self.passages[int(position)]
            article_id = passage.article.id
            if article_id not in best_per_article:
                if len(best_per_article) == limit:
                    continue
                best_per_article[article_id] = Match(
                    passage.article, passage.section, round(float(scores[position]), 4)
                )
            if article_id not in answer_section and not passage.overview:
                # the article's best-matching section answers, even when its overview matched best
                answer_section[article_id] = passage.section
            if len(answer_section) == len(best_per_article) == limit:
                break
        matches = tuple(
            Match(match.article, answer_section.get(article_id, match.section), match.score)
            for article_id, match in best_per_article.items()
        )
        return SearchResult(query, threshold, matches)
