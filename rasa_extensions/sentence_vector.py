"""The sentence vector ServiceSentenceFeaturizer put on a message, as a unit vector."""

from __future__ import annotations

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


def sentence_vector(message: Message) -> np.ndarray | None:
    """The unit-length dense sentence feature of the text; None when there is no non-zero one
    (a zero vector means the service could not be reached)."""
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        return None
    vector = np.asarray(sentence.features, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None
