"""``ocpp201 example``: a valid example payload of any action (the builder).

The example is built from the field specs of the generated classes, so it is valid by
construction and always in step with the schemas: every required property (and
nothing else) with a plausible value inside the schema's limits.  ``--set path=value``
changes or adds fields and the result is checked by the library's codec; ``--frame``
wraps it as a CALL (or, with ``--response``, a CALLRESULT).

The functions here are also used by the documentation generator (``codegen.docs``)
and the web validator page, which runs this module in the browser.
"""

from __future__ import annotations

import argparse
import enum
import json
import re
import sys
from datetime import datetime, timezone
from typing import Any

import attrs

from .._base import Message
from .._errors import ValidationError
from .._schema import (
    AnyJson,
    ArrayOf,
    Boolean,
    DateTime,
    EnumOf,
    FieldSpec,
    Integer,
    Number,
    ObjectOf,
    String,
    properties,
)

__all__ = [
    "EXAMPLE_TIME",
    "add_parser",
    "example_object",
    "example_payload",
    "message_class",
    "python_source",
    "run",
    "set_path",
]

EXAMPLE_TIME = datetime(2025, 1, 15, 9, 30, tzinfo=timezone.utc)
"""The date-time every example uses."""

_STRING_HINTS: dict[str, str] = {
    "model": "SingleSocketCharger",
    "vendorName": "VendorX",
    "vendorId": "com.example",
    "serialNumber": "SN-0001",
    "firmwareVersion": "1.0.0",
    "idToken": "04A2B3C4D5E6F7",
    "transactionId": "TX-0001",
    "name": "Example",
    "instance": "1",
    "attributeValue": "60",
    "value": "60",
    "location": "https://example.com/file",
    "remoteLocation": "https://example.com/upload",
    "url": "https://example.com",
    "responderURL": "https://ocsp.example.com",
    "issuerNameHash": "3f3b4c1d5e6f",
    "issuerKeyHash": "8a9b0c1d2e3f",
    "certificate": "-----BEGIN CERTIFICATE-----...",
    "certificateChain": "-----BEGIN CERTIFICATE-----...",
    "csr": "-----BEGIN CERTIFICATE REQUEST-----...",
    "exiRequest": "gICAgA==",
    "exiResponse": "gICAgA==",
    "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
    "content": "Welcome",
    "language": "en",
    "messageId": "42",
    "ocppCsmsUrl": "wss://csms.example.com/ocpp",
    "stationId": "CS001",
}
_NUMBER_HINTS: dict[str, float] = {
    "interval": 300,
    "evseId": 1,
    "connectorId": 1,
    "id": 1,
    "requestId": 1,
    "limit": 16.0,
    "startPeriod": 0,
    "chargingRateUnit": 0,
    "totalCost": 2.5,
    "value": 1234.5,
}


def message_class(action: str, *, response: bool = False) -> type[Any]:
    """The request (or response) class of an action given by its wire name.

    Raises ``KeyError`` naming the action when it is not one of the 64.
    """
    from ..actions import Action  # noqa: PLC0415 - keeps this module light to import

    try:
        member = Action(action)
    except ValueError:
        raise KeyError(action) from None
    return member.response if response else member.request


def _string(wire: str, spec: String) -> str:
    text = _STRING_HINTS.get(wire, wire or "example")
    if spec.max_length is not None:
        text = text[: spec.max_length]
    return text


def _number(wire: str, spec: Integer | Number) -> float:
    value: float = _NUMBER_HINTS.get(wire, 1)
    if spec.minimum is not None and value < spec.minimum:
        value = spec.minimum
    if spec.maximum is not None and value > spec.maximum:
        value = spec.maximum
    if isinstance(spec, Integer):
        return int(value)
    return value


def _value(wire: str, spec: FieldSpec, depth: int) -> Any:
    """A valid Python value for one field spec."""
    if isinstance(spec, String):
        return _string(wire, spec)
    if isinstance(spec, Integer | Number):
        return _number(wire, spec)
    if isinstance(spec, Boolean):
        return True
    if isinstance(spec, DateTime):
        return EXAMPLE_TIME
    if isinstance(spec, EnumOf):
        return next(iter(spec.enum))
    if isinstance(spec, ObjectOf):
        return example_object(spec.cls, _depth=depth + 1)
    if isinstance(spec, ArrayOf):
        count = max(spec.min_items or 1, 1)
        return [_value(wire, spec.item, depth) for _ in range(count)]
    if isinstance(spec, AnyJson):
        return "example"
    raise TypeError(f"no example for a {type(spec).__name__}")  # pragma: no cover


def example_object(cls: type, *, _depth: int = 0) -> Any:
    """An instance of a generated class with every required field set."""
    if _depth > 20:  # pragma: no cover - the OCPP schemas have no required cycle
        raise RecursionError(f"{cls.__name__} requires itself")
    props, _ = properties(cls)
    values = {p.attribute: _value(p.wire, p.spec, _depth) for p in props if p.required}
    return cls(**values)


def example_payload(cls: type[Any]) -> dict[str, Any]:
    """The wire form (a JSON object) of :func:`example_object`."""
    from .._codec import to_payload  # noqa: PLC0415 - keeps this module light

    return to_payload(example_object(cls))


# ------------------------------------------------------------------- Python source


def _source(value: Any, indent: int, imports: dict[str, set[str]]) -> str:
    pad = "    " * (indent + 1)
    end = "    " * indent
    if isinstance(value, enum.Enum):
        imports.setdefault("ocpp201.enums", set()).add(type(value).__name__)
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, datetime):
        imports.setdefault("datetime", set()).update({"datetime", "timezone"})
        return (
            f"datetime({value.year}, {value.month}, {value.day}, {value.hour}, "
            f"{value.minute}, tzinfo=timezone.utc)"
        )
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{pad}{_source(v, indent + 1, imports)},\n" for v in value)
        return f"[\n{items}{end}]"
    if isinstance(value, str):
        return json.dumps(value)
    if attrs.has(type(value)):
        cls = type(value)
        # Generated classes live in ocpp201._messages.<action> / _datatypes.<name>,
        # behind the public facades.
        module = (
            "ocpp201.messages" if isinstance(value, Message) else ("ocpp201.datatypes")
        )
        imports.setdefault(module, set()).add(cls.__name__)
        fields = [
            (f.name, getattr(value, f.name))
            for f in attrs.fields(cls)
            if getattr(value, f.name) not in (None, {})
        ]
        if not fields:
            return f"{cls.__name__}()"
        body = "".join(
            f"{pad}{name}={_source(v, indent + 1, imports)},\n" for name, v in fields
        )
        return f"{cls.__name__}(\n{body}{end})"
    return repr(value)


def python_source(obj: Any, variable: str = "message") -> str:
    """Python code (imports included) that builds ``obj``, as text."""
    imports: dict[str, set[str]] = {}
    expression = _source(obj, 0, imports)
    order = sorted(imports, key=lambda m: (m.startswith("ocpp201"), m))
    lines = [f"from {m} import {', '.join(sorted(imports[m]))}" for m in order]
    if "datetime" in imports and len(order) > 1:
        lines.insert(1, "")
    return "\n".join([*lines, "", f"{variable} = {expression}", ""])


# ------------------------------------------------------------------------ --set

_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _parse_path(path: str) -> list[str | int]:
    text = path[1:] if path.startswith("$") else path
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None or (position == 0 and match.group(0).startswith(".") and
                             not path.startswith("$")):  # fmt: skip
            raise ValueError(f"cannot read the path {path!r} at {text[position:]!r}")
        name, index = match.groups()
        steps.append(name if name is not None else int(index))
        position = match.end()
    if not steps:
        raise ValueError(f"the path {path!r} names no field")
    return steps


def set_path(payload: Any, assignment: str) -> Any:
    """Apply one ``path=value`` to a JSON payload (in place) and return it.

    ``path`` is a JSON path as the validator prints it (``$`` optional):
    ``chargingStation.model``, ``$.evse.id``, ``meterValue[0].sampledValue[0].value``.
    Missing objects are created, and index ``n`` of an array of ``n`` items appends.
    ``value`` is read as JSON when it is JSON (``60``, ``true``, ``{"id": 1}``,
    ``"60"``) and taken as a string otherwise (``PowerUp``).
    """
    path, sep, raw = assignment.partition("=")
    if not sep:
        raise ValueError(f"--set needs path=value, got {assignment!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    steps = _parse_path(path.strip())
    node = payload
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        last = following is None
        fresh: Any = value if last else ([] if isinstance(following, int) else {})
        if isinstance(step, int):
            if not isinstance(node, list):
                raise ValueError(f"{path}: [{step}] indexes something not an array")
            if step == len(node):
                node.append(fresh)
            elif step > len(node):
                raise ValueError(f"{path}: index {step} is past the end ({len(node)})")
            elif last:
                node[step] = value
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{path}: .{step} names a member of a non-object")
            if last or step not in node:
                node[step] = fresh
        node = node[step]
    return payload


# ---------------------------------------------------------------------------- CLI


def add_parser(subparsers: Any) -> None:
    """Register ``example`` with the command line's sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "example",
        help="print a valid example payload of an action (the builder)",
        description=(
            "Print a valid example payload of an OCPP 2.0.1 action: every required"
            " field with a plausible value. --set changes fields and checks the"
            " result; --frame wraps it as an OCPP-J CALL (or CALLRESULT)."
        ),
        epilog=(
            "examples: ocpp201 example BootNotification --set reason=PowerUp --frame;"
            " ocpp201 example Heartbeat --response"
        ),
    )
    parser.add_argument("action", metavar="ACTION", help="the action, e.g. Authorize")
    parser.add_argument(
        "--response",
        action="store_true",
        help="the response payload instead of the request",
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        metavar="PATH=VALUE",
        action="append",
        default=[],
        help="set a field (JSON path, value read as JSON or else a string); repeatable",
    )
    parser.add_argument(
        "--frame",
        action="store_true",
        help="print an OCPP-J frame: [2, id, action, payload] or [3, id, payload]",
    )
    parser.add_argument(
        "--id", default="1", help="the message id of --frame (default: 1)"
    )
    parser.add_argument(
        "--python",
        action="store_true",
        help="print the Python code that builds the example instead",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the example; 1 when --set made it invalid, 2 for a usage error."""
    from .. import _framing  # noqa: PLC0415
    from .._codec import from_payload  # noqa: PLC0415

    try:
        cls = message_class(args.action, response=args.response)
    except KeyError:
        print(
            f"ocpp201 example: error: {args.action!r} is not an OCPP 2.0.1 action",
            file=sys.stderr,
        )
        return 2
    payload = example_payload(cls)
    for assignment in args.assignments:
        try:
            set_path(payload, assignment)
        except ValueError as exc:
            print(f"ocpp201 example: error: {exc}", file=sys.stderr)
            return 2
    try:
        obj = from_payload(cls, payload)
    except ValidationError as exc:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        for problem in exc.problems:
            print(
                f"invalid: {problem.path}: {problem.code.value}: {problem.message}",
                file=sys.stderr,
            )
        return 1
    if args.python:
        print(python_source(obj, "response" if args.response else "request"), end="")
    elif args.frame:
        if not _framing.is_valid_message_id(args.id):
            print(f"ocpp201 example: error: invalid --id {args.id!r}", file=sys.stderr)
            return 2
        if args.response:
            print(_framing.encode_call_result(args.id, payload))
        else:
            print(_framing.encode_call(args.id, cls.ACTION, payload))
    else:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    return 0
