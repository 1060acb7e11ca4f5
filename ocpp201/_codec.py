"""The codec: message objects <-> JSON-ready payloads.

Decoding has two paths.

* The fast path runs the decoder ``python -m codegen`` wrote for the class (next to
  it in ``datatypes.py`` / ``messages.py``): straight-line Python with every schema
  check inlined -- exact JSON types (``true`` is not an integer, ``null`` is never an
  absent field), string lengths, ranges, enumeration values, date-times, item counts,
  unknown keys.  It builds the object without re-running the attrs validators, whose
  checks it has already made.
* When the fast path refuses the payload (or the class has no generated decoder: a
  custom action's), the interpretive path of ``ocpp201._schema`` walks the payload
  against the field specs.  Strict, it lists every problem with its JSON path and the
  Part 4 error code.  Tolerant (``tolerant=True``), it keeps over-long strings, keeps
  enumeration values the schema does not list as :class:`UnknownEnumValue`, drops
  properties the schema does not know, and returns each deviation it tolerated.

Encoding runs the generated encoder (or the interpretive one).  Our own outgoing
objects are checked without decoding them again: attrs validators have checked every
field when it was set, so only what can change behind their back is looked at (lists,
untyped values, extra keys); while any object a tolerant decoding built is alive,
every outgoing object is checked in full (it might hold one).
"""

from __future__ import annotations

import contextlib
import functools
import sys
import weakref
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import attrs

from ._errors import ErrorCode, Problem, ValidationError
from ._schema import (
    AnyJson,
    ArrayOf,
    FieldSpec,
    ObjectOf,
    Walk,
    check_object,
    decode_object,
    encode_object,
    properties,
)

__all__ = ["check_outgoing", "decode_payload", "from_payload", "to_payload"]

T = TypeVar("T")

_Decoder = Callable[[Any], Any]
_Encoder = Callable[[Any], dict[str, Any]]
# Objects built by a tolerant decoding, by id (attrs classes are not hashable).
_TOLERATED: dict[int, weakref.ref[Any]] = {}


@cache
def _generated(cls: type) -> tuple[_Decoder, _Encoder] | None:
    """The generated decoder and encoder of ``cls`` (None for other classes)."""
    module = sys.modules.get(cls.__module__)
    table: dict[type, tuple[_Decoder, _Encoder]] = getattr(module, "_CODECS", {})
    return table.get(cls)


def decode_payload(
    cls: type[T], data: Any, *, tolerant: bool = False
) -> tuple[T, tuple[Problem, ...]]:
    """Build an object of class ``cls`` from a JSON payload.

    Strict (the default), this is :func:`from_payload` and the second item is ``()``.
    With ``tolerant=True`` an over-long string is kept, an enumeration value the
    schema does not list is kept as an :class:`UnknownEnumValue`, and a property the
    schema does not know is dropped; the second item lists each such deviation with
    its JSON path.  Every other problem still raises :class:`ValidationError`.
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
    codecs = _generated(cls)  # type: ignore[arg-type]  # (no cast() call)
    fast_error: Exception | None = None
    if codecs is not None:
        try:
            return codecs[0](data), ()
        except Exception as exc:
            fast_error = exc
    walk = Walk(tolerant)
    obj: T = decode_object(cls, data, "$", walk)
    if walk.problems:
        raise ValidationError(walk.problems, type_name=cls.__name__) from None
    if walk.tolerated:
        _remember_tolerated(obj)
    elif fast_error is not None:
        # The fast path refused what the schema walk accepts: a bug in ocpp201,
        # never the peer's fault.
        raise RuntimeError(
            f"ocpp201 internal error: could not decode a valid {cls.__name__}"
        ) from fast_error
    return obj, tuple(walk.tolerated)


def from_payload(cls: type[T], data: Any, *, tolerant: bool = False) -> T:
    """Build an object of class ``cls`` from a JSON payload, strictly by default.

    Accepts exactly what the official schema of ``cls`` accepts.  Otherwise raises
    :class:`ValidationError` with every problem found (each with its JSON path) and
    the RPC error code of the first one in document order.  ``tolerant=True``: see
    :func:`decode_payload` (which also returns what was tolerated).
    """
    return decode_payload(cls, data, tolerant=tolerant)[0]


def to_payload(obj: Any, *, check: bool = False) -> dict[str, Any]:
    """The JSON-ready wire form of a message or datatype object.

    Keys are the schema's (camelCase) names, enums their values, date-times RFC 3339
    strings with at most 3 fractional digits (``Z`` for UTC), and absent (``None``)
    fields are omitted.  The result can be passed to :func:`json.dumps` as it is.
    ``check=True`` first runs :func:`check_outgoing`.
    """
    cls: type = obj.__class__
    codecs = _generated(cls)
    if codecs is None and not attrs.has(cls):
        raise TypeError(f"to_payload() takes a message or datatype object, not {obj!r}")
    if check:
        check_outgoing(obj)
    if codecs is not None:
        return codecs[1](obj)
    return encode_object(obj)


def check_outgoing(obj: Any) -> None:
    """Raise :class:`ValidationError` unless ``obj`` is valid under its schema.

    Fields were checked by their attrs validators when set; this looks only at what
    can have changed since (list contents, untyped values, extra keys) -- unless
    an object built by a tolerant decoding is alive (it could be inside ``obj``):
    then ``obj`` is checked in full.
    """
    if not _TOLERATED:
        for attribute, _, spec in _changeable(obj.__class__):
            if spec is None or getattr(obj, attribute) is not None:  # None: extras
                break
        else:
            return  # nothing to look at: every such field is None
    problems: list[Problem] = []
    if _TOLERATED:
        # Some object a tolerant decoding built is alive: it may be nested in
        # ``obj`` (a field validator checks the type of a nested object, not its
        # contents), so check ``obj`` in full.
        check_object(obj, "$", problems)
    else:
        _check_changeable(obj, "$", problems)
    if problems:
        raise ValidationError(problems, type_name=type(obj).__name__)


@cache
def _changeable(cls: type) -> tuple[tuple[str, str, FieldSpec | None], ...]:
    """(attribute, wire, spec) of the fields of ``cls`` whose value can change
    without a validator seeing it; the extra-keys field has spec ``None``."""
    props, extra = properties(cls)
    found: list[tuple[str, str, FieldSpec | None]] = []
    for prop in props:
        spec = prop.spec
        inner = spec.item if isinstance(spec, ArrayOf) else spec
        if isinstance(spec, (ArrayOf, AnyJson)) or (
            isinstance(inner, ObjectOf) and _changeable(inner.cls)
        ):
            found.append((prop.attribute, prop.wire, spec))
    if extra is not None:
        found.append((extra, "", None))
    return tuple(found)


def _check_changeable(obj: Any, path: str, out: list[Problem]) -> None:
    for attribute, wire, spec in _changeable(obj.__class__):
        value = getattr(obj, attribute)
        if spec is None:  # extra keys: checked with their object
            problems: list[Problem] = []
            check_object(obj, path, problems)
            out.extend(problems)
            continue
        if value is None:
            continue
        where = f"{path}.{wire}"
        found = spec.check(value)
        if found is not None:
            out.append(Problem(where, *found))
        elif isinstance(spec, ObjectOf):
            _check_changeable(value, where, out)
        elif isinstance(spec, ArrayOf) and isinstance(spec.item, ObjectOf):
            for index, item in enumerate(value):
                _check_changeable(item, f"{where}[{index}]", out)


def _forget(key: int, _: object) -> None:
    _TOLERATED.pop(key, None)


def _remember_tolerated(obj: Any) -> None:
    """Mark ``obj`` and the objects inside it: never sent without a full check."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not attrs.has(item.__class__):
            continue
        key = id(item)
        with contextlib.suppress(TypeError):  # a class without a weakref slot
            _TOLERATED[key] = weakref.ref(item, functools.partial(_forget, key))
        stack.extend(getattr(item, p.attribute) for p in properties(item.__class__)[0])
