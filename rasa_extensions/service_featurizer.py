"""A Rasa NLU featurizer that adds all-MiniLM-L6-v2 sentence vectors from the service.

The sentence-transformers model needs torch and a current Python, which Rasa 3.6's environment
cannot have; the service (Python 3.11) serves the vectors over loopback (`POST /nlu/embed`).
DIET then sees what a message means, not only its words and character n-grams, which matters
for short, varied messages ("see ya", "cheers") and for questions worded unlike the examples.

Settings: `SERVICE_URL` and `SERVICE_TOKEN` from the environment (set by `python -m stack`).
If the service cannot be reached while Rasa is running, the message gets a zero vector and an
error is logged: NLU confidence drops, the FallbackClassifier takes over, and the fallback
action explains that help is unavailable. Training is patient instead - on a busy machine (another
training on the same cores) a batch can take far longer than a customer may wait - so it allows
TRAINING_TIMEOUT_SECONDS a batch and retries a timeout, a refused connection or a 5xx with
back-off (TRAINING_RETRY_SECONDS); then it fails loudly, so no model is ever trained on missing
features. These are constants, not component settings: they change no model's fingerprint.

At run time the REST channel has usually started the request when the message was let in
(`rasa_extensions/vector_prefetch.py`), so the service embeds while Rasa takes the
conversation's lock and reads the tracker; the featurizer takes that vector, or asks itself.

At run time each message also keeps its vector, compacted, in its parse data
(`sentence_vector`, see handoff/detection/vectors.py): the escalation policy uses it to notice a
customer asking an unanswered question again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import numpy as np
import requests
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from handoff.detection.vectors import PARSE_DATA_KEY, encode_vector
from rasa_extensions.vector_prefetch import PREFETCH

log = logging.getLogger(__name__)
DEFAULT_SERVICE_URL = "http://127.0.0.1:8300"
TRAINING_TIMEOUT_SECONDS = 120.0
TRAINING_RETRY_SECONDS = (2.0, 5.0, 15.0)  # the waits between the attempts of one batch


class EmbeddingServiceError(RasaException):
    """The service could not provide sentence vectors."""


class EmbeddingServiceBusy(EmbeddingServiceError):
    """A timeout, a refused connection or a 5xx: worth trying again while training."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class ServiceSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model": "all-MiniLM-L6-v2",  # must match the service; part of Rasa's fingerprint
            "dimensions": 384,
            "batch_size": 32,
            "timeout_seconds": 10.0,
        }

    def __init__(self, config: dict[str, Any], name: str, url: str, token: str) -> None:
        super().__init__(name, config)
        self._url = url.rstrip("/") + "/nlu/embed"
        self._token = token
        self._sessions = threading.local()  # one per thread: Rasa's loop, the prefetch threads
        PREFETCH.register(self._prefetched_vector)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ServiceSentenceFeaturizer:
        url = os.environ.get("SERVICE_URL", DEFAULT_SERVICE_URL)
        token = os.environ.get("SERVICE_TOKEN", "")
        return cls(config, execution_context.node_name, url, token)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("batch_size", 0)) < 1 or int(config.get("batch_size", 0)) > 64:
            raise ValueError("ServiceSentenceFeaturizer: batch_size must be between 1 and 64")

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples, strict=True)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages, strict=False, keep_in_parse_data=True)
        return messages

    def _featurize(
        self, messages: list[Message], strict: bool, keep_in_parse_data: bool = False
    ) -> None:
        to_embed = [message for message in messages if message.get(TEXT)]
        size = int(self._config["batch_size"])
        for start in range(0, len(to_embed), size):
            batch = to_embed[start : start + size]
            vectors = self._vectors([str(message.get(TEXT))[:1000] for message in batch], strict)
            for message, vector in zip(batch, vectors, strict=True):
                self.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)
                encoded = encode_vector(vector.tolist()) if keep_in_parse_data else None
                if encoded:  # compared by the escalation decision (detection/vectors.py)
                    message.set(PARSE_DATA_KEY, encoded, add_to_output=True)

    def _vectors(self, texts: list[str], strict: bool) -> np.ndarray:
        if strict:
            return self._training_vectors(texts)
        timeout = float(self._config["timeout_seconds"])
        vectors = np.zeros((len(texts), int(self._config["dimensions"])), dtype=np.float32)
        missing = []
        for row, text in enumerate(texts):
            prefetched = PREFETCH.take(text, timeout)
            if prefetched is not None and prefetched.shape == vectors[row].shape:
                vectors[row] = prefetched
            else:
                missing.append(row)
        if missing:
            try:
                vectors[missing] = self._request([texts[row] for row in missing], timeout)
            except EmbeddingServiceError as error:
                log.error("no sentence vectors for %d message(s): %s", len(missing), error)
        return vectors

    def _prefetched_vector(self, text: str) -> np.ndarray:
        """One text's vector, for `PREFETCH` (in its threads)."""
        return self._request([text], float(self._config["timeout_seconds"]))[0]

    def _training_vectors(self, texts: list[str]) -> np.ndarray:
        """A batch for training: a busy service is waited for and asked again, a wrong one
        (token, model, shape) fails at once."""
        waits = iter(TRAINING_RETRY_SECONDS)
        attempt = 1
        while True:
            try:
                return self._request(texts, TRAINING_TIMEOUT_SECONDS)
            except EmbeddingServiceBusy as error:
                wait = next(waits, None)
                if wait is None:
                    raise EmbeddingServiceError(f"{error} (after {attempt} attempts)") from error
                log.warning(
                    "sentence vectors: %s; attempt %d, again in %.0f s", error, attempt, wait
                )
                time.sleep(wait)
                attempt += 1

    def _request(self, texts: list[str], timeout: float) -> np.ndarray:
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = session.post(self._url, json={"texts": texts}, timeout=timeout)
        except requests.RequestException as error:
            raise EmbeddingServiceBusy(f"{self._url} unreachable ({error})") from error
        if response.status_code >= 500:
            raise EmbeddingServiceBusy(f"{self._url} answered {response.status_code}")
        if response.status_code != 200:
            raise EmbeddingServiceError(
                f"{self._url} answered {response.status_code}: {response.text[:200]}"
            )
        body = response.json()
        if body.get("model") != self._config["model"]:
            raise EmbeddingServiceError(
                f"the service embeds with {body.get('model')!r}, this pipeline expects "
                f"{self._config['model']!r}: retrain the model"
            )
        vectors = np.asarray(body["vectors"], dtype=np.float32)
        if vectors.shape != (len(texts), int(self._config["dimensions"])):
            raise EmbeddingServiceError(f"unexpected vector shape {vectors.shape}")
        return vectors
