"""A customer's question is embedded once per turn and never written to disk."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge_base.embeddings import Embedder
from service.settings import Settings
from tests.conftest import TOKEN


class CountingModel:
    """The real model, counting the texts it embeds."""

    def __init__(self, model: Embedder) -> None:
        self.name = model.name
        self.model = model
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.model.embed(texts)


def cached_files(settings: Settings) -> set[Path]:
    return set(Path(settings.embedding_cache_dir).rglob("*.npy"))


async def test_the_kb_search_of_a_turn_reuses_the_nlu_vector_and_writes_nothing(
    aiohttp_client, settings: Settings, embedder, redis_client
) -> None:  # type: ignore[no-untyped-def]
    from service.app import create_app

    model = CountingModel(embedder)
    app = create_app(settings, embedder_factory=lambda: model)
    client = await aiohttp_client(app, headers={"Authorization": f"Bearer {TOKEN}"})
    question = f"how long do refunds take to reach my card {secrets.token_hex(4)}"
    before = cached_files(settings)
    model.texts.clear()

    assert (await client.post("/nlu/embed", json={"texts": [question]})).status == 200
    search = await client.post("/kb/search", json={"query": question, "conversation_id": "c1"})

    assert search.status == 200
    assert (await search.json())["answer"]["article_id"] == "refund-timeline"
    assert model.texts == [question]  # the NLU's embedding served the search
    assert cached_files(settings) == before  # the question is not in the disk cache
