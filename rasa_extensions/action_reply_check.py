"""Rasa checks every action server reply against a JSON schema: the same check, compiled once.

Rasa 3.6.21's `RemoteAction._validate_action_result` calls `jsonschema.validate(reply,
schema)`, which first re-checks the schema itself against JSON Schema's meta-schema and builds
a new validator - on every custom action. The schema (every event type Rasa knows) is large:
about 19 ms per action on these cores, a quarter of Rasa's CPU time in a knowledge-base turn
(benchmarks/turn_breakdown.py). `install()` replaces that method with one that checks the same
reply against the same schema with a validator built once (about 0.6 ms): what passes, what is
refused and the error Rasa raises (jsonschema's best match, Rasa's wording) are unchanged.

Installed by the package (rasa_extensions/__init__.py) in every process that loads our
components, and only on the Rasa version it was written for; on another it leaves Rasa as is
and logs why.
"""

from __future__ import annotations

import logging
from typing import Any

import rasa
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

log = logging.getLogger(__name__)
WRITTEN_FOR = "3.6.21"
_RASA_CHECK = RemoteAction._validate_action_result  # kept for the tests' comparison


class ReplyValidator:
    """The action-reply schema, checked once, and a validator for it."""

    def __init__(self, schema: dict[str, Any]) -> None:
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
        self._validator = validator_class(schema)

    def __call__(self, result: dict[str, Any]) -> bool:
        # set on the class, an instance (not a function) is called without the action
        error = best_match(self._validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


def install() -> bool:
    """Replace Rasa's per-call schema check; True when installed (or already)."""
    current = RemoteAction._validate_action_result
    if isinstance(current, ReplyValidator):
        return True
    if rasa.__version__ != WRITTEN_FOR:
        log.warning(
            "Rasa %s: the compiled action-reply check is written for %s; Rasa's own is kept",
            rasa.__version__,
            WRITTEN_FOR,
        )
        return False
    RemoteAction._validate_action_result = ReplyValidator(
        RemoteAction.action_response_format_spec()
    )
    return True


__all__ = ["ReplyValidator", "ValidationError", "install"]
