"""Rasa's log lines keep what an operator needs and lose what the customer wrote.

Logging is set up the way `rasa run --logging-config-file config/rasa-logging.yml` does it
(rasa/__main__.py: the config file, then coloredlogs, then structlog), and Rasa's REST channel
failure is logged the way rasa/core/channels/rest.py logs it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import rasa.utils.common
import rasa.utils.io
import structlog
from rasa.utils.log_utils import configure_structlog

from rasa_extensions.log_privacy import without_customer_text

CONFIG = Path(__file__).resolve().parents[2] / "config" / "rasa-logging.yml"
MESSAGE = "my card is 4111 1111 1111 1111 and my password is hunter2-marker"


@pytest.fixture
def rasa_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    rasa.utils.common.configure_logging_and_warnings(None, str(CONFIG))
    rasa.utils.io.configure_colored_logging(None)  # type: ignore[arg-type]
    configure_structlog(None)
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def receive(text: str, sender_id: str) -> None:
    raise ConnectionError("Error 111 connecting to 127.0.0.1:6479. Connection refused.")


def test_a_failed_message_is_logged_without_its_text_or_the_frames_locals(
    rasa_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        receive(MESSAGE, "conv-0123456789")
    except ConnectionError:
        structlog.get_logger().exception("rest.message.received.failure", text=MESSAGE)
    logging.getLogger("rasa.core.processor").warning("Circuit breaker tripped.")
    output = capsys.readouterr()
    logged = output.out + output.err
    assert "4111" not in logged and "hunter2-marker" not in logged and "conv-0123" not in logged
    line = next(line for line in logged.splitlines() if "rest.message.received.failure" in line)
    fields = json.loads(line[line.index("{") :])
    assert fields["text"] == "<withheld>" and fields["level"] == "error"
    (exception,) = fields["exception"]
    assert exception["exc_type"] == "ConnectionError"
    assert "Connection refused" in exception["exc_value"]
    assert any(frame.endswith(" in receive") for frame in exception["frames"])
    assert "Circuit breaker tripped." in logged  # plain lines pass unchanged


def test_only_operational_fields_keep_their_values() -> None:
    line = json.dumps(
        {
            "event": "http.parse.text.failure",
            "event_info": "No rasa NLU server specified!",
            "level": "error",
            "text": MESSAGE,
            "response_text": MESSAGE,
            "tracker_states": [{"user": {"text": MESSAGE}}],
        }
    )
    assert json.loads(without_customer_text(line) or "") == {
        "event": "http.parse.text.failure",
        "event_info": "No rasa NLU server specified!",
        "level": "error",
        "text": "<withheld>",
        "response_text": "<withheld>",
        "tracker_states": "<withheld>",
    }


def test_lines_that_are_not_structlog_events_are_left_alone() -> None:
    assert without_customer_text("Starting Rasa server on http://127.0.0.1:5005") is None
    assert without_customer_text('{"not": "an event"}') is None
    assert without_customer_text("{broken") is None
