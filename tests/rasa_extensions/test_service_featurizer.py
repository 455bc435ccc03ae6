"""The NLU featurizer against a stand-in service (a real aiohttp server on loopback).
Training and conversations with the real service run in `make test`'s Rasa and e2e steps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions import service_featurizer
from rasa_extensions.service_featurizer import EmbeddingServiceError, ServiceSentenceFeaturizer
from rasa_extensions.vector_prefetch import PREFETCH

TOKEN = "featurizer-test-token-0123456789"


class StandIn:
    def __init__(self) -> None:
        self.model = "all-MiniLM-L6-v2"
        self.batches: list = []
        self.slow_requests = 0  # how many of the next requests take `slow_seconds` (a busy machine)
        self.slow_seconds = 0.0
        self.failing_requests = 0  # how many of the next requests answer 503

    async def embed(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "missing or wrong service token"}, status=401)
        if self.slow_requests:
            self.slow_requests -= 1
            await asyncio.sleep(self.slow_seconds)
        if self.failing_requests:
            self.failing_requests -= 1
            return web.json_response({"error": "busy"}, status=503)
        texts = (await request.json())["texts"]
        self.batches.append(texts)
        vectors = [[float(len(text))] + [0.0] * 383 for text in texts]
        return web.json_response({"model": self.model, "dimensions": 384, "vectors": vectors})


@pytest.fixture
def stand_in() -> Iterator[dict[str, Any]]:
    """Runs in its own thread: the featurizer makes blocking calls, as inside Rasa."""
    service = StandIn()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/nlu/embed", service.embed)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield {"service": service, "url": f"http://127.0.0.1:{port}"}
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


def featurizer(url: str, token: str = TOKEN, **config: Any) -> ServiceSentenceFeaturizer:
    full = {**ServiceSentenceFeaturizer.get_default_config(), **config}
    return ServiceSentenceFeaturizer(full, "service_featurizer", url, token)


def sentence_vector(message: Message) -> np.ndarray:
    _, sentence = message.get_dense_features(TEXT)
    assert sentence is not None
    return sentence.features


def test_every_message_gets_the_service_vector_in_batches(stand_in) -> None:  # type: ignore[no-untyped-def]
    messages = [Message(data={TEXT: "x" * n}) for n in range(1, 6)] + [Message(data={})]
    featurizer(stand_in["url"], batch_size=2).process(messages)
    assert [len(batch) for batch in stand_in["service"].batches] == [2, 2, 1]
    assert [float(sentence_vector(m)[0][0]) for m in messages[:5]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert messages[-1].get_dense_features(TEXT) == (None, None)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Training's patience, scaled down: 0.5 s a batch, two retries 0.05 s apart."""
    monkeypatch.setattr(service_featurizer, "TRAINING_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(service_featurizer, "TRAINING_RETRY_SECONDS", (0.05, 0.05))


def test_training_stops_when_the_service_is_unreachable(quick_retries) -> None:  # type: ignore[no-untyped-def]
    data = TrainingData([Message(data={TEXT: "hello", "intent": "greet"})])
    with pytest.raises(EmbeddingServiceError, match="after 3 attempts"):
        featurizer("http://127.0.0.1:9").process_training_data(data)


def test_training_waits_for_a_busy_service_and_asks_again(stand_in, quick_retries) -> None:  # type: ignore[no-untyped-def]
    """Another training on the same cores: a batch slower than a customer may wait, then a 503.
    Training gets its vectors all the same; a running bot does not wait that long."""
    service = stand_in["service"]
    service.slow_requests, service.slow_seconds, service.failing_requests = 1, 0.8, 1
    data = TrainingData([Message(data={TEXT: "hello", "intent": "greet"})])

    featurizer(stand_in["url"], timeout_seconds=0.2).process_training_data(data)

    assert float(sentence_vector(data.training_examples[0])[0][0]) == 5.0
    service.slow_requests = 1
    message = Message(data={TEXT: "hello"})
    featurizer(stand_in["url"], timeout_seconds=0.2).process([message])
    assert not sentence_vector(message).any()  # at run time: a zero vector, no retry


def test_a_running_bot_degrades_to_zero_vectors_when_the_service_is_down() -> None:
    message = Message(data={TEXT: "hello"})
    featurizer("http://127.0.0.1:9", timeout_seconds=1).process([message])
    assert not sentence_vector(message).any()


def test_a_different_embedding_model_is_refused(stand_in) -> None:  # type: ignore[no-untyped-def]
    stand_in["service"].model = "some-other-model"
    with pytest.raises(EmbeddingServiceError, match="retrain"):
        featurizer(stand_in["url"]).process_training_data(
            TrainingData([Message(data={TEXT: "hi"})])
        )


def test_a_wrong_token_is_reported(stand_in) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EmbeddingServiceError, match="401"):
        featurizer(stand_in["url"], token="wrong").process_training_data(
            TrainingData([Message(data={TEXT: "hi"})])
        )


def test_a_vector_asked_for_when_the_message_arrived_is_not_asked_for_again(stand_in) -> None:  # type: ignore[no-untyped-def]
    """The REST channel starts the request as the message is let in; the NLU takes it."""
    service = stand_in["service"]
    pipeline = featurizer(stand_in["url"])  # registers its way to the service
    PREFETCH.start("  where is my parcel, it was due on monday  ")  # Rasa strips the message
    message = Message(data={TEXT: "where is my parcel, it was due on monday"})

    pipeline.process([message])

    assert service.batches == [["where is my parcel, it was due on monday"]]
    assert float(sentence_vector(message)[0][0]) == 40.0


def test_a_failed_early_request_is_asked_again_by_the_nlu(stand_in) -> None:  # type: ignore[no-untyped-def]
    service = stand_in["service"]
    pipeline = featurizer(stand_in["url"])
    service.failing_requests = 1
    PREFETCH.start("my heater shows error e4")
    message = Message(data={TEXT: "my heater shows error e4"})

    pipeline.process([message])

    assert float(sentence_vector(message)[0][0]) == 24.0
    assert service.batches == [["my heater shows error e4"]]  # the retry; the 503 kept none
