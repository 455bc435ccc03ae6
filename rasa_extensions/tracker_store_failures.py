"""A conversation's tracker is read from and saved to Redis, or the turn fails: no silent
in-memory fallback.

Rasa 3.6.21 wraps every tracker store in `FailSafeTrackerStore` (rasa/core/agent.py). When the
store raises (Redis down or restarting), that wrapper logs the error and carries on in memory: a
failed read starts the conversation afresh, a failed save keeps the turn in this process only.
The customer gets a normal answer while their message never reaches Redis - the gateway would
acknowledge a message that is gone (what `make chaos` checks when it kills Redis).

`install()` makes both failures raise `TrackerStoreUnavailable` instead: the turn fails, Rasa's
REST webhook answers `[]` (rasa_extensions/admitted_rest.py drops the replies of a failed turn),
and the gateway shows its trouble notice without acknowledging the message. Installed by the
package (rasa_extensions/__init__.py), only on the Rasa version it was written for.
"""

from __future__ import annotations

import logging

import rasa
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.exceptions import RasaException

log = logging.getLogger(__name__)
WRITTEN_FOR = "3.6.21"


class TrackerStoreUnavailable(RasaException):
    """The tracker store failed; the turn must fail rather than go on without it."""


def _raise(self: FailSafeTrackerStore, error: Exception) -> None:
    raise TrackerStoreUnavailable(f"the tracker store failed: {error}") from error


def install() -> bool:
    """Replace the wrapper's log-and-fall-back with a failure; True when installed."""
    if rasa.__version__ != WRITTEN_FOR:
        log.warning(
            "Rasa %s: the tracker store failure check is written for %s; Rasa's in-memory "
            "fallback is kept",
            rasa.__version__,
            WRITTEN_FOR,
        )
        return False
    FailSafeTrackerStore.on_tracker_store_error = _raise
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _raise
    return True


__all__ = ["TrackerStoreUnavailable", "install"]
