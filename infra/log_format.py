"""Structured logs: one JSON object a line, with personal data masked before it is written.

Every line of the service, the gateway and the order service is
`{"time", "level", "logger", "message", ...fields}` (fields: what a caller passed as `extra`,
and `exception` with the traceback's text). A log collector reads it field by field; a person
reads `message` (the launcher echoes the lines as they are, prefixed with the process name).

`RedactingFilter` sits on the handler, so it sees every record of every logger before it is
formatted: it masks the message (with its arguments filled in), the traceback and each string
field. It always masks what any log line can carry by mistake: email addresses, phone numbers
and bearer tokens (`redact_contacts`); a process adds its product's masking of typed secrets
(card numbers, IBANs, security codes, passwords: handoff/privacy/redact.py) by passing it in,
as `python -m service` and `python -m gateway` do. Standard library only, no product knowledge
(the bot env's Rasa logging config uses it too).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

Redactor = Callable[[str], str]

EMAIL = re.compile(r"[\w.+%-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
EMAIL_MASK = "[email removed]"
# International (+44 7700 900123, 0044...), national with a trunk 0 (020 7946 0958) and
# North American (555-010-1234, (555) 010-1234) numbers; 9 to 15 digits in all.
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\d{1,3}[\s.-]?(?:\(?\d{1,5}\)?[\s.-]?){1,5}\d{2,5}"
    r"|\(?0\d{2,5}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"
    r"|\(?[2-9]\d{2}\)?[\s.-]\d{3}[\s.-]\d{4})(?![\w])"
)
PHONE_DIGITS = range(9, 16)
PHONE_MASK = "[phone removed]"
BEARER = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
TOKEN_PARAMETER = re.compile(
    r"\b(token|access_token|api_key|apikey|secret|signature|sid)=[^&\s\"']+", re.IGNORECASE
)
# What a LogRecord carries itself; anything else on it came from `extra`.
STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact_contacts(text: str) -> str:
    """The text with emails, phone numbers and bearer or query-string tokens masked."""
    if "@" in text:
        text = EMAIL.sub(EMAIL_MASK, text)
    text = PHONE.sub(_phone_mask, text)
    text = BEARER.sub(lambda match: f"{match[1]} [token removed]", text)
    return TOKEN_PARAMETER.sub(lambda match: f"{match[1]}=[removed]", text)


def _phone_mask(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match[0])
    return PHONE_MASK if digits in PHONE_DIGITS else match[0]


class RedactingFilter(logging.Filter):
    """Masks every record's text; never drops a record."""

    def __init__(self, redactors: Iterable[Redactor] = ()) -> None:
        super().__init__()
        self.redactors = (*redactors, redact_contacts)

    def redact(self, text: str) -> str:
        for redactor in self.redactors:
            text = redactor(text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601 UTC), level, logger, message, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and name not in line:
                line[name] = value if _is_json(value) else repr(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=repr)


def configure(redactors: Iterable[Redactor] = (), level: int = logging.INFO) -> logging.Handler:
    """JSON lines on stderr for the whole process, through the redaction filter; replaces
    any handler the root logger had. Returns the handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RedactingFilter(redactors))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def _is_json(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)
