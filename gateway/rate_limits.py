"""The gateway's rate limits: which token buckets (gateway/sessions.py) a customer's request
takes from, and what a refused customer is told.

- a message takes a token from its session's bucket, from its verified customer's bucket (the
  signed customer id, across the customer's sessions) when it carries one, and from its client
  address's bucket (gateway/client_address.py) - all of them, or none when one is empty;
- `cancel_handoff` and `survey` take from the session's bucket;
- a new session takes from its client address's session budget (resuming one is free), so
  opening chats spends no message tokens.
- the chat's transcript by email (gateway/transcript_email.py) takes from the `transcript_email`
  buckets of its client address and of its session's conversation, a small budget of its own.

A refused request gets a `gateway_error` `rate_limited` with `retry_after` seconds (our widget
shows it), and, once per refusal burst, a chat notice (`bot_uttered` from "system" with `event`
`rate_limited` and `also_sent_as` `gateway_error`, gateway/notices.py) that every other widget
shows, a stock Rasa one too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable

from gateway.notices import GATEWAY_ERROR
from gateway.sessions import GatewayStore
from gateway.settings import GatewaySettings, RateLimit

SESSION = "session"
CUSTOMER = "customer"
ADDRESS = "address"
SESSION_CREATE = "session_create"
TRANSCRIPT_EMAIL = "transcript_email"
RATE_LIMITED = "rate_limited"

Error = Callable[..., Awaitable[None]]
"""error(sid, code, message, **extra): a `gateway_error` to one socket."""
Notice = Callable[..., Awaitable[None]]
"""notice(sid, event, text, also_sent_as=None): a chat notice to one socket."""


def error_message(retry_after: float, new_session: bool = False) -> str:
    """The `gateway_error` message of a refusal."""
    what = "too many new chats from your network" if new_session else "too many messages"
    return f"{what}; try again in {wait_text(retry_after)}"


def notice_text(retry_after: float, new_session: bool = False) -> str:
    """The chat notice of a refusal: what happened and when to try again."""
    if new_session:
        return (
            "Many chats were opened from your network just now, so this one could not start. "
            f"Please try again in {wait_text(retry_after)}."
        )
    return (
        "You're sending messages faster than I can take them, so your last message was not "
        f"sent. Please wait {wait_text(retry_after)} and send it again."
    )


def wait_text(retry_after: float) -> str:
    """How long to wait, as a customer reads it: "a moment", "12 s", "10 minutes"."""
    if retry_after < 1:
        return "a moment"
    seconds = math.ceil(retry_after)
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


class RefusalNotices:
    """When a refused socket gets a chat notice: at its first refusal, and again only after it
    could have sent again (a refusal burst ends when its wait has passed), so a customer who
    keeps sending reads one notice, not one per message."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._quiet_until: dict[str, float] = {}

    def due(self, sid: str, retry_after: float) -> bool:
        now = self._clock()
        quiet_until = self._quiet_until.get(sid, 0.0)
        self._quiet_until[sid] = max(quiet_until, now + retry_after)
        return now >= quiet_until

    def forget(self, sid: str) -> None:
        self._quiet_until.pop(sid, None)


class RateLimits:
    """The buckets of one gateway process's requests (the buckets themselves are in Redis,
    shared by every gateway process)."""

    def __init__(
        self,
        settings: GatewaySettings,
        store: GatewayStore,
        error: Error,
        notice: Notice,
        notices: RefusalNotices | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._error = error
        self._notice = notice
        self.notices = notices or RefusalNotices()

    async def allow_message(
        self, sid: str, conversation_id: str, address: str, customer_id: str | None
    ) -> bool:
        """A customer message: the session's, the verified customer's and the address's
        buckets. Raises RedisUnavailable."""
        settings = self.settings
        buckets = [(SESSION, conversation_id, settings.session_rate)]
        if customer_id:
            buckets.append((CUSTOMER, customer_id, settings.customer_rate))
        buckets.append((ADDRESS, address, settings.address_rate))
        return await self._allowed(sid, buckets)

    async def allow_session_action(self, sid: str, conversation_id: str) -> bool:
        """`cancel_handoff` or `survey`: the session's bucket."""
        return await self._allowed(sid, [(SESSION, conversation_id, self.settings.session_rate)])

    async def allow_new_session(self, sid: str, address: str) -> bool:
        """A new session: the address's session budget."""
        bucket = (SESSION_CREATE, address, self.settings.session_create_rate)
        return await self._allowed(sid, [bucket], new_session=True)

    def forget(self, sid: str) -> None:
        """The socket disconnected."""
        self.notices.forget(sid)

    async def _allowed(
        self, sid: str, buckets: list[tuple[str, str, RateLimit]], new_session: bool = False
    ) -> bool:
        retry_after = await self.store.take_all(buckets)
        if not retry_after:
            return True
        await self._error(
            sid,
            RATE_LIMITED,
            error_message(retry_after, new_session),
            retry_after=round(retry_after, 3),
        )
        if self.notices.due(sid, retry_after):
            text = notice_text(retry_after, new_session)
            await self._notice(sid, RATE_LIMITED, text, also_sent_as=GATEWAY_ERROR)
        return False
