"""Live-chat relay latency through the public gateway, both ways, after a handoff.

    python -m benchmarks.relay_latency [--messages 200] [--conversations 10]

Starts its own stack (Redis, service, action server, Rasa with the trained model and the
gateway) on free loopback ports, with the gateway's rate limits raised so the benchmark is not
throttled. Each conversation is a socket.io customer (Rasa's protocol, as the widget speaks it)
who asks for a person; an agent claims the ticket through the console API and keeps its live
event stream open (`GET /console/api/events`), as the console does. Then, interleaved:

- customer -> console: from the customer's `user_uttered` to the console having the message:
  the ticket event on the agent's stream, then `GET /console/api/tickets/{id}` (what the console
  does on that event) whose transcript ends with that text;
- agent -> widget: from the agent's `POST /console/api/tickets/{id}/reply` to the customer's
  socket receiving that text as `bot_uttered`;
- for the ratio, in the same run: a second customer, still with the bot, says "thanks" through
  the gateway and gets Rasa's rule reply (a new one per conversation, so both conversations
  are equally long: Rasa reads and writes the whole tracker on every message).

Every message must arrive; one that does not within 10 s fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import yaml

from benchmarks.bench_stack import throwaway_stack, write_result
from benchmarks.reply_latency import summary
from handoff import store as handoff_store
from stack.config import ROOT
from stack.supervisor import Stack

REQUEST = "I'd like to talk to a real person please"
ARRIVAL_TIMEOUT = 10.0
REFUSED = "\0refused "  # a gateway_error, queued among the texts
UNTHROTTLED = {
    "GATEWAY_SESSION_BURST": "10000",
    "GATEWAY_SESSION_PER_MINUTE": "100000",
    "GATEWAY_ADDRESS_BURST": "100000",
    "GATEWAY_ADDRESS_PER_MINUTE": "1000000",
}


class Customer:
    """A socket.io client speaking Rasa's protocol to the gateway; `bot_uttered` texts queue up."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: asyncio.Queue[str] = asyncio.Queue()
        self.session_id = ""
        self.confirmed = asyncio.Event()
        self.client.on("bot_uttered", self._uttered)
        self.client.on("session_confirm", self._confirmed)
        self.client.on("gateway_error", self._error)

    async def _uttered(self, message: dict[str, Any]) -> None:
        await self.received.put(str(message.get("text", "")))

    async def _confirmed(self, session_id: str) -> None:
        self.session_id = session_id
        self.confirmed.set()

    async def _error(self, error: dict[str, Any]) -> None:
        await self.received.put(REFUSED + json.dumps(error))

    async def connect(self, gateway_url: str) -> None:
        await self.client.connect(
            gateway_url, headers={"Origin": gateway_url}, transports=["websocket"]
        )
        await self.client.emit("session_request", {"session_id": None})
        await asyncio.wait_for(self.confirmed.wait(), ARRIVAL_TIMEOUT)

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    async def until_received(self, wanted: str | None = None) -> None:
        """Until a `bot_uttered` with this text (any text when None) arrives."""
        while True:
            text = await asyncio.wait_for(self.received.get(), ARRIVAL_TIMEOUT)
            if text.startswith(REFUSED):
                raise RuntimeError(f"the gateway refused a message: {text.removeprefix(REFUSED)}")
            if wanted is None or text == wanted:
                return

    def drain(self) -> None:
        while not self.received.empty():
            self.received.get_nowait()


class Console:
    """An agent's console: the API through the gateway and the live event stream."""

    def __init__(self, http: aiohttp.ClientSession, gateway_url: str, token: str) -> None:
        self.http = http
        self.api = f"{gateway_url}/console/api"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader: asyncio.Task[None] | None = None

    async def open_events(self) -> None:
        response = await self.http.get(f"{self.api}/events", headers=self.headers)
        if response.status != 200:
            raise RuntimeError(f"the event stream answered {response.status}")
        self.reader = asyncio.create_task(self._read(response))

    async def _read(self, response: aiohttp.ClientResponse) -> None:
        name, data = "message", ""
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "":
                if name == "ticket" and data:
                    await self.events.put(json.loads(data))
                name, data = "message", ""

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        async with self.http.request(
            method, f"{self.api}/{path}", json=body, headers=self.headers
        ) as response:
            answer: dict[str, Any] = await response.json()
            if response.status != 200:
                raise RuntimeError(f"{method} {path} answered {response.status}: {answer}")
            return answer

    def drain(self) -> None:
        while not self.events.empty():
            self.events.get_nowait()

    async def until_ticket_has(self, ticket_id: str, text: str) -> None:
        """Until the stream tells of a change to the ticket and the ticket then ends with text."""
        while True:
            event = await asyncio.wait_for(self.events.get(), ARRIVAL_TIMEOUT)
            if event.get("ticket_id") != ticket_id:
                continue
            ticket = await self.call("GET", f"tickets/{ticket_id}")
            transcript = ticket["ticket"]["transcript"]
            if transcript and transcript[-1]["text"] == text:
                return

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()


async def ticket_of(http: aiohttp.ClientSession, stack: Stack, session_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {stack.config.service_token}"}
    url = f"{stack.config.service_url}/handoff/conversations/{session_id}"
    for _ in range(100):
        async with http.get(url, headers=headers) as response:
            state: dict[str, Any] = await response.json()
        if state.get("ticket_id") and state.get("team"):  # reserved first, stored then
            return state
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no ticket for conversation {session_id} after asking for a person")


def agent_for(team: str) -> str:
    agents = yaml.safe_load((ROOT / "handoff" / "routing" / "agents.yml").read_text())["agents"]
    return next(agent["id"] for agent in agents if team in agent["teams"])


async def timed(action: Any, arrival: Any) -> float:
    started = time.perf_counter()
    await action
    await arrival
    return (time.perf_counter() - started) * 1000


async def measure(stack: Stack, messages: int, conversations: int) -> dict[str, Any]:
    gateway = stack.config.gateway_url
    store = await handoff_store.create(stack.config.redis.url)
    to_console: list[float] = []
    to_widget: list[float] = []
    bot_reply: list[float] = []
    tokens: dict[str, str] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        warm_up = Customer()
        await warm_up.connect(gateway)
        for number in range(3):
            await timed(warm_up.say(f"thanks {number}"), warm_up.until_received())
        await warm_up.client.disconnect()
        per_conversation = -(-messages // conversations)
        for number in range(conversations):
            # the bot's conversation is as long as the live chat it is compared with
            bot_customer = Customer()
            await bot_customer.connect(gateway)
            customer = Customer()
            await customer.connect(gateway)
            await customer.say(REQUEST)
            state = await ticket_of(http, stack, customer.session_id)
            ticket_id, agent_id = state["ticket_id"], agent_for(state["team"])
            if agent_id not in tokens:
                tokens[agent_id] = await store.agents.issue_token(agent_id)
            console = Console(http, gateway, tokens[agent_id])
            await console.open_events()
            await console.call("POST", f"tickets/{ticket_id}/claim")
            await asyncio.sleep(0.5)  # the handoff's own notices reach the widget first
            customer.drain()
            for turn in range(min(per_conversation, messages - len(to_console))):
                text = f"customer message {number}.{turn} {secrets.token_hex(3)}"
                console.drain()
                to_console.append(
                    await timed(customer.say(text), console.until_ticket_has(ticket_id, text))
                )
                reply = f"agent reply {number}.{turn} {secrets.token_hex(3)}"
                body = {"text": reply}
                to_widget.append(
                    await timed(
                        console.call("POST", f"tickets/{ticket_id}/reply", body),
                        customer.until_received(reply),
                    )
                )
                bot_customer.drain()
                bot_reply.append(
                    await timed(bot_customer.say("thanks"), bot_customer.until_received())
                )
            await console.call(
                "POST", f"tickets/{ticket_id}/resolve", {"resolution_code": "answered"}
            )
            await console.close()
            await customer.client.disconnect()
            await bot_customer.client.disconnect()
    await store.close()
    relay_in, relay_out, bot = summary(to_console), summary(to_widget), summary(bot_reply)
    return {
        "customer_to_console": relay_in,
        "agent_to_widget": relay_out,
        "bot_rule_reply_via_gateway": bot,
        "ratio_p50_customer_to_console_vs_bot": round(relay_in["p50_ms"] / bot["p50_ms"], 2),
        "ratio_p50_agent_to_widget_vs_bot": round(relay_out["p50_ms"] / bot["p50_ms"], 2),
        "ratio_p95_customer_to_console_vs_bot": round(relay_in["p95_ms"] / bot["p95_ms"], 2),
        "ratio_p95_agent_to_widget_vs_bot": round(relay_out["p95_ms"] / bot["p95_ms"], 2),
        "conversations": conversations,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    async with throwaway_stack(with_gateway=True, env=UNTHROTTLED) as stack:
        return await measure(stack, args.messages, args.conversations)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200, help="messages each way")
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument(
        "--json", type=Path, default=ROOT / "var" / "results" / "relay_latency.json"
    )
    args = parser.parse_args()
    if not 1 <= args.messages <= 10_000:
        parser.error("--messages must be between 1 and 10000")
    if not 1 <= args.conversations <= args.messages:
        parser.error("--conversations must be between 1 and --messages")
    write_result(asyncio.run(main_async(args)), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
