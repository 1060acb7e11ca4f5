"""What the generated decode/encode functions call (``python -m codegen`` writes them
next to each class, in ``datatypes.py`` and ``messages.py``).

A generated decoder is straight-line Python with every schema check inlined; when a
check fails it raises :class:`Refused` (or a ``KeyError``, ``TypeError`` ... on the
way), and the codec falls back to the interpretive path of ``ocpp201._schema``, which
explains the problems or, in tolerant mode, tolerates them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any, Final

from ._construct import unchecked
from ._datetime import format_datetime, parse_datetime
from ._schema import JSON_NULL, json_problem

__all__ = [
    "INF",
    "JSON_NULL",
    "Codecs",
    "Refused",
    "any_json",
    "format_datetime",
    "integer",
    "json_problem",
    "members",
    "parse_datetime",
    "unchecked",
]

INF: Final = math.inf

Codecs = dict[type[Any], tuple[Callable[[Any], Any], Callable[[Any], dict[str, Any]]]]
"""The type of a generated module's ``_CODECS`` table: class -> (decoder, encoder)."""


def members(enum_type: type[enum.Enum]) -> dict[Any, Any]:
    """The wire value -> member table of a generated enumeration."""
    return enum_type._value2member_map_


class Refused(Exception):  # noqa: N818 -- control flow, never seen outside the codec
    """Raised inside a generated decoder: the value is not valid (see the slow path)."""


def integer(value: Any) -> int:
    """A JSON integer that is not a Python ``int``: draft-06 reads 1.0 as 1."""
    if value.__class__ is float and value.is_integer():
        return int(value)
    raise Refused


def any_json(value: Any) -> Any:
    """A value of a property with no type: any JSON value (``null`` is JSON_NULL)."""
    if value is None:
        return JSON_NULL
    if json_problem(value) is not None:
        raise Refused
    return value
