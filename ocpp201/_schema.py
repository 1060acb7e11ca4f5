"""Field specifications: the schema rules of one field, each written once.

The generated classes attach one spec to every attrs field, as its validator.  Each
spec holds its rule in :meth:`FieldSpec.check` (a *Python* value), which serves as

* the attrs validator, when an object is built or an attribute is set;
* the interpretive decoder :meth:`FieldSpec.decode` of a *JSON* value, after the JSON
  type test: it lists every problem with its JSON path and the Part 4 code (see the
  table in ``docs/messages.md``) or, in tolerant mode, keeps an over-long string or an
  unknown enumeration value and reports it;
* the outgoing check of ``ocpp201._codec``.

The codec uses the interpretive path only when the generated decoder refuses a
payload, for classes of your own, and in tolerant mode.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import datetime
from functools import cache
from typing import Any, Final

import attrs

from ._datetime import format_datetime, parse_datetime
from ._errors import ErrorCode, Problem, ValidationError
from ._values import JSON_NULL, JsonNull, UnknownEnumValue

__all__ = [
    "JSON_NULL",
    "WIRE",
    "AnyJson",
    "ArrayOf",
    "Boolean",
    "DateTime",
    "EnumOf",
    "FieldSpec",
    "Integer",
    "JsonNull",
    "Number",
    "ObjectOf",
    "Opt",
    "String",
    "UnknownEnumValue",
    "Walk",
    "format_datetime",
    "parse_datetime",
]

WIRE: Final = "ocpp201.wire"
"""Key of the attrs field metadata entry that holds the property's wire name."""

EXTRA: Final = "ocpp201.extra"
"""Key of the metadata entry marking the field that holds an object's extra keys."""

_TYPE = ErrorCode.TYPE_CONSTRAINT_VIOLATION
_OCCURRENCE = ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
_PROPERTY = ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
_PROTOCOL = ErrorCode.PROTOCOL_ERROR


def _json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Walk:
    """The state of one interpretive decoding: the problems found, and (tolerant
    mode) the deviations tolerated, each with its JSON path."""

    __slots__ = ("problems", "tolerant", "tolerated")

    def __init__(self, tolerant: bool = False) -> None:
        self.problems: list[Problem] = []
        self.tolerated: list[Problem] = []
        self.tolerant = tolerant

    def refuse(self, path: str, code: ErrorCode, message: str) -> None:
        self.problems.append(Problem(path, code, message))

    def tolerate(self, path: str, code: ErrorCode, message: str) -> bool:
        """Record a deviation tolerant mode accepts; True when it was accepted."""
        if self.tolerant:
            self.tolerated.append(Problem(path, code, message))
            return True
        self.problems.append(Problem(path, code, message))
        return False


class FieldSpec:
    """Base of all field specs.

    Each spec holds its schema rule once, in :meth:`check`, which judges a *Python*
    value.  :meth:`decode` turns a *JSON* value into the Python value (the JSON type
    test is its only own rule) and then applies :meth:`check`; it is the codec's
    interpretive path (custom classes, explanations, tolerant decoding), and the
    reference the generated fast path is tested against.  Called as an attrs
    validator, a spec runs :meth:`check` and raises :class:`ValidationError`.

    ``optional`` is True for a property that may be absent (``None`` in Python); see
    :func:`Opt`.
    """

    __slots__ = ("optional",)

    def __init__(self) -> None:
        self.optional = False

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value is None and self.optional:
            return
        found = self.check(value)
        if found is not None:
            code, message = found
            raise ValidationError(
                [Problem(f"{type(instance).__name__}.{attribute.name}", code, message)]
            )

    def _copy(self) -> FieldSpec:
        clone = object.__new__(type(self))
        for cls in type(self).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                setattr(clone, slot, getattr(self, slot))
        return clone

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        """Check a Python value: (code, message) of its first problem, or None."""
        raise NotImplementedError

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        """The Python value of the JSON value ``data``; problems go to ``walk``."""
        found = self.check(data)
        if found is not None:
            walk.refuse(path, *found)
        return data

    def encode(self, value: Any) -> Any:
        """The JSON value of a valid Python value."""
        return value

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        """Append to ``out`` every problem of the JSON value ``data`` at ``path``."""
        walk = Walk()
        self.decode(data, path, walk)
        out.extend(walk.problems)

    def describe(self) -> str:
        """A short name of the expected value, for messages."""
        raise NotImplementedError

    def _wrong_type(self, data: Any, path: str, walk: Walk, expected: str = "") -> Any:
        expected = expected or self.describe()
        walk.refuse(path, _TYPE, f"expected {expected}, got {_json_type(data)}")
        return data


class String(FieldSpec):
    """A JSON string, optionally with a ``maxLength`` (counted in code points).

    Tolerant decoding keeps an over-long string (and reports it)."""

    __slots__ = ("max_length",)

    def __init__(self, max_length: int | None = None) -> None:
        super().__init__()
        self.max_length = max_length

    def __repr__(self) -> str:
        return f"String({self.max_length!r})"

    def describe(self) -> str:
        return "a string" if self.max_length is None else f"a string[{self.max_length}]"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, str):
            return _TYPE, f"expected a string, got {_short(value)}"
        if self.max_length is not None and len(value) > self.max_length:
            return _TYPE, (
                f"string of {len(value)} characters is longer than "
                f"maxLength {self.max_length}"
            )
        return None

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        if type(data) is not str:
            return self._wrong_type(data, path, walk, "a string")
        found = self.check(data)
        if found is not None:
            walk.tolerate(path, *found)  # kept when tolerated
        return data


class _Numeric(FieldSpec):
    __slots__ = ("high", "low", "maximum", "minimum")

    def __init__(
        self, minimum: float | None = None, maximum: float | None = None
    ) -> None:
        super().__init__()
        self.minimum = minimum
        self.maximum = maximum
        self.low = -math.inf if minimum is None else minimum
        self.high = math.inf if maximum is None else maximum

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(minimum={self.minimum!r}, maximum={self.maximum!r})"
        )

    def _range(self, value: float) -> tuple[ErrorCode, str] | None:
        if self.minimum is not None and value < self.minimum:
            return _PROPERTY, f"{value!r} is less than the minimum {self.minimum!r}"
        if self.maximum is not None and value > self.maximum:
            return _PROPERTY, f"{value!r} is greater than the maximum {self.maximum!r}"
        return None


class Integer(_Numeric):
    """A JSON integer.  ``true`` is not an integer; ``1.0`` is one (draft-06)."""

    __slots__ = ()

    def describe(self) -> str:
        return "an integer"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return _TYPE, f"expected an integer, got {_short(value)}"
        return self._range(value)

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        if type(data) is float and data.is_integer():
            data = int(data)  # draft-06; is_integer() is False for inf and NaN
        if type(data) is not int:
            return self._wrong_type(data, path, walk)
        return super().decode(data, path, walk)


class Number(_Numeric):
    """A JSON number: an integer or a finite float, never a boolean."""

    __slots__ = ()

    def describe(self) -> str:
        return "a number"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return _TYPE, f"expected a number, got {_short(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return _TYPE, f"{value!r} is not a JSON number"
        return self._range(value)

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        if type(data) is not int and type(data) is not float:
            return self._wrong_type(data, path, walk)
        return super().decode(data, path, walk)


class Boolean(FieldSpec):
    """A JSON boolean."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Boolean()"

    def describe(self) -> str:
        return "a boolean"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, bool):
            return _TYPE, f"expected a boolean, got {_short(value)}"
        return None

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        if type(data) is not bool:
            return self._wrong_type(data, path, walk)
        return data


class DateTime(FieldSpec):
    """A ``format: date-time`` string; in Python a timezone-aware datetime."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DateTime()"

    def describe(self) -> str:
        return "an RFC 3339 date-time"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, datetime):
            return _TYPE, f"expected a datetime, got {_short(value)}"
        offset = value.utcoffset()
        if offset is None:
            return _TYPE, "datetime has no timezone; use e.g. tzinfo=timezone.utc"
        if offset.total_seconds() % 60:
            return _TYPE, "a UTC offset must be a whole number of minutes"
        return None

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        if type(data) is not str:
            walk.refuse(
                path, _TYPE, f"expected a date-time string, got {_json_type(data)}"
            )
            return data
        try:
            return parse_datetime(data)
        except ValueError:
            walk.refuse(path, _TYPE, f"{_short(data)} is not an RFC 3339 date-time")
            return data

    def encode(self, value: Any) -> Any:
        return format_datetime(value)


class EnumOf(FieldSpec):
    """A string limited to the values of an enumeration.

    Tolerant decoding keeps a value the enumeration does not list as an
    :class:`UnknownEnumValue` (and reports it)."""

    __slots__ = ("enum",)

    def __init__(self, enum_type: type[enum.Enum]) -> None:
        super().__init__()
        self.enum = enum_type

    def __repr__(self) -> str:
        return f"EnumOf({self.enum.__name__})"

    def describe(self) -> str:
        return f"a {self.enum.__name__}"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if value.__class__ is self.enum or isinstance(value, self.enum):
            return None
        name = self.enum.__name__
        if isinstance(value, str) and value in self.enum._value2member_map_:
            hint = f"; use {name}({str.__str__(value)!r})"
            return _TYPE, f"expected a {name}, got a plain str{hint}"
        if isinstance(value, str):  # UnknownEnumValue included: never sent
            return _PROPERTY, f"{_short(str.__str__(value))} is not a valid {name}"
        return _TYPE, f"expected a {name}, got {_short(value)}"

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        if type(data) is not str:
            walk.refuse(path, _TYPE, f"expected a string, got {_json_type(data)}")
            return data
        member = self.enum._value2member_map_.get(data)
        if member is not None:
            return member
        found = self.check(data)
        assert found is not None
        if walk.tolerate(path, *found):
            return UnknownEnumValue(data, self.enum)
        return data

    def encode(self, value: Any) -> Any:
        return value._value_


class _Property:
    """One wire property of a class: attribute, wire name, spec, whether required."""

    __slots__ = ("attribute", "required", "spec", "wire")

    def __init__(self, attribute: str, wire: str, spec: FieldSpec, required: bool):
        self.attribute = attribute
        self.wire = wire
        self.spec = spec
        self.required = required


@cache
def properties(cls: type) -> tuple[tuple[_Property, ...], str | None]:
    """The wire properties of a generated class, and the attribute holding its extra
    keys (``None`` unless the schema allows extra keys: ``CustomDataType``)."""
    props = []
    extra = None
    for field in attrs.fields(cls):
        if field.metadata.get(EXTRA):
            extra = field.name
            continue
        spec = field.validator
        if not isinstance(spec, FieldSpec):
            raise TypeError(f"{cls.__name__}.{field.name} has no field spec")
        props.append(
            _Property(field.name, field.metadata[WIRE], spec, not spec.optional)
        )
    return tuple(props), extra


class ObjectOf(FieldSpec):
    """A JSON object described by a generated attrs class."""

    __slots__ = ("cls",)

    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def __repr__(self) -> str:
        return f"ObjectOf({self.cls.__name__})"

    def describe(self) -> str:
        return f"a {self.cls.__name__}"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, self.cls):
            return _TYPE, f"expected a {self.cls.__name__}, got {_short(value)}"
        return None

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        return decode_object(self.cls, data, path, walk)

    def encode(self, value: Any) -> Any:
        return encode_object(value)


def _member(path: str, key: Any) -> str:
    return f"{path}.{key}" if _PLAIN_KEY.fullmatch(str(key)) else f"{path}[{key!r}]"


def decode_object(cls: type, data: Any, path: str, walk: Walk) -> Any:
    """The object of class ``cls`` for the JSON object ``data``, interpretively.

    Problems go to ``walk`` in document order: the object's own missing properties
    first, then its members in the order the document has them.  Tolerant decoding
    drops a property the schema does not know (and reports it).
    """
    if type(data) is not dict:
        walk.refuse(
            path, _TYPE, f"expected an object ({cls.__name__}), got {_json_type(data)}"
        )
        return data
    props, extra = properties(cls)
    by_wire = {p.wire: p for p in props}
    for prop in props:
        if prop.required and prop.wire not in data:
            walk.refuse(
                f"{path}.{prop.wire}",
                _OCCURRENCE,
                f"required property {prop.wire!r} is missing",
            )
    values: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for key, value in data.items():
        found = by_wire.get(key)
        member = _member(path, key)
        if found is not None:
            values[found.attribute] = found.spec.decode(value, member, walk)
        elif extra is not None:
            extras[key] = ANY_JSON.decode(value, member, walk)
        else:
            walk.tolerate(
                member, _PROTOCOL, f"property {key!r} is not in {cls.__name__}"
            )
    obj: Any = object.__new__(cls)
    for prop in props:
        object.__setattr__(obj, prop.attribute, values.get(prop.attribute))
    if extra is not None:
        object.__setattr__(obj, extra, extras)
    return obj


def encode_object(obj: Any) -> dict[str, Any]:
    """The JSON object of a valid object of a class built with field specs."""
    props, extra = properties(obj.__class__)
    result: dict[str, Any] = {}
    for prop in props:
        value = getattr(obj, prop.attribute)
        if value is not None:
            result[prop.wire] = prop.spec.encode(value)
    if extra is not None:
        result.update(getattr(obj, extra))
    return result


def check_object(obj: Any, path: str, out: list[Problem]) -> None:
    """Append to ``out`` every problem of the Python object ``obj`` (recursively)."""
    props, extra = properties(obj.__class__)
    for prop in props:
        value = getattr(obj, prop.attribute)
        where = f"{path}.{prop.wire}"
        if value is None:
            if prop.required:
                out.append(Problem(where, _OCCURRENCE, f"{prop.wire!r} is None"))
            continue
        found = prop.spec.check(value)
        if found is not None:
            out.append(Problem(where, *found))
            continue
        spec = prop.spec
        if isinstance(spec, ObjectOf):
            check_object(value, where, out)
        elif isinstance(spec, ArrayOf) and isinstance(spec.item, ObjectOf):
            for index, item in enumerate(value):
                check_object(item, f"{where}[{index}]", out)
    if extra is not None:
        found = ExtraKeys(*(p.wire for p in props)).check(getattr(obj, extra))
        if found is not None:
            out.append(Problem(path, *found))


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ArrayOf(FieldSpec):
    """A JSON array of items of one spec, with optional minItems / maxItems."""

    __slots__ = ("item", "max_items", "min_items")

    def __init__(
        self,
        item: FieldSpec,
        min_items: int | None = None,
        max_items: int | None = None,
    ) -> None:
        super().__init__()
        self.item = item
        self.min_items = min_items
        self.max_items = max_items

    def __repr__(self) -> str:
        return f"ArrayOf({self.item!r}, {self.min_items!r}, {self.max_items!r})"

    def describe(self) -> str:
        return f"a list of {self.item.describe()}"

    def _count(self, size: int) -> tuple[ErrorCode, str] | None:
        if self.min_items is not None and size < self.min_items:
            return _OCCURRENCE, f"{size} items, fewer than minItems {self.min_items}"
        if self.max_items is not None and size > self.max_items:
            return _OCCURRENCE, f"{size} items, more than maxItems {self.max_items}"
        return None

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, list):
            return _TYPE, f"expected a list, got {_short(value)}"
        found = self._count(len(value))
        if found is not None:
            return found
        for index, item in enumerate(value):
            found = self.item.check(item)
            if found is not None:
                return found[0], f"[{index}]: {found[1]}"
        return None

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        if type(data) is not list:
            walk.refuse(path, _TYPE, f"expected an array, got {_json_type(data)}")
            return data
        found = self._count(len(data))
        if found is not None:
            walk.refuse(path, *found)
        item = self.item
        return [item.decode(x, f"{path}[{i}]", walk) for i, x in enumerate(data)]

    def encode(self, value: Any) -> Any:
        return [self.item.encode(x) for x in value]


def json_problem(value: Any) -> str | None:
    """Why ``value`` is not a JSON value (None when it is one).  Iterative."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (str, bool, int)):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return f"{item!r} is not a JSON number"
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    return f"object key {_short(key)} is not a string"
            stack.extend(item.values())
        else:
            return f"{_short(item)} is not a JSON value"
    return None


class AnyJson(FieldSpec):
    """Any JSON value (a field with no ``type`` in its schema)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "AnyJson()"

    def describe(self) -> str:
        return "any JSON value"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if value is JSON_NULL:
            return None
        message = json_problem(value)
        return None if message is None else (_TYPE, message)

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        super().decode(data, path, walk)
        return JSON_NULL if data is None else data

    def encode(self, value: Any) -> Any:
        return None if value is JSON_NULL else value


ANY_JSON: Final = AnyJson()


def Opt(spec: FieldSpec) -> FieldSpec:  # noqa: N802 -- reads as a type in the classes
    """The same spec for an optional property: ``None`` means the property is absent."""
    clone = spec._copy()
    clone.optional = True
    return clone


class ExtraKeys(FieldSpec):
    """The vendor-specific extra keys of ``CustomDataType``: a dict of JSON values."""

    __slots__ = ("reserved",)

    def __init__(self, *reserved: str) -> None:
        super().__init__()
        self.reserved = reserved

    def __repr__(self) -> str:
        return f"ExtraKeys{self.reserved!r}"

    def describe(self) -> str:
        return "a dict of extra JSON properties"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, dict):
            return _TYPE, f"expected a dict, got {_short(value)}"
        for key in self.reserved:
            if key in value:
                return _PROTOCOL, f"{key!r} is a schema property, not an extra key"
        message = json_problem(value)
        return None if message is None else (_TYPE, message)

    def decode(self, data: Any, path: str, walk: Walk) -> Any:
        raise AssertionError("extra keys are decoded by their object")
