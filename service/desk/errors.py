"""What the desk refuses, besides the transitions' own refusals (handoff/lifecycle.py:
`Conflict`, `NotAllowed`, `TransitionError`) and an unavailable Redis (`RedisUnavailable`).
service/errors.py turns each into its HTTP answer."""

from __future__ import annotations


class NotFound(LookupError):
    """No such ticket or conversation (the message names it)."""


class InvalidRequest(ValueError):
    """A request the desk's configuration does not allow: an unknown team, resolution code or
    ticket status."""


class HandoffPending(RuntimeError):
    """Another request is still creating this ticket; the caller may retry."""
