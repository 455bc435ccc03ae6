"""A terminal chat with the running assistant over Rasa's REST channel (loopback)."""

from __future__ import annotations

import asyncio
import secrets
import sys
from typing import Any

import aiohttp

from stack.config import StackConfig


def render(message: dict[str, Any]) -> list[str]:
    """Bot message -> terminal lines; buttons are numbered so the customer can type 1, 2..."""
    lines = [f"bot> {line}" for line in str(message.get("text", "")).splitlines()]
    for number, button in enumerate(message.get("buttons") or [], start=1):
        lines.append(f"     [{number}] {button.get('title')}")
    return lines


def choose(text: str, buttons: list[dict[str, Any]]) -> str:
    """A typed number picks the matching button of the bot's last turn."""
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        return str(buttons[int(text) - 1]["payload"])
    return text


async def chat(config: StackConfig) -> int:
    sender = f"terminal-{secrets.token_hex(8)}"
    url = f"{config.rasa_url}/webhooks/rest/webhook"
    print("Chat with the assistant (Ctrl-D or /quit to leave). Type a number to press a button.")
    buttons: list[dict[str, Any]] = []
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            try:
                text = (await asyncio.to_thread(input, "you> ")).strip()
            except EOFError:
                return 0
            if text == "/quit":
                return 0
            if not text:
                continue
            try:
                async with session.post(
                    url, json={"sender": sender, "message": choose(text, buttons)}
                ) as response:
                    replies = await response.json()
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                print(
                    f"[chat] cannot reach the assistant at {url} ({error!r}); is `make run` up?",
                    file=sys.stderr,
                )
                continue
            if not replies:
                print("bot> (no reply - see var/log/rasa.log)")
            buttons = []
            for message in replies:
                print("\n".join(render(message)))
                buttons = message.get("buttons") or buttons
