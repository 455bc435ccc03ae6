"""Rasa's plain log lines, set up as `rasa run --logging-config-file config/rasa-logging.yml`
sets them up (config file, then coloredlogs), carry no email, phone number, token or typed
secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import rasa.utils.common
import rasa.utils.io

CONFIG = Path(__file__).resolve().parents[2] / "config" / "rasa-logging.yml"


@pytest.fixture
def rasa_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    rasa.utils.common.configure_logging_and_warnings(None, str(CONFIG))
    rasa.utils.io.configure_colored_logging(None)  # type: ignore[arg-type]
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_plain_line_is_masked_after_rasa_swapped_its_handler(
    rasa_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("rasa.core.test").warning(
        "slot email=%s phone=%s card=%s auth=%s",
        "ann.lee@example.com",
        "+44 7700 900123",
        "4111 1111 1111 1111",
        "Bearer abcdefghijklmnop",
    )
    written = capsys.readouterr()
    text = written.out + written.err
    assert "slot email=[email removed] phone=[phone removed]" in text
    for raw in ("ann.lee", "7700 900123", "4111 1111", "abcdefghijklmnop"):
        assert raw not in text
