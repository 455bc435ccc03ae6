"""The live knowledge base: articles on disk, kept searchable while they change.

`KnowledgeBase.refresh()` compares the folder with what it last read, file by file (name, size,
modification time): only added and edited files are read and embedded again, removed files are
dropped, and every other file keeps the passages and vectors it had; a new index is built from
them and swapped in. An edit therefore costs one file's parsing and its dozen embeddings,
however large the help centre.

Embedding runs in batches, and after each batch the articles embedded so far are published, so
a cold start (an empty embedding cache and thousands of sections) serves what is ready while
the rest embeds; `IndexState.embedding` says how many article files are still waiting. The
service starts the first load with `load()` and calls `watch()` as a background task.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge_base.articles import Article, ArticleError, duplicate_id, read_article
from knowledge_base.embeddings import Embedder
from knowledge_base.index import Passage, SearchIndex, passages_for
from knowledge_base.products import NO_PRODUCTS, Products

log = logging.getLogger(__name__)

Snapshot = tuple[tuple[str, int, int], ...]
FIRST_BATCH = 256
LARGEST_BATCH = 4096
"""Passages embedded between two publications: small at first (searchable soon), doubling up
to this (each publication rebuilds the index, tens of milliseconds at 10,000 sections)."""
SMALL_LOAD = 3000
"""A first load that embeds at most this many passages (a few hundred articles) is waited for
whole, however slow the cores: only a larger one is served while it embeds."""


def snapshot(folder: Path) -> Snapshot:
    """Names, sizes and modification times of the articles: cheap to take every half second."""
    entries = []
    for path in folder.glob("*.md"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between glob and stat
            continue
        entries.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(entries))


@dataclass(frozen=True)
class IndexState:
    index: SearchIndex
    errors: tuple[ArticleError, ...]
    version: int
    embedding: int = 0
    """Article files read but not embedded yet (a cold start): not searchable until they are."""


@dataclass(frozen=True)
class ArticleFile:
    """What one file gave when it was last read: its article or why it cannot be used, and
    the passages it contributes with their vectors (none for a draft or a broken file)."""

    stamp: tuple[int, int]  # size, modification time
    article: Article | None
    error: ArticleError | None
    passages: tuple[Passage, ...] = ()
    vectors: np.ndarray | None = None


class KnowledgeBase:
    def __init__(
        self,
        folder: Path,
        embedder: Embedder,
        query_embedder: Embedder | None = None,
        products: Products = NO_PRODUCTS,
    ) -> None:
        self.folder = folder
        self.products = products
        """The shop's products (knowledge_base/products.yml), for follow-up questions."""
        self._embedder = embedder
        self._query_embedder = query_embedder if query_embedder is not None else embedder
        self._snapshot: Snapshot | None = None
        self._state: IndexState | None = None
        self._files: dict[str, ArticleFile] = {}  # file name -> what it gave, embedded
        self._lock = threading.Lock()  # one refresh at a time (the first load, the watch loop)
        self._stopping = threading.Event()
        self._to_embed = 0  # passages the running refresh embeds, all batches together

    @property
    def state(self) -> IndexState:
        if self._state is None:
            raise RuntimeError("the knowledge base has not been loaded yet; call refresh()")
        return self._state

    @property
    def searchable(self) -> bool:
        return self._state is not None

    def refresh(self) -> bool:
        """Bring the index up to date with the folder. Returns True when it was rebuilt."""
        with self._lock:
            current = snapshot(self.folder)
            if current == self._snapshot and self._state is not None:
                return False
            stamps = {name: (size, modified) for name, size, modified in current}
            self._files = {
                name: kept for name, kept in self._files.items() if stamps.get(name) == kept.stamp
            }
            names = sorted(stamps.keys() - self._files.keys())
            waiting = []
            for name, read in (self._read(name, stamps[name]) for name in names):
                if read.article is None or not read.article.published:
                    self._files[name] = read  # nothing to embed
                else:
                    waiting.append((name, read))
            remaining = len(waiting)
            self._to_embed = sum(len(read.passages) for _, read in waiting)
            for batch in _batches(waiting):
                if self._stopping.is_set():
                    return False
                self._files.update(self._embedded(batch))
                remaining -= len(batch)
                if remaining:
                    self._publish(embedding=remaining)
            self._publish(embedding=0)
            self._snapshot = current
            return True

    def index_with(self, draft: Article) -> SearchIndex:
        """The index now served plus `draft` as if it were published (replacing a published
        article of the same id), built aside: the live index is not touched, and only the
        draft's passages are embedded (through the same cache as every article)."""
        return self.state.index.adding([draft], self._embedder)

    def _read(self, name: str, stamp: tuple[int, int]) -> tuple[str, ArticleFile]:
        try:
            article = read_article(self.folder / name)
        except ArticleError as error:
            return name, ArticleFile(stamp, None, error)
        passages = tuple(passages_for(article)) if article.published else ()
        return name, ArticleFile(stamp, article, None, passages)

    def _embedded(self, batch: list[tuple[str, ArticleFile]]) -> dict[str, ArticleFile]:
        """The batch's files with their vectors."""
        vectors = _embedded_by_length(
            self._embedder, [p.text for _, read in batch for p in read.passages]
        )
        embedded, start = {}, 0
        for name, read in batch:
            end = start + len(read.passages)
            embedded[name] = ArticleFile(
                read.stamp, read.article, read.error, read.passages, vectors[start:end]
            )
            start = end
        return embedded

    def _publish(self, embedding: int) -> None:
        """Swap in an index of every embedded file, in name order (the first file with an id
        keeps it; a later one is reported)."""
        articles: list[Article] = []
        errors: list[ArticleError] = []
        passages: list[Passage] = []
        vectors: list[np.ndarray] = []
        seen: dict[str, str] = {}
        for name in sorted(self._files):
            found = self._files[name]
            if found.article is None:
                errors.append(found.error or ArticleError(name, "cannot be read"))
            elif found.article.id in seen:
                errors.append(duplicate_id(found.article, seen[found.article.id]))
            else:
                seen[found.article.id] = name
                articles.append(found.article)
                passages.extend(found.passages)
                if found.vectors is not None and len(found.vectors):
                    vectors.append(found.vectors)
        for error in errors:
            log.warning("article skipped: %s", error)
        matrix = np.vstack(vectors) if vectors else np.zeros((0, 384), dtype=np.float32)
        index = SearchIndex.from_vectors(articles, passages, matrix, self._query_embedder)
        version = (self._state.version + 1) if self._state else 1
        self._state = IndexState(index, tuple(errors), version, embedding)
        log.info(
            "knowledge base v%d: %d published articles, %d passages, %d skipped%s",
            version,
            index.published_count,
            len(index.passages),
            len(errors),
            f", {embedding} still embedding" if embedding else "",
        )

    async def load(self, patience: float = 10.0, small: int = SMALL_LOAD) -> asyncio.Future[bool]:
        """Start the first load in a worker thread and return when every article is searchable;
        but when it embeds more than `small` passages (a cold cache with thousands of
        sections), return after `patience` seconds with what is searchable by then, the rest
        being published as it is embedded. Returns the load, which `watch()` waits for; an error
        before anything is searchable is raised here."""
        loop = asyncio.get_running_loop()
        loading = asyncio.ensure_future(loop.run_in_executor(None, self.refresh))
        deadline = loop.time() + patience
        while not loading.done():
            if self.searchable and self._to_embed > small and loop.time() >= deadline:
                return loading
            await asyncio.wait({loading}, timeout=0.1)
        loading.result()
        return loading

    def stop(self) -> None:
        """Stop a load between two batches (the service is shutting down)."""
        self._stopping.set()

    async def watch(
        self, interval: float = 0.5, loading: asyncio.Future[bool] | None = None
    ) -> None:
        """Poll the folder forever; rebuilding runs in a worker thread to keep the loop free.
        `loading` (from load()) is finished first."""
        loop = asyncio.get_running_loop()
        if loading is not None:
            try:
                await loading
            except Exception:
                log.exception("loading the knowledge base failed; trying again")
        while True:
            await asyncio.sleep(interval)
            try:
                await loop.run_in_executor(None, self.refresh)
            except Exception:  # keep serving the last good index whatever happens
                log.exception("reloading the knowledge base failed; still serving the last index")


def _batches(
    waiting: list[tuple[str, ArticleFile]],
) -> Iterator[list[tuple[str, ArticleFile]]]:
    """Consecutive runs of files of about FIRST_BATCH passages, doubling to LARGEST_BATCH."""
    size, batch, passages = FIRST_BATCH, [], 0
    for entry in waiting:
        batch.append(entry)
        passages += len(entry[1].passages)
        if passages >= size:
            yield batch
            size, batch, passages = min(size * 2, LARGEST_BATCH), [], 0
    if batch:
        yield batch


EMBED_CALL = 64
"""Passages per call of the model: a call pads its texts to the longest, so the batch is sorted
by length first (little padding) and cut in calls of this size (bounded memory: a runtime that
runs one call as one tensor, such as ONNX Runtime, would otherwise hold thousands of padded
texts' attention at once)."""


def _embedded_by_length(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """One vector per text, in the texts' order, embedded shortest first in calls of
    EMBED_CALL texts."""
    order = sorted(range(len(texts)), key=lambda position: len(texts[position]))
    calls = [
        embedder.embed([texts[position] for position in order[start : start + EMBED_CALL]])
        for start in range(0, len(order), EMBED_CALL)
    ]
    if not calls:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = np.empty((len(texts), calls[0].shape[1]), dtype=np.float32)
    vectors[order] = np.vstack(calls)
    return vectors
