"""Hypothesis strategies for the JSON-schema subset the OCPP 2.0.1 schemas use.

Supported keywords: ``type`` (object, string, integer, number, boolean, array),
``properties``, ``required``, ``additionalProperties: false``, ``$ref`` to
``#/definitions/...``, ``enum``, ``maxLength``, ``minItems``, ``maxItems``, ``items``,
``minimum``, ``maximum``, ``format: date-time``, and nodes without ``type`` (any JSON
value, as DataTransfer ``data``).  An object schema *without*
``additionalProperties: false`` (only ``CustomDataType``) gets extra vendor keys with
arbitrary JSON values.  ``additionalItems`` is ignored: with an object-valued
``items`` it has no effect in draft-06.

hypothesis-jsonschema is deliberately not used (it fails on the ``urn:`` ``$id`` of
the OCPP schemas and crashes with current Hypothesis releases).

The module also has the schema walker the tests share: :func:`iter_nodes` visits every
value of a payload together with the (resolved) schema node that describes it, and
:func:`same_payload` compares two payloads the way the round-trip tests need (numbers by
value, date-times as instants).
"""

from __future__ import annotations

import calendar
import functools
import math
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import oracle
from hypothesis import strategies as st

__all__ = [
    "JSONPath",
    "SchemaStrategies",
    "date_time_instant",
    "format_path",
    "is_open_object",
    "iter_nodes",
    "payloads",
    "json_values",
    "node_type",
    "resolve",
    "rfc3339_date_times",
    "same_payload",
]

Schema = dict[str, Any]
JSONPath = tuple["str | int", ...]

# Characters for generated strings: anything but lone surrogates (which cannot be
# encoded as UTF-8 and so never arrive in a JSON text).
_CHARS = st.characters(exclude_categories=("Cs",))
_TEXT_CAP = 24  # typical generated string length; boundary lengths come separately


def resolve(root: Schema, node: Schema) -> Schema:
    """Follow ``$ref`` (only ``#/definitions/<Name>`` occurs) to the node it names."""
    while "$ref" in node:
        ref = node["$ref"]
        prefix = "#/definitions/"
        if not ref.startswith(prefix):
            raise ValueError(f"unsupported $ref {ref!r}")
        node = root["definitions"][ref[len(prefix) :]]
    return node


def node_type(node: Schema) -> str | None:
    """The JSON type of a resolved node, or None for "any JSON value"."""
    t = node.get("type")
    if t is None:
        return None
    if not isinstance(t, str):
        raise ValueError(f"unsupported type {t!r}")
    return t


def is_open_object(node: Schema) -> bool:
    """True for an object schema that allows extra keys (``CustomDataType``)."""
    return (
        node.get("type") == "object" and node.get("additionalProperties") is not False
    )


def format_path(path: JSONPath) -> str:
    """``("meterValue", 0, "value")`` -> ``"$.meterValue[0].value"``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


# --------------------------------------------------------------------------- values


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, numbers, strings, arrays, objects (nested)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(_CHARS, max_size=12)
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(_CHARS, max_size=8), children, max_size=3)
        ),
        max_leaves=max_leaves,
    )


@st.composite
def rfc3339_date_times(draw: st.DrawFn) -> str:
    """Valid RFC 3339 date-times as OCPP sends them.

    At most 3 fractional digits; ``Z``/``z`` or a numeric offset (``-00:00`` too);
    sometimes a lower-case ``t`` separator.  Never a trailing newline, never a leap
    second, never year 0.  Instants that would fall outside Python's datetime range
    (year 1 with a positive offset, year 9999 with a negative one) are not generated.
    """
    year = draw(st.one_of(st.integers(1970, 2100), st.integers(1, 9999)))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    hour = draw(st.integers(0, 23))
    minute = draw(st.integers(0, 59))
    second = draw(st.integers(0, 59))
    digits = draw(st.integers(0, 3))
    frac = "." + "".join(draw(st.text("0123456789", min_size=digits, max_size=digits)))
    frac = frac if digits else ""
    sep = draw(st.sampled_from("Tt"))
    edge = year in (1, 9999)
    zone = draw(
        st.sampled_from(["Z", "z"])
        if edge
        else st.one_of(
            st.sampled_from(["Z", "z"]),
            st.builds(
                "{}{:02d}:{:02d}".format,
                st.sampled_from("+-"),
                st.integers(0, 23),
                st.integers(0, 59),
            ),
        )
    )
    return (
        f"{year:04d}-{month:02d}-{day:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}"
        f"{frac}{zone}"
    )


def _strings(max_length: int | None) -> st.SearchStrategy[str]:
    if max_length is None:
        return st.text(_CHARS, max_size=_TEXT_CAP)
    short = st.text(_CHARS, max_size=min(max_length, _TEXT_CAP))
    # exactly maxLength code points (possibly non-ASCII): must be accepted
    exact = st.tuples(st.text(_CHARS, max_size=4), _CHARS).map(
        lambda t: (t[0] + t[1] * max_length)[:max_length]
    )
    return st.one_of(short, exact)


def _integers(node: Schema) -> st.SearchStrategy[int | float]:
    lo = node.get("minimum")
    hi = node.get("maximum")
    lo_i = None if lo is None else math.ceil(lo)
    hi_i = None if hi is None else math.floor(hi)
    ints = st.integers(min_value=lo_i, max_value=hi_i)
    # In draft-06 an integral float such as 1.0 is a valid integer.
    small_lo = max(lo_i, -(2**53)) if lo_i is not None else -(2**53)
    small_hi = min(hi_i, 2**53) if hi_i is not None else 2**53
    integral_floats = st.integers(small_lo, small_hi).map(float)
    return st.one_of(ints, integral_floats)


def _numbers(node: Schema) -> st.SearchStrategy[int | float]:
    lo = node.get("minimum")
    hi = node.get("maximum")
    return st.one_of(
        st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False),
        _integers(node),
    )


_VENDOR_KEY_TRAPS = [
    "vendor_id",  # the snake_case attribute name of vendorId
    "VendorId",
    "vendorID",
    "extra",
    "customData",
    "__class__",
    "",
    "null",
    "a.b[0]",
]


def _vendor_keys(taken: set[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(_VENDOR_KEY_TRAPS), st.text(_CHARS, max_size=10)
    ).filter(lambda k: k not in taken)


# ------------------------------------------------------------------------ strategies


class SchemaStrategies:
    """Builds (and caches) a strategy for every node of one schema file."""

    def __init__(self, root: Schema) -> None:
        self.root = root
        self._cache: dict[int, st.SearchStrategy[Any]] = {}

    def payloads(self) -> st.SearchStrategy[dict[str, Any]]:
        """Valid payloads for the whole schema."""
        return self.for_node(self.root)

    def for_node(self, node: Schema) -> st.SearchStrategy[Any]:
        node = resolve(self.root, node)
        key = id(node)
        if key not in self._cache:
            self._cache[key] = self._build(node)
        return self._cache[key]

    def _build(self, node: Schema) -> st.SearchStrategy[Any]:
        if "enum" in node:
            return st.sampled_from(node["enum"])
        t = node_type(node)
        if t is None:
            return json_values()
        if t == "string":
            if node.get("format") == "date-time":
                return rfc3339_date_times()
            if "format" in node:
                raise ValueError(f"unsupported format {node['format']!r}")
            return _strings(node.get("maxLength"))
        if t == "integer":
            return _integers(node)
        if t == "number":
            return _numbers(node)
        if t == "boolean":
            return st.booleans()
        if t == "array":
            return self._array(node)
        if t == "object":
            return self._object(node)
        raise ValueError(f"unsupported type {t!r}")

    def _array(self, node: Schema) -> st.SearchStrategy[list[Any]]:
        items = self.for_node(node["items"])
        lo = node.get("minItems", 0)
        hi = node.get("maxItems")
        cap = lo + 2 if hi is None else min(hi, lo + 2)
        # Long arrays (maxItems is 1024 for some, nested in each other) would make
        # payloads huge and slow; the mutation tests probe exactly maxItems and
        # maxItems + 1 at single spots instead.
        return st.lists(items, min_size=lo, max_size=cap)

    def _object(self, node: Schema) -> st.SearchStrategy[dict[str, Any]]:
        props: dict[str, Schema] = node.get("properties", {})
        required: list[str] = node.get("required", [])
        missing = set(required) - set(props)
        if missing:
            raise ValueError(f"required but not in properties: {missing}")
        req = {k: self.for_node(props[k]) for k in required}
        opt = {k: self.for_node(v) for k, v in props.items() if k not in required}
        subset = st.fixed_dictionaries(req, optional=opt)
        # Half of the time every optional property is present, so that deeply
        # nested spots exist often enough for the mutation tests.
        base = (
            st.one_of(subset, st.fixed_dictionaries({**req, **opt})) if opt else subset
        )
        if not is_open_object(node):
            return base
        extras = st.dictionaries(
            _vendor_keys(set(props)), json_values(max_leaves=4), max_size=2
        )
        return st.tuples(base, extras).map(lambda t: {**t[0], **t[1]})


# ---------------------------------------------------------------------------- walking


def iter_nodes(
    root: Schema, payload: Any, node: Schema | None = None, path: JSONPath = ()
) -> Iterator[tuple[JSONPath, Any, Schema]]:
    """Yield ``(path, value, resolved_node)`` for the payload and every value inside it
    that the schema describes (parents before children).

    Vendor keys of open objects and the insides of untyped values are not visited:
    the schema says nothing about them.  Values that do not match their schema's type
    are yielded but not descended into.
    """
    node = resolve(root, root if node is None else node)
    yield path, payload, node
    t = node_type(node)
    if t == "object" and isinstance(payload, dict):
        for key, sub in node.get("properties", {}).items():
            if key in payload:
                yield from iter_nodes(root, payload[key], sub, (*path, key))
    elif t == "array" and isinstance(payload, list):
        for i, item in enumerate(payload):
            yield from iter_nodes(root, item, node["items"], (*path, i))


_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def date_time_instant(text: str) -> Fraction:
    """Seconds since 0001-01-01T00:00:00Z, exactly, of an RFC 3339 date-time.

    Computed arithmetically so that instants outside Python's datetime range (after
    applying the offset) still compare.  Raises ValueError for anything that is not
    an RFC 3339 date-time.
    """
    m = _DATE_TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]):
        raise ValueError(f"no such day: {text!r}")
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"no such time: {text!r}")
    days = sum(365 + calendar.isleap(y) for y in range(1, year))
    days += sum(calendar.monthrange(year, mo)[1] for mo in range(1, month)) + day - 1
    total = Fraction(days * 86400 + hour * 3600 + minute * 60 + second)
    if m.group(7):
        total += Fraction(m.group(7)[1:]) / 10 ** (len(m.group(7)) - 1)
    zone = m.group(8)
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        total -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return total


def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: numbers by value, but booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same_json, a, b))
    if a is None or b is None:
        return a is b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return False


def same_payload(
    root: Schema, expected: Any, actual: Any, node: Schema | None = None
) -> list[str]:
    """Differences between two payloads of one schema, as readable lines (empty when
    they are the same).  Numbers compare by value (1.0 == 1, True != 1), date-times
    as instants, vendor data and untyped values as plain JSON."""
    diffs: list[str] = []
    node = resolve(root, root if node is None else node)
    _compare(root, expected, actual, node, path=(), diffs=diffs)
    return diffs


def _compare(
    root: Schema, a: Any, b: Any, node: Schema, *, path: JSONPath, diffs: list[str]
) -> None:
    where = format_path(path)
    t = node_type(node)
    if t == "string" and node.get("format") == "date-time" and isinstance(a, str):
        if not isinstance(b, str):
            diffs.append(f"{where}: expected date-time {a!r}, got {b!r}")
            return
        try:
            same = date_time_instant(a) == date_time_instant(b)
        except ValueError as exc:
            diffs.append(f"{where}: {exc}")
            return
        if not same:
            diffs.append(f"{where}: {a!r} and {b!r} are different instants")
        return
    if t == "object" and isinstance(a, dict):
        if not isinstance(b, dict):
            diffs.append(f"{where}: expected an object, got {b!r}")
            return
        if a.keys() != b.keys():
            diffs.append(
                f"{where}: keys differ: missing {sorted(a.keys() - b.keys())!r}, "
                f"added {sorted(b.keys() - a.keys())!r}"
            )
        props = node.get("properties", {})
        for key in a.keys() & b.keys():
            if key in props:
                sub = resolve(root, props[key])
                _compare(root, a[key], b[key], sub, path=(*path, key), diffs=diffs)
            elif not _same_json(a[key], b[key]):
                diffs.append(f"{where}.{key}: {a[key]!r} != {b[key]!r}")
        return
    if t == "array" and isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            diffs.append(f"{where}: expected {a!r}, got {b!r}")
            return
        items = resolve(root, node["items"])
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare(root, x, y, items, path=(*path, i), diffs=diffs)
        return
    if not _same_json(a, b):
        diffs.append(f"{where}: expected {a!r}, got {b!r}")


@functools.cache
def payloads(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid payloads of the official schema ``name`` (built once per run)."""
    return SchemaStrategies(oracle.load_schema(name)).payloads()
