"""Personal data seeded into an end-to-end journey, and where to look for it afterwards: every
log file, every Redis key and value, the append-only file."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from pathlib import Path

import redis.asyncio as redis

from stack.supervisor import Stack
from tests.support.redis_contents import every_value


def card_number() -> str:
    """A fresh Luhn-valid 16-digit card number (so no other test's data can match it)."""
    digits = [4] + [random.randrange(10) for _ in range(14)]
    total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def iban() -> str:
    """A fresh valid German IBAN (ISO 13616 check digits)."""
    bban = "".join(str(random.randrange(10)) for _ in range(18))
    check = 98 - int(bban + "131400") % 97  # D=13, E=14, then "00"
    return f"DE{check:02d}{bban}"


def grouped(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


class Seeded:
    """The journey's personal data, each value in the forms it may be stored or logged in."""

    def __init__(self) -> None:
        self.card, self.iban = card_number(), iban()
        # Digits in the middle: Rasa's NLU takes such a password for an order number, so the
        # journey checks that the entity and slot read from it are masked too.
        self.password = f"Zq{secrets.randbelow(10**8):08d}!9"
        self.email = f"pii.{secrets.token_hex(4)}@example.com"
        local = f"{random.randrange(100000):05d}"
        self.phone = f"+44 7700 9{local[:2]} {local[2:]}"
        self.customer_id = f"cust-{secrets.token_hex(5)}"

    def secrets(self) -> dict[str, tuple[str, ...]]:
        """Never stored anywhere: typed secrets."""
        return {
            "card": (self.card, grouped(self.card)),
            "iban": (self.iban, grouped(self.iban)),
            "password": (self.password,),
        }

    def contacts(self) -> dict[str, tuple[str, ...]]:
        """Given to the support team: kept only in the customer's own conversation."""
        digits = self.phone.replace(" ", "")
        return {"email": (self.email,), "phone": (self.phone, digits, digits[1:])}


def found(text: str, values: dict[str, tuple[str, ...]]) -> list[str]:
    escaped = {form: {form, json.dumps(form)[1:-1]} for forms in values.values() for form in forms}
    return [
        name
        for name, forms in values.items()
        if any(spelling in text for form in forms for spelling in escaped[form])
    ]


async def redis_values(stack: Stack) -> dict[str, str]:
    client = redis.Redis.from_url(stack.config.redis.url, decode_responses=True)
    try:
        return await every_value(client)
    finally:
        await client.aclose()


def files_under(folder: Path, suffixes: tuple[str, ...]) -> dict[str, str]:
    return {
        str(path): path.read_bytes().decode("utf-8", "replace")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and (not suffixes or path.suffix in suffixes)
    }


async def held_only_by(stack: Stack, seeded: Seeded) -> set[str]:
    """Scan every log file, every Redis key and value and the append-only file for the seeded
    values: assert no log holds any of them and nothing in Redis the typed secrets; return the
    Redis keys that hold the contacts (the caller says which may)."""
    await asyncio.sleep(1.5)  # the log pumps and the AOF's once-a-second fsync catch up
    everything = seeded.secrets() | seeded.contacts()
    logs = files_under(stack.config.var_dir / "log", ())
    assert {
        name: found(text, everything) for name, text in logs.items() if found(text, everything)
    } == {}
    stored = await redis_values(stack)
    aof = files_under(stack.config.var_dir / "redis", (".aof",))
    assert aof, "Redis keeps an append-only file"
    for where, text in {**stored, **aof}.items():
        assert found(where + text, seeded.secrets()) == [], where
    return {key for key, text in stored.items() if found(text, seeded.contacts())}
