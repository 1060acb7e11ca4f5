"""Conformance of the codec on *valid* payloads, for each of the 128 schemas.

* the payload strategy only produces payloads the oracle accepts (harness sanity);
* ``to_payload(from_payload(cls, x))`` gives ``x`` back (numbers by value, date-times
  as instants), vendor keys of customData and untyped DataTransfer ``data`` included;
* objects obtained by decoding valid payloads, and objects built directly from the
  attrs fields of the generated classes, encode to payloads the oracle accepts.
"""

from __future__ import annotations

import copy
import enum
import functools
import json
import types
import typing
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_strategies import (
    SchemaStrategies,
    is_open_object,
    json_values,
    node_type,
    payloads,
    resolve,
    rfc3339_date_times,
    same_payload,
)

import ocpp201

NAMES = oracle.SCHEMA_NAMES
_MAX = settings.default.max_examples
# The harness-sanity and secondary properties draw from the same generator as the
# round trip (which checks the oracle too); fewer examples keep the suite fast.
_FEWER = settings(max_examples=max(5, _MAX // 2))


def message_class(name: str) -> type:
    """The generated class for ``schemas/<name>.json``."""
    return typing.cast(type, getattr(ocpp201.messages, name))


_PLAIN = (dict, list, str, int, float, bool, type(None))


def _not_plain(value: Any, path: str = "$") -> Iterator[str]:
    if type(value) not in _PLAIN:
        yield f"{path}: {type(value).__qualname__} {value!r}"
    elif type(value) is dict:
        for k, v in value.items():
            if type(k) is not str:
                yield f"{path}: key {k!r}"
            yield from _not_plain(v, f"{path}.{k}")
    elif type(value) is list:
        for i, v in enumerate(value):
            yield from _not_plain(v, f"{path}[{i}]")


def json_ready(payload: Any) -> Any:
    """``payload`` after a trip through JSON text; fails unless it is made of plain
    JSON types only (no enum members, datetimes or str/int subclasses)."""
    odd = list(_not_plain(payload))
    assert not odd, "to_payload() returned non-plain JSON values:\n" + "\n".join(odd)
    try:
        text = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"to_payload() returned something that is not JSON-ready: {exc}")
    return json.loads(text)


def assert_oracle_accepts(name: str, payload: Any, what: str) -> None:
    errs = oracle.errors(name, payload)
    assert not errs, (
        f"{what} is invalid for {name}:\n{oracle.describe(errs)}\n{payload!r}"
    )


# ------------------------------------------------------------------ harness sanity


@pytest.mark.parametrize("name", NAMES)
@_FEWER
@given(data=st.data())
def test_generated_payloads_are_valid(name: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(name), label="payload")
    assert_oracle_accepts(name, payload, "the generated payload")


# ---------------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_valid_payload_round_trips_unchanged(name: str, data: st.DataObject) -> None:
    cls = message_class(name)
    schema = oracle.load_schema(name)
    payload = data.draw(payloads(name), label="payload")
    assert_oracle_accepts(name, payload, "the generated payload")
    before = copy.deepcopy(payload)

    obj = ocpp201.from_payload(cls, payload)

    assert type(obj) is cls
    assert repr(payload) == repr(before), "from_payload() modified its input"
    out = json_ready(ocpp201.to_payload(obj))
    diffs = same_payload(schema, payload, out)
    assert not diffs, "round trip changed the payload:\n" + "\n".join(diffs)


@pytest.mark.parametrize("name", NAMES)
@_FEWER
@given(data=st.data())
def test_decoded_objects_encode_to_valid_payloads(
    name: str, data: st.DataObject
) -> None:
    obj = ocpp201.from_payload(message_class(name), data.draw(payloads(name)))
    assert_oracle_accepts(name, json_ready(ocpp201.to_payload(obj)), "to_payload()")


# ------------------------------------------- objects built straight from attrs fields


def _normalized(name: str) -> str:
    return name.replace("_", "").lower()


def _strip_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        return typing.Union[tuple(args)]  # noqa: UP007
    return tp


def _aware_datetime(text: str) -> datetime:
    """A datetime for one of our generated RFC 3339 strings (at most 3 digits)."""
    date, time_ = text[:10], text[11:]
    zone = time_[8:].lstrip("0123456789.")
    frac = time_[8 : len(time_) - len(zone)].lstrip(".")
    if zone in ("Z", "z"):
        tz = timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    y, mo, d = (int(x) for x in date.split("-"))
    h, mi, s = (int(x) for x in time_[:8].split(":"))
    micro = int(frac.ljust(6, "0")) if frac else 0
    return datetime(y, mo, d, h, mi, s, micro, tzinfo=tz)


class ObjectStrategies:
    """Builds instances of the generated attrs classes directly (no decoding):
    the Python types come from the class annotations, the constraints from the
    schema node that the class was generated from."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.payload_strategies = SchemaStrategies(root)
        self._cache: dict[tuple[type, int], st.SearchStrategy[Any]] = {}

    def for_class(self, cls: type, node: dict[str, Any]) -> st.SearchStrategy[Any]:
        node = resolve(self.root, node)
        key = (cls, id(node))
        if key not in self._cache:
            self._cache[key] = st.deferred(lambda: self._build_class(cls, node))
        return self._cache[key]

    def _build_class(self, cls: type, node: dict[str, Any]) -> st.SearchStrategy[Any]:
        assert attrs.has(cls), f"{cls!r} is not an attrs class"
        props: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        wire_of = {_normalized(w): w for w in props}
        hints = typing.get_type_hints(cls)
        req: dict[str, st.SearchStrategy[Any]] = {}
        opt: dict[str, st.SearchStrategy[Any]] = {}
        seen: set[str] = set()
        for field in attrs.fields(cls):
            if not field.init:
                continue
            if is_open_object(node) and field.name == "extra":
                opt["extra"] = st.dictionaries(
                    st.text(max_size=8).filter(lambda k: k not in props),
                    json_values(max_leaves=4),
                    max_size=2,
                )
                continue
            wire = wire_of.get(_normalized(field.name))
            assert wire is not None, (
                f"{cls.__name__}.{field.name} matches no property of the schema "
                f"({sorted(props)})"
            )
            seen.add(wire)
            strategy = self.for_value(hints[field.name], props[wire])
            (req if wire in required else opt)[field.name] = strategy
        assert seen == set(props), (
            f"{cls.__name__} has no attribute for {sorted(set(props) - seen)}"
        )
        return st.fixed_dictionaries(req, optional=opt).map(lambda kw: cls(**kw))

    def for_value(self, tp: Any, node: dict[str, Any]) -> st.SearchStrategy[Any]:
        node = resolve(self.root, node)
        tp = _strip_optional(tp)
        if "enum" in node:
            assert isinstance(tp, type) and issubclass(tp, enum.Enum), tp
            assert {m.value for m in tp} == set(node["enum"]), tp
            return st.sampled_from(list(tp))
        t = node_type(node)
        if t is None:  # any JSON value; JSON null is ocpp201.JSON_NULL
            return st.one_of(
                json_values().filter(lambda v: v is not None),
                st.just(ocpp201.JSON_NULL),
            )
        if t == "string" and node.get("format") == "date-time":
            return rfc3339_date_times().map(_aware_datetime)
        if t in ("string", "boolean"):
            return self.payload_strategies.for_node(node)
        if t == "integer":
            return self.payload_strategies.for_node(node).map(int)
        if t == "number":
            return self.payload_strategies.for_node(node)
        if t == "array":
            (item_tp,) = typing.get_args(tp)
            lo = node.get("minItems", 0)
            hi = min(node.get("maxItems", lo + 2), lo + 2)
            return st.lists(
                self.for_value(item_tp, node["items"]), min_size=lo, max_size=hi
            )
        if t == "object":
            return self.for_class(tp, node)
        raise AssertionError(f"unexpected schema node {node!r}")


@functools.cache
def objects(name: str) -> st.SearchStrategy[Any]:
    root = oracle.load_schema(name)
    return ObjectStrategies(root).for_class(message_class(name), root)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_objects_built_from_fields_encode_to_valid_payloads(
    name: str, data: st.DataObject
) -> None:
    obj = data.draw(objects(name), label="object")
    payload = json_ready(ocpp201.to_payload(obj))
    assert_oracle_accepts(name, payload, "to_payload() of a directly built object")
    again = ocpp201.from_payload(message_class(name), payload)
    assert again == obj, "decoding the encoded object gave a different object"


# ------------------------------------------------------------- specific behaviours


def test_integral_float_is_an_integer_and_true_is_not() -> None:
    cls = ocpp201.messages.MeterValuesRequest
    good = {
        "evseId": 1.0,
        "meterValue": [
            {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": 1}]}
        ],
    }
    assert ocpp201.to_payload(ocpp201.from_payload(cls, good))["evseId"] == 1
    with pytest.raises(ocpp201.ValidationError) as info:
        ocpp201.from_payload(cls, {**good, "evseId": True})
    assert info.value.code is ocpp201.ErrorCode.TYPE_CONSTRAINT_VIOLATION


@pytest.mark.parametrize("cls_name", ["DataTransferRequest", "DataTransferResponse"])
def test_data_transfer_null_data_is_kept(cls_name: str) -> None:
    cls = getattr(ocpp201.messages, cls_name)
    base = {"vendorId": "v"} if cls_name.endswith("Request") else {"status": "Accepted"}
    obj = ocpp201.from_payload(cls, {**base, "data": None})
    assert obj.data is ocpp201.JSON_NULL
    assert ocpp201.to_payload(obj) == {**base, "data": None}
    absent = ocpp201.from_payload(cls, base)
    assert absent.data is None
    assert ocpp201.to_payload(absent) == base


def test_defaults_are_not_added_on_the_way_out() -> None:
    cls = ocpp201.messages.MeterValuesRequest
    payload = {
        "evseId": 0,
        "meterValue": [
            {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": 0.5}]}
        ],
    }
    assert ocpp201.to_payload(ocpp201.from_payload(cls, payload)) == payload


def test_custom_data_vendor_keys_come_back_unchanged() -> None:
    cls = ocpp201.messages.HeartbeatRequest
    custom = {
        "vendorId": "acme",
        "vendor_id": 1,
        "someKey": {"nestedKey": [None, 1.5]},
        "": None,
        "CamelCase": {"snake_case": True},
    }
    obj = ocpp201.from_payload(cls, {"customData": custom})
    assert ocpp201.to_payload(obj) == {"customData": custom}
