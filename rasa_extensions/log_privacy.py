"""Rasa's own log lines without what customers wrote: a logging filter for `rasa run`.

config/rasa-logging.yml installs `CustomerTextFilter` on the root handler (stack/processes.py
passes it with `--logging-config-file`). Rasa 3.6 logs some events through structlog, rendered
to JSON before Python's logging sees them (rasa/utils/log_utils.py, JSON whenever stderr is no
terminal; the stack also sets FORCE_JSON_LOGGING). Such a line can hold the customer's message:
`rest.message.received.failure` (a message that failed, e.g. while Redis is down) carries it as
`text`, and the exception it logs carries every frame's local variables (the text again, the
sender id, the tracker).

The filter rewrites each structlog line (a JSON object with an "event" field): the event name,
level and explanation stay; each exception keeps its type, its message and the frames it went
through (file, line, function); every other field keeps its name with its value withheld. Other
lines pass unchanged (Rasa writes no message text in its plain log lines at INFO). structlog's
terminal rendering (`event key=value`) cannot be told apart from a plain line: it is why the
stack sets FORCE_JSON_LOGGING. Standard library only: it is imported by the bot env.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

WITHHELD = "<withheld>"
# Fields of Rasa's structlog events that never hold what a customer wrote; any other field
# (text, message, tracker states, slot values, events, entities...) is withheld.
OPERATIONAL_FIELDS = frozenset(
    {"event", "level", "event_info", "timestamp", "filename", "host", "placeholder_key"}
)


class CustomerTextFilter(logging.Filter):
    """Rewrites structlog's JSON lines to their operational fields; never drops a line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("{"):
            rewritten = without_customer_text(record.getMessage())
            if rewritten is not None:
                record.msg, record.args = rewritten, ()
        return True


def without_customer_text(line: str) -> str | None:
    """A structlog line (a JSON object with an "event") with only its operational fields;
    None for any other line."""
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    if not isinstance(fields, dict) or "event" not in fields:
        return None
    kept: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "exception":
            kept[name] = _exception_summary(value)
        elif name in OPERATIONAL_FIELDS:
            kept[name] = value
        else:
            kept[name] = WITHHELD
    return json.dumps(kept, ensure_ascii=False)


def _exception_summary(value: object) -> object:
    """structlog's dict traceback without the frames' local variables and source lines."""
    if not isinstance(value, list):
        return WITHHELD
    summary = []
    for exception in value:
        if not isinstance(exception, dict):
            continue
        frames = exception.get("frames")
        summary.append(
            {
                "exc_type": exception.get("exc_type"),
                "exc_value": exception.get("exc_value"),
                "frames": [
                    f"{_short_path(frame.get('filename'))}:{frame.get('lineno')} "
                    f"in {frame.get('name')}"
                    for frame in (frames if isinstance(frames, list) else [])
                    if isinstance(frame, dict)
                ],
            }
        )
    return summary


def _short_path(filename: object) -> str:
    """A frame's file from the package on (`rasa/core/lock_store.py`), not the venv's path."""
    text = str(filename)
    marker = "site-packages" + os.sep
    return text.split(marker, 1)[1] if marker in text else text
