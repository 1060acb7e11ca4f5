"""What the generated decode/encode functions and ``__init__`` methods call
(``python -m codegen`` writes them next to each class, in ``ocpp201._datatypes`` and
``ocpp201._messages``).

A generated decoder is straight-line Python with every schema check inlined; when a
check fails it raises :class:`Refused` (or a ``KeyError``, ``TypeError`` ... on the
way), and the codec falls back to the interpretive path of ``ocpp201._schema``, which
explains the problems or, in tolerant mode, tolerates them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from datetime import timezone
from typing import Any, Final

import attrs

from ._construct import unchecked
from ._datetime import format_datetime, parse_datetime
from ._schema import JSON_NULL, json_problem

__all__ = [
    "INF",
    "JSON_NULL",
    "UTC",
    "Codecs",
    "Refused",
    "any_json",
    "check_field",
    "format_datetime",
    "integer",
    "json_problem",
    "members",
    "parse_datetime",
    "store_fields",
    "unchecked",
]

INF: Final = math.inf
UTC: Final = timezone.utc

Codecs = dict[type[Any], tuple[Callable[[Any], Any], Callable[[Any], dict[str, Any]]]]
"""The type of a generated module's ``_CODECS`` table: class -> (decoder, encoder)."""


def check_field(obj: Any, name: str, value: Any, cls: type[Any]) -> None:
    """Run the attrs validator of field ``name`` of ``cls`` on ``value`` (unless
    ``attrs.validators.set_disabled(True)``): what the generated ``__init__`` of
    ``cls`` does when its inline check does not accept a value; it raises
    :class:`~ocpp201.ValidationError`, or accepts a subclass, say."""
    if attrs.validators.get_disabled():
        return
    attribute = getattr(attrs.fields(cls), name)
    attribute.validator(obj, attribute, value)


def store_fields(obj: Any, cls: type[Any], values: dict[str, Any]) -> None:
    """Set the fields of ``cls`` on ``obj``, an instance of a subclass of ``cls``
    (whose layout the twin of ``cls`` does not share), from ``values`` (the
    ``locals()`` of the generated ``__init__``), as attrs' ``__init__`` does."""
    for attribute in attrs.fields(cls):
        object.__setattr__(obj, attribute.name, values[attribute.name])


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
