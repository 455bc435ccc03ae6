"""`user_uttered`'s socket.io acknowledgement: `{"kept": true}` only once the message is kept
(Rasa answered it), so a client - and `make chaos` - can tell what survives a fault."""

from __future__ import annotations


async def test_a_message_rasa_answered_is_acknowledged_as_kept(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    session_id = await widget.start_session()
    ack = await widget.client.call(
        "user_uttered", {"message": "where is my parcel?", "session_id": session_id}, timeout=10
    )
    assert ack == {"kept": True}
    assert rasa.texts() == ["where is my parcel?"]
    assert widget.bot[0]["text"] == "Hello!"  # the answer came before the acknowledgement


async def test_an_empty_answer_from_rasa_is_not_acknowledged_as_kept(connect, rasa) -> None:  # type: ignore[no-untyped-def]
    """Rasa answers 200 [] when the turn failed (its tracker perhaps not saved)."""
    rasa.replies = []
    widget = await connect()
    session_id = await widget.start_session()
    ack = await widget.client.call(
        "user_uttered", {"message": "hello", "session_id": session_id}, timeout=10
    )
    assert ack == {"kept": False}
    assert widget.bot[-1]["metadata"]["event"] == "trouble"  # and the customer is told


async def test_a_refused_message_is_not_acknowledged_as_kept(connect) -> None:  # type: ignore[no-untyped-def]
    widget = await connect()
    await widget.start_session()
    ack = await widget.client.call("user_uttered", {"message": 42}, timeout=10)
    assert ack == {"kept": False}
    assert widget.errors[-1]["code"] == "invalid_message"
