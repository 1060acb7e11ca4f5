"""The static rules the RPC core applies: actions, roles, message limits, error size.

One job: the tables and pure checks :class:`ocpp201.RpcConnection` consults --
which actions exist and who sends them, the ``BytesPerMessage`` /
``ItemsPerMessage`` limits of Part 2, and how large a CALLERROR may grow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from ._base import Request, Response, Sender
from ._errors import ErrorCode, Problem, ValidationError
from ._framing import Call
from .actions import Action

__all__ = [
    "ITEM_LISTS",
    "MAX_CALLERROR_BYTES",
    "MAX_LISTED_PROBLEMS",
    "ROLE_NAMES",
    "STANDARD_ACTIONS",
    "ActionInfo",
    "MessageLimits",
    "bounded_problem_details",
    "message_size",
    "parse_limits",
]

MAX_LISTED_PROBLEMS: Final = 20
"""At most this many problems are listed in a CALLERROR's details; the rest are
counted (``"omittedProblems"``)."""

MAX_CALLERROR_BYTES: Final = 64 * 1024
"""No CALLERROR we send is larger; details that would make it larger are dropped."""

_MAX_PROBLEM_TEXT: Final = 200  # characters of one problem's path or message

ITEM_LISTS: Final[Mapping[str, str]] = {
    "GetVariables": "getVariableData",
    "SetVariables": "setVariableData",
    "GetReport": "componentVariable",
    "GetMonitoringReport": "componentVariable",
    "SendLocalList": "localAuthorizationList",
    "ClearVariableMonitoring": "id",
    "SetVariableMonitoring": "setMonitoringData",
}
"""The array an ``ItemsPerMessage<Action>`` limit counts (Part 2, appendix 2)."""

ROLE_NAMES: Final = {
    Sender.CHARGING_STATION: "charging station",
    Sender.CSMS: "CSMS",
    Sender.BOTH: "either side",
}


@attrs.frozen(slots=True)
class ActionInfo:
    """What the core knows of one action: its classes and who sends it."""

    name: str
    request: type[Request[Any]]
    response: type[Response]
    sender: Sender


class _StandardActions(dict[str, ActionInfo]):
    """The standard actions' infos, each built when first used: an action's message
    classes are imported only then (``import ocpp201`` stays cheap)."""

    def get(self, action: str, default: Any = None) -> Any:
        info = dict.get(self, action)
        if info is None:
            member = Action._value2member_map_.get(action)
            if not isinstance(member, Action):
                return default
            info = self[action] = ActionInfo(
                action, member.request, member.response, member.sender
            )
        return info


STANDARD_ACTIONS: Final[dict[str, ActionInfo]] = _StandardActions()


def parse_limits(
    value: int | Mapping[str, int] | None,
    int_applies_to: Mapping[str, str] | None = None,
) -> tuple[int | None, dict[str, int]]:
    """``(limit for every action, limits per action)`` from an option's value."""
    if value is None:
        return None, {}
    if isinstance(value, int):
        if isinstance(value, bool) or value < 0:
            raise ValueError("a message limit cannot be negative")
        if int_applies_to is None:
            return value, {}
        return None, dict.fromkeys(int_applies_to, value)
    result: dict[str, int] = {}
    for action, limit in value.items():
        name = action.value if isinstance(action, Action) else str(action)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"the limit for {name} must be a non-negative int")
        result[name] = limit
    return None, result


def message_size(message: str | bytes) -> int:
    if isinstance(message, str):
        if message.isascii():
            return len(message)
        # surrogatepass: a str connection may hand us a lone surrogate
        return len(message.encode("utf-8", "surrogatepass"))
    return len(message)


def _cut(text: str) -> str:
    if len(text) <= _MAX_PROBLEM_TEXT:
        return text
    return text[: _MAX_PROBLEM_TEXT - 3] + "..."


def bounded_problem_details(error: ValidationError) -> dict[str, Any]:
    """CALLERROR details for ``error``: the first :data:`MAX_LISTED_PROBLEMS`
    problems (paths and messages cut to 200 characters), and how many were left
    out."""
    listed = error.problems[:MAX_LISTED_PROBLEMS]
    details: dict[str, Any] = {
        "problems": [
            {"path": _cut(p.path), "code": p.code.value, "message": _cut(p.message)}
            for p in listed
        ]
    }
    omitted = len(error.problems) - len(listed)
    if omitted:
        details["omittedProblems"] = omitted
    return details


class MessageLimits:
    """The ``bytes_per_message`` / ``items_per_message`` limits of one endpoint."""

    __slots__ = ("_bytes_default", "_bytes_limits", "_items_limits")

    def __init__(
        self,
        bytes_per_message: int | Mapping[str, int] | None,
        items_per_message: int | Mapping[str, int] | None,
    ) -> None:
        self._bytes_default, self._bytes_limits = parse_limits(bytes_per_message)
        _, self._items_limits = parse_limits(items_per_message, ITEM_LISTS)

    def check(
        self, info: ActionInfo, call: Call, message: str | bytes
    ) -> ValidationError | None:
        """The problem of an incoming CALL that breaks a limit, or ``None``."""
        limit = self._bytes_limits.get(info.name, self._bytes_default)
        if limit is not None:
            size = message_size(message)
            if size > limit:
                return ValidationError(
                    [
                        Problem(
                            "$",
                            ErrorCode.FORMAT_VIOLATION,
                            f"message of {size} bytes exceeds the BytesPerMessage "
                            f"limit of {limit} bytes",
                        )
                    ],
                    type_name=info.request.__name__,
                )
        limit = self._items_limits.get(info.name)
        if limit is not None and type(call.payload) is dict:
            field = ITEM_LISTS.get(info.name)
            names = [field] if field is not None else list(call.payload)
            problems = [
                Problem(
                    f"$.{name}",
                    ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
                    f"{len(value)} items exceed the ItemsPerMessage limit of {limit}",
                )
                for name in names
                if type(value := call.payload.get(name)) is list and len(value) > limit
            ]
            if problems:
                return ValidationError(problems, type_name=info.request.__name__)
        return None
