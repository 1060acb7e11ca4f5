"""The two JSON backends accept, refuse and read exactly the same texts.

Every text goes through ``ocpp201._framing.decode`` (the one JSON parse of a
message) under the standard library and under orjson; the outcomes must be equal,
value types included.  Valid payloads of all 128 schemas go through both and decode.
"""

from __future__ import annotations

import json
import math
from typing import Any

import oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_strategies import payloads

import ocpp201
from ocpp201 import _framing, _json
from ocpp201._errors import ErrorCode

NAMES = oracle.SCHEMA_NAMES

TRICKY = [
    '[2,"a","Heartbeat",{}]',
    '[2,"a","Heartbeat",{"x":1,"x":2}]',
    '[2,"a","Heartbeat",{"x":{"y":1,"y":1}}]',
    '[2,"a","Heartbeat",{"a\\u003a":1,"a:":2}]',
    '[2,"a","Heartbeat",{"t":"10:00:00","u":"::"}]',
    '[2,"a","Heartbeat",{"k:":1, "k" : 2}]',
    '[2,"a","Heartbeat",{"x":1e400}]',
    '[2,"a","Heartbeat",{"x":-1e400}]',
    '[2,"a","Heartbeat",{"x":1e308}]',
    '[2,"a","Heartbeat",{"x":1e-400}]',
    '[2,"a","Heartbeat",{"x":' + "9" * 401 + "}]",
    '[2,"a","Heartbeat",{"x":-' + "9" * 308 + "}]",
    '[2,"a","Heartbeat",{"x":' + "9" * 5000 + "}]",
    '[2,"a","Heartbeat",{"x":18446744073709551616}]',
    '[2,"a","Heartbeat",{"x":-9223372036854775809}]',
    '[2,"a","Heartbeat",{"x":9007199254740993}]',
    '[2,"a","Heartbeat",{"x":1.0,"y":-0.0,"z":2.5e3}]',
    '[2,"a","Heartbeat",{"x":NaN}]',
    '[2,"a","Heartbeat",{"x":Infinity}]',
    '[2,"a","Heartbeat",{"x":"\\ud800"}]',
    '[2,"a","Heartbeat",{"x":"\\u00e9\\n"}]',
    '[2,"a","Heartbeat",{"x":"é"}]',
    "\ufeff[2]",
    "[2,",
    "[" * 3000 + "]" * 3000,
    '[2,"a","Heartbeat",' + "[" * 300 + "]" * 300 + "]",
    '[3,"a",{"x":1,"x":2}]',
    '[3,"a",{"x":' + "9" * 5000 + "}]",
    '[4,"a","GenericError","",{}]',
    ' [2 , "a" , "Heartbeat" , { } ] ',
    '[2,"a","Heartbeat",{"x":01}]',
    '[2,"a","Heartbeat",{"x":[1,2,],}]',
    '[2,"a","Heartbeat",{"x" :1,"x":2}]',
    '[2,"a","Heartbeat",{"x"\n:1,"x"\t:2}]',
    '[2,"a","Heartbeat",{\n  "x": 1,\n  "x": 2\n}]',
    '[2,"a","Heartbeat",{"s":"q\\":","s2":"\\\\"}]',
    '[2,"a","Heartbeat",{"s":"q\\":","s":"\\":"}]',
    '[2,"a","Heartbeat",{"x":-9223372036854775808,"y":9999999999999999999}]',
    '[2,"a","Heartbeat",{"x":0.12345678901234567890123}]',
    '[2,"a","Heartbeat",{"x":' + "[" * 260 + "]" * 260 + "}]",
    '[2,"a","Heartbeat",{"x":' + "[" * 260 + "{}, {}" + "]" * 260 + "}]",
    *(
        '[2,"a","H",' + tail
        for tail in (
            '{"s":"\t"}]',
            '{"s":"\x00"}]',
            '{"s":"\x7f"}]',
            '{"s":"\\x"}]',
            '{"n":+1}]',
            '{"n":.5}]',
            '{"n":1.}]',
            '{"n":01}]',
            '{"n":-}]',
            '{"n":1e}]',
            '{"n":tru}]',
            "\u00a0{}]",
            "\x0c{}]",
            "{}]\x00",
            "{}] x",
            '{"n":1E+2}]',
            '{"n":-0}]',
            '{"n":1e-7}]',
            '{"n":123456789.123456789}]',
            '{"s":"\\/"}]',
            '{"s":"\\ud83d\\ude00"}]',
            '{"s":"\U0001f600"}]',
            '{"s":"\u2028"}]',
            '{"a":{"b":1},"a":{"b":1}}]',
            '{"n":1.7976931348623157e308}]',
            '{"n":1.7976931348623159e308}]',
        )
    ),
]


def outcome(text: str | bytes) -> Any:
    """Everything ``decode`` says about ``text``, with the exact types of values."""
    result = _framing.decode(text)
    return type(result).__name__, _typed(attrs_dict(result))


def attrs_dict(result: Any) -> dict[str, Any]:
    return {name: getattr(result, name) for name in result.__slots__}


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, *(_typed(v) for v in value)]
    return (type(value).__name__, repr(value))


def both(text: str | bytes) -> tuple[Any, Any]:
    before = _json.backend()
    try:
        _json.use_backend("stdlib")
        stdlib = outcome(text)
        _json.use_backend("orjson")
        fast = outcome(text)
    finally:
        _json.use_backend(before)
    return stdlib, fast


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_tricky_texts_give_the_same_outcome(text: str) -> None:
    pytest.importorskip("orjson")
    stdlib, fast = both(text)
    assert stdlib == fast


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from('ab:"\\é\u2028 '), max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet="ab:", max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    payload=json_values,
    duplicate=st.booleans(),
    big=st.booleans(),
    compact=st.booleans(),
)
@settings(max_examples=200)
def test_generated_texts_give_the_same_outcome(
    payload: Any, duplicate: bool, big: bool, compact: bool
) -> None:
    """Compact texts are often orjson's own writing of their value (its quick
    verdict); the others, and those with an anomaly, never are."""
    pytest.importorskip("orjson")
    separators = (",", ":") if compact else None
    text = json.dumps(
        [2, "id", "Heartbeat", {"p": payload}],
        ensure_ascii=False,
        separators=separators,
    )
    if duplicate:
        text = text[:-2] + ',"p":0}]'
    if big:
        text = text[:-2] + ',"q":1' + "0" * 320 + "}]"
    stdlib, fast = both(text)
    assert stdlib == fast
    kind, fields = stdlib
    assert kind == "Call"
    assert bool(fields["syntax_problems"][1:]) == (duplicate or big)


@pytest.mark.parametrize("name", NAMES)
def test_valid_payloads_read_and_decode_under_each_backend(
    name: str, json_backend: str
) -> None:
    cls = getattr(ocpp201.messages, name)

    @given(payload=payloads(name))
    @settings(max_examples=5)
    def check(payload: dict[str, Any]) -> None:
        text = json.dumps([2, "id", "X", payload], ensure_ascii=False)
        frame = _framing.decode(text)
        assert isinstance(frame, _framing.Call), frame
        assert frame.syntax_problems == ()
        assert frame.payload == payload
        ocpp201.from_payload(cls, frame.payload)

    check()


@pytest.mark.parametrize("digits", [310, 401, 5000])
def test_integers_beyond_what_the_receiver_reads_are_answered_with_the_id(
    digits: int, json_backend: str
) -> None:
    """Issue 8: a huge integer is "too large" (FormatViolation), with the message's
    own id, whether or not Python's int() would convert it."""
    text = '[2,"msg-7","MeterValues",{"evseId":' + "9" * digits + "}]"
    frame = _framing.decode(text)
    assert isinstance(frame, _framing.Call)
    assert frame.message_id == "msg-7"
    assert [(p.path, p.code) for p in frame.syntax_problems] == [
        ("$.evseId", ErrorCode.FORMAT_VIOLATION)
    ]
    assert "too large" in frame.syntax_problems[0].message
    # What tolerant mode would see: the exact integer when an int can hold it.
    value = frame.payload["evseId"]
    if digits < 4300:
        assert value == int("9" * digits)
    else:
        assert not isinstance(value, int)


# ---------------------------------------------------------------- writing frames


@given(payload=json_values)
@settings(max_examples=200)
def test_checked_payloads_are_written_with_the_same_value(payload: Any) -> None:
    """A payload outgoing validation checked is written by orjson when it is in
    use: the same JSON value as the standard library's text, and the same text
    unless a float is in it (orjson writes ``1e-7``, the standard library
    ``1e-07``)."""
    pytest.importorskip("orjson")
    frame = [3, "id", {"p": payload}]
    reference = _framing.dumps(frame)  # unchecked: always the standard library
    before = _json.backend()
    _json.use_backend("orjson")
    try:
        written = _framing.dumps(frame, checked=True)
    finally:
        _json.use_backend(before)
    assert json.loads(written) == json.loads(reference)
    if not _has_float(payload):
        assert written == reference


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**64, '[3,"id",18446744073709551616]'),  # beyond orjson's 64 bits
        ("\ud800", '[3,"id","\\ud800"]'),  # a lone surrogate: ASCII escapes
        (None, '[3,"id",null]'),  # a null (the NaN guard) goes the same way
    ],
)
def test_what_orjson_cannot_write_alike_is_left_to_the_standard_library(
    value: Any, expected: str, json_backend: str
) -> None:
    assert _framing.dumps([3, "id", value], checked=True) == expected


def test_a_float_may_be_written_in_another_form(json_backend: str) -> None:
    written = _framing.dumps([3, "id", 1e-7], checked=True)
    form = "1e-07" if json_backend == "stdlib" else "1e-7"  # orjson's
    assert written == f'[3,"id",{form}]'
    assert json.loads(written)[2] == 1e-7


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_nan_is_refused_even_when_checked(number: float, json_backend: str) -> None:
    """orjson writes NaN and the infinities as null; they are refused all the same
    (a payload outgoing validation checked holds none, but a bug must not send
    one)."""
    with pytest.raises(ValueError):
        _framing.dumps([3, "id", {"x": number}], checked=True)


def test_the_strict_options_are_orjsons_passthrough_options() -> None:
    orjson = pytest.importorskip("orjson")
    assert _json._ORJSON_STRICT == (
        orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )


class _Reordered(dict):  # type: ignore[type-arg]
    def items(self) -> Any:
        return [("k", "from items()")]


def test_a_dict_subclass_is_written_by_the_standard_library(json_backend: str) -> None:
    """The standard library writes a dict subclass through its items(); orjson
    would read the dict itself, so such a value is left to the standard library."""
    value = [3, "id", {"data": _Reordered(k="v")}]
    assert _framing.dumps(value, checked=True) == _framing.dumps(value)


def test_frames_are_not_checked_while_attrs_validators_are_off() -> None:
    """With attrs' validators switched off a field may hold anything (a UUID, say):
    the frame is then written by the standard library, which refuses it."""
    import uuid

    import attrs

    from ocpp201 import LocalProtocolError, RpcConnection, Sender
    from ocpp201.messages import DataTransferRequest

    conn = RpcConnection(Sender.CHARGING_STATION)
    with attrs.validators.disabled():
        request = DataTransferRequest(vendor_id="v", message_id=uuid.UUID(int=1))
        prepared = conn.prepare_call(request)
        assert not prepared.checked
        with pytest.raises(LocalProtocolError, match="not JSON serializable"):
            conn.start_call(prepared)
