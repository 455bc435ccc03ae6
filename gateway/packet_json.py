"""The JSON codec of the gateway's socket.io server: the standard library's, except that a
packet nesting deeper than the service accepts is not parsed at all.

python-socketio decodes every packet of every connection with `json.loads` before any handler
or limit sees it; a 64 KB packet of "[[[[..." would cost a deep recursion and a RecursionError
traceback per packet. Such a packet decodes as the event `REFUSED_EVENT` instead, which the
gateway answers with a `gateway_error` (the connection stays usable). What else a packet must
be before a handler sees it is in gateway/packets.py.
"""

from __future__ import annotations

import json
from typing import Any

from infra.json_text import MAX_DEPTH, nesting_depth

REFUSED_EVENT = "packet_refused"
TOO_DEEP = "too_deep"  # the reason the refused event carries (gateway/packets.py words it)


def loads(text: str | bytes, **options: Any) -> Any:
    source = text.decode("utf-8") if isinstance(text, bytes) else text
    if nesting_depth(source) > MAX_DEPTH:
        return [REFUSED_EVENT, TOO_DEEP]
    return json.loads(source, **options)


def dumps(value: Any, **options: Any) -> str:
    return json.dumps(value, **options)
