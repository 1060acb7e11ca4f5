"""The codec: message objects <-> JSON-ready payloads, on one cattrs ``Converter``.

Decoding has two paths.

* The fast path runs a structure hook compiled once per class (registered on the one
  :data:`converter`).  The hook is straight-line Python with every schema check
  inlined: exact JSON types (``true`` is not an integer, ``null`` is never an absent
  field), string lengths, ranges, enumeration values, date-times, item counts,
  unknown keys.  It builds the object without re-running the attrs validators, whose
  checks it has already made.
* Only when the fast path fails does the slow path walk the payload against the field
  specs (``ocpp201._schema``) to list every problem with its JSON path and pick the
  Part 4 error code.  Errors are rare; their explanation may be slow.

Encoding runs an unstructure hook compiled the same way.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, TypeVar

import attrs
from cattrs import Converter

from ._errors import ErrorCode, Problem, ValidationError
from ._schema import (
    JSON_NULL,
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
    explain_object,
    format_datetime,
    json_problem,
    parse_datetime,
    properties,
)

__all__ = ["converter", "from_payload", "to_payload"]

T = TypeVar("T")


class _Refused(Exception):  # noqa: N818 -- control flow, never seen outside
    """Raised inside a compiled hook: the value is not valid (details: slow path)."""


def _integer(value: Any) -> int:
    # Draft-06: 1.0 is an integer; 1.5, "1" and true are not.
    if value.__class__ is float and value.is_integer():
        return int(value)
    raise _Refused


def _any_json(value: Any) -> Any:
    if value is None:
        return JSON_NULL
    if json_problem(value) is not None:
        raise _Refused
    return value


def _item_converter(spec: FieldSpec, conv: Converter) -> Any:
    """A function checking and converting one array item (arrays are rare)."""
    if isinstance(spec, ObjectOf):
        hook = conv.get_structure_hook(spec.cls)
        return lambda value: hook(value, None)
    if isinstance(spec, EnumOf):
        members = spec.enum._value2member_map_
        return members.__getitem__
    if isinstance(spec, String):
        limit = math.inf if spec.max_length is None else spec.max_length

        def string(value: Any) -> Any:
            if value.__class__ is not str or len(value) > limit:
                raise _Refused
            return value

        return string
    if isinstance(spec, Integer):
        low, high = spec.low, spec.high

        def integer(value: Any) -> Any:
            if value.__class__ is not int:
                value = _integer(value)
            if not low <= value <= high:
                raise _Refused
            return value

        return integer
    if isinstance(spec, Number):
        low, high = spec.low, spec.high

        def number(value: Any) -> Any:
            kind = value.__class__
            if kind is not float and kind is not int:
                raise _Refused
            if not (low <= value <= high and -math.inf < value < math.inf):
                raise _Refused  # NaN fails every comparison
            return value

        return number
    if isinstance(spec, Boolean):

        def boolean(value: Any) -> Any:
            if value.__class__ is not bool:
                raise _Refused
            return value

        return boolean
    if isinstance(spec, DateTime):
        return parse_datetime
    if isinstance(spec, AnyJson):
        return _any_json
    raise TypeError(f"no array item converter for {spec!r}")  # arrays of arrays


class _Source:
    """Accumulates the source of one compiled hook and the names it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}

    def name(self, value: Any, prefix: str) -> str:
        key = f"{prefix}{len(self.names)}"
        self.names[key] = value
        return key

    def add(self, line: str, depth: int) -> None:
        self.lines.append("    " * depth + line)

    def compile(self, func: str, filename: str) -> Any:
        code = compile("\n".join(self.lines) + "\n", filename, "exec")
        namespace = dict(self.names)
        exec(code, namespace)
        return namespace[func]


def _check_value(src: _Source, spec: FieldSpec, conv: Converter, depth: int) -> None:
    """Emit lines that check ``v`` against ``spec`` and convert it in place."""
    if isinstance(spec, String):
        if spec.max_length is None:
            src.add("if v.__class__ is not str: raise Refused", depth)
        else:
            src.add(
                f"if v.__class__ is not str or len(v) > {spec.max_length}:"
                " raise Refused",
                depth,
            )
    elif isinstance(spec, Integer):
        src.add("if v.__class__ is not int: v = integer(v)", depth)
        if spec.minimum is not None or spec.maximum is not None:
            src.add(f"if not {spec.low!r} <= v <= {spec.high!r}: raise Refused", depth)
    elif isinstance(spec, Number):
        src.add("c = v.__class__", depth)
        src.add("if c is not float and c is not int: raise Refused", depth)
        # Strict comparisons with the infinities refuse them; NaN fails any of them.
        low = "-inf <" if spec.minimum is None else f"{spec.minimum!r} <="
        high = "< inf" if spec.maximum is None else f"<= {spec.maximum!r}"
        src.add(f"if not {low} v {high}: raise Refused", depth)
    elif isinstance(spec, Boolean):
        src.add("if v.__class__ is not bool: raise Refused", depth)
    elif isinstance(spec, DateTime):
        src.add("v = parse_datetime(v)", depth)
    elif isinstance(spec, EnumOf):
        members = src.name(spec.enum._value2member_map_, "M")
        src.add(f"v = {members}[v]", depth)
    elif isinstance(spec, ObjectOf):
        hook = src.name(conv.get_structure_hook(spec.cls), "H")
        src.add(f"v = {hook}(v, None)", depth)
    elif isinstance(spec, ArrayOf):
        fewest = spec.min_items or 0
        most = "inf" if spec.max_items is None else str(spec.max_items)
        src.add(
            f"if v.__class__ is not list or not {fewest} <= len(v) <= {most}:"
            " raise Refused",
            depth,
        )
        item = src.name(_item_converter(spec.item, conv), "I")
        src.add(f"v = [{item}(x) for x in v]", depth)
    elif isinstance(spec, AnyJson):
        src.add("v = any_json(v)", depth)
    else:
        raise TypeError(f"cannot compile a check for {spec!r}")


def _structure_hook(conv: Converter, cls: type) -> Any:
    """Compile the strict structure hook of a generated class."""
    props, extra = properties(cls)
    src = _Source()
    src.names.update(
        Refused=_Refused,
        integer=_integer,
        any_json=_any_json,
        json_problem=json_problem,
        parse_datetime=parse_datetime,
        inf=math.inf,
        new=object.__new__,
        setattr=object.__setattr__,
        cls=cls,
    )
    allowed = src.name(frozenset(p.wire for p in props), "K")
    func = f"structure_{cls.__name__}"
    src.add(f"def {func}(o, _=None):", 0)
    src.add("if o.__class__ is not dict: raise Refused", 1)
    if extra is None:
        src.add(f"if not o.keys() <= {allowed}: raise Refused", 1)
    src.add("self = new(cls)", 1)
    for prop in props:
        wire = repr(prop.wire)
        if prop.required:
            src.add(f"v = o[{wire}]", 1)  # KeyError when missing
            _check_value(src, prop.spec, conv, 1)
        else:
            src.add(f"if {wire} in o:", 1)
            src.add(f"v = o[{wire}]", 2)
            _check_value(src, prop.spec, conv, 2)
            src.add("else:", 1)
            src.add("v = None", 2)
        src.add(f"setattr(self, {prop.attribute!r}, v)", 1)
    if extra is not None:
        src.add(f"setattr(self, {extra!r}, {{k: x for k, x in o.items() "
                f"if k not in {allowed}}})", 1)  # fmt: skip
        src.add(f"if json_problem(self.{extra}) is not None: raise Refused", 1)
    src.add("return self", 1)
    return src.compile(func, f"<ocpp201 structure {cls.__qualname__}>")


def _unstructure_value(src: _Source, spec: FieldSpec, conv: Converter) -> str:
    """An expression converting ``v`` (valid for ``spec``) to its JSON form."""
    if isinstance(spec, (String, Integer, Number, Boolean)):
        return "v"
    if isinstance(spec, DateTime):
        return "format_datetime(v)"
    if isinstance(spec, EnumOf):
        return "v._value_"
    if isinstance(spec, ObjectOf):
        return f"{src.name(conv.get_unstructure_hook(spec.cls), 'U')}(v)"
    if isinstance(spec, ArrayOf):
        item = spec.item
        if isinstance(item, ObjectOf):
            hook = src.name(conv.get_unstructure_hook(item.cls), "U")
            return f"[{hook}(x) for x in v]"
        if isinstance(item, EnumOf):
            return "[x._value_ for x in v]"
        if isinstance(item, DateTime):
            return "[format_datetime(x) for x in v]"
        if isinstance(item, AnyJson):
            return "[None if x is JSON_NULL else x for x in v]"
        return "list(v)"
    if isinstance(spec, AnyJson):
        return "None if v is JSON_NULL else v"
    raise TypeError(f"cannot compile an encoding for {spec!r}")


def _unstructure_hook(conv: Converter, cls: type) -> Any:
    """Compile the unstructure hook of a generated class."""
    props, extra = properties(cls)
    src = _Source()
    src.names.update(format_datetime=format_datetime, JSON_NULL=JSON_NULL)
    func = f"unstructure_{cls.__name__}"
    src.add(f"def {func}(obj):", 0)
    src.add("res = {}", 1)
    for prop in props:
        src.add(f"v = obj.{prop.attribute}", 1)
        value = _unstructure_value(src, prop.spec, conv)
        if prop.required:
            src.add(f"res[{prop.wire!r}] = {value}", 1)
        else:
            src.add("if v is not None:", 1)
            src.add(f"res[{prop.wire!r}] = {value}", 2)
    if extra is not None:
        src.add(f"res.update(obj.{extra})", 1)
    src.add("return res", 1)
    return src.compile(func, f"<ocpp201 unstructure {cls.__qualname__}>")


def _is_generated(cls: Any) -> bool:
    return isinstance(cls, type) and attrs.has(cls)


def _make_converter() -> Converter:
    conv = Converter(detailed_validation=False, forbid_extra_keys=True)
    conv.register_structure_hook_factory(
        _is_generated, lambda cls: _structure_hook(conv, cls)
    )
    conv.register_unstructure_hook_factory(
        _is_generated, lambda cls: _unstructure_hook(conv, cls)
    )
    conv.register_unstructure_hook(datetime, format_datetime)
    return conv


converter: Converter = _make_converter()
"""The one configured cattrs converter behind :func:`to_payload` / :func:`from_payload`.

Its hooks for the generated classes are compiled on first use and reused."""


def to_payload(obj: Any) -> dict[str, Any]:
    """The JSON-ready wire form of a message or datatype object.

    Keys are the schema's (camelCase) names, enums their values, date-times RFC 3339
    strings with at most 3 fractional digits (``Z`` for UTC), and absent (``None``)
    fields are omitted.  The result can be passed to :func:`json.dumps` as it is.
    """
    if not attrs.has(type(obj)):
        raise TypeError(f"to_payload() takes a message or datatype object, not {obj!r}")
    result: dict[str, Any] = converter.unstructure(obj)
    return result


def from_payload(cls: type[T], data: Any) -> T:
    """Build an object of class ``cls`` from a JSON payload, strictly.

    Accepts exactly what the official schema of ``cls`` accepts.  Otherwise raises
    :class:`ValidationError` with every problem found (each with its JSON path) and
    the RPC error code of the first one in document order.
    """
    if type(data) is not dict:
        raise ValidationError(
            [
                Problem(
                    "$", ErrorCode.FORMAT_VIOLATION, "the payload is not a JSON object"
                )
            ],
            type_name=cls.__name__,
        )
    try:
        return converter.structure(data, cls)
    except Exception as fast_error:
        problems: list[Problem] = []
        explain_object(cls, data, "$", problems)
        if not problems:
            # The fast path refused what the schema walk accepts: a bug in ocpp201,
            # never the peer's fault.
            raise RuntimeError(
                f"ocpp201 internal error: could not decode a valid {cls.__name__}"
            ) from fast_error
        raise ValidationError(problems, type_name=cls.__name__) from None
