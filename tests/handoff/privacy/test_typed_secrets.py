"""What Rasa read out of a masked secret is masked with it: entity values, slots, echoes."""

from __future__ import annotations

from typing import Any

from handoff.privacy.redact import redact_text, secret_spans
from handoff.privacy.typed_secrets import redact_with_echoes, typed_secrets, without_secrets

PASSWORD = "Zq83941412!9"


def user_event(text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text, "entities": entities}}


def test_secret_spans_are_where_redact_text_masks_in_the_raw_text() -> None:
    text = (
        "card 4111 1111 1111 1111, cvv 123, IBAN DE89 3704 0044 0532 0130 00, "
        f"my password is {PASSWORD} ok"
    )
    spans = secret_spans(text)
    assert [(text[start:end], mask) for start, end, mask in spans] == [
        ("4111 1111 1111 1111", "[card ending 1111]"),
        ("123", "[security code removed]"),
        ("DE89 3704 0044 0532 0130 00", "[IBAN ending 3000]"),
        (PASSWORD, "[password removed]"),
    ]
    rebuilt, position = "", 0
    for start, end, mask in spans:
        rebuilt += text[position:start] + mask
        position = end
    assert rebuilt + text[position:] == redact_text(text)


def test_text_without_secrets_has_no_spans() -> None:
    assert secret_spans("my password is wrong, order HL-123456") == []


def test_an_entity_taken_from_inside_a_password_is_a_typed_secret() -> None:
    text = f"my password is {PASSWORD}, thanks"
    entity = {"entity": "order_number", "value": "83941412", "start": 17, "end": 25}
    secrets = typed_secrets([user_event(text, [entity])])
    assert secrets == {
        PASSWORD + ",": "[password removed]",
        PASSWORD: "[password removed]",
        "83941412": "[password removed]",
    }


def test_entities_outside_the_secret_and_clean_messages_are_not_secrets() -> None:
    order = {"entity": "order_number", "value": "HL-482913", "start": 12, "end": 21}
    text = f"about order HL-482913, my password is {PASSWORD}"
    events = [user_event(text, [order]), user_event("where is HL-482913?", [order])]
    assert "HL-482913" not in typed_secrets(events)
    assert typed_secrets([user_event("hello", []), {"event": "bot", "text": PASSWORD}]) == {}


def test_every_slot_text_and_number_holding_a_secret_is_masked() -> None:
    secrets = {PASSWORD: "[password removed]", "1234": "[PIN removed]"}
    data = {
        "slots": {"order_number": PASSWORD, "pin": 1234, "note": f"order {PASSWORD}?"},
        "events": [{"event": "bot", "text": "Your PIN 1234 is safe"}],
        "kept": [True, None, 12345, "HL-482913"],
    }
    assert without_secrets(data, secrets) == {
        "slots": {
            "order_number": "[password removed]",
            "pin": "[PIN removed]",
            "note": "order [password removed]?",
        },
        "events": [{"event": "bot", "text": "Your PIN [PIN removed] is safe"}],
        "kept": [True, None, 12345, "HL-482913"],
    }


def test_a_short_piece_is_masked_only_as_a_whole_value() -> None:
    secrets = {"42": "[PIN removed]"}
    assert without_secrets({"a": "42", "b": "order 4242"}, secrets) == {
        "a": "[PIN removed]",
        "b": "order 4242",
    }


def test_a_log_line_quoting_the_message_and_its_entities_holds_neither() -> None:
    line = (
        f"Received user message 'my password is {PASSWORD}, call me' with entities "
        f"[{{'entity': 'order_number', 'value': '{PASSWORD}'}}]"
    )
    masked = redact_with_echoes(line)
    assert PASSWORD not in masked
    assert masked.count("[password removed]") == 2
    assert redact_with_echoes("nothing secret here 12345") == "nothing secret here 12345"
