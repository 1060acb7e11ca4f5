"""ocpp201: OCPP 2.0.1 for Python.

Typed messages generated from the official JSON schemas, a strict codec, OCPP-J RPC
endpoints for both sides and a WebSocket transport.  The public API is flat and lives
here; the generated classes are in :mod:`ocpp201.messages`, :mod:`ocpp201.datatypes`
and :mod:`ocpp201.enums`.
"""

from __future__ import annotations

import importlib

# Not typing.TYPE_CHECKING: importing typing alone would double the cost of
# ``import ocpp201``.  Type checkers treat any TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:  # what type checkers and IDEs see; loaded on first use below
    from typing import Any

    from . import datatypes, enums, messages
    from ._base import Message, Request, Response, Sender
    from ._codec import decode_payload, from_payload, to_payload
    from ._context import CallContext, current_call
    from ._decorators import after, on
    from ._endpoint import CSMS, ChargePoint, ChargingStation, RpcEndpoint
    from ._errors import (
        CallError,
        CallTimeoutError,
        ConnectionClosedError,
        ErrorCode,
        HandlerError,
        LocalProtocolError,
        LocalValidationError,
        OCPPError,
        Problem,
        RemoteProtocolError,
        RemoteValidationError,
        ValidationError,
    )
    from ._events import (
        CallFailed,
        CallReceived,
        CallSucceeded,
        CloseConnection,
        FrameDropped,
        PreparedCall,
        SendReply,
        StartedCall,
        UnmatchedResponse,
        ValidationFailure,
    )
    from ._hooks import Connection, Hooks
    from ._memory import MemoryConnection, memory_pair
    from ._protocol import RpcConnection
    from ._registration import RegistrationGate, StationRegistration
    from ._routing import CustomAction
    from ._values import JSON_NULL, JsonNull, UnknownEnumValue
    from .actions import Action

__version__ = "0.1.0"

__all__ = [
    "CSMS",
    "JSON_NULL",
    "Action",
    "CallContext",
    "CallError",
    "CallFailed",
    "CallReceived",
    "CallSucceeded",
    "CallTimeoutError",
    "ChargePoint",
    "ChargingStation",
    "CloseConnection",
    "Connection",
    "ConnectionClosedError",
    "CustomAction",
    "ErrorCode",
    "FrameDropped",
    "HandlerError",
    "Hooks",
    "JsonNull",
    "LocalProtocolError",
    "LocalValidationError",
    "MemoryConnection",
    "Message",
    "OCPPError",
    "PreparedCall",
    "Problem",
    "RemoteProtocolError",
    "RegistrationGate",
    "RemoteValidationError",
    "Request",
    "Response",
    "RpcConnection",
    "RpcEndpoint",
    "SendReply",
    "Sender",
    "StartedCall",
    "StationRegistration",
    "UnknownEnumValue",
    "UnmatchedResponse",
    "ValidationError",
    "ValidationFailure",
    "__version__",
    "after",
    "current_call",
    "datatypes",
    "decode_payload",
    "enums",
    "from_payload",
    "memory_pair",
    "messages",
    "on",
    "to_payload",
]

# Where each public name lives.  ``import ocpp201`` imports none of these modules
# (no asyncio, no attrs, no message class): each is imported the first time one of
# its names is used (PEP 562), then cached here like an ordinary attribute.
_WHERE: dict[str, str] = {
    "Action": ".actions",
    "after": "._decorators",
    "CallContext": "._context",
    "CallError": "._errors",
    "CallFailed": "._events",
    "CallReceived": "._events",
    "CallSucceeded": "._events",
    "CallTimeoutError": "._errors",
    "ChargePoint": "._endpoint",
    "ChargingStation": "._endpoint",
    "CloseConnection": "._events",
    "Connection": "._hooks",
    "ConnectionClosedError": "._errors",
    "CSMS": "._endpoint",
    "current_call": "._context",
    "CustomAction": "._routing",
    "datatypes": ".",
    "decode_payload": "._codec",
    "enums": ".",
    "ErrorCode": "._errors",
    "FrameDropped": "._events",
    "from_payload": "._codec",
    "HandlerError": "._errors",
    "Hooks": "._hooks",
    "JSON_NULL": "._values",
    "JsonNull": "._values",
    "LocalProtocolError": "._errors",
    "LocalValidationError": "._errors",
    "memory_pair": "._memory",
    "MemoryConnection": "._memory",
    "Message": "._base",
    "messages": ".",
    "OCPPError": "._errors",
    "on": "._decorators",
    "PreparedCall": "._events",
    "RegistrationGate": "._registration",
    "Problem": "._errors",
    "RemoteProtocolError": "._errors",
    "RemoteValidationError": "._errors",
    "Request": "._base",
    "Response": "._base",
    "RpcConnection": "._protocol",
    "RpcEndpoint": "._endpoint",
    "Sender": "._base",
    "SendReply": "._events",
    "StartedCall": "._events",
    "StationRegistration": "._registration",
    "to_payload": "._codec",
    "UnknownEnumValue": "._values",
    "UnmatchedResponse": "._events",
    "ValidationError": "._errors",
    "ValidationFailure": "._events",
}


def __getattr__(name: str) -> Any:
    home = _WHERE.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if home == ".":
        value: Any = importlib.import_module(f".{name}", __name__)
    else:
        value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
