"""What a help desk that keeps a ticket of its own (Zendesk, Chatwoot) offers the sender: the
request that creates its ticket for ours, how to read its id from the answer, and the requests
that carry one event to an existing one. Pure: requests as data (http_request.py)."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from helpdesk.config import Target
from helpdesk.events import HelpdeskEvent
from helpdesk.http_request import OutgoingRequest


class Desk(abc.ABC):
    def __init__(self, target: Target, credentials: Mapping[str, str]) -> None:
        self.target = target
        self.credentials = dict(credentials)

    @abc.abstractmethod
    def create(self, event: HelpdeskEvent) -> OutgoingRequest:
        """The request that opens the desk's ticket (conversation) for the event's ticket."""

    @abc.abstractmethod
    def remote_id(self, answer: Any) -> str:
        """The desk's id of what `create` made, from its JSON answer; ValueError if absent."""

    @abc.abstractmethod
    def updates(
        self, event: HelpdeskEvent, remote_id: str, *, just_created: bool
    ) -> list[OutgoingRequest]:
        """The requests that carry `event` to the desk's ticket `remote_id` (`just_created`: the
        create request of this very event made it)."""


def id_from(answer: Any, *path: str) -> str:
    """answer[path...] as text; ValueError when the answer has no such id."""
    value = answer
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value) == "":
        raise ValueError(f"the answer has no {'.'.join(path)}")
    return str(value)
