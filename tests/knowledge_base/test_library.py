"""The live knowledge base at scale: only changed files are embedded again, a long first load is
served while it embeds, and the ranking sorts only the best passages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge_base import index as index_module
from knowledge_base import library
from knowledge_base.articles import load_articles
from knowledge_base.index import SearchIndex, passages_for
from knowledge_base.library import KnowledgeBase
from tests.conftest import SAMPLE_ARTICLES

ARTICLES = ("hub-offline.md", "return-policy.md", "refund-timeline.md", "camera-offline.md")


class CountingEmbedder:
    """A stand-in model: deterministic vectors from the words, and every text it was asked."""

    name = "counting"

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts.extend(texts)
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, hash(word) % 64] += 1.0
        vectors[:, 0] += 0.01  # never a zero vector
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _folder(tmp_path: Path, names: Sequence[str] = ARTICLES) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in names:
        (folder / name).write_text((SAMPLE_ARTICLES / name).read_text())
    return folder


def _passage_texts(folder: Path, name: str) -> list[str]:
    articles, _ = load_articles(folder)
    (article,) = [a for a in articles if a.source == name]
    return [passage.text for passage in passages_for(article)]


def test_an_edit_embeds_only_the_edited_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    model = CountingEmbedder()
    knowledge_base = KnowledgeBase(folder, model)
    knowledge_base.refresh()
    model.texts.clear()
    path = folder / "return-policy.md"
    path.write_text(path.read_text().replace("30 days", "45 days"))

    assert knowledge_base.refresh() is True
    assert sorted(model.texts) == sorted(_passage_texts(folder, "return-policy.md"))
    assert knowledge_base.state.version == 2
    sections = {p.section.text for p in knowledge_base.state.index.passages}
    assert any("45 days" in text for text in sections)
    assert not any("30 days from delivery" in text for text in sections)


def test_the_index_after_edits_is_the_index_of_a_fresh_load(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    knowledge_base = KnowledgeBase(folder, CountingEmbedder())
    knowledge_base.refresh()
    (folder / "camera-offline.md").unlink()
    (folder / "plus-billing.md").write_text((SAMPLE_ARTICLES / "plus-billing.md").read_text())
    hub = folder / "hub-offline.md"
    hub.write_text(hub.read_text().replace("amber", "orange"))
    knowledge_base.refresh()

    fresh = KnowledgeBase(folder, CountingEmbedder())
    fresh.refresh()
    live, loaded = knowledge_base.state.index, fresh.state.index
    assert live.articles == loaded.articles
    assert [p.text for p in live.passages] == [p.text for p in loaded.passages]
    for query in ("hub light orange", "when is plus billed", "refund to my card"):
        assert live.search(query, 0.5) == loaded.search(query, 0.5)


def test_drafts_and_broken_files_are_not_embedded_and_a_fix_is(tmp_path: Path) -> None:
    folder = _folder(tmp_path, ("hub-offline.md", "holiday-returns-2026.md"))
    (folder / "broken.md").write_text("no front matter")
    model = CountingEmbedder()
    knowledge_base = KnowledgeBase(folder, model)
    knowledge_base.refresh()
    assert sorted(model.texts) == sorted(_passage_texts(folder, "hub-offline.md"))
    assert "holiday-returns-2026" in knowledge_base.state.index.articles
    assert [error.source for error in knowledge_base.state.errors] == ["broken.md"]

    model.texts.clear()
    (folder / "broken.md").write_text((SAMPLE_ARTICLES / "refund-timeline.md").read_text())
    knowledge_base.refresh()
    assert sorted(model.texts) == sorted(_passage_texts(folder, "broken.md"))
    assert knowledge_base.state.errors == ()


def test_the_first_file_with_an_id_keeps_it_until_it_is_removed(tmp_path: Path) -> None:
    folder = _folder(tmp_path, ("hub-offline.md",))
    copy = (SAMPLE_ARTICLES / "hub-offline.md").read_text().replace("amber", "orange")
    (folder / "zz-hub-copy.md").write_text(copy)
    knowledge_base = KnowledgeBase(folder, CountingEmbedder())
    knowledge_base.refresh()
    assert knowledge_base.state.index.articles["hub-offline"].source == "hub-offline.md"
    (error,) = knowledge_base.state.errors
    assert error.source == "zz-hub-copy.md" and "already used by hub-offline.md" in error.problem

    (folder / "hub-offline.md").unlink()
    knowledge_base.refresh()
    assert knowledge_base.state.index.articles["hub-offline"].source == "zz-hub-copy.md"
    assert knowledge_base.state.errors == ()


def test_a_long_load_publishes_each_batch_with_what_is_still_embedding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "FIRST_BATCH", 1)  # one file a batch
    monkeypatch.setattr(library, "LARGEST_BATCH", 1)
    folder = _folder(tmp_path)
    seen: list[tuple[int, int]] = []  # (articles searchable, files still embedding) per batch

    class Watching(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            if knowledge_base.searchable:
                state = knowledge_base.state
                seen.append((len(state.index.articles), state.embedding))
            return super().embed(texts)

    knowledge_base = KnowledgeBase(folder, Watching())
    assert knowledge_base.refresh() is True
    assert seen == [(1, 3), (2, 2), (3, 1)]
    assert knowledge_base.state.embedding == 0
    assert len(knowledge_base.state.index.articles) == 4


async def test_load_serves_what_is_embedded_once_patience_runs_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "FIRST_BATCH", 1)
    monkeypatch.setattr(library, "LARGEST_BATCH", 1)
    folder = _folder(tmp_path)
    release = threading.Event()

    class Slow(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            if self.calls >= 1:  # the first file embeds at once, the rest waits
                release.wait(10)
            return super().embed(texts)

    knowledge_base = KnowledgeBase(folder, Slow())
    loading = await knowledge_base.load(patience=0.0, small=0)
    assert not loading.done()
    assert len(knowledge_base.state.index.articles) == 1
    assert knowledge_base.state.embedding == 3
    release.set()
    assert await loading is True
    assert len(knowledge_base.state.index.articles) == 4
    assert knowledge_base.state.embedding == 0


async def test_a_small_first_load_is_waited_for_whole_however_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "FIRST_BATCH", 1)
    monkeypatch.setattr(library, "LARGEST_BATCH", 1)

    class Slow(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            threading.Event().wait(0.2)  # every file is slow, the patience is gone at once
            return super().embed(texts)

    knowledge_base = KnowledgeBase(_folder(tmp_path), Slow())
    loading = await knowledge_base.load(patience=0.0)  # four articles: far below SMALL_LOAD
    assert loading.done()
    assert len(knowledge_base.state.index.articles) == 4
    assert knowledge_base.state.embedding == 0


async def test_load_waits_for_everything_within_its_patience(tmp_path: Path) -> None:
    knowledge_base = KnowledgeBase(_folder(tmp_path), CountingEmbedder())
    loading = await knowledge_base.load(patience=30.0)
    assert loading.done()
    assert len(knowledge_base.state.index.articles) == 4


async def test_stop_ends_a_load_between_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library, "FIRST_BATCH", 1)
    monkeypatch.setattr(library, "LARGEST_BATCH", 1)
    release = threading.Event()

    class Stopping(CountingEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            if self.calls >= 1:
                release.wait(10)
            return super().embed(texts)

    model = Stopping()
    knowledge_base = KnowledgeBase(_folder(tmp_path), model)
    loading = await knowledge_base.load(patience=0.0, small=0)
    knowledge_base.stop()
    release.set()
    assert await asyncio.wait_for(loading, 10) is False
    assert model.calls == 2


def test_ranking_looks_at_the_best_passages_only_and_agrees_with_scoring_every_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles, _ = load_articles(SAMPLE_ARTICLES)
    index = SearchIndex(articles, CountingEmbedder())
    share, margin = index_module.SECOND_PASSAGE_SHARE, index_module.SECOND_PASSAGE_MARGIN
    chance = np.random.default_rng(15)
    for top_rows in (64, 2):  # 2: the best rows seldom settle five articles; it looks further
        monkeypatch.setattr(index_module, "TOP_ROWS", top_rows)
        for _ in range(50):
            scores = chance.random(len(index.passages)).astype(np.float32) * 2 - 1
            by_article: dict[str, list[float]] = {}
            for passage, score in zip(index.passages, scores, strict=True):
                if passage.ranks_article:
                    by_article.setdefault(passage.article.id, []).append(float(score))
            rank = {
                article_id: sorted(found)[-1] + share * (sorted(found)[-2] if len(found) > 1 else 0)
                for article_id, found in by_article.items()
            }
            bar = max(max(found) for found in by_article.values()) - margin
            expected = sorted(
                rank, key=lambda article_id: (max(by_article[article_id]) < bar, -rank[article_id])
            )[:5]
            ranked = index.ranked("q", 0.5, scores, limit=5)
            assert [m.article.id for m in ranked.matches] == expected
            assert [m.score for m in ranked.matches] == [
                round(max(by_article[article_id]), 4) for article_id in expected
            ]


def _two_articles() -> tuple[SearchIndex, np.ndarray, dict[str, list[int]]]:
    """The sample index, all-zero passage scores, and the ranking rows of the two return
    articles, for a test to score by hand."""
    articles, _ = load_articles(SAMPLE_ARTICLES)
    index = SearchIndex(articles, CountingEmbedder())
    rows: dict[str, list[int]] = {"return-policy": [], "start-a-return": []}
    for row, passage in enumerate(index.passages):
        if passage.ranks_article and passage.article.id in rows:
            rows[passage.article.id].append(row)
    return index, np.zeros(len(index.passages), dtype=np.float32), rows


def test_an_article_that_matches_in_two_places_outranks_one_that_matches_in_one() -> None:
    index, scores, rows = _two_articles()
    scores[rows["return-policy"][0]] = 0.70  # one good match
    scores[rows["start-a-return"][:2]] = 0.68  # two nearly as good
    ranked = index.ranked("q", 0.5, scores, limit=2)
    assert [m.article.id for m in ranked.matches] == ["start-a-return", "return-policy"]
    assert [m.score for m in ranked.matches] == [0.68, 0.7]  # each its best passage's cosine


def test_many_middling_passages_never_outrank_a_clearly_better_single_match() -> None:
    index, scores, rows = _two_articles()
    scores[rows["return-policy"][0]] = 0.61  # a section written for exactly this question
    scores[rows["start-a-return"]] = 0.45  # every passage of a broader article, a bit alike
    ranked = index.ranked("q", 0.5, scores, limit=2)
    assert [m.article.id for m in ranked.matches] == ["return-policy", "start-a-return"]
    assert ranked.answered


def test_a_batch_is_embedded_shortest_first_in_bounded_calls_and_comes_back_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(library, "EMBED_CALL", 3)
    model = CountingEmbedder()
    texts = [f"{'word ' * length}{length}" for length in (5, 1, 9, 3, 7, 2, 8)]
    vectors = library._embedded_by_length(model, texts)
    assert model.calls == 3
    assert model.texts == sorted(texts, key=len)
    np.testing.assert_array_equal(vectors, CountingEmbedder().embed(texts))
