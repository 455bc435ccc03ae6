"""Intent classification by a logistic regression over the service's sentence vector and the
pipeline's sparse n-gram counts.

DIET reads the same features and, on the public CLINC150 benchmark, gets 89 % of in-scope queries
right; a plain logistic regression over them gets 96 % (`make eval-oos`, BENCHMARKS.md). This
component trains that regression on the intent examples and replaces DIET's intent and ranking
with its own. The features: the all-MiniLM-L6-v2 vector (unit length) next to the sparse sentence
features of the featurizers before it (word and character n-gram counts, scaled to unit length),
so the n-grams catch what the vector blurs ("not quite what I needed"). DIET stays in the
pipeline for entities, and its intent is kept when a message has no sentence vector (the service
was unreachable), so the assistant degrades instead of failing.

Put it after DIETClassifier and before FallbackClassifier: the fallback's confidence and
ambiguity rules then read this component's probabilities. With `calibrate: true` they are
calibrated: a temperature fitted at training time by cross-validation
(rasa_extensions/calibration.py) undoes the thin spread of a model trained on few examples per
intent. Off by default: on CLINC150 (BENCHMARKS.md) it raised in-scope accuracy by 1.7-2.8 points
but cut out-of-scope recall by 19-20, as the 0.4 cut also rejects out-of-scope messages the
uncalibrated model is unsure of; and training fits the regression five more times. The model
(rasa_extensions/vector_model.py) is stored as plain arrays (coefficients, intercepts,
temperature, intent names), not a pickle.

Config: `C` (inverse regularisation strength, sklearn's meaning), `max_iterations`,
`ranking_length` (how many intents the ranking keeps, as DIET's setting), `ngrams` (false: the
vector alone), `calibrate` (true: fit the temperature; false, the default: temperature 1).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse
from sklearn.preprocessing import normalize

from rasa_extensions.sentence_vector import sentence_vector
from rasa_extensions.vector_model import (
    DEFAULT_C,
    DEFAULT_MAX_ITERATIONS,
    VectorModel,
    fit_vector_model,
)

__all__ = ["VectorIntentClassifier", "VectorModel"]

log = logging.getLogger(__name__)
WEIGHTS_FILE = "weights.npz"
INTENTS_FILE = "intents.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class VectorIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": DEFAULT_C,
            "max_iterations": DEFAULT_MAX_ITERATIONS,
            "ranking_length": 10,
            "ngrams": True,
            "calibrate": False,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: VectorModel | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VectorIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VectorIntentClassifier:
        try:
            with model_storage.read_from(resource) as folder:
                intents = json.loads((folder / INTENTS_FILE).read_text(encoding="utf-8"))
                with np.load(folder / WEIGHTS_FILE) as weights:
                    temperature = 1.0  # a model trained before calibration: as it was
                    if "temperature" in weights.files:
                        temperature = float(weights["temperature"])
                    model = VectorModel(
                        intents, weights["coefficients"], weights["intercepts"], temperature
                    )
        except (ValueError, FileNotFoundError, OSError, KeyError):
            log.warning("no trained intent vectors stored: DIET's intents are used unchanged")
            model = None
        return cls(config, model_storage, resource, model)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not float(config.get("C", 0)) > 0:
            raise ValueError("VectorIntentClassifier: C must be a positive number")
        if not int(config.get("ranking_length", 0)) >= 2:
            raise ValueError("VectorIntentClassifier: ranking_length must be at least 2")

    def train(self, training_data: TrainingData) -> Resource:
        rows, intents = [], []
        for example in training_data.intent_examples:
            row = self.features(example)
            if row is not None:
                rows.append(row)
                intents.append(example.get(INTENT))
        if len(set(intents)) < 2:
            raise ValueError(
                "VectorIntentClassifier needs sentence vectors for at least two intents: put it "
                "after ServiceSentenceFeaturizer in the pipeline"
            )
        self._model, _ = fit_vector_model(
            sparse.vstack(rows).tocsr(),
            np.array(intents, dtype=object),
            float(self._config["C"]),
            int(self._config["max_iterations"]),
            calibrated=bool(self._config.get("calibrate", False)),
        )
        with self._storage.write_to(self._resource) as folder:
            (folder / INTENTS_FILE).write_text(json.dumps(self._model.intents), encoding="utf-8")
            np.savez_compressed(
                folder / WEIGHTS_FILE,
                coefficients=self._model.coefficients,
                intercepts=self._model.intercepts,
                temperature=np.float64(self._model.temperature),
            )
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            row = self.features(message) if self._model is not None else None
            if row is None or self._model is None:
                continue  # no vector (service unreachable): DIET's intent stands
            if row.shape[1] != self._model.width:
                log.error("%d intent features, the model has %d", row.shape[1], self._model.width)
                continue
            probabilities = self._model.probabilities(row)
            best = np.argsort(-probabilities)[: int(self._config["ranking_length"])]
            ranking = [
                {
                    INTENT_NAME_KEY: self._model.intents[i],
                    PREDICTED_CONFIDENCE_KEY: float(probabilities[i]),
                }
                for i in best
            ]
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def features(self, message: Message) -> sparse.csr_matrix | None:
        """One row: the n-gram counts scaled to unit length (when `ngrams`), then the unit
        sentence vector; None without a vector."""
        vector = sentence_vector(message)
        if vector is None:
            return None
        dense = sparse.csr_matrix(vector.reshape(1, -1))
        if not self._config["ngrams"]:
            return dense
        _, counts = message.get_sparse_features(TEXT)
        if counts is None:
            return dense
        return sparse.hstack([normalize(sparse.csr_matrix(counts.features)), dense]).tocsr()
