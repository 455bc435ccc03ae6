"""The shop's tables and the one way to open its database.

SQLite in WAL mode with foreign keys on; STRICT tables and CHECK constraints keep the data to
the shop's vocabulary (statuses, kinds, money as integer cents) whatever writes it. Times are
ISO 8601 UTC text ('2026-03-14T09:30:00.000Z'), dates 'YYYY-MM-DD'.

The connection is in autocommit mode (`isolation_level=None`): the store opens each
transaction itself with `BEGIN IMMEDIATE`, so a check and the write it allows are atomic.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

ORDER_STATUSES = ("placed", "shipped", "delivered", "cancelled")
SHIPMENT_STATUSES = ("label_created", "in_transit", "delayed", "delivered")
CARRIERS = ("UPS", "USPS")
"""The carriers the shop ships with (docs/sample-business.md)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    number TEXT PRIMARY KEY CHECK (number GLOB 'HL-[0-9][0-9][0-9][0-9][0-9][0-9]'),
    email TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    placed_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('placed', 'shipped', 'delivered', 'cancelled')),
    currency TEXT NOT NULL DEFAULT 'USD' CHECK (currency = 'USD'),
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0)
) STRICT;

CREATE TABLE IF NOT EXISTS order_items (
    order_number TEXT NOT NULL REFERENCES orders (number),
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    final_sale INTEGER NOT NULL DEFAULT 0 CHECK (final_sale IN (0, 1)),
    kind TEXT NOT NULL CHECK (kind IN ('device', 'gift_card', 'membership')),
    PRIMARY KEY (order_number, sku)
) STRICT;

CREATE TABLE IF NOT EXISTS shipments (
    order_number TEXT PRIMARY KEY REFERENCES orders (number),
    carrier TEXT NOT NULL CHECK (carrier IN ('UPS', 'USPS')),
    tracking_number TEXT NOT NULL,
    tracking_url TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('label_created', 'in_transit', 'delayed', 'delivered')),
    shipped_at TEXT,
    estimated_delivery TEXT,
    delivered_at TEXT
) STRICT;

CREATE TABLE IF NOT EXISTS returns (
    id TEXT PRIMARY KEY,
    order_number TEXT NOT NULL REFERENCES orders (number),
    created_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'requested' CHECK (status IN ('requested'))
) STRICT;
CREATE INDEX IF NOT EXISTS returns_by_order ON returns (order_number);

CREATE TABLE IF NOT EXISTS return_items (
    return_id TEXT NOT NULL REFERENCES returns (id),
    sku TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (return_id, sku)
) STRICT;

CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY,
    order_number TEXT NOT NULL REFERENCES orders (number),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    request_digest TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS refunds_by_order ON refunds (order_number);
"""


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating the file and its folder if need be) the shop's database, with the tables
    made if missing, foreign keys on and the WAL journal; rows come back as `aiosqlite.Row`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA busy_timeout = 5000")  # ms a writer waits for another's lock
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.executescript(SCHEMA)
    except BaseException:
        await db.close()
        raise
    return db
