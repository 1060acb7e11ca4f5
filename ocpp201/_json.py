"""JSON text -> Python value, parsed once, with the anomalies OCPP-J refuses found.

Two things RFC 8259 allows have no faithful meaning here and must be reported (the
endpoint answers a CALL holding them with FormatViolation): an object with the same
key twice, and a number too large for the receiver (``1e400``, an integer beyond the
float range, an integer with more digits than Python converts).

* With the standard library, module-level hooks (no closures built per message) see
  each object's pairs and each number; the first anomaly aborts the parse, and only
  then is the text parsed again by the exact path that returns the value too.  The
  decoder's scanner is called directly when the text is a bare value.
* With orjson, the text is parsed without hooks and the anomalies are found at C
  speed: a text that is orjson's own compact writing of its value has none; else
  the text and that writing hold the same number of colons unless an object lost a
  duplicate member; infinities are refused by orjson.  Any other text this cannot
  judge exactly (a ``\\u`` escape, a run of 19 digits, anything orjson refuses)
  goes to the standard library, which decides.

Writing: :func:`write_checked` lets orjson write a frame whose payload outgoing
validation checked (see there); anything else is written by the standard library
(``ocpp201._framing.dumps``).

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
from collections.abc import Callable
from typing import Any, Final, cast

__all__ = [
    "ToolargeNumber",
    "backend",
    "explaining_loads",
    "loads",
    "use_backend",
    "write_checked",
]

_MAX_FLOAT: Final = sys.float_info.max
_MAX_DIGITS: Final = getattr(sys, "get_int_max_str_digits", lambda: 0)()


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


# orjson refuses (instead of writing its own way) what the standard library writes
# differently or refuses: subclasses of str/int/dict/list, datetimes, dataclasses.
_ORJSON_STRICT: Final = 0x100 | 0x200 | 0x800  # PASSTHROUGH_SUBCLASS/DATETIME/DATACLASS


def write_checked(value: Any) -> str | None:
    """Compact JSON text of ``value`` written by orjson, or None (the standard
    library must write it): orjson not in use, or something orjson cannot write as
    the standard library would (an integer beyond 64 bits, a lone surrogate, a
    ``NaN``, which orjson would write as ``null``, and any ``null`` with it; a
    subclass of str, int, dict or list, whose overrides the standard library may
    use; a datetime or a dataclass, which the standard library refuses).

    Only for a value outgoing validation checked: it holds nothing but JSON values,
    as long as no field was set behind attrs' validators (built while they were
    switched off, or through ``object.__setattr__``): such a UUID or enumeration
    member, which the standard library refuses, orjson writes (as its text, or its
    ``value``; an enumeration member that is also a str or int with another
    content is written by its ``value`` in an untyped value too).  Otherwise orjson
    writes the same text but for some floats, the same JSON numbers: ``1e-7`` and
    ``0.00001`` where the standard library writes ``1e-07`` and ``1e-05``.
    """
    if _orjson is _LATER:
        backend()
    if _orjson is None:
        return None
    try:
        raw: bytes = _orjson.dumps(value, option=_ORJSON_STRICT)
    except _orjson.JSONEncodeError:
        return None
    return None if b"null" in raw else raw.decode()


def use_backend(name: str) -> None:
    """Switch the parser (``"orjson"`` or ``"stdlib"``); the tests run under both."""
    global _orjson  # noqa: PLW0603 -- the one switch, for tests and benchmarks
    if name not in ("orjson", "stdlib"):
        raise ValueError(f"unknown JSON backend {name!r}")
    _orjson = importlib.import_module("orjson") if name == "orjson" else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Anomaly(Exception):  # noqa: N818 -- control flow inside this module
    """Raised by a parse hook: a duplicate key or a number too large was met."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Anomaly
    return result


def _float(literal: str) -> float:
    number = float(literal)
    if not -_MAX_FLOAT <= number <= _MAX_FLOAT:
        raise _Anomaly
    return number


def _integer(literal: str) -> int:
    if len(literal) > 308:
        raise _Anomaly
    return int(literal)


_STDLIB: Final = json.JSONDecoder(
    object_pairs_hook=_pairs,
    parse_float=_float,
    parse_int=_integer,
    parse_constant=_reject_constant,
)
# The scanner decode() calls (set by JSONDecoder.__init__; typeshed does not list it).
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = cast(Any, _STDLIB).scan_once
_RUN: Final = b"0" * 19  # digits: an integer orjson may read as a float
_DIGITS: Final = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))


def loads(text: str) -> tuple[Any, bool]:
    """Parse ``text``; return the value and whether it holds a duplicate key or a
    number too large.  Raises :class:`ValueError` (or :class:`RecursionError`) for
    text that is not JSON, with the standard library's message."""
    if _orjson is _LATER:
        backend()
    if _orjson is not None:
        found = _orjson_loads(text)
        if found is not None:
            return found
    if text.startswith("\ufeff"):
        return json.loads(text), False  # raises the standard library's BOM error
    try:
        return _stdlib_decode(text), False
    except _Anomaly:
        return _hooked_loads(text)  # rare: the exact, slower path


def _stdlib_decode(text: str) -> Any:
    """``_STDLIB.decode(text)``, without its two Python layers when ``text`` is one
    JSON value with nothing around it; any other text (whitespace around the value,
    extra data, no value) goes to ``decode()`` itself, which raises its usual error.
    Errors met inside the value are raised by the scanner itself either way."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        return _STDLIB.decode(text)
    if end != len(text):
        return _STDLIB.decode(text)
    return value


def _orjson_loads(text: str) -> tuple[Any, bool] | None:
    """orjson's parse and a verdict, or None when the standard library must decide.

    When orjson's compact writing of the parsed value is the text itself (a peer
    writing compact JSON, as most do), the text has no anomaly: a duplicate member
    would be missing from the writing, an integer orjson read as a float would be
    written as a float.  Otherwise, duplicate keys: every ``:`` of JSON text is an
    object member's or inside a string, and the writing has the same strings, so the
    two hold as many colons unless an object lost a member -- provided no ``\\u``
    escape writes a colon unseen.  Too large numbers: orjson refuses infinities; an
    integer of 19 digits or more may have become a float, so such a text goes to the
    standard library.
    """
    try:
        raw = text.encode()
        value = _orjson.loads(raw)
        written = _orjson.dumps(value)
    except (UnicodeEncodeError, _orjson.JSONDecodeError, _orjson.JSONEncodeError):
        return None  # a lone surrogate; not JSON to orjson; nested too deep to write
    if written == raw:
        return value, False
    # A lone backslash is found by memchr; only then is the slower search made.
    if (b"\\" in raw and b"\\u" in raw) or _RUN in raw.translate(_DIGITS):
        return None
    return value, raw.count(b":") != written.count(b":")


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
