"""Debian's chromium driven by Playwright for the browser tests (see ../shared/ARCHITECTURE.md:
Playwright's own browser download does not work here), and where their screenshots go.

Screenshots are test artifacts: `var/results/browser/<test name>/<step>.png` (var/ is ignored by
git; CI keeps it with the run). BROWSER_ARTIFACTS sets another folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Page

from stack.config import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "var" / "results" / "browser"))


def require_chromium() -> str:
    """The browser's path; fails the test (not skips) when it is missing."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    return CHROMIUM


class Screenshots:
    """Numbered screenshots of one test: `shots.take(page, "widget-waiting")`."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    async def take(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path
