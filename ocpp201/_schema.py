"""Field specifications: the schema constraints of one field.

The generated classes attach one spec to every attrs field, as its validator.  A spec
does two jobs from the same facts:

* called as an attrs validator, it checks a *Python* value when a message object is
  built or an attribute is set, and raises :class:`ValidationError` at once;
* :meth:`FieldSpec.explain` walks a *JSON* value (what arrived on the wire) and lists
  every way it differs from the schema, each with its JSON path and its RPC error code.
  The codec only calls it when the fast structuring path has failed.

The error code of each kind of problem follows Part 4, section 4.3:

================================================  ===============================
problem                                           code
================================================  ===============================
wrong JSON type (``null`` included)               TypeConstraintViolation
string longer than its ``maxLength``              TypeConstraintViolation
malformed date-time                               TypeConstraintViolation
required property missing                         OccurrenceConstraintViolation
array shorter than ``minItems`` / longer than     OccurrenceConstraintViolation
``maxItems``
value not in the enumeration                      PropertyConstraintViolation
number below ``minimum`` / above ``maximum``      PropertyConstraintViolation
property not in the schema                        ProtocolError
payload not a JSON object                         FormatViolation
================================================  ===============================
"""

from __future__ import annotations

import enum
import math
import re
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, Final

import attrs

from ._errors import ErrorCode, Problem, ValidationError

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


@attrs.frozen
class JsonNull:
    """The type of :data:`JSON_NULL`."""

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __bool__(self) -> bool:
        return False


JSON_NULL: Final = JsonNull()
"""An explicit JSON ``null`` where a field has no type at all.

Only ``DataTransferRequest.data`` and ``DataTransferResponse.data`` can hold it: their
schema accepts any JSON value, ``null`` included, while ``None`` means "absent".
"""


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


class FieldSpec:
    """Base of all field specs.  Subclasses define :meth:`check` and :meth:`explain`.

    ``optional`` is True for a property that may be absent (``None`` in Python); see
    :func:`Opt`.  Subclasses override ``__call__`` with an inlined test of the common
    valid case, falling back to :meth:`fail` to say what is wrong.
    """

    __slots__ = ("optional",)

    def __init__(self) -> None:
        self.optional = False

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value is None and self.optional:
            return
        self.fail(instance, attribute, value)

    def fail(self, instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        """Raise ValidationError for ``value`` if :meth:`check` finds a problem."""
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

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        """Append to ``out`` every problem of the JSON value ``data`` at ``path``."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short name of the expected value, for messages."""
        raise NotImplementedError


class String(FieldSpec):
    """A JSON string, optionally with a ``maxLength`` (counted in code points)."""

    __slots__ = ("max_length",)

    def __init__(self, max_length: int | None = None) -> None:
        super().__init__()
        self.max_length = max_length

    def __repr__(self) -> str:
        return f"String({self.max_length!r})"

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value.__class__ is str:
            if self.max_length is None or len(value) <= self.max_length:
                return
        elif value is None and self.optional:
            return
        self.fail(instance, attribute, value)

    def describe(self) -> str:
        return "a string" if self.max_length is None else f"a string[{self.max_length}]"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, str):
            return _TYPE, f"expected a string, got {_short(value)}"
        if self.max_length is not None and len(value) > self.max_length:
            return _TYPE, f"string longer than {self.max_length} characters"
        return None

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        if type(data) is not str:
            out.append(
                Problem(path, _TYPE, f"expected a string, got {_json_type(data)}")
            )
        elif self.max_length is not None and len(data) > self.max_length:
            out.append(
                Problem(
                    path,
                    _TYPE,
                    f"string of {len(data)} characters is longer than "
                    f"maxLength {self.max_length}",
                )
            )


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

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value.__class__ is int:
            if self.low <= value <= self.high:
                return
        elif value is None and self.optional:
            return
        self.fail(instance, attribute, value)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(minimum={self.minimum!r}, maximum={self.maximum!r})"
        )

    def _range(self, value: float) -> str | None:
        if self.minimum is not None and value < self.minimum:
            return f"{value!r} is less than the minimum {self.minimum!r}"
        if self.maximum is not None and value > self.maximum:
            return f"{value!r} is greater than the maximum {self.maximum!r}"
        return None

    def _is_json_kind(self, data: Any) -> bool:
        raise NotImplementedError

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        if not self._is_json_kind(data):
            out.append(
                Problem(
                    path, _TYPE, f"expected {self.describe()}, got {_json_type(data)}"
                )
            )
            return
        message = self._range(data)
        if message is not None:
            out.append(Problem(path, _PROPERTY, message))


class Integer(_Numeric):
    """A JSON integer.  ``true`` is not an integer; ``1.0`` is one (draft-06)."""

    __slots__ = ()

    def describe(self) -> str:
        return "an integer"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if type(value) is not int and (
            not isinstance(value, int) or isinstance(value, bool)
        ):
            return _TYPE, f"expected an integer, got {_short(value)}"
        message = self._range(value)
        return None if message is None else (_PROPERTY, message)

    def _is_json_kind(self, data: Any) -> bool:
        kind = type(data)
        return kind is int or (
            kind is float and math.isfinite(data) and data.is_integer()
        )


class Number(_Numeric):
    """A JSON number: an integer or a finite float, never a boolean."""

    __slots__ = ()

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        kind = value.__class__
        if kind is float:
            if self.low <= value <= self.high and -math.inf < value < math.inf:
                return  # NaN fails every comparison
        elif kind is int:
            if self.low <= value <= self.high:
                return
        elif value is None and self.optional:
            return
        self.fail(instance, attribute, value)

    def describe(self) -> str:
        return "a number"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return _TYPE, f"expected a number, got {_short(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return _TYPE, f"{value!r} is not a JSON number"
        message = self._range(value)
        return None if message is None else (_PROPERTY, message)

    def _is_json_kind(self, data: Any) -> bool:
        kind = type(data)
        return kind is int or (kind is float and math.isfinite(data))


class Boolean(FieldSpec):
    """A JSON boolean."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Boolean()"

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value.__class__ is not bool and (value is not None or not self.optional):
            self.fail(instance, attribute, value)

    def describe(self) -> str:
        return "a boolean"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, bool):
            return _TYPE, f"expected a boolean, got {_short(value)}"
        return None

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        if type(data) is not bool:
            out.append(
                Problem(path, _TYPE, f"expected a boolean, got {_json_type(data)}")
            )


# RFC 3339 date-time (section 5.6), as the JSON schema "date-time" format: no leap
# seconds, year 0000 refused, upper- or lower-case T and Z.
_DATETIME = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(\d{2})[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)"
    r"(?:\.(\d+))?(?:([Zz])|([+-])([01]\d|2[0-3]):([0-5]\d))",
    re.ASCII,
)
_OFFSETS: dict[int, timezone] = {0: timezone.utc}


def parse_datetime(text: str) -> datetime:
    """Parse an RFC 3339 date-time into a timezone-aware :class:`datetime`.

    Fractional seconds beyond microseconds are truncated.  Raises :class:`ValueError`
    for anything that is not a valid RFC 3339 date-time.
    """
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = (
        match.groups()
    )
    if zulu is not None:
        tz = timezone.utc
    else:
        minutes = int(oh) * 60 + int(om)
        if sign == "-":
            minutes = -minutes
        tz = _OFFSETS.get(minutes) or _OFFSETS.setdefault(
            minutes, timezone(timedelta(minutes=minutes))
        )
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    # datetime() refuses year 0 and days that do not exist (2023-02-29).
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
    )


def format_datetime(value: datetime) -> str:
    """Format a timezone-aware datetime as Part 2 section 2.1.4 asks.

    RFC 3339, at most 3 fractional digits (omitted when there are no milliseconds), and
    ``Z`` for a zero offset; any other offset is kept as ``+hh:mm``.
    """
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{value!r} has no timezone; OCPP date-times need one")
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    millis = value.microsecond // 1000
    if millis:
        text += f".{millis:03d}"
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


class DateTime(FieldSpec):
    """A ``format: date-time`` string; in Python a timezone-aware datetime."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DateTime()"

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value.__class__ is datetime and value.tzinfo is timezone.utc:
            return
        self.fail(instance, attribute, value)

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

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        if type(data) is not str:
            out.append(
                Problem(
                    path, _TYPE, f"expected a date-time string, got {_json_type(data)}"
                )
            )
            return
        try:
            parse_datetime(data)
        except ValueError:
            out.append(
                Problem(path, _TYPE, f"{_short(data)} is not an RFC 3339 date-time")
            )


class EnumOf(FieldSpec):
    """A string limited to the values of an enumeration."""

    __slots__ = ("enum",)

    def __init__(self, enum_type: type[enum.Enum]) -> None:
        super().__init__()
        self.enum = enum_type

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value.__class__ is not self.enum and (
            value is not None or not self.optional
        ):
            self.fail(instance, attribute, value)

    def __repr__(self) -> str:
        return f"EnumOf({self.enum.__name__})"

    def describe(self) -> str:
        return f"a {self.enum.__name__}"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, self.enum):
            if isinstance(value, str) and value in self.enum._value2member_map_:
                hint = f"; use {self.enum.__name__}({value!r})"
                return _TYPE, f"expected a {self.enum.__name__}, got a plain str{hint}"
            return _TYPE, f"expected a {self.enum.__name__}, got {_short(value)}"
        return None

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        if type(data) is not str:
            out.append(
                Problem(path, _TYPE, f"expected a string, got {_json_type(data)}")
            )
        elif data not in self.enum._value2member_map_:
            out.append(
                Problem(
                    path,
                    _PROPERTY,
                    f"{_short(data)} is not a valid {self.enum.__name__}",
                )
            )


@attrs.frozen
class _Property:
    attribute: str
    wire: str
    spec: FieldSpec
    required: bool


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

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value.__class__ is not self.cls and (value is not None or not self.optional):
            self.fail(instance, attribute, value)

    def __repr__(self) -> str:
        return f"ObjectOf({self.cls.__name__})"

    def describe(self) -> str:
        return f"a {self.cls.__name__}"

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, self.cls):
            return _TYPE, f"expected a {self.cls.__name__}, got {_short(value)}"
        return None

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        explain_object(self.cls, data, path, out)


def explain_object(cls: type, data: Any, path: str, out: list[Problem]) -> None:
    """List the problems of ``data`` as a JSON object of class ``cls``.

    Problems come in document order: the object's own missing properties first, then
    its members in the order the document has them.
    """
    if type(data) is not dict:
        out.append(
            Problem(
                path,
                _TYPE,
                f"expected an object ({cls.__name__}), got {_json_type(data)}",
            )
        )
        return
    props, extra = properties(cls)
    by_wire = {p.wire: p for p in props}
    for prop in props:
        if prop.required and prop.wire not in data:
            out.append(
                Problem(
                    f"{path}.{prop.wire}",
                    _OCCURRENCE,
                    f"required property {prop.wire!r} is missing",
                )
            )
    for key, value in data.items():
        found = by_wire.get(key)
        member = (
            f"{path}.{key}" if _PLAIN_KEY.fullmatch(str(key)) else f"{path}[{key!r}]"
        )
        if found is not None:
            found.spec.explain(value, member, out)
        elif extra is not None:
            ANY_JSON.explain(value, member, out)
        else:
            out.append(
                Problem(member, _PROTOCOL, f"property {key!r} is not in {cls.__name__}")
            )


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

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        if value.__class__ is list:
            item = self.item
            if isinstance(item, (ObjectOf, EnumOf)):
                # The common case, a list of objects or enum members, inlined.
                expected = item.cls if isinstance(item, ObjectOf) else item.enum
                if self._count(len(value)) is None and all(
                    v.__class__ is expected for v in value
                ):
                    return
        elif value is None and self.optional:
            return
        self.fail(instance, attribute, value)

    def describe(self) -> str:
        return f"a list of {self.item.describe()}"

    def _count(self, size: int) -> str | None:
        if self.min_items is not None and size < self.min_items:
            return f"{size} items, fewer than minItems {self.min_items}"
        if self.max_items is not None and size > self.max_items:
            return f"{size} items, more than maxItems {self.max_items}"
        return None

    def check(self, value: Any) -> tuple[ErrorCode, str] | None:
        if not isinstance(value, list):
            return _TYPE, f"expected a list, got {_short(value)}"
        message = self._count(len(value))
        if message is not None:
            return _OCCURRENCE, message
        for index, item in enumerate(value):
            found = self.item.check(item)
            if found is not None:
                return found[0], f"[{index}]: {found[1]}"
        return None

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        if type(data) is not list:
            out.append(
                Problem(path, _TYPE, f"expected an array, got {_json_type(data)}")
            )
            return
        message = self._count(len(data))
        if message is not None:
            out.append(Problem(path, _OCCURRENCE, message))
        for index, item in enumerate(data):
            self.item.explain(item, f"{path}[{index}]", out)


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

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        message = json_problem(data)
        if message is not None:
            out.append(Problem(path, _TYPE, message))


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

    def explain(self, data: Any, path: str, out: list[Problem]) -> None:
        raise AssertionError("extra keys are explained by their object")
