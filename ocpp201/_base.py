"""Base classes of the generated message classes, and the sender of an action."""

from __future__ import annotations

import enum
from typing import ClassVar, Generic, TypeVar

__all__ = ["Message", "Request", "Response", "Sender"]


class Sender(str, enum.Enum):
    """Which side sends the request of an action (``schemas/actions.csv``)."""

    CHARGING_STATION = "ChargingStation"
    CSMS = "CSMS"
    BOTH = "Both"


class Message:
    """Base of every message payload class (generated attrs classes)."""

    __slots__ = ()
    ACTION: ClassVar[str]
    """The name of the action this payload belongs to (``"BootNotification"``)."""


class Response(Message):
    """Base of the 64 response payload classes (``...Response``)."""

    __slots__ = ()


ResponseT = TypeVar("ResponseT", bound=Response)


class Request(Message, Generic[ResponseT]):
    """Base of the 64 request payload classes (``...Request``).

    The type parameter is the class of the matching response, so that
    ``await endpoint.call(BootNotificationRequest(...))`` is known to return a
    ``BootNotificationResponse``.
    """

    __slots__ = ()
