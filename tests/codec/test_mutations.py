"""``from_payload`` rejects exactly what the oracle rejects, with Part 4's error code.

Each example takes a valid generated payload, applies ONE mutation at a randomly
chosen applicable spot (found by walking the schema alongside the payload), checks
that the oracle rejects the result (harness sanity), then checks that ``from_payload``
raises :class:`ocpp201.ValidationError` whose ``.code`` is the code the mutation maps
to and that one of its ``.problems`` carries the JSON path of the mutated spot.

Mapping (from the contract):
  wrong JSON type / string longer than maxLength / malformed date-time
      -> TypeConstraintViolation
  required missing / fewer than minItems / more than maxItems
      -> OccurrenceConstraintViolation
  enum value not allowed / number out of minimum/maximum
      -> PropertyConstraintViolation
  unknown property -> ProtocolError
  payload not a JSON object -> FormatViolation

For a missing required property or an unknown property, the problem names the
property itself (``$.a.b``), not the object that lacks / has it.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import oracle
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st
from schema_strategies import (
    JSONPath,
    format_path,
    iter_nodes,
    node_type,
    payloads,
    resolve,
)

import ocpp201
from ocpp201 import ErrorCode

TYPE = ErrorCode.TYPE_CONSTRAINT_VIOLATION
OCCURRENCE = ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
PROPERTY = ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
PROTOCOL = ErrorCode.PROTOCOL_ERROR
FORMAT = ErrorCode.FORMAT_VIOLATION

NAMES = oracle.SCHEMA_NAMES
_MUTATION_SETTINGS = settings(max_examples=max(5, settings.default.max_examples // 3))

Schema = dict[str, Any]
Edits = st.SearchStrategy[tuple[str | None, Any]]


def message_class(name: str) -> type:
    """The generated class for ``schemas/<name>.json``."""
    cls: type = getattr(ocpp201.messages, name)
    return cls


# ------------------------------------------------------------------ the mutations


class Mutation:
    """One kind of single-spot edit of a valid payload.

    ``applies(node)`` says whether a (resolved) schema node is a spot for it;
    ``values(node, value)`` is a strategy of ``(new_value_or_DELETE, key_or_None)``
    edits; ``code`` is the expected error code (None: the edit keeps the payload
    valid and must be accepted).
    """

    def __init__(
        self,
        name: str,
        code: ErrorCode | None,
        applies: Callable[[Schema], bool],
        edits: Callable[[Schema, Any], st.SearchStrategy[tuple[str | None, Any]]],
        *,
        at_root: bool = True,
        oracle_keywords: frozenset[str] = frozenset(),
    ) -> None:
        self.name = name
        self.code = code
        self.applies = applies
        self.edits = edits
        self.at_root = at_root
        self.oracle_keywords = oracle_keywords


DELETE = object()


def _typed(node: Schema) -> bool:
    return node_type(node) is not None


def _wrong_values(node: Schema, value: Any) -> Edits:
    t = node_type(node)
    if t == "string":
        extra: list[Any] = [0, 1.5, True, False, 1700000000, ["x"]]
    elif t == "integer":
        # no negative non-integers: they would also break a minimum (two problems)
        extra = [1.5, 0.5, True, False, "1", "0", 1e-300, [1]]
    elif t == "number":
        extra = [True, False, "1.0", "0", [1.0]]
    elif t == "boolean":
        extra = [0, 1, 0.0, "true", "false", "True"]
    elif t == "object":
        extra = ["x", "{}", 1, True, [value]]
    else:
        extra = ["x", 1, True, *value[:1]]  # an array item instead of the array
    # keep only values of a JSON type the schema refuses
    choices = [v for v in [None, [], {}, *extra] if not _json_type_ok(node, v)]
    return st.sampled_from(choices).map(lambda v: (None, v))


def _json_type_ok(node: Schema, value: Any) -> bool:
    t = node_type(node)
    if isinstance(value, bool):
        return t == "boolean"
    if isinstance(value, int):
        return t in ("integer", "number")
    if isinstance(value, float):
        return t == "number" or (t == "integer" and value.is_integer())
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(
        type(value)
    ) == t


def _too_long(node: Schema, value: Any) -> Edits:
    n = node["maxLength"] + 1
    return st.sampled_from(["a", "é", "\U0001f600", " "]).map(lambda c: (None, c * n))


def _upper_snake(text: str) -> str:
    text = re.sub(r"[^0-9A-Za-z]+", "_", text)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).upper().strip("_")


def _bad_enum(node: Schema, value: Any) -> Edits:
    allowed = node["enum"]
    candidates = [
        value.lower(),
        value.upper(),
        value[:1].swapcase() + value[1:],
        _upper_snake(value),  # the Python member name
        value + " ",
        " " + value,
        "",
        "Unknown",
        value + "X",
    ]
    bad = sorted({c for c in candidates if c not in allowed})
    return st.sampled_from(bad).map(lambda v: (None, v))


def _too_few(node: Schema, value: Any) -> Edits:
    return st.just((None, value[: node["minItems"] - 1]))


def _repeat(value: list[Any], n: int) -> list[Any]:
    return copy.deepcopy((value * (n // len(value) + 1))[:n])


def _too_many(node: Schema, value: Any) -> Edits:
    if not value:
        return st.nothing()
    return st.just((None, _repeat(value, node["maxItems"] + 1)))


def _exactly_max(node: Schema, value: Any) -> Edits:
    if not value:
        return st.nothing()
    return st.just((None, _repeat(value, node["maxItems"])))


def _out_of_range(node: Schema, value: Any) -> Edits:
    integer = node_type(node) == "integer"
    out: list[Any] = []
    if "minimum" in node:
        lo = node["minimum"]
        out += [math.floor(lo) - 1, float(math.floor(lo) - 1), -(10**20)]
        if not integer:
            out += [lo - 0.5, lo - 1e-9]
    if "maximum" in node:
        hi = node["maximum"]
        out += [math.ceil(hi) + 1, float(math.ceil(hi) + 1), 10**20]
        if not integer:
            out += [hi + 0.5, hi + 1e-9]
    return st.sampled_from(out).map(lambda v: (None, v))


BAD_DATE_TIMES = [
    "2024-02-30T00:00:00Z",  # no such day
    "2023-02-29T12:00:00Z",  # not a leap year
    "2024-01-01 00:00:00Z",  # space separator
    "2024-01-01T00:00:00",  # no offset
    "2024-01-01T25:00:00Z",  # no such hour
    "2024-13-01T00:00:00Z",
    "2024-00-10T00:00:00Z",
    "2024-01-01T00:60:00Z",
    "2024-01-01T00:00:60Z",  # leap seconds: refused by the oracle too
    "2024-01-01T00:00:00+24:00",
    "2024-01-01T00:00:00+01:60",
    "2024-01-01T00:00:00+0100",  # datetime.fromisoformat accepts these
    "2024-01-01T00:00:00+01",
    "20240101T000000Z",
    "2024-01-01T00:00Z",
    "2024-01-01T00Z",
    "2024-01-01",
    "2024-W01-1T00:00:00Z",
    "2024-001T00:00:00Z",
    "2024-01-01T00:00:00.Z",
    "2024-01-01T00:00:00,5Z",
    "0000-01-01T00:00:00Z",
    "+2024-01-01T00:00:00Z",
    " 2024-01-01T00:00:00Z",
    "2024-01-01T00:00:00Z ",
    "\uff12\uff10\uff12\uff14-01-01T00:00:00Z",  # full-width digits
    "2024-01-01T00:00:00ZZ",
    "2024-1-1T0:0:0Z",
    "",
    "now",
    "1700000000",
]


def _bad_date_time(node: Schema, value: Any) -> Edits:
    return st.sampled_from(BAD_DATE_TIMES).map(lambda v: (None, v))


def _snake(text: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).lower()


def _unknown_keys(node: Schema, value: Any) -> Edits:
    props = set(node.get("properties", {}))
    names = {_snake(p) for p in props}  # the Python attribute names
    names |= {p[:1].upper() + p[1:] for p in props}
    names |= {"extra", "action", "ACTION", "unknownField", "x"}
    names -= props
    return st.tuples(
        st.sampled_from(sorted(names)),
        st.sampled_from([None, 1, "x", True, {}, []]),
    )


def _drop_required(node: Schema, value: Any) -> Edits:
    return st.sampled_from(node["required"]).map(lambda k: (k, DELETE))


def _is(t: str) -> Callable[[Schema], bool]:
    return lambda node: node_type(node) == t


MUTATIONS = {
    m.name: m
    for m in [
        Mutation(
            "drop_required",
            OCCURRENCE,
            lambda n: _is("object")(n) and bool(n.get("required")),
            _drop_required,
            oracle_keywords=frozenset({"required"}),
        ),
        Mutation(
            "unknown_property",
            PROTOCOL,
            lambda n: _is("object")(n) and n.get("additionalProperties") is False,
            _unknown_keys,
            oracle_keywords=frozenset({"additionalProperties"}),
        ),
        Mutation(
            "wrong_type",
            TYPE,
            _typed,
            _wrong_values,
            at_root=False,  # a root of the wrong type is a FormatViolation
            oracle_keywords=frozenset({"type"}),
        ),
        Mutation(
            "too_long",
            TYPE,
            lambda n: "maxLength" in n,
            _too_long,
            oracle_keywords=frozenset({"maxLength"}),
        ),
        Mutation(
            "bad_enum",
            PROPERTY,
            lambda n: "enum" in n,
            _bad_enum,
            oracle_keywords=frozenset({"enum"}),
        ),
        Mutation(
            "too_few_items",
            OCCURRENCE,
            lambda n: n.get("minItems", 0) > 0,
            _too_few,
            oracle_keywords=frozenset({"minItems"}),
        ),
        Mutation(
            "too_many_items",
            OCCURRENCE,
            lambda n: "maxItems" in n,
            _too_many,
            oracle_keywords=frozenset({"maxItems"}),
        ),
        Mutation(
            "out_of_range",
            PROPERTY,
            lambda n: "minimum" in n or "maximum" in n,
            _out_of_range,
            oracle_keywords=frozenset({"minimum", "maximum"}),
        ),
        Mutation(
            "bad_date_time",
            TYPE,
            lambda n: n.get("format") == "date-time",
            _bad_date_time,
            oracle_keywords=frozenset({"format"}),
        ),
        # boundary edit that keeps the payload valid: it must be accepted
        Mutation("exactly_max_items", None, lambda n: "maxItems" in n, _exactly_max),
    ]
}


# --------------------------------------------------------------------- the walking


def _schema_nodes(root: Schema) -> Iterator[Schema]:
    """Every node reachable from the root (after resolving $ref)."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = resolve(root, stack.pop())
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(node.get("properties", {}).values())
        if "items" in node:
            stack.append(node["items"])


def _cases(kinds: set[str]) -> list[Any]:
    cases = []
    for name in NAMES:
        root = oracle.load_schema(name)
        nodes = list(_schema_nodes(root))
        for kind, mutation in MUTATIONS.items():
            candidates = nodes if mutation.at_root else nodes[1:]
            if kind in kinds and any(mutation.applies(n) for n in candidates):
                cases.append(pytest.param(name, kind, id=f"{name}-{kind}"))
    return cases


def _spots(
    root: Schema, payload: Any, mutation: Mutation
) -> list[tuple[JSONPath, Schema]]:
    return [
        (path, node)
        for path, value, node in iter_nodes(root, payload)
        if (path or mutation.at_root) and mutation.applies(node)
    ]


def _get(payload: Any, path: JSONPath) -> Any:
    for part in path:
        payload = payload[part]
    return payload


def _apply(payload: Any, path: JSONPath, key: str | None, new: Any) -> Any:
    """A copy of ``payload`` with the value at ``path`` (or its ``key``) replaced."""
    result = copy.deepcopy(payload)
    if key is not None:
        target = _get(result, path)
        if new is DELETE:
            del target[key]
        else:
            target[key] = new
        return result
    parent = _get(result, path[:-1])
    parent[path[-1]] = new
    return result


# ------------------------------------------------------------------------- the tests


def _explain(err: ocpp201.ValidationError) -> str:
    return "\n".join(f"  {p.path} {p.code.value}: {p.message}" for p in err.problems)


def _check_single_mutation(name: str, kind: str, data: st.DataObject) -> None:
    mutation = MUTATIONS[kind]
    root = oracle.load_schema(name)
    payload = data.draw(payloads(name), label="valid payload")
    spots = _spots(root, payload, mutation)
    assume(spots)
    path = data.draw(st.sampled_from([p for p, _ in spots]), label="spot")
    node = dict(spots)[path]
    key, new = data.draw(mutation.edits(node, _get(payload, path)), label="edit")
    mutated = _apply(payload, path, key, new)
    spot = format_path(path if key is None else (*path, key))
    # jsonschema reports a missing or unknown property at the object holding it
    oracle_paths = {spot, format_path(path)}
    shown = repr(mutated)
    shown = shown if len(shown) < 3000 else shown[:3000] + "...(truncated)"
    note = f"mutation {kind} at {spot}; mutated payload:\n{shown}"

    errs = oracle.errors(name, mutated)
    cls = message_class(name)
    if mutation.code is None:
        assert not errs, f"harness bug: oracle rejects a valid edit\n{note}"
        try:
            ocpp201.from_payload(cls, mutated)
        except ocpp201.ValidationError as exc:
            pytest.fail(
                f"from_payload rejected a valid payload:\n{_explain(exc)}\n{note}"
            )
        return

    assert any(
        e.validator in mutation.oracle_keywords and e.json_path in oracle_paths
        for e in errs
    ), f"harness bug: the oracle does not reject the mutation\n{note}"

    with pytest.raises(ocpp201.ValidationError) as info:
        ocpp201.from_payload(cls, mutated)
    err = info.value
    expected = mutation.code.value
    assert err.code == mutation.code, (
        f"code {err.code.value}, expected {expected}:\n{_explain(err)}\n{note}"
    )
    assert any(p.path == spot for p in err.problems), (
        f"no problem at {spot}:\n{_explain(err)}\n{note}"
    )


# Arrays at exactly maxItems (1024 for some) and one beyond are big payloads: they get
# fewer examples, in a test of their own.
_MAX_ITEMS_KINDS = {"too_many_items", "exactly_max_items"}


@pytest.mark.parametrize(("name", "kind"), _cases(set(MUTATIONS) - _MAX_ITEMS_KINDS))
@_MUTATION_SETTINGS
@given(data=st.data())
def test_single_mutation_is_rejected_with_its_code_and_path(
    name: str, kind: str, data: st.DataObject
) -> None:
    _check_single_mutation(name, kind, data)


@pytest.mark.parametrize(("name", "kind"), _cases(_MAX_ITEMS_KINDS))
@settings(
    max_examples=max(3, settings.default.max_examples // 6),
    # shrinking re-validates 1024-item payloads hundreds of times (minutes); the
    # failing example is printed unshrunk instead
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data())
def test_array_at_max_items_is_accepted_and_beyond_is_rejected(
    name: str, kind: str, data: st.DataObject
) -> None:
    _check_single_mutation(name, kind, data)


NOT_OBJECTS = [[], [{}], "{}", "", 0, 1.5, None, True, False]


@pytest.mark.parametrize("name", NAMES)
def test_payload_that_is_not_an_object_is_a_format_violation(name: str) -> None:
    cls = message_class(name)
    failures = []
    for value in NOT_OBJECTS:
        assert not oracle.is_valid(name, value)
        try:
            ocpp201.from_payload(cls, value)
        except ocpp201.ValidationError as exc:
            if exc.code != FORMAT or not any(p.path == "$" for p in exc.problems):
                failures.append(f"{value!r}: {exc.code.value}\n{_explain(exc)}")
        else:
            failures.append(f"{value!r}: accepted")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------- date-time parity, one spot

VALID_DATE_TIMES = [
    "2024-01-01T00:00:00Z",
    "2024-01-01t00:00:00z",
    "2024-02-29T23:59:59.999Z",
    "2000-02-29T12:00:00.5+05:30",
    "2024-01-01T00:00:00.12-00:00",
    "2024-12-31T23:59:59+23:59",
    "2024-01-01T00:00:00-23:59",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z",
]


@pytest.mark.parametrize("text", VALID_DATE_TIMES + BAD_DATE_TIMES)
def test_date_time_accepted_exactly_when_the_oracle_accepts(text: str) -> None:
    name = "HeartbeatResponse"
    payload = {"currentTime": text}
    valid = oracle.is_valid(name, payload)
    assert valid == (text in VALID_DATE_TIMES), "harness bug: oracle disagrees"
    cls = message_class(name)
    if valid:
        ocpp201.from_payload(cls, payload)
        return
    with pytest.raises(ocpp201.ValidationError) as info:
        ocpp201.from_payload(cls, payload)
    assert info.value.code == TYPE
    assert [p.path for p in info.value.problems] == ["$.currentTime"]


@pytest.mark.parametrize("text", oracle.ORACLE_ACCEPTS_BUT_INVALID)
def test_date_time_the_oracle_wrongly_accepts_is_rejected(text: str) -> None:
    # jsonschema/rfc3339-validator accept a trailing newline (regex `$`): not RFC 3339
    with pytest.raises(ocpp201.ValidationError) as info:
        ocpp201.from_payload(message_class("HeartbeatResponse"), {"currentTime": text})
    assert info.value.code == TYPE


NON_JSON_NUMBERS = [float("nan"), float("inf"), float("-inf")]
_METER_VALUES = {
    "evseId": 1,
    "meterValue": [
        {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": 0}]}
    ],
}


@pytest.mark.parametrize("number", NON_JSON_NUMBERS, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    ("name", "payload", "path"),
    [
        (
            "MeterValuesRequest",
            _METER_VALUES,
            ("meterValue", 0, "sampledValue", 0, "value"),
        ),
        ("MeterValuesRequest", _METER_VALUES, ("evseId",)),
        (
            "HeartbeatRequest",
            {"customData": {"vendorId": "v", "x": 0}},
            ("customData", "x"),
        ),
        ("DataTransferRequest", {"vendorId": "v", "data": 0}, ("data",)),
    ],
    ids=["number", "integer", "vendor-data", "untyped-data"],
)
def test_non_json_numbers_are_a_type_violation(
    name: str, payload: dict[str, Any], path: JSONPath, number: float
) -> None:
    # json.loads accepts NaN/Infinity, which are not JSON; jsonschema accepts NaN as a
    # "number" (another oracle gap), so this is asserted without the oracle.
    mutated = _apply(payload, path, None, number)
    with pytest.raises(ocpp201.ValidationError) as info:
        ocpp201.from_payload(message_class(name), mutated)
    assert info.value.code == TYPE
    assert format_path(path) in [p.path for p in info.value.problems]
