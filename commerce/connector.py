"""The one small interface between the assistant and a shop (issue 19): find an order, cancel
it, start a return, refund. A company plugs in its own shop by implementing `ShopConnector`;
`commerce/order_service_connector.py` reaches the sample business's order service.

What the assistant may do is not the shop's business: whether an order may be returned or
refunded without a person is decided by `commerce/policy.py` from the order the connector
returns, so the rules are the same whichever shop answers. Shipment status is part of the order.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from commerce.orders import Order, Refund, ReturnedItem, ReturnRecord


class ShopError(Exception):
    """Something the shop said no to, or could not answer."""


class ShopUnavailable(ShopError):
    """The shop could not be reached or failed (timeout, refused connection, a 5xx): the
    assistant says so, keeps the request and offers a person; it never guesses a status."""


class ShopRefused(ShopError):
    """The shop refused the action: `code` is its reason (`already_shipped`,
    `exceeds_refundable`, `not_delivered`...), `message` its words for a person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ShopConnector(abc.ABC):
    """A shop's orders. Every method raises ShopUnavailable when the shop cannot answer."""

    @abc.abstractmethod
    async def find_order(self, number: str) -> Order | None:
        """The order with its items, shipment, returns and refunds; None when there is none."""

    @abc.abstractmethod
    async def cancel_order(self, number: str, reason: str) -> Order:
        """Cancel an order that has not shipped (nothing has been charged yet: the card's hold
        is released); ShopRefused otherwise."""

    @abc.abstractmethod
    async def create_return(
        self, number: str, items: Sequence[ReturnedItem], reason: str
    ) -> ReturnRecord:
        """Start a return of delivered items; ShopRefused when the shop will not."""

    @abc.abstractmethod
    async def refund(
        self, number: str, amount_cents: int, reason: str, idempotency_key: str
    ) -> Refund:
        """Refund once per `idempotency_key`: asking again with the same key returns the first
        refund and moves no money. ShopRefused above what is left to refund."""

    async def close(self) -> None:  # noqa: B027 - optional: a connector without a session
        """Release connections."""
