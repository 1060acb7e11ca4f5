"""Hand-written base classes of the generated modules, and the sender of an action.

The code generator writes only data-like code (class bodies, fields, tables); every
behaviour the generated classes share lives here, where ruff and mypy check it:
:class:`WireEnum` (the base of every generated enumeration and of ``Action``),
:class:`ActionEnum` (the properties of ``Action``), and the message base classes.
"""

from __future__ import annotations

import enum
import importlib
from typing import Any, ClassVar, Generic, TypeVar

__all__ = ["ActionEnum", "Message", "Request", "Response", "Sender", "WireEnum"]


class WireEnum(str, enum.Enum):
    """A ``str`` enumeration whose members print as their wire value.

    ``str(RegistrationStatusEnumType.ACCEPTED) == "Accepted"``, in f-strings and log
    messages too; ``repr()`` still names the member.
    """

    def __str__(self) -> str:
        return self._value_  # type: ignore[no-any-return]

    def __format__(self, spec: str) -> str:
        return format(self._value_, spec)


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


def _table() -> dict[Any, tuple[str, str, Sender]]:
    # The generated table names the classes; importing it here (not at the top)
    # keeps ``_base`` free of generated modules.
    actions = importlib.import_module(f"{__package__}.actions")
    table: dict[Any, tuple[str, str, Sender]] = actions._TABLE
    return table


def _message_class(name: str) -> Any:
    return getattr(importlib.import_module(f"{__package__}.messages"), name)


class ActionEnum(WireEnum):
    """Base of the generated ``Action`` enumeration: its value is the action's name on
    the wire; :attr:`request`, :attr:`response` and :attr:`sender` say which classes
    carry it and which side sends the request."""

    @property
    def request(self) -> type[Request[Any]]:
        """The class of the request payload."""
        cls: type[Request[Any]] = _message_class(_table()[self][0])
        return cls

    @property
    def response(self) -> type[Response]:
        """The class of the response payload."""
        cls: type[Response] = _message_class(_table()[self][1])
        return cls

    @property
    def sender(self) -> Sender:
        """Which side sends the request."""
        return _table()[self][2]
