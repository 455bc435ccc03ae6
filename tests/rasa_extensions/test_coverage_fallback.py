"""The coverage fallback: messages unlike every training example become nlu_fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions.coverage_fallback import CoverageFallbackClassifier


def message(text: str, vector: list[float], intent: str | None = None) -> Message:
    data = {TEXT: text}
    if intent:
        data["intent"] = intent
    result = Message(data=data)
    features = np.asarray([vector], dtype=np.float32)
    result.add_features(Features(features, "sentence", TEXT, "test"))
    return result


def classified(text: str, vector: list[float], intent: str, confidence: float) -> Message:
    result = message(text, vector)
    result.set("intent", {"name": intent, "confidence": confidence})
    result.set("intent_ranking", [{"name": intent, "confidence": confidence}])
    return result


@pytest.fixture
def trained(tmp_path: Path) -> CoverageFallbackClassifier:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("coverage")
    context = ExecutionContext(GraphSchema({}), "test")
    config = CoverageFallbackClassifier.get_default_config()
    component = CoverageFallbackClassifier.create(config, storage, resource, context)
    examples = [
        message("hello", [1.0, 0.0, 0.0], "greet"),
        message("bye", [0.0, 1.0, 0.0], "goodbye"),
    ]
    component.train(TrainingData(examples))
    return CoverageFallbackClassifier.load(config, storage, resource, context)


def test_a_message_unlike_every_example_becomes_a_fallback(
    trained: CoverageFallbackClassifier,
) -> None:
    [gibberish] = trained.process([classified("jkl poiu", [0.2, 0.1, 1.0], "greet", 0.99)])
    assert gibberish.get("intent")["name"] == "nlu_fallback"
    assert gibberish.get("intent_ranking")[0]["name"] == "nlu_fallback"
    assert gibberish.get("coverage") < 0.4


def test_a_message_like_an_example_keeps_its_intent_and_reports_its_coverage(
    trained: CoverageFallbackClassifier,
) -> None:
    [hello] = trained.process([classified("hi there", [0.9, 0.1, 0.0], "greet", 0.95)])
    assert hello.get("intent")["name"] == "greet"
    assert hello.get("coverage") == pytest.approx(0.9939, abs=1e-3)


def test_without_a_sentence_vector_nothing_changes(trained: CoverageFallbackClassifier) -> None:
    [offline] = trained.process([classified("hi", [0.0, 0.0, 0.0], "greet", 0.9)])
    assert offline.get("intent")["name"] == "greet"
    assert offline.get("coverage") is None
