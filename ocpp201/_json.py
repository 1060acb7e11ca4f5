"""JSON text -> Python value: one parse, with the anomalies OCPP-J refuses detected.

Two things RFC 8259 allows have no faithful meaning here and must be reported (the
endpoint answers a CALL holding them with FormatViolation): an object with the same
key twice, and a number too large for the receiver (``1e400``, an integer beyond the
float range, an integer with more digits than Python converts).  They used to be
found by Python hooks called for every object and float during the parse, which
doubled its cost.  Now the text is parsed once by a C parser without hooks and the
result is checked by one walk:

* a duplicate key is the one way the parsed objects can hold fewer members than the
  text has member colons (every ``:`` of JSON text is a member's or inside a string,
  so ``text.count(":")`` minus the colons inside the parsed strings is the number of
  members written).  A ``\\u`` escape can write a colon unseen, so a text with one
  takes the exact hook path instead;
* a number too large is an infinite float or an integer beyond the float range.

Backends: the standard library's :mod:`json` always; :mod:`orjson` (the ``fast``
extra) when installed, unless ``OCPP201_JSON=stdlib`` (it is imported at the first
parse, or with ocpp201 when ``OCPP201_JSON=orjson`` asks for it).  Whatever orjson
refuses or may have read differently (it reads integers beyond 64 bits as floats) is
parsed again by the standard library, which alone decides: accept/reject behaviour
and values are identical under both backends.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import sys
from typing import Any, Final

__all__ = ["ToolargeNumber", "backend", "explaining_loads", "loads", "use_backend"]

_MAX_FLOAT: Final = sys.float_info.max
_MAX_DIGITS: Final = getattr(sys, "get_int_max_str_digits", lambda: 0)()
_UNSURE: Final = object()


def _load_orjson() -> Any:
    """orjson when it is to be used, else None (``OCPP201_JSON`` decides)."""
    choice = os.environ.get("OCPP201_JSON", "").strip().lower()
    if choice not in ("", "orjson", "stdlib"):
        raise ImportError(f"OCPP201_JSON={choice!r}: use 'stdlib' or 'orjson'")
    if choice == "stdlib":
        return None
    try:
        return importlib.import_module("orjson")
    except ImportError:
        if choice == "orjson":
            raise
        return None


# An explicit OCPP201_JSON=orjson loads it with ocpp201; by default it is looked for
# at the first parse, so that ``import ocpp201`` imports no optional dependency.
_LATER: Final = object()
_orjson: Any = _load_orjson() if os.environ.get("OCPP201_JSON", "").strip() else _LATER


def backend() -> str:
    """The JSON parser in use: ``"orjson"`` or ``"stdlib"``."""
    global _orjson  # noqa: PLW0603 -- resolved once
    if _orjson is _LATER:
        _orjson = _load_orjson()
    return "stdlib" if _orjson is None else "orjson"


def use_backend(name: str) -> None:
    """Switch the parser (``"orjson"`` or ``"stdlib"``); the tests run under both."""
    global _orjson  # noqa: PLW0603 -- the one switch, for tests and benchmarks
    if name not in ("orjson", "stdlib"):
        raise ValueError(f"unknown JSON backend {name!r}")
    _orjson = importlib.import_module("orjson") if name == "orjson" else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(text: str) -> tuple[Any, bool]:
    """Parse ``text``; return the value and whether it holds a duplicate key or a
    number too large.  Raises :class:`ValueError` (or :class:`RecursionError`) for
    text that is not JSON, with the standard library's message."""
    if _orjson is _LATER:
        backend()
    if _orjson is not None:
        try:
            value = _orjson.loads(text)
        except (_orjson.JSONDecodeError, TypeError):
            pass  # the standard library decides, with its own message
        else:
            verdict = _scan(value, text, loose_floats=True)
            if verdict is not _UNSURE:
                return value, verdict is True
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        if "integer string conversion" not in str(exc):
            raise
        # More digits than int() converts: readable, but too large.
        return _hooked_loads(text)[0], True
    verdict = _scan(value, text, loose_floats=False)
    if verdict is _UNSURE:
        return _hooked_loads(text)
    return value, verdict is True


def _scan(value: Any, text: str, *, loose_floats: bool) -> Any:
    """True: an anomaly; False: none; _UNSURE: only the exact hook path can tell.

    ``loose_floats``: the value comes from orjson, which reads an integer beyond 64
    bits as a float; an integral float that large may have been one.
    """
    if "\\u" in text:
        return _UNSURE
    members = 0
    colons = 0
    stack = [value]
    pop = stack.pop
    push = stack.extend
    while stack:
        item = pop()
        kind = item.__class__
        if kind is dict:
            members += len(item)
            for key in item:
                if ":" in key:
                    colons += key.count(":")
            push(item.values())
        elif kind is list:
            push(item)
        elif kind is str:
            if ":" in item:
                colons += item.count(":")
        elif kind is float:
            if not -_MAX_FLOAT <= item <= _MAX_FLOAT:
                return True  # inf (NaN cannot be parsed)
            if loose_floats and abs(item) >= 9.2e18 and item.is_integer():
                return _UNSURE
        elif kind is int and not -_MAX_FLOAT <= item <= _MAX_FLOAT:
            return True
    return text.count(":") - colons != members


def _hooked_loads(text: str) -> tuple[Any, bool]:
    """The exact (slower) parse: hooks see every object's pairs and every number."""
    found = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        result = dict(pairs)
        if len(result) != len(pairs):
            found = True
        return result

    def parse_float(literal: str) -> float:
        nonlocal found
        number = float(literal)
        if not math.isfinite(number):
            found = True
        return number

    def parse_int(literal: str) -> int | ToolargeNumber:
        nonlocal found
        if _too_large(literal):
            found = True
            if _MAX_DIGITS and len(literal.lstrip("-")) > _MAX_DIGITS:
                return ToolargeNumber(literal)  # no int holds it: a string, refused
        return int(literal)

    value = json.loads(
        text,
        object_pairs_hook=pairs_hook,
        parse_float=parse_float,
        parse_int=parse_int,
        parse_constant=_reject_constant,
    )
    return value, found


def _too_large(literal: str) -> bool:
    """Whether the integer ``literal`` is beyond the float range (or int()'s)."""
    digits = len(literal.lstrip("-"))
    if digits < 309:  # 1.8e308 has 309 digits
        return False
    if _MAX_DIGITS and digits > _MAX_DIGITS:
        return True
    return not -_MAX_FLOAT <= int(literal) <= _MAX_FLOAT


class ToolargeNumber(str):
    """A number literal too large for the receiver: in the explaining pass, and as
    the value of an integer no Python int can hold (tolerant mode then refuses it as a
    wrong type)."""


def explaining_loads(text: str, pairs: Any) -> Any:
    """Parse ``text`` keeping each object as ``pairs(list of pairs)`` and each number
    too large as a :class:`ToolargeNumber`, so that every anomaly can be located."""
    return json.loads(
        text,
        object_pairs_hook=pairs,
        parse_float=lambda s: ToolargeNumber(s) if not math.isfinite(float(s)) else 0.0,
        parse_int=lambda s: ToolargeNumber(s) if _too_large(s) else 0,
        parse_constant=_reject_constant,
    )
