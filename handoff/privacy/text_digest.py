"""A short digest of a text, for memos and markers that must not keep the text itself.

The tracker store's masking memo and its cross-worker marker, the escalation decision's
sentiment memo and the early sentence-vector requests all key what they remember by this
digest: a customer's message, card number or password never sits in a cache key. Python 3.10
compatible, standard library only.
"""

from __future__ import annotations

import hashlib


def text_digest(text: str | bytes) -> bytes:
    """16 bytes of BLAKE2b; a str is hashed as its UTF-8 bytes (so a text and its encoding as
    Redis returns it give the same digest), a lone surrogate ("\\ud800", which JSON can carry)
    included."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()
