"""The gateway's port onto the handoff: what a customer-facing process needs of it, and nothing
of its keys, tickets or transactions.

- `state`: who has the conversation (`handoff.vocabulary.CONVERSATION_STATES`; empty: nobody
  has handed it off, the assistant has it).
- `append_customer_message`: what the customer writes while people have the chat goes into
  the open ticket's transcript (the transition is handoff/customer_messages.py's).
- `read_outboxes`: what the team sent to each of many conversations after its cursor (stream
  entry ids), in one blocking read of up to `OUTBOX_BLOCK_SECONDS` on one connection however
  many conversations a gateway holds.
- `open_feed`: a reader of the live feed of ticket changes (ids, team, status, owner; never
  what anyone wrote) for the agent console, on a connection of its own.

Every method raises `RedisUnavailable` (infra/redis_client.py) when Redis cannot do it.
`RedisConversations` implements the port on the handoff's Redis store (handoff/store/keys.py:
`handoff:conversation:{id}`, `handoff:outbox:{id}`, `handoff:feed`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from handoff.customer_messages import AppendedMessage, MessageNotDelivered, take_customer_message
from handoff.lifecycle import Conflict
from handoff.store import keys as keys
from handoff.store.ticket_writes import QueueEvents, no_events
from handoff.store.tickets import RedisTicketStore, TicketStore
from handoff.ticket_record import TicketRecord
from handoff.vocabulary import WITH_PEOPLE
from infra import redis_client
from infra.redis_client import guard

__all__ = [
    "AppendedMessage",
    "ConversationPort",
    "Entry",
    "FeedReader",
    "MessageNotDelivered",
    "RedisConversations",
    "append_customer_message",
]

PENDING_TICKET_WAIT = 3.0  # seconds to wait for a ticket that is being created
OUTBOX_BLOCK_SECONDS = 0.3
"""How long one read waits for something new: also how soon a conversation a socket just
joined is part of the read (gateway/outbox.py)."""
OUTBOX_READ_COUNT = 50
FEED_READ_COUNT = 100
FEED_READER_NAME = "console-feed"  # CLIENT LIST shows each open feed reader by this name
OUTBOX_READER_NAME = "gateway-outbox"  # and each gateway's one outbox reader by this one

Entry = tuple[str, dict[str, str]]
"""One stream entry: its id (the cursor to read after) and its fields."""


class FeedReader(abc.ABC):
    """One reader of the live feed, blocking up to the `block_seconds` it was opened with."""

    @abc.abstractmethod
    async def newest(self) -> str:
        """Where a new reader starts: the feed's newest entry id ("0-0" for an empty feed)."""

    @abc.abstractmethod
    async def read(self, after: str) -> list[Entry]:
        """The entries after `after`, oldest first; empty when none came within the block."""

    @abc.abstractmethod
    async def close(self) -> None: ...


class ConversationPort(abc.ABC):
    @abc.abstractmethod
    async def state(self, conversation_id: str) -> dict[str, str]:
        """`state`, `ticket_id`, `agent_id`, `updated_at`; empty: the assistant has it."""

    @abc.abstractmethod
    async def append_customer_message(
        self, conversation_id: str, text: str, *, now: datetime
    ) -> AppendedMessage | None:
        """The message in the open ticket's transcript, with what to tell the customer at once
        (`reply`). None: the conversation is no longer with people (let the assistant answer
        it). Raises MessageNotDelivered when the ticket could not take it (missing, or still
        being created after a few seconds)."""

    @abc.abstractmethod
    async def read_outboxes(self, cursors: Mapping[str, str]) -> dict[str, list[Entry]]:
        """The team's messages to each conversation after its cursor ("0-0": all), oldest
        first, by conversation id (only those with something new); waits up to
        OUTBOX_BLOCK_SECONDS for the first, then returns what came (maybe nothing). One caller
        at a time: the read holds the port's one reading connection."""

    @abc.abstractmethod
    def open_feed(self, block_seconds: float) -> FeedReader:
        """A feed reader of its own (close it when done)."""

    @abc.abstractmethod
    async def close(self) -> None: ...


class RedisFeedReader(FeedReader):
    def __init__(self, redis_url: str, block_seconds: float) -> None:
        self._block_ms = max(1, int(block_seconds * 1000))
        # XREAD BLOCK holds its connection: one of its own, with a timeout that outlasts it
        self._redis = redis_client.connect_reader(
            redis_url,
            block_seconds=block_seconds,
            client_name=FEED_READER_NAME,
            single_connection=True,
        )

    async def newest(self) -> str:
        async with guard():
            newest: Any = await self._redis.xrevrange(keys.FEED, count=1)
        return str(newest[0][0]) if newest else "0-0"

    async def read(self, after: str) -> list[Entry]:
        async with guard():
            batches: Any = await self._redis.xread(
                {keys.FEED: after}, count=FEED_READ_COUNT, block=self._block_ms
            )
        return _entries(batches)

    async def close(self) -> None:
        await self._redis.aclose()


class RedisConversations(ConversationPort):
    """The port on the Redis at `redis_url` (its connections open on first use). A customer's
    message is a ticket write: `queue_events` queues its events in the write's MULTI (the
    help-desk sync's, helpdesk/enqueue.py; the default queues none)."""

    def __init__(self, redis_url: str, *, queue_events: QueueEvents = no_events) -> None:
        self._url = redis_url
        self._redis = redis_client.connect(redis_url)
        # the blocking outbox read gets a connection of its own, apart from the short commands
        self._reader = redis_client.connect_reader(
            redis_url,
            block_seconds=OUTBOX_BLOCK_SECONDS,
            client_name=OUTBOX_READER_NAME,
            single_connection=True,
        )
        self._tickets: TicketStore = RedisTicketStore(self._redis, queue_events=queue_events)

    async def state(self, conversation_id: str) -> dict[str, str]:
        return await self._tickets.conversation(conversation_id)

    async def append_customer_message(
        self, conversation_id: str, text: str, *, now: datetime
    ) -> AppendedMessage | None:
        return await append_customer_message(self._tickets, conversation_id, text, now=now)

    async def read_outboxes(self, cursors: Mapping[str, str]) -> dict[str, list[Entry]]:
        if not cursors:
            return {}
        block_ms = int(OUTBOX_BLOCK_SECONDS * 1000)
        streams: dict[Any, Any] = {keys.outbox(c): after for c, after in cursors.items()}
        async with guard():
            batches: Any = await self._reader.xread(
                streams, count=OUTBOX_READ_COUNT, block=block_ms
            )
        prefix = len(keys.outbox(""))
        return {
            str(stream)[prefix:]: [(entry_id, fields) for entry_id, fields in entries]
            for stream, entries in batches or []
            if entries
        }

    def open_feed(self, block_seconds: float) -> FeedReader:
        return RedisFeedReader(self._url, block_seconds)

    async def close(self) -> None:
        await self._reader.aclose()
        await self._redis.aclose()


def _entries(batches: Any) -> list[Entry]:
    """XREAD's answer for one stream, flattened."""
    return [(entry_id, fields) for _, entries in batches or [] for entry_id, fields in entries]


async def append_customer_message(
    tickets: TicketStore, conversation_id: str, text: str, *, now: datetime
) -> AppendedMessage | None:
    """Append to the conversation's open ticket; None when it has none (the state moved on, or
    the ticket was closed meanwhile). Raises MessageNotDelivered when the ticket the state
    names does not appear within `PENDING_TICKET_WAIT` seconds."""
    state = await tickets.conversation(conversation_id)
    ticket_id = state.get("ticket_id")
    if not ticket_id or state.get("state") not in WITH_PEOPLE:
        return None

    taken: list[AppendedMessage] = []  # the last try's (an update retries after a race)

    def append(record: TicketRecord) -> TicketRecord:
        taken[:] = [take_customer_message(record, text, now=now)]
        return taken[0].record

    try:
        await tickets.update(ticket_id, append)
        return taken[-1]
    except Conflict:
        return None
    except LookupError:
        pass  # reserved and not stored yet, or lost: wait for it a moment
    if await tickets.wait_for(ticket_id, PENDING_TICKET_WAIT) is None:
        raise MessageNotDelivered(f"conversation {conversation_id} has no ticket {ticket_id}")
    try:
        await tickets.update(ticket_id, append)
        return taken[-1]
    except Conflict:
        return None
    except LookupError as error:
        raise MessageNotDelivered(f"ticket {ticket_id} disappeared") from error
