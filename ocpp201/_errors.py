"""Error codes and exceptions.

Every exception says whose fault it is, in the spirit of h11:

* :class:`ValidationError` -- a payload or a message object does not satisfy the
  official JSON schema.  It carries the RPC :class:`ErrorCode` that Part 4 prescribes
  and every individual :class:`Problem` with its JSON path.
* :class:`LocalProtocolError` -- *this* program misused the library (called an action
  its role may not send, built an invalid request, returned a wrong response from a
  handler).  Nothing is sent to the peer because of it.
* :class:`RemoteProtocolError` -- the *peer* sent something the protocol forbids.
* :class:`CallError` -- the peer answered our CALL with a CALLERROR.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "CallError",
    "CallTimeoutError",
    "ConnectionClosedError",
    "ErrorCode",
    "HandlerError",
    "LocalProtocolError",
    "LocalValidationError",
    "OCPPError",
    "Problem",
    "RemoteProtocolError",
    "RemoteValidationError",
    "ValidationError",
]


class ErrorCode(str, enum.Enum):
    """The twelve RPC framework error codes of OCPP-J (Part 4, section 4.3)."""

    FORMAT_VIOLATION = "FormatViolation"
    """Payload for Action is syntactically incorrect."""
    GENERIC_ERROR = "GenericError"
    """Any other error not covered by the more specific error codes."""
    INTERNAL_ERROR = "InternalError"
    """An internal error occurred and the receiver could not process the Action."""
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    """A message with a Message Type Number not supported by this implementation."""
    NOT_IMPLEMENTED = "NotImplemented"
    """Requested Action is not known by the receiver."""
    NOT_SUPPORTED = "NotSupported"
    """Requested Action is recognized but not supported by the receiver."""
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    """Payload is syntactically correct but a field violates occurrence constraints."""
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    """Payload is syntactically correct but a field contains an invalid value."""
    PROTOCOL_ERROR = "ProtocolError"
    """Payload for Action is not conform the PDU structure."""
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
    """Content of the call is not a valid RPC request."""
    SECURITY_ERROR = "SecurityError"
    """A security issue prevented the receiver from completing the Action."""
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
    """Payload is syntactically correct but a field violates data type constraints."""


@attrs.frozen
class Problem:
    """One way in which a payload differs from its schema.

    ``path`` is a JSON path into the payload (``$`` is the payload itself, for example
    ``$.meterValue[0].sampledValue[2].measurand``); ``code`` is the error code this
    problem maps to; ``message`` says what is wrong in words.
    """

    path: str
    code: ErrorCode
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """The JSON form used in CALLERROR errorDetails."""
        return {"path": self.path, "code": self.code.value, "message": self.message}


class OCPPError(Exception):
    """Base class of every exception this library raises on purpose."""


class ValidationError(OCPPError, ValueError):
    """A payload or message object does not satisfy its official schema.

    ``code`` is the RPC error code of the first problem in document order;
    ``problems`` lists every problem found.
    """

    def __init__(self, problems: Sequence[Problem], *, type_name: str = "") -> None:
        if not problems:
            raise ValueError("a ValidationError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.code: ErrorCode = self.problems[0].code
        self.type_name = type_name
        super().__init__(self.description)

    @property
    def description(self) -> str:
        """A one-line summary of all the problems."""
        what = f"{self.type_name}: " if self.type_name else ""
        return what + "; ".join(str(p) for p in self.problems)

    def details(self) -> dict[str, Any]:
        """The problems as a JSON object, suitable for CALLERROR errorDetails."""
        return {"problems": [p.to_json() for p in self.problems]}


class LocalProtocolError(OCPPError):
    """This program misused the protocol; nothing was sent to the peer because of it."""


class RemoteProtocolError(OCPPError):
    """The peer sent something the protocol forbids."""


class CallError(OCPPError):
    """The peer answered our CALL with a CALLERROR.

    ``code`` is kept verbatim as received: an :class:`ErrorCode` when it is one of the
    twelve Part 4 codes, otherwise the raw string.
    """

    def __init__(
        self,
        code: ErrorCode | str,
        description: str = "",
        details: Mapping[str, Any] | None = None,
        *,
        message_id: str = "",
        action: str = "",
    ) -> None:
        self.code = code
        self.description = description
        self.details: dict[str, Any] = dict(details or {})
        self.message_id = message_id
        self.action = action
        code_text = code.value if isinstance(code, ErrorCode) else code
        super().__init__(f"{action or 'CALL'} failed with {code_text}: {description}")


class CallTimeoutError(OCPPError, TimeoutError):
    """No CALLRESULT or CALLERROR arrived for our CALL within its timeout."""


class ConnectionClosedError(OCPPError, ConnectionError):
    """The connection closed before the operation could complete."""


class LocalValidationError(ValidationError, LocalProtocolError):
    """A message *this* program was about to send does not satisfy its schema.

    ``call()`` raises it (before sending anything) when outgoing validation finds the
    request invalid.  Both ``except ValidationError`` and ``except LocalProtocolError``
    catch it.
    """


class RemoteValidationError(ValidationError, RemoteProtocolError):
    """A message the *peer* sent does not satisfy its schema.

    ``call()`` raises it when the CALLRESULT answering our CALL carries an invalid
    payload.  ``message_id`` and ``action`` identify that CALL.
    """

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        type_name: str = "",
        message_id: str = "",
        action: str = "",
    ) -> None:
        super().__init__(problems, type_name=type_name)
        self.message_id = message_id
        self.action = action


class HandlerError(OCPPError):
    """Raise it in a handler to answer the CALL with this CALLERROR.

    ``code`` must be one of the twelve Part 4 codes (section 4.2.3: the errorCode
    "must contain a string from the RPC Framework Error Codes table"): an
    :class:`ErrorCode` member, or its string value (``"SecurityError"``), which is
    turned into the member.  Anything else is a bug of the caller and raises at
    construction: :class:`ValueError` for a string that is not one of the twelve,
    :class:`TypeError` for a non-string.  (Raised inside a handler, that error is
    answered InternalError like any other exception.)  For example
    ``HandlerError(ErrorCode.SECURITY_ERROR, "not accepted yet")`` for a station that
    is not accepted yet (Part 2 B01.FR.10).

    ``description`` (a string) is cut to 255 characters on the wire; ``details`` must
    be a mapping that can be written as a JSON object (``{}`` when omitted).  Any
    *other* exception a handler raises is answered with InternalError and logged.
    """

    def __init__(
        self,
        code: ErrorCode | str,
        description: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> None:
        self.code: ErrorCode = _part4_code(code)
        if not isinstance(description, str):
            raise TypeError(
                f"a HandlerError description is a str, not {type(description).__name__}"
            )
        if details is not None and not isinstance(details, Mapping):
            raise TypeError(
                "HandlerError details must be a mapping (a JSON object), "
                f"not {type(details).__name__}"
            )
        self.description = description
        self.details: dict[str, Any] = dict(details or {})
        text = self.code.value
        super().__init__(f"{text}: {description}" if description else text)


def _part4_code(code: object) -> ErrorCode:
    """``code`` as an :class:`ErrorCode`; raise for anything outside the table."""
    if isinstance(code, ErrorCode):
        return code
    if not isinstance(code, str):
        raise TypeError(
            "an error code is an ErrorCode (or its str value), "
            f"not {type(code).__name__}"
        )
    member = ErrorCode._value2member_map_.get(code)
    if member is None:
        raise ValueError(
            f"{code!r} is not an OCPP-J error code; Part 4 section 4.3 allows only: "
            + ", ".join(c.value for c in ErrorCode)
        )
    return ErrorCode(member)
