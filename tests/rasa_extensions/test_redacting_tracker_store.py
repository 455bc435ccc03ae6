"""The redacting tracker store against a real Redis: what Rasa stores, and that conversations
continue as before."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.privacy.redact import redact_value
from outcomes import keys as outcome_keys
from rasa_extensions.redacting_tracker_store import MaskingMemo, RedactingRedisTrackerStore
from tests.support.redis_server import redis_server

ROOT = Path(__file__).resolve().parents[2]
CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4111111111111111"
CARD_FORMS = (CARD_DIGITS, CARD, "4111-1111-1111-1111")
CARD_MASK = "[card ending 1111]"
TEXT = f"my card is {CARD}, cvv 123, why was I charged twice?"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield int(url.rsplit(":", 1)[1].split("/")[0])


@pytest.fixture
def raw_redis(redis_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=redis_port, decode_responses=True)
    client.flushdb()  # a test without this fixture may have saved a conversation
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def store(domain: Domain, redis_port: int, raw_redis: redis.Redis) -> RedactingRedisTrackerStore:
    return RedactingRedisTrackerStore(domain, host="127.0.0.1", port=redis_port, db=0)


def customer_turn(text: str, entities: list[dict[str, Any]] | None = None) -> list[Event]:
    entities = entities or []
    intent = {"name": "ask_question", "confidence": 0.93}
    parse_data = {
        "text": text,
        "intent": intent,
        "entities": entities,
        "intent_ranking": [intent],
        "metadata": {"note": text},
    }
    return [
        ActionExecuted("action_listen"),
        UserUttered(text, intent, entities, parse_data, metadata={"typed": text}),
    ]


def card_conversation(domain: Domain) -> DialogueStateTracker:
    entity = {"entity": "amount", "value": CARD, "start": 11, "end": 30}
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        *customer_turn(TEXT, [entity]),
        ActionExecuted("action_answer_from_kb"),
        BotUttered(f"You said {CARD}?"),
        SlotSet("kb_history", [{"query": TEXT, "article_id": None, "score": 0.3}]),
        SlotSet("order_number", CARD_DIGITS),
    ]
    return DialogueStateTracker.from_events("customer-1", events, domain.slots)


def stored(raw_redis: redis.Redis, sender_id: str) -> str:
    value = raw_redis.get(f"tracker:{sender_id}")
    assert value is not None, "nothing stored"
    return str(value)


def assert_no_card(text: str) -> None:
    for form in CARD_FORMS:
        assert form not in text
    assert "cvv 123" not in text


async def test_the_stored_tracker_holds_only_the_masked_card(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    await store.save(card_conversation(domain))

    text = stored(raw_redis, "customer-1")
    assert_no_card(text)
    events = json.loads(text)["events"]
    user = next(event for event in events if event["event"] == "user")
    masked = f"my card is {CARD_MASK}, cvv [security code removed], why was I charged twice?"
    assert user["text"] == masked
    assert user["parse_data"]["text"] == masked
    assert user["parse_data"]["entities"][0]["value"] == CARD_MASK
    assert user["parse_data"]["metadata"] == {"note": masked}
    assert user["metadata"] == {"typed": masked}
    bot = next(event for event in events if event["event"] == "bot")
    assert bot["text"] == f"You said {CARD_MASK}?"
    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    assert slots["kb_history"][0]["query"] == masked
    assert slots["order_number"] == CARD_MASK


async def test_a_password_rasa_read_as_an_order_number_is_masked_in_the_entity_and_slot(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    """The NLU took a typed password of digits for an order number: the entity's value and the
    slot filled from it carry no label, but they are the password all the same."""
    password = "Zq83941412!9"
    text = f"my password is {password}, call me back"
    entity = {"entity": "order_number", "value": password, "start": 15, "end": 27}
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        *customer_turn(text, [entity]),
        SlotSet("order_number", password),
        ActionExecuted("action_check_order"),
        BotUttered(f"I could not find order {password}."),
    ]
    tracker = DialogueStateTracker.from_events("customer-2", events, domain.slots)

    await store.save(tracker)

    saved = stored(raw_redis, "customer-2")
    assert password not in saved
    assert "83941412" not in saved
    stored_events = json.loads(saved)["events"]
    user = next(event for event in stored_events if event["event"] == "user")
    assert user["text"] == "my password is [password removed] call me back"
    assert user["parse_data"]["entities"][0]["value"] == "[password removed]"
    slots = {event["name"]: event["value"] for event in stored_events if event["event"] == "slot"}
    assert slots["order_number"] == "[password removed]"
    bot = next(event for event in stored_events if event["event"] == "bot")
    assert bot["text"] == "I could not find order [password removed]."
    assert tracker.get_slot("order_number") == password  # the running turn keeps its own


async def test_the_running_turn_keeps_its_raw_tracker(
    store: RedactingRedisTrackerStore, domain: Domain
) -> None:
    tracker = card_conversation(domain)
    await store.save(tracker)
    assert tracker.latest_message is not None
    assert tracker.latest_message.text == TEXT
    assert tracker.get_slot("order_number") == CARD_DIGITS


async def test_the_next_turn_reads_the_masked_conversation_with_the_same_state(
    store: RedactingRedisTrackerStore, domain: Domain
) -> None:
    original = card_conversation(domain)
    await store.save(original)

    restored = await store.retrieve("customer-1")
    assert restored is not None
    assert len(restored.events) == len(original.events)
    assert [type(event) for event in restored.events] == [type(e) for e in original.events]
    assert restored.latest_message is not None
    assert restored.latest_message.intent == original.latest_message.intent  # type: ignore[union-attr]
    assert restored.latest_action_name == original.latest_action_name
    assert restored.get_slot("order_number") == CARD_MASK
    assert restored.current_slot_values().keys() == original.current_slot_values().keys()


async def test_saving_each_turn_never_duplicates_events(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    """Rasa merges with the stored tracker by comparing events: a raw event in memory must
    not count as new next to its masked stored copy."""
    tracker = card_conversation(domain)
    await store.save(tracker)
    await store.save(tracker)  # the same in-memory tracker again, raw text and all
    tracker.update_with_events(
        [*customer_turn("and 4111-1111-1111-1111 again"), BotUttered("Sorry!")], domain
    )
    await store.save(tracker)

    events = json.loads(stored(raw_redis, "customer-1"))["events"]
    assert len(events) == len(tracker.events)
    assert_no_card(json.dumps(events))

    # the next turn starts from what is stored, as Rasa does, and saves again
    next_turn = await store.retrieve("customer-1")
    assert next_turn is not None
    next_turn.update_with_events(customer_turn("thanks"), domain)
    await store.save(next_turn)
    assert len(json.loads(stored(raw_redis, "customer-1"))["events"]) == len(tracker.events) + 2


async def test_a_conversation_stored_in_clear_before_is_masked_when_read_and_saved(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain, redis_port: int
) -> None:
    plain = RedisTrackerStore(domain, host="127.0.0.1", port=redis_port, db=0)
    await plain.save(card_conversation(domain))
    assert CARD in stored(raw_redis, "customer-1")  # what Rasa's own store keeps

    earlier = await store.retrieve("customer-1")
    assert earlier is not None
    assert earlier.latest_message is not None
    assert CARD_MASK in earlier.latest_message.text  # type: ignore[operator]
    earlier.update_with_events(customer_turn("hello again"), domain)
    await store.save(earlier)

    text = stored(raw_redis, "customer-1")
    assert_no_card(text)
    assert len(json.loads(text)["events"]) == len(earlier.events)


async def test_endpoints_yml_builds_this_store_with_the_redis_settings(
    domain: Domain, redis_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa imports the `type` path; an import problem would silently give an in-memory store."""
    for name, value in {
        "ACTIONS_PORT": "5055",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis_port),
        "REDIS_DB": "0",
        "REDIS_PASSWORD": "",
        "TRACKER_RETENTION_DAYS": "30",
    }.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.yml"))
    assert endpoints.event_broker is None  # nothing else receives the events

    store = TrackerStore.create(endpoints.tracker_store, domain)

    assert isinstance(store, RedactingRedisTrackerStore)
    assert store.record_exp == 30 * 86_400
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], int(connection["port"]), int(connection["db"])) == (
        "127.0.0.1",
        redis_port,
        0,
    )
    await store.save(card_conversation(domain))
    assert await store.exists("customer-1")


@pytest.mark.parametrize(
    "value",
    [
        "my card is 4242 4242 4242 4242",
        "amex 3782 822463 10005",
        "IBAN GB82 WEST 1234 5698 7654 32 please",
        "cvv 123",
        "my password is hunter2.",
        "PASSWORD: swordfish",
        "pwd=letmein",
        "passcode is opensesame",
        "passphrase: purple monkey dishwasher",
        "pass: hunter2",
        "pin 4821",
        "my password is wrong",
        "card 4111.1111.1111.1111 and 4111\u00a01111\u00a01111\u00a01111",
        "no digits and no labels at all",
        "lone surrogate \ud800 4111 1111 1111 1111",
        {"card 4111111111111111": ["pw: x", 4111111111111111, 3.5, None, True]},
    ],
)
def test_the_memo_masks_as_redact_value_does_the_first_time_and_every_time_after(
    value: Any,
) -> None:
    """The store's memo and its fast path (strings with no digit and no label) give exactly
    what handoff.redact.redact_value gives, then and on every later look-up."""
    memo = MaskingMemo(100)
    expected = redact_value(value)
    assert memo.value(value) == expected
    assert memo.value(value) == expected
    assert memo.value(expected) == expected  # what is read back from Redis


def test_the_memo_is_bounded_and_holds_no_raw_secret() -> None:
    memo = MaskingMemo(50)
    for number in range(200):
        memo.text(f"turn {number}: my card is {CARD}, password is hunter{number}")
    assert len(memo) <= 50
    held = repr(memo.__dict__)
    assert CARD not in held and CARD_DIGITS not in held and "hunter1" not in held
    assert memo.text(f"turn 199: my card is {CARD}, password is hunter199") == (
        f"turn 199: my card is {CARD_MASK}, password is [password removed]"
    )


async def test_a_long_conversation_is_masked_the_same_when_the_memo_is_cold_or_warm(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain, redis_port: int
) -> None:
    """After a restart (empty memo) or with a memo filled by earlier turns, what is stored is
    the same."""
    tracker = card_conversation(domain)
    for number in range(30):
        tracker.update_with_events(
            [*customer_turn(f"turn {number}: 4111.1111.1111.1111 / {'1 ' * 400}")], domain
        )
        await store.save(tracker)
    warm = stored(raw_redis, "customer-1")
    raw_redis.delete("tracker:customer-1")
    restarted = RedactingRedisTrackerStore(domain, host="127.0.0.1", port=redis_port, db=0)
    await restarted.save(tracker)
    assert stored(raw_redis, "customer-1") == warm
    assert_no_card(warm)
    assert len(store.masking) > 0


async def test_every_save_marks_the_conversation_active_for_its_outcome(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    before = time.time()
    await store.save(card_conversation(domain))
    first = raw_redis.zscore(outcome_keys.ACTIVE, "customer-1")
    assert first is not None and before <= first <= time.time()

    tracker = card_conversation(domain)
    tracker.update_with_events(customer_turn("and one more question"), domain)
    await store.save(tracker)
    latest = raw_redis.zscore(outcome_keys.ACTIVE, "customer-1")
    assert latest is not None and latest >= first
    assert raw_redis.zcard(outcome_keys.ACTIVE) == 1


async def test_recording_off_marks_nothing(
    domain: Domain, redis_port: int, raw_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(outcome_keys.RECORDING_SETTING, "0")
    quiet = RedactingRedisTrackerStore(domain, host="127.0.0.1", port=redis_port, db=0)

    await quiet.save(card_conversation(domain))

    assert raw_redis.exists("tracker:customer-1")
    assert raw_redis.zcard(outcome_keys.ACTIVE) == 0


async def test_a_failed_mark_does_not_fail_the_turn(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    raw_redis.set(outcome_keys.ACTIVE, "not a sorted set")  # ZADD answers WRONGTYPE

    await store.save(card_conversation(domain))

    assert raw_redis.exists("tracker:customer-1")


class AlwaysMergingStore(RedactingRedisTrackerStore):
    """The store before its shortcut: every save masks the whole tracker and runs Rasa's own
    save (read the stored tracker back, merge, store)."""

    def saved_as_an_extension(self, tracker: DialogueStateTracker, timeout: float | None) -> bool:
        return False


async def test_storing_the_masked_json_stores_what_rasas_merge_stores(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain, redis_port: int
) -> None:
    """Turn after turn as Rasa runs them (read the latest session, add the turn, save), over a
    Rasa restart (a new store: it did not write what it reads) and a second session (then
    Rasa's merge does the work): the same JSON as before the shortcut."""
    merging = AlwaysMergingStore(domain, host="127.0.0.1", port=redis_port, db=0, key_prefix="ref")
    stores = [store, merging]
    first = card_conversation(domain)
    for each in stores:
        await each.save(first)
    for number in range(24):
        turn: list[Event] = [
            *customer_turn(f"turn {number}: card {CARD} order HL-{number}"),
            ActionExecuted("action_answer_from_kb"),
            BotUttered(f"answer {number}", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
            SlotSet(
                "kb_history", [{"query": f"q {n} {CARD}", "score": 0.5} for n in range(number)]
            ),
        ]
        if number == 6:
            stores[0] = RedactingRedisTrackerStore(domain, host="127.0.0.1", port=redis_port, db=0)
        if number == 12:
            turn = [ActionExecuted("action_session_start"), SessionStarted(), *turn]
        for each in stores:
            tracker = await each.retrieve("customer-1")
            assert tracker is not None
            tracker.update_with_events(turn, domain, override_timestamp=False)
            await each.save(tracker)
        ours = json.loads(stored(raw_redis, "customer-1"))
        assert ours == json.loads(raw_redis.get(f"{merging.key_prefix}customer-1")), number
        assert_no_card(json.dumps(ours))
    assert len(ours["events"]) == len(card_conversation(domain).events) + 24 * 5 + 2


async def test_a_stored_tracker_that_is_not_the_start_of_this_one_is_merged_by_rasa(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    raw_redis.set("tracker:customer-1", "not json")
    with pytest.raises(ValueError):  # as Rasa's own store: a broken stored tracker is an error
        await store.save(card_conversation(domain))
    raw_redis.set("tracker:customer-1", json.dumps({"name": "customer-1", "events": []}))
    await store.save(card_conversation(domain))
    assert len(json.loads(stored(raw_redis, "customer-1"))["events"]) == 8


async def test_a_turn_masks_only_its_new_events(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    """The events read from the store at the start of the turn are stored as they were: a
    save's masking does not grow with the conversation."""
    await store.save(card_conversation(domain))
    masked_lists: list[int] = []
    mask = store.masking.value

    def counting(value: Any) -> Any:
        if isinstance(value, list):
            masked_lists.append(len(value))
        return mask(value)

    store.masking.value = counting  # type: ignore[method-assign]
    for number in range(10):
        tracker = await store.retrieve("customer-1")
        assert tracker is not None
        masked_lists.clear()
        tracker.update_with_events(customer_turn(f"turn {number}: {CARD}"), domain)
        await store.save(tracker)
        assert max(masked_lists) == 2  # the save masked the two new events, not the tracker
    assert_no_card(stored(raw_redis, "customer-1"))


async def test_reading_back_what_it_wrote_masks_nothing_but_anything_else_is_masked(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    await store.save(card_conversation(domain))
    text = stored(raw_redis, "customer-1")
    assert store.written.wrote("customer-1", text)
    assert store.written.wrote("customer-1", text.encode())
    assert not store.written.wrote("customer-2", text)

    # someone else wrote the key (a replica, Rasa's own store): masked as it is read
    raw_redis.set("tracker:customer-1", text.replace(CARD_MASK, CARD))
    assert not store.written.wrote("customer-1", stored(raw_redis, "customer-1"))
    earlier = await store.retrieve("customer-1")
    assert earlier is not None and earlier.latest_message is not None
    assert CARD_MASK in earlier.latest_message.text  # type: ignore[operator]


async def test_a_conversation_hopping_between_rasa_workers_is_masked_once_and_stays_whole(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    """With several Rasa workers each turn may land on another one: a worker trusts what any
    worker wrote (by its marker in Redis) instead of masking the whole tracker again, and its
    save stores only the turn's new events masked."""
    other_worker = RedactingRedisTrackerStore(
        domain, host="127.0.0.1", port=store.red.connection_pool.connection_kwargs["port"], db=0
    )
    await store.save(card_conversation(domain))
    masked_lists: list[int] = []
    for worker in (store, other_worker):
        mask = worker.masking.value

        def counting(value: Any, mask: Any = mask) -> Any:
            if isinstance(value, list):
                masked_lists.append(len(value))
            return mask(value)

        worker.masking.value = counting  # type: ignore[method-assign]

    for number in range(6):
        worker = (other_worker, store)[number % 2]  # each turn on the other worker
        masked_lists.clear()
        tracker = await worker.retrieve("customer-1")
        assert tracker is not None
        assert masked_lists == []  # read: nothing masked again
        tracker.update_with_events(customer_turn(f"turn {number}: {CARD}"), domain)
        await worker.save(tracker)
        assert max(masked_lists) == 2  # saved: the turn's two new events only

    text = stored(raw_redis, "customer-1")
    assert_no_card(text)
    events = json.loads(text)["events"]
    assert len(events) == 8 + 6 * 2  # no event lost or stored twice
    assert [key for key in raw_redis.keys("tracker:*")] == ["tracker:customer-1"]
    listed = list(await store.keys())  # Rasa's listing of the conversations skips the marker
    assert len(listed) == 1 and "customer-1" in str(listed[0]) and "masked" not in str(listed)


async def test_a_tracker_whose_marker_does_not_match_is_masked_as_it_is_read(
    store: RedactingRedisTrackerStore, raw_redis: redis.Redis, domain: Domain
) -> None:
    """The marker vouches only for the exact text it was written with: a tracker rewritten
    since (in clear, by something else) is masked; a broken marker counts as none."""
    await store.save(card_conversation(domain))
    port = store.red.connection_pool.connection_kwargs["port"]
    text = stored(raw_redis, "customer-1")
    raw_redis.set("tracker:customer-1", text.replace(CARD_MASK, CARD))
    for marker in (None, "not a marker", "zz:3"):  # None: the stale marker of the masked text
        if marker is not None:
            raw_redis.set(store.marker_key("customer-1"), marker)
        fresh_worker = RedactingRedisTrackerStore(domain, host="127.0.0.1", port=port, db=0)
        tracker = await fresh_worker.retrieve("customer-1")
        assert tracker is not None and tracker.latest_message is not None
        assert CARD_MASK in tracker.latest_message.text  # type: ignore[operator]
