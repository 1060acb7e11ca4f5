"""The events of the sans-I/O RPC core, and the reports its hooks receive.

One job: name what :class:`ocpp201.RpcConnection` tells its driver.  Every
``receive()`` returns exactly one event; the driver acts on it:

========================  ==============================================================
event                     what the driver does
========================  ==============================================================
:class:`CallReceived`     run the handler named ``handler`` with ``request``, then
                          hand its outcome back (``respond()`` / ``respond_error()``)
:class:`SendReply`        send ``frame`` (an answer the core built on its own)
:class:`CallSucceeded`    our CALL ``message_id`` got its typed ``response``
:class:`CallFailed`       our CALL ``message_id`` failed: raise ``error``
:class:`FrameDropped`     nothing to send (log ``reason``)
:class:`CloseConnection`  close the connection with ``code`` and ``reason``
========================  ==============================================================

All are frozen, slotted attrs classes, as are :class:`PreparedCall` and
:class:`StartedCall`, what ``prepare_call()`` and ``start_call()`` return.
:class:`ValidationFailure` and :class:`UnmatchedResponse` are what the endpoint's
hooks receive; events carry them so a driver can report without recomputing
anything.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

from ._construct import factory
from ._errors import ErrorCode, OCPPError, Problem, ValidationError

__all__ = [
    "CallFailed",
    "CallReceived",
    "CallSucceeded",
    "CloseConnection",
    "Event",
    "FrameDropped",
    "PreparedCall",
    "SendReply",
    "StartedCall",
    "UnmatchedResponse",
    "ValidationFailure",
]


@attrs.frozen(kw_only=True)
class ValidationFailure:
    """A payload failed validation (given to :attr:`Hooks.validation_failed`).

    ``direction`` is ``"incoming"`` (the peer's fault) or ``"outgoing"`` (ours);
    ``kind`` is ``"request"`` or ``"response"``.  ``tolerated`` is true when
    tolerant decoding accepted the payload all the same: ``error.problems`` then
    lists each deviation it tolerated (once, with its path), and the message was
    handled.
    """

    direction: Literal["incoming", "outgoing"]
    kind: Literal["request", "response"]
    action: str
    message_id: str | None
    error: ValidationError
    tolerated: bool = False


@attrs.frozen(kw_only=True)
class UnmatchedResponse:
    """A CALLRESULT / CALLERROR that answers no pending CALL, or that is malformed
    (given to :attr:`Hooks.unmatched_response`).  It is dropped, never answered."""

    message_id: str | None
    reason: str
    frame: str | bytes


@attrs.frozen(slots=True)
class CallReceived:
    """An incoming CALL passed every check: run its handler.

    ``handler`` is the name of the endpoint method routed to ``action``;
    ``request`` the typed request.  ``tolerated`` lists what tolerant decoding
    (``validate_incoming=False``) let through: each dropped property, over-long
    string or unknown enumeration value, with its JSON path.  ``received_at``
    is the time the driver passed to ``receive()``, if any.
    """

    message_id: str
    action: str
    request: Any
    handler: str
    tolerated: tuple[Problem, ...] = ()
    received_at: float | None = None


@attrs.frozen(slots=True)
class SendReply:
    """A frame to send now: the answer to a CALL (or to a broken message).

    ``code`` is the CALLERROR's code, ``None`` for a CALLRESULT.  ``reason`` says in
    words why the core answered so (empty for a CALLRESULT); ``bad_frame`` is true
    when the message could not be read as a CALL at all (rows R1-R8 of the table in
    docs/rpc.md).  ``validation`` is set when a payload failed validation (an
    incoming request, or -- ours -- a handler's response).  ``our_fault`` is true
    when the answer is InternalError because of this side (a handler that returned
    the wrong type, say).
    """

    frame: str
    message_id: str
    code: ErrorCode | None = None
    reason: str = ""
    bad_frame: bool = False
    validation: ValidationFailure | None = None
    our_fault: bool = False


@attrs.frozen(slots=True)
class CallSucceeded:
    """Our CALL ``message_id`` was answered with a valid CALLRESULT.

    ``tolerated``: as for :class:`CallReceived` (tolerant mode)."""

    message_id: str
    action: str
    response: Any
    tolerated: tuple[Problem, ...] = ()


@attrs.frozen(slots=True)
class CallFailed:
    """Our CALL ``message_id`` failed; ``error`` is the exception for the caller.

    A :class:`~ocpp201.CallError` (the peer answered CALLERROR), a
    :class:`~ocpp201.RemoteValidationError` (invalid CALLRESULT payload; then
    ``validation`` is set) or a :class:`~ocpp201.RemoteProtocolError` (malformed
    answer).
    """

    message_id: str
    action: str
    error: OCPPError
    validation: ValidationFailure | None = None


@attrs.frozen(slots=True)
class FrameDropped:
    """The message needs no answer and changes nothing; ``reason`` says why.

    ``unmatched`` is set for a response that answers none of our CALLs (late,
    unknown or malformed: row R18) -- the ``unmatched_response`` hook's report.
    """

    reason: str
    unmatched: UnmatchedResponse | None = None


@attrs.frozen(slots=True)
class CloseConnection:
    """The peer broke a rule that ends the connection: close it with ``code``
    (1008, policy violation) and ``reason``; nothing else is dispatched."""

    code: int
    reason: str


Event = (
    CallReceived
    | SendReply
    | CallSucceeded
    | CallFailed
    | FrameDropped
    | (CloseConnection)
)


@attrs.frozen(slots=True)
class PreparedCall:
    """A request checked and encoded by :meth:`RpcConnection.prepare_call`."""

    action: str
    payload: dict[str, Any]
    checked: bool = False
    """Whether outgoing validation checked ``payload`` (with attrs' validators on):
    then orjson, when in use, may write the frame."""


@attrs.frozen(slots=True)
class StartedCall:
    """Our CALL, registered as outstanding: send ``frame``."""

    message_id: str
    action: str
    frame: str


# The core makes one of these per message: built without attrs' frozen __init__.
new_call_received: Final = factory(CallReceived)
new_send_reply: Final = factory(SendReply)
new_call_succeeded: Final = factory(CallSucceeded)
