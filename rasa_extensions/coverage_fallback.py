"""An NLU fallback for messages unlike anything the assistant was trained on.

DIET is sure of itself on text it has never seen anything like: "jkl poiu mnbv" came out as
express_frustration with 0.99 confidence. This component keeps the sentence vectors
(all-MiniLM-L6-v2, from ServiceSentenceFeaturizer) of the training examples and measures each
message's coverage: its cosine similarity to the closest example. Below `threshold` the intent
becomes `nlu_fallback`, as Rasa's FallbackClassifier does for low confidence, so the message goes
to the knowledge base and counts as not understood. The coverage is kept in the parse data
(`coverage`) for the escalation decision and for analysis.

A message without a sentence vector (the service was unreachable) is left as DIET classified it.
Put it after FallbackClassifier in the pipeline.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions.sentence_vector import sentence_vector

log = logging.getLogger(__name__)
COVERAGE_KEY = "coverage"
VECTORS_FILE = "example_vectors.npy"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CoverageFallbackClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 0.4}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectors: np.ndarray | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._vectors = vectors

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CoverageFallbackClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CoverageFallbackClassifier:
        try:
            with model_storage.read_from(resource) as folder:
                vectors = np.load(folder / VECTORS_FILE)
        except (ValueError, FileNotFoundError, OSError):
            log.warning("no training vectors stored: coverage fallback is off for this model")
            vectors = None
        return cls(config, model_storage, resource, vectors)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 0.0 <= float(config.get("threshold", -1)) <= 1.0:
            raise ValueError("CoverageFallbackClassifier: threshold must be between 0 and 1")

    def train(self, training_data: TrainingData) -> Resource:
        vectors = [
            vector
            for example in training_data.intent_examples
            if (vector := sentence_vector(example)) is not None
        ]
        if not vectors:
            raise ValueError(
                "CoverageFallbackClassifier found no sentence vectors: put it after "
                "ServiceSentenceFeaturizer in the pipeline"
            )
        self._vectors = np.vstack(vectors).astype(np.float32)
        with self._storage.write_to(self._resource) as folder:
            np.save(folder / VECTORS_FILE, self._vectors)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            coverage = self.coverage(message)
            if coverage is None:
                continue
            message.set(COVERAGE_KEY, round(coverage, 4), add_to_output=True)
            intent = message.get(INTENT) or {}
            if coverage < self._config["threshold"] and (
                intent.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME
            ):
                fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME}
                fallback[PREDICTED_CONFIDENCE_KEY] = round(1.0 - coverage, 4)  # type: ignore[assignment]
                message.data[INTENT] = fallback
                message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(fallback))
        return messages

    def coverage(self, message: Message) -> float | None:
        """Cosine similarity to the closest training example; None without a vector."""
        vector = sentence_vector(message)
        if vector is None or self._vectors is None or not len(self._vectors):
            return None
        return float(np.max(self._vectors @ vector))
