"""What the assistant did to the customer's orders in one session, counted for the outcome record.

actions/orders.py records each action on an order (cancel, return, refund) in the
`order_actions` slot: `{turn, action, order_number, amount_cents, currency, result, reference}`.
The slot holds the conversation's latest actions (at most 5) and is set again, earlier records
included, after every action, and Rasa sets it again at each session start (slots carried over).
So an action counts once, by (turn, action, order number), in the session where it first appears
after the session's first customer message; records seen earlier in the conversation, or
carried into the session before the customer spoke, belong to an earlier session. Only counts
leave this module: no order number, no amount. Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from outcomes.record import ActionCount

ORDER_ACTIONS_SLOT = "order_actions"  # actions/orders.py
LABEL = re.compile(r"[a-z][a-z_]{0,31}")
"""What an action or a result may be called (cancel, needs_approval...): a later kind still
counts, and nothing else - no free text - reaches the record."""


def session_actions(
    events: Sequence[Mapping[str, Any]], start: int, end: int
) -> tuple[ActionCount, ...]:
    """The session `events[start:end]`'s actions on orders, by action and result, sorted."""
    first_message = next(
        (index for index in range(start, end) if events[index].get("event") == "user"), end
    )
    seen = {_key(record) for record in _records(events[:first_message])}
    counted: Counter[tuple[str, str]] = Counter()
    for record in _records(events[first_message:end]):
        key = _key(record)
        if key in seen:
            continue
        seen.add(key)
        counted[(record["action"], record["result"])] += 1
    return tuple(
        ActionCount(action, result, count) for (action, result), count in sorted(counted.items())
    )


def _records(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The well-formed action records of the `order_actions` slot events, in order."""
    found: list[Mapping[str, Any]] = []
    for event in events:
        value = event.get("value")
        is_actions = event.get("event") == "slot" and event.get("name") == ORDER_ACTIONS_SLOT
        if is_actions and isinstance(value, list):
            found += [record for record in value if _readable(record)]
    return found


def _readable(record: object) -> bool:
    return isinstance(record, Mapping) and all(
        isinstance(record.get(name), str) and LABEL.fullmatch(record[name])
        for name in ("action", "result")
    )


def _key(record: Mapping[str, Any]) -> tuple[Hashable, ...]:
    turn, number = record.get("turn"), record.get("order_number")
    return (
        turn if isinstance(turn, int) else None,
        record["action"],
        number if isinstance(number, str) else None,
    )
