"""What travels through Redis between a caller and the owning node, as JSON.

A command is ``"<epoch>\\n<json>"`` on the node's command list: the epoch is that of
the station's connection when the command was routed.  Its JSON is either a call
``{"k": "call", "r": request id, "i": identity, "a": action, "p": payload,
"c": reply client}`` or a release ``{"k": "release", "i": identity}`` (a newer
connection took the station over).

A reply ``{"r": request id, "s": status, ...}`` goes to the caller's reply list.
:func:`error_reply` turns an exception raised by ``endpoint.call()`` into a reply and
:func:`raise_reply` turns a reply back into the same kind of exception, so that a
fleet call raises what a local call would.
"""

from __future__ import annotations

import json
from typing import Any

from .._errors import (
    CallError,
    CallTimeoutError,
    ConnectionClosedError,
    ErrorCode,
    LocalProtocolError,
    LocalValidationError,
    Problem,
    RemoteProtocolError,
    RemoteValidationError,
    ValidationError,
)
from ._errors import FleetError

__all__ = [
    "MOVED",
    "OK",
    "Command",
    "dumps",
    "error_reply",
    "parse_command",
    "raise_reply",
]

OK = "ok"
MOVED = "moved"  # not delivered: the station's connection changed; route again


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Command:
    """A parsed command from a node's command list."""

    __slots__ = ("body", "epoch")

    def __init__(self, epoch: str, body: dict[str, Any]) -> None:
        self.epoch = epoch
        self.body = body


def parse_command(raw: bytes | str) -> Command | None:
    """Parse one command; ``None`` when it is not one (logged by the caller)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    epoch, sep, body = text.partition("\n")
    if not sep:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("i"), str):
        return None
    return Command(epoch, value)


def _problems(error: ValidationError) -> list[dict[str, str]]:
    return [p.to_json() for p in error.problems]


def error_reply(request_id: str, exc: BaseException) -> dict[str, Any]:
    """The reply reporting that ``endpoint.call()`` raised ``exc``."""
    reply: dict[str, Any] = {"r": request_id, "s": type(exc).__name__}
    if isinstance(exc, CallError):
        code = exc.code.value if isinstance(exc.code, ErrorCode) else exc.code
        reply.update(
            s="CallError",
            code=code,
            description=exc.description,
            details=exc.details,
            id=exc.message_id,
            action=exc.action,
        )
    elif isinstance(exc, RemoteValidationError):
        reply.update(
            s="RemoteValidationError",
            problems=_problems(exc),
            type=exc.type_name,
            id=exc.message_id,
            action=exc.action,
        )
    elif isinstance(exc, ValidationError):
        reply.update(
            s="LocalValidationError", problems=_problems(exc), type=exc.type_name
        )
    elif isinstance(exc, LocalProtocolError):
        reply.update(s="LocalProtocolError", text=str(exc))
    elif isinstance(exc, RemoteProtocolError):
        reply.update(s="RemoteProtocolError", text=str(exc))
    elif isinstance(exc, CallTimeoutError):
        reply.update(s="CallTimeoutError", text=str(exc))
    elif isinstance(exc, ConnectionClosedError):
        reply.update(s="ConnectionClosedError", text=str(exc))
    else:
        reply.update(s="FleetError", text=f"{type(exc).__name__} on the owning node")
    return reply


def _rebuild_problems(reply: dict[str, Any]) -> list[Problem]:
    problems = []
    for item in reply.get("problems") or []:
        try:
            code = ErrorCode(item["code"])
        except (KeyError, TypeError, ValueError):
            code = ErrorCode.GENERIC_ERROR
        problems.append(
            Problem(str(item.get("path", "$")), code, str(item.get("message", "")))
        )
    return problems or [Problem("$", ErrorCode.GENERIC_ERROR, "invalid")]


def raise_reply(identity: str, node: str, reply: dict[str, Any]) -> None:
    """Raise the exception an error reply stands for."""
    status = reply.get("s")
    text = str(reply.get("text", ""))
    where = f" (station {identity!r} on node {node!r})"
    if status == "CallError":
        code_text = str(reply.get("code", ""))
        code: ErrorCode | str = ErrorCode._value2member_map_.get(code_text, code_text)  # type: ignore[assignment]
        details = reply.get("details")
        raise CallError(
            code,
            str(reply.get("description", "")),
            details if isinstance(details, dict) else {},
            message_id=str(reply.get("id", "")),
            action=str(reply.get("action", "")),
        )
    if status == "RemoteValidationError":
        raise RemoteValidationError(
            _rebuild_problems(reply),
            type_name=str(reply.get("type", "")),
            message_id=str(reply.get("id", "")),
            action=str(reply.get("action", "")),
        )
    if status == "LocalValidationError":
        raise LocalValidationError(
            _rebuild_problems(reply), type_name=str(reply.get("type", ""))
        )
    if status == "LocalProtocolError":
        raise LocalProtocolError(text + where)
    if status == "RemoteProtocolError":
        raise RemoteProtocolError(text + where)
    if status == "CallTimeoutError":
        raise CallTimeoutError(text + where)
    if status == "ConnectionClosedError":
        raise ConnectionClosedError(text + where)
    raise FleetError(f"the owning node failed: {text or status}{where}")
