"""Log lines are JSON objects, and no email, phone number, token or typed secret reaches them."""

from __future__ import annotations

import io
import json
import logging

import pytest

from handoff.privacy.redact import redact_text
from infra.log_format import JsonLineFormatter, RedactingFilter, redact_contacts


@pytest.fixture
def written() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RedactingFilter([redact_text]))
    logger = logging.getLogger("tests.log_format")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_a_json_object_with_time_level_logger_message_and_fields(written) -> None:  # type: ignore[no-untyped-def]
    logger, stream = written
    logger.info("ticket %s opened", "t-1", extra={"team": "billing", "load": 2})
    [line] = lines(stream)
    assert line["level"] == "INFO" and line["logger"] == "tests.log_format"
    assert line["message"] == "ticket t-1 opened"
    assert (line["team"], line["load"]) == ("billing", 2)
    assert line["time"].endswith("+00:00")


def test_personal_data_is_masked_in_messages_arguments_fields_and_tracebacks(written) -> None:  # type: ignore[no-untyped-def]
    logger, stream = written
    secret = "card 4111 1111 1111 1111, iban DE89 3704 0044 0532 0130 00, password is hunter2"
    contacts = "ann.lee@example.com or +44 7700 900123, Authorization: Bearer abcdefghijklmnop"
    logger.info("customer said %s", secret, extra={"note": contacts})
    try:
        raise ValueError(f"bad input {contacts}")
    except ValueError:
        logger.exception("failed for %s", "020 7946 0958")
    text = stream.getvalue()
    for raw in (
        "4111 1111",
        "DE89 3704",
        "hunter2",
        "ann.lee@example.com",
        "7700 900123",
        "abcdefghijklmnop",
        "7946 0958",
    ):
        assert raw not in text, raw
    first, second = lines(stream)
    assert "[card ending 1111]" in first["message"] and "[IBAN ending 3000]" in first["message"]
    assert first["note"] == (
        "[email removed] or [phone removed], Authorization: Bearer [token removed]"
    )
    assert "ValueError: bad input [email removed]" in second["exception"]


@pytest.mark.parametrize(
    "text",
    [
        "GET /handoff/conversations/{conversation_id} 200 846 B 4.1 ms",
        "session started 2026-03-10 14:00:00",
        "order HL-482913 verified in conversation conv-0a1b2c3d4e5f60718293",
        "listening on 127.0.0.1:8300",
    ],
)
def test_ordinary_lines_pass_unchanged(text: str) -> None:
    assert redact_contacts(text) == text


def test_query_string_tokens_are_masked() -> None:
    assert redact_contacts("GET /socket.io/?EIO=4&sid=abc123&token=xyz") == (
        "GET /socket.io/?EIO=4&sid=[removed]&token=[removed]"
    )
