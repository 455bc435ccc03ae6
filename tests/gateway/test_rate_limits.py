"""Rate limits that protect without refusing real customers: per session, per verified customer
and per client address (X-Forwarded-For only from a trusted proxy), a budget of new sessions of
its own, and a clear refusal - against a real Redis and a stand-in Rasa."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as redis

from gateway.rate_limits import RefusalNotices, error_message, notice_text
from gateway.sessions import GatewayStore
from gateway.settings import RateLimit
from handoff.privacy.identity import sign_customer
from tests.gateway.support import SECRET, Widget, wait_for

TIGHT = RateLimit(burst=1, per_minute=1)
ROOMY = RateLimit(burst=5, per_minute=1)


def _notices(widget: Widget) -> list[dict[str, Any]]:
    return [m for m in widget.bot if m.get("metadata", {}).get("event") == "rate_limited"]


def test_a_refusal_says_when_to_try_again() -> None:
    assert error_message(0.4) == "too many messages; try again in a moment"
    assert error_message(1.2) == "too many messages; try again in 2 s"
    assert error_message(30, new_session=True).startswith("too many new chats")
    assert "wait 2 s and send it again" in notice_text(1.2)
    assert "try again in 3 minutes" in notice_text(150, new_session=True)


def test_one_notice_per_refusal_burst() -> None:
    now = [100.0]
    notices = RefusalNotices(clock=lambda: now[0])
    assert notices.due("sid", 2.0)  # first refusal: tell the customer
    now[0] = 101.0
    assert not notices.due("sid", 2.0)  # still sending into the same wait: already told
    assert notices.due("other", 2.0)  # another socket is told on its own
    now[0] = 103.5  # the wait of the last refusal (until 103.0) has passed
    assert notices.due("sid", 2.0)
    notices.forget("sid")
    assert notices.due("sid", 2.0)


async def test_a_refused_request_spends_no_token_of_its_other_buckets(
    redis_client: redis.Redis,
) -> None:
    store = GatewayStore(redis_client, 60)
    assert await store.take("address", "a", TIGHT) == 0.0  # empties the address bucket
    retry_after = await store.take_all([("session", "s", ROOMY), ("address", "a", TIGHT)])
    assert 0 < retry_after <= 60
    for _ in range(ROOMY.burst):  # the session bucket is still full
        assert await store.take("session", "s", ROOMY) == 0.0
    assert await store.take("session", "s", ROOMY) > 0


async def test_bucket_keys_hold_no_address_or_customer_id(redis_client: redis.Redis) -> None:
    store = GatewayStore(redis_client, 60)
    await store.take_all([("customer", "c-42@shop", ROOMY), ("address", "203.0.113.7", ROOMY)])
    keys = [key async for key in redis_client.scan_iter("gateway:rate:*")]
    assert len(keys) == 2
    assert not any("203.0.113" in str(key) or "c-42" in str(key) for key in keys)


@pytest.mark.parametrize("settings_extra", [{"GATEWAY_ADDRESS_BURST": "2"}])
async def test_opening_sessions_spends_none_of_the_message_budget(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widgets = [await connect() for _ in range(20)]
    for widget in widgets:
        await widget.start_session()
    await widgets[0].say("hello")
    await widgets[1].say("hello")
    await wait_for(lambda: len(rasa.received) == 2)
    assert not any(widget.errors for widget in widgets)


@pytest.mark.parametrize(
    "settings_extra",
    [{"GATEWAY_SESSION_CREATE_BURST": "2", "GATEWAY_SESSION_CREATE_PER_MINUTE": "1"}],
)
async def test_too_many_new_sessions_are_refused_clearly_and_resuming_is_free(connect) -> None:  # type: ignore[no-untyped-def]
    first, second, third = [await connect() for _ in range(3)]
    session_id = await first.start_session()
    await second.start_session()
    await third.client.emit("session_request", {"session_id": None})
    await wait_for(lambda: third.errors and _notices(third))
    assert third.errors[0]["code"] == "rate_limited"
    assert 0 < third.errors[0]["retry_after"] <= 60
    assert "new chats" in third.errors[0]["message"]
    notice = _notices(third)[0]
    assert set(notice) == {"text", "metadata"}  # a stock widget shows it too
    assert notice["metadata"] == {
        "sender": "system",
        "event": "rate_limited",
        "also_sent_as": "gateway_error",  # ours shows the error instead
    }
    assert "try again in" in _notices(third)[0]["text"]
    assert not third.confirmed
    reloaded = await connect()  # the first customer reloads the page: the session resumes
    assert await reloaded.start_session(session_id) == session_id
    assert not reloaded.errors


@pytest.mark.parametrize(
    "settings_extra", [{"GATEWAY_SESSION_BURST": "1", "GATEWAY_SESSION_PER_MINUTE": "1"}]
)
async def test_a_customer_who_keeps_sending_reads_one_notice(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    for number in range(4):
        await widget.say(f"message {number}")
    await wait_for(lambda: len(widget.errors) == 3)
    assert {error["code"] for error in widget.errors} == {"rate_limited"}
    assert all(error["retry_after"] > 0 for error in widget.errors)
    assert len(_notices(widget)) == 1
    assert rasa.texts() == ["message 0"]


@pytest.mark.parametrize(
    "settings_extra", [{"GATEWAY_CUSTOMER_BURST": "3", "GATEWAY_CUSTOMER_PER_MINUTE": "1"}]
)
async def test_a_verified_customer_is_limited_across_their_sessions(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    signed = {"customer": sign_customer({"id": "c-7"}, SECRET)}
    tabs = [await connect() for _ in range(2)]
    for tab in tabs:
        await tab.start_session()
    for tab in tabs:
        await tab.say("hello", metadata=signed)
        await tab.say("hello again", metadata=signed)
    await wait_for(lambda: sum(len(tab.errors) for tab in tabs) == 1 and len(rasa.received) == 3)
    other = await connect()  # another customer, and the same browser without the claim
    await other.start_session()
    await other.say("hi", metadata={"customer": sign_customer({"id": "c-8"}, SECRET)})
    await tabs[0].say("unsigned")
    await wait_for(lambda: len(rasa.received) == 5)
    assert not other.errors
    assert sum(len(tab.errors) for tab in tabs) == 1


@pytest.mark.parametrize(
    "settings_extra", [{"GATEWAY_ADDRESS_BURST": "2", "GATEWAY_ADDRESS_PER_MINUTE": "1"}]
)
async def test_without_trusted_proxies_x_forwarded_for_changes_no_bucket(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widgets = [await connect(forwarded_for=f"203.0.113.{number}") for number in range(3)]
    for widget in widgets:
        await widget.start_session()
        await widget.say("hello")
    await wait_for(lambda: sum(len(widget.errors) for widget in widgets) == 1)
    assert len(rasa.received) == 2  # all three share the peer's (127.0.0.1) bucket


@pytest.mark.parametrize(
    "settings_extra",
    [
        {
            "GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32",
            "GATEWAY_ADDRESS_BURST": "2",
            "GATEWAY_ADDRESS_PER_MINUTE": "1",
        }
    ],
)
async def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    client = await connect(forwarded_for="203.0.113.7")
    neighbour = await connect(forwarded_for="203.0.113.8")
    # the same client again, pretending through the header to be someone else
    spoofer = await connect(forwarded_for="198.51.100.1, 203.0.113.7")
    for widget in (client, neighbour, spoofer):
        await widget.start_session()
    for number in range(3):
        await client.say(f"client {number}")
    await wait_for(lambda: len(client.errors) == 1 and len(rasa.received) == 2)
    await neighbour.say("neighbour")
    await spoofer.say("spoofed")
    await wait_for(lambda: len(rasa.received) == 3 and spoofer.errors)
    assert rasa.texts() == ["client 0", "client 1", "neighbour"]
    assert not neighbour.errors
    assert spoofer.errors[0]["code"] == "rate_limited"
