"""The masking filter of Rasa's log lines (config/rasa-logging.yml): the same one the service
and the gateway use (infra/log_format.py: emails, phone numbers, tokens) with the project's
masking of typed secrets (handoff/privacy/redact.py: cards, IBANs, security codes, passwords),
and of every echo of one in the same line (an entity Rasa read out of a password).

It runs after `CustomerTextFilter` (rasa_extensions/log_privacy.py), which withholds what
customers wrote from Rasa's structlog lines; this one catches what is left in any other line.
Rasa swaps the configured handler for its coloured one and keeps the handler's filters, but not
its formatter, so Rasa's lines stay in Rasa's own format (its structlog events are JSON already:
the stack sets FORCE_JSON_LOGGING). Standard library only, as the bot env needs.
"""

from __future__ import annotations

from handoff.privacy.typed_secrets import redact_with_echoes
from infra.log_format import RedactingFilter


def redacting_filter() -> RedactingFilter:
    """The filter, built by logging's dictConfig (`(): rasa_extensions.log_redaction...`)."""
    return RedactingFilter([redact_with_echoes])
