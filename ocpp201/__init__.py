"""ocpp201: OCPP 2.0.1 for Python.

Typed messages generated from the official JSON schemas, a strict codec, OCPP-J RPC
endpoints for both sides and a WebSocket transport.  The public API is flat and lives
here; the generated classes are in :mod:`ocpp201.messages`, :mod:`ocpp201.datatypes`
and :mod:`ocpp201.enums`.
"""

from . import datatypes, enums, messages
from ._base import Message, Request, Response, Sender
from ._codec import decode_payload, from_payload, to_payload
from ._decorators import after, on
from ._endpoint import (
    CSMS,
    ChargePoint,
    ChargingStation,
    Connection,
    Hooks,
    RpcEndpoint,
)
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
    SendReply,
    UnmatchedResponse,
    ValidationFailure,
)
from ._memory import MemoryConnection, memory_pair
from ._protocol import PreparedCall, RpcConnection, StartedCall
from ._routing import CustomAction
from ._schema import JSON_NULL, JsonNull, UnknownEnumValue
from .actions import Action

__version__ = "0.1.0"

__all__ = [
    "CSMS",
    "JSON_NULL",
    "Action",
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
    "RemoteValidationError",
    "Request",
    "Response",
    "RpcConnection",
    "RpcEndpoint",
    "SendReply",
    "Sender",
    "StartedCall",
    "UnknownEnumValue",
    "UnmatchedResponse",
    "ValidationError",
    "ValidationFailure",
    "__version__",
    "after",
    "datatypes",
    "decode_payload",
    "enums",
    "from_payload",
    "memory_pair",
    "messages",
    "on",
    "to_payload",
]
