"""The real service (and the sample order service it asks) on real loopback ports, served by an
event loop of its own in a background thread, for clients that block: schemathesis sends its
requests with `requests`, which would stall the test's own event loop (tests/service/
test_fuzz_openapi.py). `run(coroutine)` runs a coroutine on that loop (seeding, tokens)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
START_TIMEOUT = 120.0  # the app loads spaCy and embeds the sample help centre on start


class LiveApps:
    """Aiohttp apps on 127.0.0.1, each on a free port, in one background thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runners: list[web.AppRunner] = []
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = START_TIMEOUT) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def serve(self, app: web.Application) -> str:
        """Start `app` on a free port; its base URL."""
        return self.run(self._serve(app))

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]  # the free port the system chose
        return f"http://{host}:{port}"

    def close(self) -> None:
        """Stop the apps (last started first, running their cleanup) and the loop."""
        self.run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _close(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
