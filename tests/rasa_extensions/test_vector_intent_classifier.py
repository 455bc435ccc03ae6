"""The intent classifier over sentence vectors and n-gram counts: learns from the examples,
ranks every intent, survives a reload, and leaves DIET's intent alone when the service gave no
vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_extensions.vector_intent_classifier import VectorIntentClassifier, VectorModel

AXES = np.eye(4).tolist()


def message(text: str, vector: list[float], intent: str | None = None) -> Message:
    data = {TEXT: text}
    if intent:
        data["intent"] = intent
    result = Message(data=data)
    result.add_features(Features(np.asarray([vector], dtype=np.float32), "sentence", TEXT, "t"))
    return result


def with_counts(result: Message, counts: list[float]) -> Message:
    """The sparse sentence features a CountVectorsFeaturizer would add."""
    matrix = scipy.sparse.coo_matrix(np.asarray([counts], dtype=np.float32))
    result.add_features(Features(matrix, "sentence", TEXT, "counts"))
    return result


def near(axis: int, noise: float) -> list[float]:
    vector = [noise] * 4
    vector[axis] = 1.0
    return vector


def as_diet_left_it(text: str, vector: list[float]) -> Message:
    result = message(text, vector)
    result.set("intent", {"name": "greet", "confidence": 0.99})
    result.set("intent_ranking", [{"name": "greet", "confidence": 0.99}])
    return result


def train(tmp_path: Path, examples: list[Message], **config: object) -> VectorIntentClassifier:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intents")
    context = ExecutionContext(GraphSchema({}), "test")
    settings = {**VectorIntentClassifier.get_default_config(), **config}
    VectorIntentClassifier.create(settings, storage, resource, context).train(
        TrainingData(examples)
    )
    return VectorIntentClassifier.load(settings, storage, resource, context)


@pytest.fixture
def trained(tmp_path: Path) -> VectorIntentClassifier:
    examples = [
        message(f"{intent} {n}", near(axis, 0.1 * n), intent)
        for axis, intent in enumerate(["greet", "order_status", "ask_question"])
        for n in range(3)
    ]
    return train(tmp_path, examples)


def test_a_reloaded_model_classifies_by_meaning_and_ranks_every_intent(
    trained: VectorIntentClassifier,
) -> None:
    [where] = trained.process([as_diet_left_it("where is my parcel", near(1, 0.05))])

    assert where.get("intent")["name"] == "order_status"
    ranking = where.get("intent_ranking")
    assert [entry["name"] for entry in ranking][0] == "order_status"
    assert {entry["name"] for entry in ranking} == {"greet", "order_status", "ask_question"}
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0, abs=1e-5)
    assert ranking == sorted(ranking, key=lambda entry: -entry["confidence"])


def test_without_a_sentence_vector_diets_intent_stands(trained: VectorIntentClassifier) -> None:
    [offline] = trained.process([as_diet_left_it("hi", [0.0, 0.0, 0.0, 0.0])])

    assert offline.get("intent") == {"name": "greet", "confidence": 0.99}


def test_the_fallback_classifier_reads_its_confidence(trained: VectorIntentClassifier) -> None:
    """Halfway between two intents: low and ambiguous, so Rasa's fallback takes over."""
    [unsure] = trained.process([as_diet_left_it("hm", [0.7, 0.7, 0.0, 0.0])])
    fallback = FallbackClassifier(
        {**FallbackClassifier.get_default_config(), "threshold": 0.5, "ambiguity_threshold": 0.1}
    )

    [decided] = fallback.process([unsure])

    assert decided.get("intent")["name"] == "nlu_fallback"


def test_the_ranking_is_cut_at_its_configured_length(tmp_path: Path) -> None:
    examples = [message(f"i{axis}", near(axis, 0.0), f"intent_{axis}") for axis in range(4)]
    classifier = train(tmp_path, examples, ranking_length=2)

    [result] = classifier.process([as_diet_left_it("x", near(3, 0.0))])

    assert [entry["name"] for entry in result.get("intent_ranking")][0] == "intent_3"
    assert len(result.get("intent_ranking")) == 2


def test_two_intents_give_complementary_probabilities(tmp_path: Path) -> None:
    examples = [message("yes", near(0, 0.0), "affirm"), message("no", near(1, 0.0), "deny")]
    classifier = train(tmp_path, examples)

    [result] = classifier.process([as_diet_left_it("yep", near(0, 0.1))])

    assert result.get("intent")["name"] == "affirm"
    confidences = [entry["confidence"] for entry in result.get("intent_ranking")]
    assert sum(confidences) == pytest.approx(1.0)


def test_training_without_vectors_fails_loudly(tmp_path: Path) -> None:
    examples = [message("hi", [0.0] * 4, "greet"), message("bye", [0.0] * 4, "goodbye")]

    with pytest.raises(ValueError, match="after ServiceSentenceFeaturizer"):
        train(tmp_path, examples)


@pytest.mark.parametrize("config", [{"C": 0}, {"ranking_length": 1}])
def test_a_bad_config_is_refused(config: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        VectorIntentClassifier.validate_config(
            {**VectorIntentClassifier.get_default_config(), **config}
        )


def test_a_model_needs_two_intents() -> None:
    with pytest.raises(ValueError, match="two intents"):
        VectorModel(["greet"], np.zeros((1, 4)), np.zeros(1))


def test_the_n_grams_tell_apart_what_the_vector_blurs(tmp_path: Path) -> None:
    """ "That helped" and "not quite what I needed" can sit close in vector space; the counted
    words ("not") separate them."""
    same = near(0, 0.1)
    examples = [
        with_counts(message(f"helped {n}", same, "feedback_helpful"), [1.0, 0.0]) for n in range(3)
    ] + [
        with_counts(message(f"not quite {n}", same, "feedback_not_helpful"), [1.0, 1.0])
        for n in range(3)
    ]
    classifier = train(tmp_path, examples)

    [negated] = classifier.process([with_counts(as_diet_left_it("not it", same), [1.0, 1.0])])

    assert negated.get("intent")["name"] == "feedback_not_helpful"


def test_features_of_another_width_leave_diets_intent(tmp_path: Path) -> None:
    examples = [
        with_counts(message(f"i{axis}", near(axis, 0.0), f"intent_{axis}"), [1.0, 0.0])
        for axis in range(3)
    ]
    classifier = train(tmp_path, examples)

    [result] = classifier.process([with_counts(as_diet_left_it("x", near(1, 0.0)), [1.0])])

    assert result.get("intent") == {"name": "greet", "confidence": 0.99}


def test_the_calibrated_confidence_survives_a_reload(tmp_path: Path) -> None:
    """Enough examples to cross-validate: the fitted temperature is stored with the weights, and
    the reloaded model gives the confidences the freshly trained one gave."""
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    context = ExecutionContext(GraphSchema({}), "test")
    settings = {**VectorIntentClassifier.get_default_config(), "calibrate": True}
    examples = [
        message(f"{axis} {n}", near(axis, 0.05 * n), f"intent_{axis}")
        for axis in range(4)
        for n in range(5)
    ]
    fresh = VectorIntentClassifier.create(settings, storage, resource, context)
    fresh.train(TrainingData(examples))
    reloaded = VectorIntentClassifier.load(settings, storage, resource, context)
    query = [0.6, 0.5, 0.1, 0.0]

    [before] = fresh.process([as_diet_left_it("q", query)])
    [after] = reloaded.process([as_diet_left_it("q", query)])

    weights = weights_of(storage, resource)
    assert float(weights["temperature"]) != pytest.approx(1.0)
    assert after.get("intent_ranking") == pytest.approx(before.get("intent_ranking"))
    intents = sorted(f"intent_{axis}" for axis in range(4))
    unscaled = VectorModel(intents, weights["coefficients"], weights["intercepts"])
    row = scipy.sparse.csr_matrix(np.asarray([query]) / np.linalg.norm(query))
    assert after.get("intent")["confidence"] != pytest.approx(unscaled.probabilities(row).max())


def weights_of(storage: LocalModelStorage, resource: Resource) -> dict[str, np.ndarray]:
    with storage.read_from(resource) as folder, np.load(folder / "weights.npz") as weights:
        return {name: weights[name] for name in weights.files}


def test_a_model_stored_before_calibration_loads_unscaled(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    context = ExecutionContext(GraphSchema({}), "test")
    with storage.write_to(resource) as folder:
        (folder / "intents.json").write_text('["deny", "affirm_more", "greet"]')
        np.savez_compressed(
            folder / "weights.npz", coefficients=np.eye(3, 4), intercepts=np.zeros(3)
        )
    settings = VectorIntentClassifier.get_default_config()
    classifier = VectorIntentClassifier.load(settings, storage, resource, context)

    [result] = classifier.process([as_diet_left_it("x", [1.0, 0.0, 0.0, 0.0])])

    expected = np.exp(1.0) / (np.exp(1.0) + 2.0)  # softmax of (1, 0, 0): temperature 1
    assert result.get("intent") == {"name": "deny", "confidence": pytest.approx(expected)}


def test_calibration_is_off_unless_configured(tmp_path: Path) -> None:
    examples = [
        message(f"{axis} {n}", near(axis, 0.05 * n), f"intent_{axis}")
        for axis in range(4)
        for n in range(5)
    ]
    train(tmp_path, examples)

    storage = LocalModelStorage(tmp_path)
    assert float(weights_of(storage, Resource("intents"))["temperature"]) == 1.0
