"""Sentence embeddings for Rasa's NLU pipeline (rasa_extensions.service_featurizer).

The model stays in the service env; Rasa (Python 3.10) asks for vectors over loopback.
Customers' messages are embedded here without being cached or logged.
"""

from __future__ import annotations

import asyncio

import numpy as np
from aiohttp import web

from knowledge_base.embeddings import Embedder
from service.errors import json_error
from service.keys import EMBEDDER
from service.request_parsing import read_json_object

MAX_TEXTS = 64
MAX_TEXT_CHARS = 1000


def one_at_a_time(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Embed each text on its own. In a batch, padding to the longest text changes the float
    arithmetic slightly, so a text's vector would depend on its neighbours; Rasa fingerprints
    the features, and unstable vectors would make every `rasa train` retrain DIET."""
    return np.vstack([embedder.embed([text]) for text in texts])


async def embed(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise json_error(web.HTTPBadRequest, "texts must be a non-empty list of strings")
    if len(texts) > MAX_TEXTS:
        raise json_error(web.HTTPBadRequest, f"at most {MAX_TEXTS} texts per request")
    if any(len(text) > MAX_TEXT_CHARS for text in texts):
        raise json_error(
            web.HTTPBadRequest, f"each text must be at most {MAX_TEXT_CHARS} characters"
        )
    embedder = request.app[EMBEDDER]
    loop = asyncio.get_running_loop()
    vectors = await loop.run_in_executor(None, one_at_a_time, embedder, texts)
    return web.json_response(
        {
            "model": embedder.name,
            "dimensions": int(vectors.shape[1]),
            "vectors": [[round(float(value), 6) for value in row] for row in vectors],
        }
    )
