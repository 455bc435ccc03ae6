"""Guards on JSON text before it is parsed, for every process that reads JSON from outside.

Nesting is measured on the text, so a body or a socket.io packet like `[[[[...` never reaches
the parser's recursion. Lone UTF-16 surrogates (JSON `"\\ud800"`: half an emoji, which a browser
can send when it cuts a message) cannot be encoded as UTF-8 for Redis, the tokenizer or a log;
they become U+FFFD, so the message is still answered and stored. The service's body reader
(service/request_parsing.py) and the gateway's socket.io codec (gateway/packet_json.py) use them.
Standard library only.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_DEPTH = 32  # a Rasa tracker, the deepest body the service takes, nests about 8 levels
REPLACEMENT_CHARACTER = "\ufffd"

# An unterminated string runs to the end of the text (the parser refuses such a body anyway):
# requiring the closing quote would make the scan quadratic on a body of escaped quotes.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON text (brackets inside strings do not count)."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(0, max(accumulate(_BRACKET_STEP[bracket] for bracket in brackets), default=0))


def without_lone_surrogates(text: str) -> str:
    """The text with each lone UTF-16 surrogate replaced by U+FFFD (valid text is unchanged)."""
    return _LONE_SURROGATE.sub(REPLACEMENT_CHARACTER, text)
