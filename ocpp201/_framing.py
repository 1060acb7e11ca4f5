"""OCPP-J RPC frames: encoding, decoding, and the answer to every bad input.

This module is pure: no I/O, no asyncio, no knowledge of actions or handlers.  It turns
the text (or bytes) of one WebSocket message into one of

* :class:`Call`, :class:`CallResult`, :class:`CallErrorFrame` -- a well-formed frame;
* :class:`Reply` -- the message is broken and the receiver must answer it with the
  CALLERROR frame carried in :attr:`Reply.frame` (Part 4 section 4.2.3);
* :class:`Ignore` -- the message is a broken CALLRESULT or CALLERROR.  Those are never
  answered, whatever is wrong with them (answering a response fails certification).

and it encodes the three frames to compact JSON text.

JSON is read strictly: ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON and make the
message unreadable.  Two things that RFC 8259 allows but that have no faithful meaning
are recorded on the decoded frame as :attr:`Call.syntax_problems` instead of being
silently "fixed": an object with the same key twice (Python would keep the last value)
and a number too large for a float (``1e400`` would become infinity; an integer
beyond the float range, or with more digits than Python converts, is too large too).
For a CALL the endpoint answers them with FormatViolation ("payload syntactically
incorrect"), naming the JSON path of each; for a CALLRESULT the pending ``call()``
fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import attrs

from . import _json
from ._construct import factory
from ._errors import ErrorCode, LocalProtocolError, Problem, _part4_code

__all__ = [
    "CALL",
    "CALLERROR",
    "CALLRESULT",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_MESSAGE_ID_LENGTH",
    "UNREADABLE_ID",
    "UNREADABLE_REPLY",
    "Call",
    "CallErrorFrame",
    "CallResult",
    "Frame",
    "Ignore",
    "Incoming",
    "Reply",
    "decode",
    "dumps",
    "encode_call",
    "encode_call_error",
    "encode_call_result",
    "is_valid_message_id",
    "make_reply",
    "truncate_description",
]

CALL: Final = 2
CALLRESULT: Final = 3
CALLERROR: Final = 4

MAX_MESSAGE_ID_LENGTH: Final = 36
"""Part 4 section 4.1.4: ``messageId`` is a ``string[36]``."""

MAX_DESCRIPTION_LENGTH: Final = 255
"""Part 4 section 4.2.3: ``errorDescription`` is a ``string[255]``."""

UNREADABLE_ID: Final = "-1"
"""The message id of a CALLERROR answering a message whose id cannot be read."""


# --------------------------------------------------------------------------- frames


@attrs.frozen(slots=True)
class Call:
    """A well-formed CALL: ``[2, messageId, action, payload]``.

    ``payload`` is the decoded JSON value, not yet checked against any schema (it need
    not even be an object).  ``syntax_problems`` lists duplicate keys and numbers too
    large for a float found inside the payload (see the module docstring).
    """

    message_id: str
    action: str
    payload: Any
    syntax_problems: tuple[Problem, ...] = ()


@attrs.frozen(slots=True)
class CallResult:
    """A well-formed CALLRESULT: ``[3, messageId, payload]``."""

    message_id: str
    payload: Any
    syntax_problems: tuple[Problem, ...] = ()


@attrs.frozen(slots=True)
class CallErrorFrame:
    """A well-formed CALLERROR.

    ``[4, messageId, errorCode, errorDescription, errorDetails]``.

    ``code`` is kept verbatim as received, even when it is not one of the twelve Part 4
    codes.
    """

    message_id: str
    code: str
    description: str
    details: dict[str, Any]


@attrs.frozen(slots=True)
class Reply:
    """The message is broken in a way the receiver must answer with a CALLERROR.

    ``frame`` is the encoded CALLERROR to send; ``message_id`` its id (``"-1"`` when
    the id of the broken message could not be read); ``reason`` says what was wrong.
    """

    message_id: str
    code: ErrorCode
    reason: str
    frame: str


@attrs.frozen(slots=True)
class Ignore:
    """A broken CALLRESULT or CALLERROR: log it, never answer it.

    ``message_id`` is the id when it could be read (so a pending call with that id can
    be failed at once instead of timing out), otherwise ``None``.
    """

    message_id: str | None
    reason: str


_new_call: Final = factory(Call)  # one per CALL: built without attrs' frozen __init__
_new_call_result: Final = factory(CallResult)

Frame = Call | CallResult | CallErrorFrame
Incoming = Call | CallResult | CallErrorFrame | Reply | Ignore


# --------------------------------------------------------------------------- JSON


class _Pairs(list[tuple[str, Any]]):
    """An object as its list of key/value pairs (used by the explaining pass only)."""


_BigNumber = _json.ToolargeNumber


def _explaining_loads(text: str) -> Any:
    return _json.explaining_loads(text, _Pairs)


def _find_anomalies(value: Any, path: str, out: list[Problem]) -> None:
    """Append a problem per duplicate key and per oversized number, in document order.

    Iterative: the C parser accepts nesting deeper than Python's recursion limit.
    """
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Pairs):
            seen: set[str] = set()
            children = []
            for key, child in item:
                if key in seen:
                    out.append(
                        Problem(
                            path=where,
                            code=ErrorCode.FORMAT_VIOLATION,
                            message=f"duplicate key {json.dumps(key)} in a JSON object",
                        )
                    )
                seen.add(key)
                children.append((child, f"{where}.{key}"))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(
                (child, f"{where}[{index}]")
                for index, child in reversed(list(enumerate(item)))
            )
        elif isinstance(item, _BigNumber):
            out.append(
                Problem(
                    path=where,
                    code=ErrorCode.FORMAT_VIOLATION,
                    message=f"number {str.__str__(item)[:40]} is too large",
                )
            )


def _payload_anomalies(text: str, index: int) -> tuple[Problem, ...]:
    """Explain the anomalies of element ``index`` of the frame array in ``text``."""
    try:
        frame = _explaining_loads(text)
    except (ValueError, RecursionError):
        # The fast pass parsed the text, but this one runs a few frames deeper and
        # can hit the recursion limit on a payload nested right up to it.
        return (
            Problem(
                path="$",
                code=ErrorCode.FORMAT_VIOLATION,
                message="duplicate key or number too large for a float "
                "(nested too deeply to locate)",
            ),
        )
    problems: list[Problem] = []
    _find_anomalies(frame[index], "$", problems)
    return tuple(problems)


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_COMPACT: Final = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
# The C writer the standard library builds on each json.dumps(), built once (it
# keeps no state between calls; without a markers table a cycle is a RecursionError
# instead of a ValueError, both "cannot encode").  Same text, a third of the time.
_C_WRITER: Final = (
    None
    if json.encoder.c_make_encoder is None  # type: ignore[attr-defined]
    else json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None,
        _not_json,
        json.encoder.encode_basestring,
        None,
        ":",
        ",",
        False,
        False,
        False,
    )
)


def _write_compact(value: Any) -> str:
    if _C_WRITER is None:  # pragma: no cover - an interpreter without _json
        return _COMPACT.encode(value)
    return "".join(_C_WRITER(value, 0))


def dumps(value: Any, checked: bool = False) -> str:
    """Encode ``value`` as compact JSON text that is always valid UTF-8.

    Non-ASCII characters are written as themselves.  A string holding a lone surrogate
    (which a peer may legally send as a ``\\uD800`` escape) cannot be written as UTF-8;
    only then is the whole text written with ASCII escapes, which carries the same JSON
    value.  ``NaN`` and infinities raise :class:`ValueError`; values JSON cannot hold
    raise :class:`TypeError`.  ``checked``: outgoing validation checked the payload
    in ``value``; orjson, when in use, writes it (see ``_json.write_checked``).
    """
    if checked:
        fast = _json.write_checked(value)
        if fast is not None:
            return fast
    text = _write_compact(value)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text


# --------------------------------------------------------------------------- encoding


def is_valid_message_id(value: object) -> bool:
    """Whether ``value`` is a readable message id: a string of 1 to 36 characters
    that can be written as UTF-8 (no lone surrogates)."""
    if type(value) is not str or not 0 < len(value) <= MAX_MESSAGE_ID_LENGTH:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_id(message_id: str) -> None:
    if not is_valid_message_id(message_id):
        raise LocalProtocolError(
            f"message id {message_id!r} is not a string of 1 to "
            f"{MAX_MESSAGE_ID_LENGTH} characters"
        )


def encode_call(
    message_id: str, action: str, payload: Mapping[str, Any], checked: bool = False
) -> str:
    """``[2, messageId, action, payload]`` as JSON text (``checked``: see
    :func:`dumps`).

    Raises :class:`LocalProtocolError` for an invalid id or a payload JSON cannot hold.
    """
    _check_id(message_id)
    try:
        return dumps([CALL, message_id, action, payload], checked)
    except (TypeError, ValueError, RecursionError) as exc:
        raise LocalProtocolError(
            f"cannot encode {action} payload as JSON: {exc}"
        ) from exc


def encode_call_result(
    message_id: str, payload: Mapping[str, Any], checked: bool = False
) -> str:
    """``[3, messageId, payload]`` as JSON text (``checked``: see :func:`dumps`).

    Raises :class:`LocalProtocolError` for an invalid id or a payload JSON cannot hold.
    """
    _check_id(message_id)
    try:
        return dumps([CALLRESULT, message_id, payload], checked)
    except (TypeError, ValueError, RecursionError) as exc:
        raise LocalProtocolError(
            f"cannot encode CALLRESULT payload as JSON: {exc}"
        ) from exc


def truncate_description(description: str) -> str:
    """Cut ``description`` to the 255 characters Part 4 allows (ending in "...")."""
    if len(description) <= MAX_DESCRIPTION_LENGTH:
        return description
    return description[: MAX_DESCRIPTION_LENGTH - 3] + "..."


def encode_call_error(
    message_id: str,
    code: ErrorCode | str,
    description: str = "",
    details: Mapping[str, Any] | None = None,
) -> str:
    """``[4, messageId, errorCode, errorDescription, errorDetails]`` as JSON text.

    Always five elements; ``details`` is always an object (``{}`` when ``None``); the
    description is cut to 255 characters.  The message id may be ``"-1"``.  ``code``
    must be one of the twelve Part 4 codes (an :class:`ErrorCode` or its value):
    section 4.2.3 allows no other on the wire.  Raises :class:`LocalProtocolError`
    for any other code, or when ``details`` cannot be encoded as a JSON object.
    """
    _check_id(message_id)
    try:
        code_text = _part4_code(code).value
    except (TypeError, ValueError) as exc:
        raise LocalProtocolError(f"cannot send this CALLERROR: {exc}") from None
    if details is None:
        details = {}
    if not isinstance(details, Mapping):
        raise LocalProtocolError(
            f"CALLERROR details must be a JSON object, not {type(details).__name__}"
        )
    try:
        return dumps(
            [
                CALLERROR,
                message_id,
                code_text,
                truncate_description(str(description)),
                dict(details),
            ]
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise LocalProtocolError(
            f"cannot encode CALLERROR details as JSON: {exc}"
        ) from exc


def make_reply(message_id: str, code: ErrorCode, reason: str) -> Reply:
    """A :class:`Reply` answering with ``code``, ``reason`` and ``{}`` details."""
    return Reply(
        message_id=message_id,
        code=code,
        reason=reason,
        frame=encode_call_error(message_id, code, reason),
    )


# --------------------------------------------------------------------------- decoding

UNREADABLE_REPLY: Final = make_reply(
    UNREADABLE_ID, ErrorCode.RPC_FRAMEWORK_ERROR, "message could not be read"
)
"""The last-resort answer to a message that could not be read at all."""


def _describe(value: object) -> str:
    """A short, safe rendering of a JSON value for error descriptions.  Never raises.

    A value nested deeper than the recursion limit (the C parser accepts nesting
    deeper than ``json.dumps`` can write) is described by its type only.
    """
    try:
        text = json.dumps(value, ensure_ascii=True)
    except Exception:  # RecursionError; nothing else for decoded JSON
        return f"(a deeply nested JSON {_json_type(value)})"
    return text if len(text) <= 40 else text[:37] + "..."


def _id_problem(frame: list[Any]) -> str:
    if len(frame) < 2:
        return "the message id is missing"
    value = frame[1]
    if type(value) is not str:
        return f"the message id {_describe(value)} is not a string"
    if not value:
        return "the message id is empty"
    if len(value) > MAX_MESSAGE_ID_LENGTH:
        return (
            f"the message id is {len(value)} characters long; "
            f"at most {MAX_MESSAGE_ID_LENGTH} are allowed"
        )
    return "the message id is not valid Unicode"


def decode(message: str | bytes) -> Incoming:
    """Classify one received WebSocket message.  Never raises.

    Whatever goes wrong while reading the message (a bug, or a resource limit such as
    the recursion limit on absurdly nested input) makes it unreadable: Reply ``"-1"``
    RpcFrameworkError.

    The answer to each bad input (the full table is in ``docs/rpc.md``):

    * bytes that are not UTF-8, text that is not JSON (``NaN`` and ``Infinity``
      included), not an array, an empty array: Reply ``"-1"`` RpcFrameworkError;
    * a message type that is a number other than 2, 3, 4: Reply
      MessageTypeNotSupported, with the message's id when readable, else ``"-1"``;
    * a message type that is not a number: Reply RpcFrameworkError (id as above);
    * a CALL whose id is unreadable (missing, not a string, empty, longer than 36
      characters): Reply ``"-1"`` RpcFrameworkError;
    * a CALL of the wrong length or whose action is not a string: Reply
      RpcFrameworkError with its id;
    * a CALLRESULT or CALLERROR of any wrong shape: Ignore (never answered).
    """
    try:
        return _decode(message)
    except Exception:
        return UNREADABLE_REPLY


def _decode(message: str | bytes) -> Incoming:
    if type(message) is str:
        text = message
    elif isinstance(message, bytes | bytearray | memoryview):
        try:
            text = bytes(message).decode("utf-8")
        except UnicodeDecodeError as exc:
            return make_reply(
                UNREADABLE_ID,
                ErrorCode.RPC_FRAMEWORK_ERROR,
                f"message is not valid UTF-8: {exc.reason} at byte {exc.start}",
            )
    else:
        text = message
    try:
        frame, anomalies = _json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return make_reply(
            UNREADABLE_ID,
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"message is not valid JSON: {reason}",
        )
    if type(frame) is not list:
        return make_reply(
            UNREADABLE_ID,
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"message is a JSON {_json_type(frame)}, not an array",
        )
    if not frame:
        return make_reply(
            UNREADABLE_ID, ErrorCode.RPC_FRAMEWORK_ERROR, "message is an empty array"
        )
    message_type = frame[0]
    readable_id: str | None = (
        frame[1] if len(frame) > 1 and is_valid_message_id(frame[1]) else None
    )
    if type(message_type) is float and message_type.is_integer():
        message_type = int(message_type)  # draft-06: 2.0 is the integer 2
    if type(message_type) is not int:
        if type(message_type) is float or type(message_type) is _BigNumber:
            shown = (  # an integer too long for int() is still a number (R5)
                f"{str.__str__(message_type)[:37]}..."
                if type(message_type) is _BigNumber
                else _describe(frame[0])
            )
            return make_reply(
                readable_id or UNREADABLE_ID,
                ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED,
                f"message type {shown} is not supported",
            )
        return make_reply(
            readable_id or UNREADABLE_ID,
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"message type {_describe(message_type)} is not a number",
        )
    if message_type == CALL:
        return _decode_call(text, frame, readable_id, anomalies)
    if message_type == CALLRESULT:
        return _decode_call_result(text, frame, readable_id, anomalies)
    if message_type == CALLERROR:
        return _decode_call_error(frame, readable_id)
    return make_reply(
        readable_id or UNREADABLE_ID,
        ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED,
        f"message type {message_type} is not supported",
    )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "array"  # pragma: no cover - decoded JSON has no other types


def _decode_call(
    text: str, frame: list[Any], message_id: str | None, anomalies: bool
) -> Incoming:
    if message_id is None:
        return make_reply(
            UNREADABLE_ID,
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"CALL cannot be read: {_id_problem(frame)}",
        )
    if len(frame) != 4:
        return make_reply(
            message_id,
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"a CALL has 4 elements, this one has {len(frame)}",
        )
    action = frame[2]
    if type(action) is not str:
        return make_reply(
            message_id,
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"the CALL action {_describe(action)} is not a string",
        )
    problems = _payload_anomalies(text, 3) if anomalies else ()
    return _new_call(message_id, action, frame[3], problems)


def _decode_call_result(
    text: str, frame: list[Any], message_id: str | None, anomalies: bool
) -> Incoming:
    if message_id is None:
        return Ignore(None, f"CALLRESULT cannot be read: {_id_problem(frame)}")
    if len(frame) != 3:
        return Ignore(
            message_id, f"a CALLRESULT has 3 elements, this one has {len(frame)}"
        )
    problems = _payload_anomalies(text, 2) if anomalies else ()
    return _new_call_result(message_id, frame[2], problems)


def _decode_call_error(frame: list[Any], message_id: str | None) -> Incoming:
    if message_id is None:
        return Ignore(None, f"CALLERROR cannot be read: {_id_problem(frame)}")
    if len(frame) != 5:
        return Ignore(
            message_id, f"a CALLERROR has 5 elements, this one has {len(frame)}"
        )
    _, _, code, description, details = frame
    if type(code) is not str:
        return Ignore(
            message_id, f"the CALLERROR code {_describe(code)} is not a string"
        )
    if type(description) is not str:
        return Ignore(
            message_id,
            f"the CALLERROR description {_describe(description)} is not a string",
        )
    if type(details) is not dict:
        return Ignore(
            message_id,
            f"the CALLERROR details {_describe(details)} are not a JSON object",
        )
    return CallErrorFrame(message_id, code, description, details)
