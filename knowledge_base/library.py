"""The live knowledge base: articles on disk, kept searchable while they change.

`KnowledgeBase.refresh()` re-reads the folder when anything in it changed (file added, removed,
edited) and swaps in a new index; unchanged sections come from the embedding cache, so an
edit costs one or two embeddings. The service calls `watch()` as a background task.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from knowledge_base.articles import ArticleError, load_articles
from knowledge_base.embeddings import Embedder
from knowledge_base.index import SearchIndex
from knowledge_base.products import NO_PRODUCTS, Products

log = logging.getLogger(__name__)

Snapshot = tuple[tuple[str, int, int], ...]


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
        self._query_embedder = query_embedder
        self._snapshot: Snapshot | None = None
        self._state: IndexState | None = None

    @property
    def state(self) -> IndexState:
        if self._state is None:
            raise RuntimeError("the knowledge base has not been loaded yet; call refresh()")
        return self._state

    def refresh(self) -> bool:
        """Rebuild the index if the folder changed. Returns True when it was rebuilt."""
        current = snapshot(self.folder)
        if current == self._snapshot and self._state is not None:
            return False
        articles, errors = load_articles(self.folder)
        for error in errors:
            log.warning("article skipped: %s", error)
        index = SearchIndex(articles, self._embedder, self._query_embedder)
        version = (self._state.version + 1) if self._state else 1
        self._state = IndexState(index, tuple(errors), version)
        self._snapshot = current
        log.info(
            "knowledge base v%d: %d published articles, %d passages, %d skipped",
            version,
            index.published_count,
            len(index.passages),
            len(errors),
        )
        return True

    async def watch(self, interval: float = 0.5) -> None:
        """Poll the folder forever; rebuilding runs in a worker thread to keep the loop free."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            try:
                await loop.run_in_executor(None, self.refresh)
            except Exception:  # keep serving the last good index whatever happens
                log.exception("reloading the knowledge base failed; still serving the last index")
