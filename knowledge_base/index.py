"""The searchable index: every section of every published article as a unit vector.

Pure: built from parsed articles and an embedder, searched with a query vector. An article's
score is its best-matching passage; articles whose score is close to the top one's are ranked
by that score plus a share of their second-best passage (an article that matches in two places
beats one that matches in one, at a nearly equal best); the answer is the best passage's
section, trimmed for a chat bubble.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from knowledge_base.answers import plain_text, trim_answer
from knowledge_base.articles import Article, Section
from knowledge_base.embeddings import Embedder

LONG_SECTION_WORDS = 80
"""A section longer than this many words is also embedded in pieces of PIECE_WORDS: MiniLM's one
vector of a long answer blurs the sentence that answers."""
PIECE_WORDS = 40
"""About how many words (whole sentences) a piece of a long section holds."""
SECOND_PASSAGE_SHARE = 0.7
"""How much of an article's second-best ranking passage adds to its best when articles are
ranked. Match.score stays the best passage's cosine, which the thresholds are calibrated on."""
SECOND_PASSAGE_MARGIN = 0.05
"""Only articles whose best passage is within this of the best article's can be reordered by
their second passage: an article with many middling passages never outranks a clearly better
single match (a section just added for exactly this question, say)."""
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Passage:
    """A text that is embedded and searched, and the section it answers with."""

    article: Article
    section: Section
    text: str
    overview: bool = False  # describes the whole article; never chosen as the answer itself
    ranks_article: bool = True  # False: only helps choose the section within its article


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
    overview passages (title, tags and synonyms; title and introduction). An introduction
    describes the article rather than answering anything, so the overview answers with the
    first headed section. Each of the article's own `questions:` ranks the article too."""
    answerable = [section for section in article.sections if section.heading] or list(
        article.sections
    )
    passages = [
        Passage(
            article, section, ". ".join((article.title, section.heading, plain_text(section.text)))
        )
        for section in answerable
    ]
    for section in answerable:
        text = plain_text(section.text)
        if len(text.split()) <= LONG_SECTION_WORDS:
            continue
        pieces = section_pieces(text, PIECE_WORDS)
        if len(pieces) > 1:
            context = ". ".join(part for part in (article.title, section.heading) if part)
            passages.extend(
                Passage(article, section, f"{context}. {piece}" if context else piece)
                for piece in pieces
            )
    overview = f"{article.title}. {', '.join(article.tags + article.synonyms)}"
    passages.append(Passage(article, answerable[0], overview, overview=True))
    for intro in (s for s in article.sections if not s.heading and s not in answerable):
        text = f"{article.title}. {plain_text(intro.text)}"
        passages.append(Passage(article, answerable[0], text, overview=True))
    # A long section's vector is dominated by its body; its heading alone says what it answers.
    # Heading passages pick the section within an article but do not rank articles (alone they
    # match too many unanswerable questions).
    for section in answerable:
        if section.heading:
            lead = plain_text(section.text).split("\n")[0][:200]
            text = f"{section.heading} {lead}"
            passages.append(Passage(article, section, text, ranks_article=False))
    passages.extend(_question_passages(article, answerable))
    return passages


def section_pieces(text: str, size: int = PIECE_WORDS) -> list[str]:
    """The text in runs of whole sentences (or lines) of at least `size` words, the last run
    whatever is left; one piece when the text is no longer than that."""
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in (part.strip() for part in _SENTENCE_BREAK.split(text)):
        if not sentence:
            continue
        current.append(sentence)
        count += len(sentence.split())
        if count >= size:
            pieces.append(" ".join(current))
            current, count = [], 0
    if current:
        pieces.append(" ".join(current))
    return pieces


def _question_passages(article: Article, answerable: list[Section]) -> list[Passage]:
    """The content team's questions, each in its article's context (title, and the heading of
    the section it names): one naming a section answers with it; one about the whole article is
    an overview (the best-matching section answers). The context matters: a bare question
    matches any question worded alike ("how do I cancel my gym"), whatever its topic."""
    by_heading = {section.heading: section for section in answerable if section.heading}
    passages = []
    for question in article.questions:
        section = by_heading.get(question.section)
        if section is None:
            text = f"{article.title}. {question.text}"
            passages.append(Passage(article, answerable[0], text, overview=True))
        else:
            text = f"{article.title}. {section.heading}. {question.text}"
            passages.append(Passage(article, section, text))
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
        passages = [
            passage
            for article in articles
            if article.published
            for passage in passages_for(article)
        ]
        vectors = embedder.embed([passage.text for passage in passages])
        queries = query_embedder if query_embedder is not None else embedder
        self._set_up(articles, passages, vectors, queries)

    @classmethod
    def from_vectors(
        cls,
        articles: Sequence[Article],
        passages: Sequence[Passage],
        vectors: np.ndarray,
        query_embedder: Embedder,
    ) -> SearchIndex:
        """An index of passages embedded beforehand (one row of `vectors` per passage): the
        live knowledge base keeps each file's vectors and re-embeds only what changed."""
        if len(passages) != len(vectors):
            raise ValueError(f"{len(passages)} passages but {len(vectors)} vectors")
        index = cls.__new__(cls)
        index._set_up(articles, passages, vectors, query_embedder)
        return index

    def adding(self, articles: Sequence[Article], embedder: Embedder) -> SearchIndex:
        """A new index: this one's articles and passages (their vectors reused) with `articles`
        added as if published, each replacing an article of the same id. Only the added
        articles are embedded (with `embedder`); this index is left as it is. For trying a
        draft (content/drafts.py) without touching the live index."""
        added = [replace(article, status="published") for article in articles]
        replaced = {article.id for article in added}
        kept_rows = [row for row, p in enumerate(self.passages) if p.article.id not in replaced]
        new_passages = [passage for article in added for passage in passages_for(article)]
        new_vectors = embedder.embed([passage.text for passage in new_passages])
        kept = [a for a in self.articles.values() if a.id not in replaced]
        return SearchIndex.from_vectors(
            kept + added,
            [self.passages[row] for row in kept_rows] + new_passages,
            np.vstack([self._vectors[kept_rows], new_vectors]),
            self._query_embedder,
        )

    def _set_up(
        self,
        articles: Sequence[Article],
        passages: Sequence[Passage],
        vectors: np.ndarray,
        query_embedder: Embedder,
    ) -> None:
        self.articles = {article.id: article for article in articles}
        self.passages = list(passages)
        self._query_embedder = query_embedder
        rows: dict[str, list[int]] = {}
        ranking: dict[str, list[int]] = {}
        for row, passage in enumerate(self.passages):
            if not passage.overview:
                rows.setdefault(passage.article.id, []).append(row)
            if passage.ranks_article:
                ranking.setdefault(passage.article.id, []).append(row)
        self._answer_rows = {article_id: np.array(found) for article_id, found in rows.items()}
        self._ranking_rows = {article_id: np.array(found) for article_id, found in ranking.items()}
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def published_count(self) -> int:
        return sum(1 for article in self.articles.values() if article.published)

    def search(self, query: str, threshold: float, limit: int = 3) -> SearchResult:
        if not self.passages or not query.strip():
            return SearchResult(query, threshold, ())
        return self.ranked(query, threshold, self.passage_scores(query), limit)

    def passage_scores(self, query: str) -> np.ndarray:
        """The cosine similarity of the query to every passage (in `passages` order)."""
        query_vector = self._query_embedder.embed([query])[0]
        scores: np.ndarray = self._vectors @ query_vector
        return scores

    def ranked(
        self, query: str, threshold: float, scores: np.ndarray, limit: int = 3
    ) -> SearchResult:
        """The articles ranked under `scores` (one per passage; a benchmark may pass scores of
        its own), see `_best_articles`. Each match carries its best passage's score and the
        section that answers."""
        ranked = self._best_articles(scores, limit)
        matches = tuple(
            Match(self.articles[article_id], self._best_section(article_id, scores), score)
            for article_id, score in ranked
        )
        return SearchResult(query, threshold, matches)

    def _best_articles(self, scores: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """(article id, best passage score) for the `limit` best-ranked articles, best first:
        the articles whose best passage is within SECOND_PASSAGE_MARGIN of the top one first, by
        best + share x second-best; then the rest, the same way. Only the articles with a
        passage among the top rows are scored (argpartition, no full sort): any other article
        ranks at most (1 + share) x the lowest of those rows, so the rows are widened until the
        `limit`-th candidate ranks at least that."""
        count = TOP_ROWS
        share = SECOND_PASSAGE_SHARE
        while True:
            everything = count >= len(scores)
            top = np.arange(len(scores)) if everything else np.argpartition(-scores, count - 1)
            top = top[:count]
            candidates = {
                self.passages[int(row)].article.id
                for row in top
                if self.passages[int(row)].ranks_article
            }
            ranks = [self._article_rank(article_id, scores, share) for article_id in candidates]
            bar = max((best for _, best, _ in ranks), default=0.0) - SECOND_PASSAGE_MARGIN
            ranked = sorted(
                ((best >= bar, rank, best, article_id) for rank, best, article_id in ranks),
                reverse=True,
            )[:limit]
            lowest = float(scores[top].min()) if len(top) else 0.0
            unseen = (lowest >= bar, lowest + share * max(lowest, 0.0))  # the most one can rank
            if everything or (len(ranked) == limit and ranked[-1][:2] >= unseen):
                return [(article_id, round(best, 4)) for _, _, best, article_id in ranked]
            count *= 8

    def _article_rank(
        self, article_id: str, scores: np.ndarray, share: float
    ) -> tuple[float, float, str]:
        """(rank score, best score, id): best + share x second-best ranking passage."""
        found = scores[self._ranking_rows[article_id]]
        if len(found) == 1:
            return float(found[0]), float(found[0]), article_id
        second, best = np.partition(found, len(found) - 2)[-2:]
        return float(best) + share * float(second), float(best), article_id

    def _best_section(self, article_id: str, scores: np.ndarray) -> Section:
        """The section that answers: the article's best-matching section or heading passage,
        even when the article's overview is what matched best."""
        rows = self._answer_rows[article_id]
        return self.passages[int(rows[int(np.argmax(scores[rows]))])].section


TOP_ROWS = 64
"""How many of the best passages are looked at first when ranking articles: enough for `limit`
distinct articles almost always (an article has a dozen passages); more when not."""
