"""A card number typed by a customer never appears in Redis (any key, and the append-only file
behind it), in any process log, or in what the assistant and the service answer - the
knowledge base's unanswered questions and a handoff ticket included; the stored conversation
keeps the masked form."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import redis.asyncio as redis

from stack.supervisor import Stack
from tests.e2e.client import Customer, texts
from tests.support.redis_contents import every_value

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CHARGED_TWICE = (
    "my card is 4111 1111 1111 1111, cvv 123, why was I charged twice?",
    "my card is 4111-1111-1111-1111, cvv 123, why was I charged twice?",
)
# Asked with dashes: a space-grouped card number currently makes NLU predict out_of_scope, so
# the question would never reach the knowledge base (see docs/design-notes.md, Privacy).
UNANSWERABLE = "do you have a loyalty points programme for card 4111-1111-1111-1111?"
CARD_FORMS = ("4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111")
CARD_MASK = "[card ending 1111]"
SECURITY_CODE = re.compile(r"cvv\s*123", re.IGNORECASE)
# Forms the first masking let through (issue 11): a card number with dots, double or
# non-breaking spaces or glued to a word; a password said without "is" or ":".
OTHER_FORMS = (
    "my card is 4111.1111.1111.1111, why was I charged twice?",
    "card 4111\u00a01111\u00a01111\u00a01111 was charged twice",
    "why did card4111111111111111 get charged twice",
    "4111  1111  1111  1111 was charged twice",
    "my password hunter2 does not work",
    "password's swordfish, can you reset it?",
    "passphrase: purple monkey dishwasher, please reset it",
)
OTHER_FORMS_MASKED = (
    f"my card is {CARD_MASK}, why was I charged twice?",
    f"card {CARD_MASK} was charged twice",
    f"why did card{CARD_MASK} get charged twice",
    f"{CARD_MASK} was charged twice",
    "my password [password removed] does not work",
    "password's [password removed] can you reset it?",
    "passphrase: [password removed], please reset it",
)
OTHER_SECRETS = (
    "4111.1111",
    "4111\u00a01111",
    "4111  1111",
    "4111111111111111",
    "hunter2",
    "swordfish",
    "purple monkey",
)


@dataclass
class Conversations:
    customers: list[Customer]
    replies: list[Any]
    unanswered: dict[str, Any]


def card_forms_in(text: str) -> list[str]:
    found = [form for form in CARD_FORMS if form in text]
    return found + SECURITY_CODE.findall(text)


def other_secrets_in(text: str) -> list[str]:
    """The secrets of OTHER_FORMS in a text, as typed or escaped in JSON (once or twice)."""
    return [
        secret
        for secret in OTHER_SECRETS
        if any(
            spelling in text for spelling in (secret, _in_json(secret), _in_json(_in_json(secret)))
        )
    ]


def _in_json(text: str) -> str:
    return json.dumps(text)[1:-1]


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def conversations(stack: Stack) -> Conversations:
    """Two customers type a card number and a security code; one then asks something the
    knowledge base cannot answer, with the card number in it."""
    first, second = Customer(stack), Customer(stack)
    replies = [
        await first.say(CHARGED_TWICE[0]),
        await second.say(CHARGED_TWICE[1]),
        await first.say(UNANSWERABLE),
    ]
    headers = {"Authorization": f"Bearer {stack.config.service_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{stack.config.service_url}/kb/unanswered?limit=500") as response:
            assert response.status == 200
            unanswered = await response.json()
    return Conversations([first, second], replies, unanswered)


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def other_forms(stack: Stack) -> Customer:
    """A third customer types a card number and passwords in the forms of OTHER_FORMS."""
    customer = Customer(stack)
    for text in OTHER_FORMS:
        await customer.say(text, expect_reply=False)
    return customer


async def redis_dump(stack: Stack) -> dict[str, str]:
    """Every key in the stack's Redis and everything it holds, read by its type."""
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        return await every_value(client)
    finally:
        await client.aclose()


def files_under(folder: Path) -> dict[Path, str]:
    return {
        path: path.read_bytes().decode("utf-8", "replace")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


async def test_no_redis_key_holds_the_card_number(
    stack: Stack, conversations: Conversations
) -> None:
    dump = await redis_dump(stack)
    for customer in conversations.customers:
        assert f"tracker:{customer.sender}" in dump  # the store really writes to Redis
    leaks = {key: card_forms_in(value) for key, value in dump.items() if card_forms_in(value)}
    assert leaks == {}


async def test_the_stored_conversations_keep_the_masked_card(
    conversations: Conversations,
) -> None:
    for customer in conversations.customers:
        tracker = await customer.tracker()
        typed = [event["text"] for event in tracker["events"] if event["event"] == "user"]
        assert typed and all(CARD_MASK in text for text in typed)
        assert all("cvv [security code removed]" in text for text in typed[:1])


async def test_the_unanswered_question_is_recorded_masked(
    conversations: Conversations,
) -> None:
    questions = [row["question"] for row in conversations.unanswered["questions"]]
    assert "do you have a loyalty points programme for card card ending 1111" in questions, (
        "the question with a card number did not reach the knowledge base as a miss"
    )
    assert card_forms_in(json.dumps(conversations.unanswered)) == []


async def test_no_reply_repeats_the_card_number(conversations: Conversations) -> None:
    assert card_forms_in(json.dumps(conversations.replies)) == []
    last = texts(conversations.replies[-1])  # an unsure reply: "not sure" or "did you mean"
    assert "not sure" in last or "Did you mean" in last


async def test_a_handoff_with_the_raw_conversation_stores_and_answers_no_card_number(
    stack: Stack, conversations: Conversations
) -> None:
    """The action server holds Rasa's in-memory tracker, raw text and all, and sends it to the
    service's handoff endpoint: the ticket it stores and the answers hold no card number."""
    customer = conversations.customers[0]
    stored = await customer.tracker()
    raw = json.loads(
        json.dumps({"events": stored["events"], "slots": stored["slots"]}).replace(
            CARD_MASK, "4111 1111 1111 1111"
        )
    )
    assert card_forms_in(json.dumps(raw))  # what the action server would really send
    headers = {"Authorization": f"Bearer {stack.config.service_token}"}
    body = {"conversation_id": customer.sender, "tracker": raw, "channel": "rest"}
    async with aiohttp.ClientSession(headers=headers) as session:
        url = f"{stack.config.service_url}/handoff/tickets"
        async with session.post(url, json=body) as response:
            if response.status == 404:
                pytest.skip("the service has no handoff endpoint (POST /handoff/tickets) yet")
            assert response.status in (200, 201), await response.text()
            created = await response.text()
        url = f"{stack.config.service_url}/handoff/conversations/{customer.sender}"
        async with session.get(url) as response:
            assert response.status == 200
            state = await response.text()
    assert json.loads(created)["ticket_id"]
    assert card_forms_in(created + state) == []
    dump = await redis_dump(stack)
    assert any(customer.sender in value for key, value in dump.items() if "handoff" in key)
    assert {key: card_forms_in(value) for key, value in dump.items() if card_forms_in(value)} == {}


async def test_no_log_line_and_no_redis_file_holds_the_card_number(
    stack: Stack, conversations: Conversations
) -> None:
    """Rasa (at INFO, as it runs), the action server, the service and Redis write here; the
    append-only file holds every write Redis ever took, not only what is stored now. Runs
    after the handoff test, so the handoff's log lines and writes are scanned too."""
    await asyncio.sleep(1.5)  # the log pumps and Redis's once-a-second AOF fsync catch up
    var_dir = stack.config.var_dir
    files = files_under(var_dir / "log") | files_under(var_dir / "redis")
    assert {path.name for path in files} >= {"rasa.log", "actions.log", "service.log"}
    assert any(path.suffix == ".aof" for path in files)
    leaks = {str(path): card_forms_in(text) for path, text in files.items() if card_forms_in(text)}
    assert leaks == {}


async def test_no_stored_text_holds_the_start_of_a_card_number(
    stack: Stack, conversations: Conversations
) -> None:
    dump = await redis_dump(stack)
    cut = [key for key, value in dump.items() if "4111-1111" in value or "4111 1111" in value]
    assert cut == []


async def test_no_redis_key_holds_a_card_or_password_typed_in_other_forms(
    stack: Stack, other_forms: Customer
) -> None:
    dump = await redis_dump(stack)
    assert f"tracker:{other_forms.sender}" in dump
    leaks = {key: other_secrets_in(value) for key, value in dump.items()}
    assert {key: found for key, found in leaks.items() if found} == {}


async def test_the_stored_conversation_keeps_the_other_forms_masked(other_forms: Customer) -> None:
    tracker = await other_forms.tracker()
    typed = [event["text"] for event in tracker["events"] if event["event"] == "user"]
    assert typed == list(OTHER_FORMS_MASKED)


async def test_a_handoff_with_the_other_forms_raw_stores_and_answers_none_of_them(
    stack: Stack, other_forms: Customer
) -> None:
    """The action server's raw conversation, the other forms in it, sent to the service's
    handoff endpoint: neither the ticket in Redis nor the answers hold them."""
    stored = await other_forms.tracker()
    raw_texts = iter(OTHER_FORMS)
    events = []
    for event in stored["events"]:
        if event["event"] == "user":
            text = next(raw_texts)
            event = {**event, "text": text, "parse_data": {**event["parse_data"], "text": text}}
        events.append(event)
    assert other_secrets_in(json.dumps(events))  # what the action server would really send
    headers = {"Authorization": f"Bearer {stack.config.service_token}"}
    body = {
        "conversation_id": other_forms.sender,
        "tracker": {"events": events, "slots": stored["slots"]},
        "channel": "rest",
    }
    async with aiohttp.ClientSession(headers=headers) as session:
        url = f"{stack.config.service_url}/handoff/tickets"
        async with session.post(url, json=body) as response:
            assert response.status in (200, 201), await response.text()
            created = await response.text()
        url = f"{stack.config.service_url}/handoff/conversations/{other_forms.sender}"
        async with session.get(url) as response:
            assert response.status == 200
            state = await response.text()
    assert json.loads(created)["ticket_id"]
    assert other_secrets_in(created + state) == []
    dump = await redis_dump(stack)
    assert any(other_forms.sender in value for key, value in dump.items() if "handoff" in key)
    leaks = {key: other_secrets_in(value) for key, value in dump.items()}
    assert {key: found for key, found in leaks.items() if found} == {}


async def test_no_redis_file_holds_a_card_or_password_typed_in_other_forms(
    stack: Stack, other_forms: Customer
) -> None:
    """The append-only file keeps every write Redis took, the handoff's included."""
    await asyncio.sleep(1.5)  # Redis's once-a-second AOF fsync catches up
    files = files_under(stack.config.var_dir / "redis")
    assert any(path.suffix == ".aof" for path in files)
    leaks = {str(path): other_secrets_in(text) for path, text in files.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
