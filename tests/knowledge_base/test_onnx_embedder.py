"""The ONNX Runtime model gives the sentence-transformers vectors (the one the service runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embeddings import SentenceTransformerEmbedder
from knowledge_base.onnx_embedder import OnnxEmbedder, export_onnx, onnx_path

TEXTS = [
    "hello",
    "where is my order HL-123456, it was supposed to arrive last tuesday",
    "how do i reset my smart plgu",  # a typo
    "I want a REFUND now!!! 😡",
    "é ñ ü: accents and emoji",
    " ".join(["the hub keeps dropping off the wifi network"] * 40),  # beyond 256 tokens
]


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    return OnnxEmbedder(tmp_path_factory.mktemp("embeddings"))


def test_each_vector_agrees_with_sentence_transformers(
    onnx_model: OnnxEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    for text in TEXTS:
        ours, reference = onnx_model.embed([text])[0], embedder.embed([text])[0]
        assert float(ours @ reference) > 0.9999, text
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-5


def test_a_batch_gives_each_text_its_own_vector(onnx_model: OnnxEmbedder) -> None:
    together = onnx_model.embed(TEXTS)
    alone = np.vstack([onnx_model.embed([text]) for text in TEXTS])

    assert together.shape == (len(TEXTS), 384)
    assert np.allclose(together, alone, atol=1e-5)  # padding does not leak into the mean


def test_a_long_list_is_embedded_in_calls_and_kept_in_order(onnx_model: OnnxEmbedder) -> None:
    texts = [f"question number {n} " + "about returns " * (n % 7) for n in range(150)]

    together = onnx_model.embed(texts)

    assert together.shape == (150, 384)
    for position in (0, 63, 64, 149):
        assert np.allclose(together[position], onnx_model.embed([texts[position]])[0], atol=1e-5)


def test_nothing_to_embed_gives_an_empty_matrix(onnx_model: OnnxEmbedder) -> None:
    assert onnx_model.embed([]).shape == (0, 384)


def test_the_graph_is_exported_once(tmp_path: Path) -> None:
    first = export_onnx(tmp_path)
    written = first.stat().st_mtime_ns

    assert export_onnx(tmp_path) == first == onnx_path(tmp_path)
    assert first.stat().st_mtime_ns == written
    assert not list(first.parent.glob("*.tmp"))
