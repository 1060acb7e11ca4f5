"""ocpp201: OCPP 2.0.1 for Python.

Typed messages generated from the official JSON schemas, a strict codec, OCPP-J RPC
endpoints for both sides and a WebSocket transport.  The public API is flat and lives
here; the generated classes are in :mod:`ocpp201.messages`, :mod:`ocpp201.datatypes`
and :mod:`ocpp201.enums`.
"""

from . import datatypes, enums, messages
from ._base import Message, Request, Response, Sender
from ._codec import from_payload, to_payload
from ._errors import (
    CallError,
    CallTimeoutError,
    ConnectionClosedError,
    ErrorCode,
    LocalProtocolError,
    OCPPError,
    Problem,
    RemoteProtocolError,
    ValidationError,
)
from ._schema import JSON_NULL, JsonNull
from .actions import Action

__version__ = "0.1.0"

__all__ = [
    "JSON_NULL",
    "Action",
    "CallError",
    "CallTimeoutError",
    "ConnectionClosedError",
    "ErrorCode",
    "JsonNull",
    "LocalProtocolError",
    "Message",
    "OCPPError",
    "Problem",
    "RemoteProtocolError",
    "Request",
    "Response",
    "Sender",
    "ValidationError",
    "__version__",
    "datatypes",
    "enums",
    "from_payload",
    "messages",
    "to_payload",
]
