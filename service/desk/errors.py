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


class NotVerified(PermissionError):
    """The conversation has not proved the order is the customer's (POST
    /commerce/orders/verify): nothing about it is told or done, whether it exists or not."""


class ActionPending(RuntimeError):
    """The same action (conversation, turn, order) is still running in another request; the
    caller may retry and will get its answer."""
