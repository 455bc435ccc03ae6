"""Rasa's REST channel, letting a few messages at a time into each Rasa worker, in arrival order.

bot/credentials.yml selects it in place of `rest:`; the webhook, its requests and replies are
Rasa's own (`POST /webhooks/rest/webhook`, the gateway's and the tests' way in). Two things
differ: `in_flight`, how many messages one worker handles at once, the rest waiting
their turn first come, first served (rasa_extensions/admission.py says why; `make
bench-vs-rasa` measures it). A message waiting its turn costs nothing but its place in line.
When a message is let in, its sentence vector is asked for at once, so the service embeds it
while Rasa takes the conversation's lock and reads the tracker (rasa_extensions/
vector_prefetch.py). And a turn that fails (its tracker not saved) answers `[]`, never the
replies it collected before failing: the gateway takes an answer as proof the message is kept.

    rasa_extensions.admitted_rest.AdmittedRestInput:
      in_flight: 2
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from rasa_extensions.admission import AdmissionGate
from rasa_extensions.vector_prefetch import PREFETCH

DEFAULT_IN_FLIGHT = 2
"""One message computing while another waits for the action server."""


class AdmittedRestInput(RestInput):
    def __init__(self, in_flight: int = DEFAULT_IN_FLIGHT) -> None:
        self.gate = AdmissionGate(in_flight)

    @classmethod
    def name(cls) -> str:
        return "rest"  # the same webhook and the same input channel name in the tracker

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        value = (credentials or {}).get("in_flight", DEFAULT_IN_FLIGHT)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(
                f"bot/credentials.yml: in_flight must be a whole number of at least 1, "
                f"not {value!r}"
            )
        return cls(value)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        gate = self.gate

        async def admitted(message: UserMessage) -> Any:
            async with gate.admitted():
                if message.text:
                    PREFETCH.start(message.text)
                try:
                    return await on_new_message(message)
                except BaseException:
                    # Rasa's webhook would still answer the replies collected before the
                    # failure (e.g. the tracker could not be saved): answer none, so the
                    # gateway does not take the message as kept
                    if isinstance(message.output_channel, CollectingOutputChannel):
                        message.output_channel.messages.clear()
                    raise

        return super().blueprint(admitted)
