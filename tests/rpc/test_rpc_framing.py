"""The pure framing layer: encoding the three frames and classifying input."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from ocpp201 import ErrorCode, LocalProtocolError, _framing
from ocpp201._framing import (
    Call,
    CallErrorFrame,
    CallResult,
    Ignore,
    Reply,
    decode,
    dumps,
    encode_call,
    encode_call_error,
    encode_call_result,
    is_valid_message_id,
    truncate_description,
)

T = TypeVar("T")

# ------------------------------------------------------------------ encoding


def test_encode_call_is_compact_json() -> None:
    text = encode_call("19223201", "BootNotification", {"reason": "PowerUp"})
    assert text == '[2,"19223201","BootNotification",{"reason":"PowerUp"}]'


def test_encode_call_result() -> None:
    assert (
        encode_call_result("1", {"status": "Accepted"})
        == '[3,"1",{"status":"Accepted"}]'
    )


def test_encode_call_error_always_has_five_elements_and_object_details() -> None:
    frame = json.loads(encode_call_error("1", ErrorCode.NOT_SUPPORTED))
    assert frame == [4, "1", "NotSupported", "", {}]


@pytest.mark.parametrize("code", ["VendorSpecific", "securityerror", "", 404, None])
def test_encode_call_error_refuses_codes_outside_the_part4_table(code: Any) -> None:
    # Part 4 section 4.2.3: errorCode "must contain a string from the RPC Framework
    # Error Codes table" -- the writer itself refuses anything else.
    with pytest.raises(LocalProtocolError, match="error code"):
        encode_call_error("1", code, "x", {"a": 1})


def test_encode_call_error_accepts_the_value_of_a_part4_code() -> None:
    frame = json.loads(encode_call_error("1", "SecurityError", "x", {"a": 1}))
    assert frame == [4, "1", "SecurityError", "x", {"a": 1}]


def test_encode_call_error_cuts_the_description_to_255_characters() -> None:
    frame = json.loads(encode_call_error("1", ErrorCode.GENERIC_ERROR, "x" * 1000))
    assert len(frame[3]) == 255
    assert frame[3].endswith("...")
    assert truncate_description("short") == "short"
    assert truncate_description("y" * 255) == "y" * 255


def test_encode_call_error_refuses_details_that_are_not_an_object() -> None:
    with pytest.raises(LocalProtocolError):
        encode_call_error("1", ErrorCode.GENERIC_ERROR, "", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        encode_call_error("1", ErrorCode.GENERIC_ERROR, "", {"x": object()})


def test_encode_writes_non_ascii_as_utf8_not_escapes() -> None:
    text = encode_call("1", "DataTransfer", {"vendorId": "Zoë ⚡"})
    assert "Zoë ⚡" in text


def test_encode_escapes_lone_surrogates_so_the_text_is_valid_utf8() -> None:
    text = dumps({"x": "a\ud800b", "y": "é"})
    text.encode("utf-8")  # does not raise
    assert json.loads(text) == {"x": "a\ud800b", "y": "é"}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_encode_refuses_non_finite_numbers(value: float) -> None:
    with pytest.raises(LocalProtocolError):
        encode_call("1", "DataTransfer", {"data": value})


@pytest.mark.parametrize("bad_id", ["", "x" * 37, 5, None, "\ud800"])
def test_encode_refuses_invalid_message_ids(bad_id: object) -> None:
    with pytest.raises(LocalProtocolError):
        encode_call(bad_id, "Heartbeat", {})  # type: ignore[arg-type]


def test_message_id_validity() -> None:
    assert is_valid_message_id("x" * 36)
    assert is_valid_message_id("-1")
    assert is_valid_message_id("é")
    assert not is_valid_message_id("x" * 37)
    assert not is_valid_message_id("")
    assert not is_valid_message_id(1)
    assert not is_valid_message_id(True)


# ------------------------------------------------------------------ decoding: good


def test_decode_call() -> None:
    incoming = decode('[2,"id-1","Heartbeat",{}]')
    assert incoming == Call("id-1", "Heartbeat", {})


def test_decode_accepts_utf8_bytes() -> None:
    incoming = decode('[2,"id-é","Heartbeat",{}]'.encode())
    assert incoming == Call("id-é", "Heartbeat", {})


def test_decode_call_result() -> None:
    assert decode('[3,"id-1",{"a":1}]') == CallResult("id-1", {"a": 1})


def test_decode_call_error_keeps_unknown_codes() -> None:
    incoming = decode('[4,"id-1","MadeUpCode","desc",{"k":"v"}]')
    assert incoming == CallErrorFrame("id-1", "MadeUpCode", "desc", {"k": "v"})


def test_decode_message_type_2_0_counts_as_2() -> None:
    assert decode('[2.0,"id-1","Heartbeat",{}]') == Call("id-1", "Heartbeat", {})


def test_decode_call_payload_is_not_checked_here() -> None:
    assert decode('[2,"id-1","Heartbeat",null]') == Call("id-1", "Heartbeat", None)


# ------------------------------------------------------------------ decoding: bad


def _reply(message: str | bytes) -> tuple[str, str]:
    incoming = decode(message)
    assert isinstance(incoming, Reply), incoming
    frame = json.loads(incoming.frame)
    assert len(frame) == 5 and frame[0] == 4 and frame[4] == {}
    assert frame[1] == incoming.message_id
    assert frame[2] == incoming.code.value
    assert frame[3] == incoming.reason[:255] or len(frame[3]) == 255
    return incoming.message_id, incoming.code.value


@pytest.mark.parametrize(
    "message",
    [
        b"\xff\xfe[2]",
        "not json",
        "[2,",
        "",
        '[2,"1","Heartbeat",{"a":NaN}]',
        '[2,"1","Heartbeat",{"a":Infinity}]',
        '[2,"1","Heartbeat",{"a":-Infinity}]',
        '{"a":1}',
        '"text"',
        "42",
        "null",
        "[]",
        "[2]",
        '[2,5,"Heartbeat",{}]',
        '[2,"","Heartbeat",{}]',
        '[2,"' + "x" * 37 + '","Heartbeat",{}]',
        "[" * 100_000,
    ],
)
def test_decode_unreadable_messages_get_minus_one_rpc_framework_error(
    message: str | bytes,
) -> None:
    assert _reply(message) == ("-1", "RpcFrameworkError")


def test_decode_unknown_message_type_keeps_the_readable_id() -> None:
    assert _reply('[5,"id-7","x"]') == ("id-7", "MessageTypeNotSupported")
    assert _reply('[0,"id-7"]') == ("id-7", "MessageTypeNotSupported")
    assert _reply('[2.5,"id-7"]') == ("id-7", "MessageTypeNotSupported")
    assert _reply("[9]") == ("-1", "MessageTypeNotSupported")
    assert _reply("[9, 12]") == ("-1", "MessageTypeNotSupported")


@pytest.mark.parametrize("message_type", ['"2"', "true", "null", "{}", "[2]"])
def test_decode_message_type_not_a_number(message_type: str) -> None:
    assert _reply(f'[{message_type},"id-7","Heartbeat",{{}}]') == (
        "id-7",
        "RpcFrameworkError",
    )
    assert _reply(f"[{message_type}]") == ("-1", "RpcFrameworkError")


@pytest.mark.parametrize(
    "message",
    ['[2,"id-7","Heartbeat"]', '[2,"id-7","Heartbeat",{},{}]', '[2,"id-7"]'],
)
def test_decode_call_of_wrong_length(message: str) -> None:
    assert _reply(message) == ("id-7", "RpcFrameworkError")


@pytest.mark.parametrize("action", ["5", "null", "{}", '["Heartbeat"]', "true"])
def test_decode_call_action_not_a_string(action: str) -> None:
    assert _reply(f'[2,"id-7",{action},{{}}]') == ("id-7", "RpcFrameworkError")


def test_decode_records_duplicate_keys_with_their_path() -> None:
    incoming = decode('[2,"1","X",{"a":{"b":1,"b":2},"c":[{"d":1,"d":1}]}]')
    assert isinstance(incoming, Call)
    assert incoming.payload == {"a": {"b": 2}, "c": [{"d": 1}]}
    paths = [(p.path, p.code.value) for p in incoming.syntax_problems]
    assert paths == [("$.a", "FormatViolation"), ("$.c[0]", "FormatViolation")]
    assert "duplicate key" in incoming.syntax_problems[0].message


def test_decode_records_numbers_too_large_for_a_float() -> None:
    incoming = decode('[2,"1","X",{"a":[1,1e400]}]')
    assert isinstance(incoming, Call)
    assert [p.path for p in incoming.syntax_problems] == ["$.a[1]"]


def test_decode_call_result_records_duplicates_too() -> None:
    incoming = decode('[3,"1",{"a":1,"a":2}]')
    assert isinstance(incoming, CallResult)
    assert [p.path for p in incoming.syntax_problems] == ["$"]


@pytest.mark.parametrize(
    ("message", "message_id"),
    [
        ('[3,"id-7"]', "id-7"),
        ('[3,"id-7",{},{}]', "id-7"),
        ("[3,7,{}]", None),
        ('[3,"",{}]', None),
        ("[3]", None),
        ('[4,"id-7","GenericError","x"]', "id-7"),
        ('[4,"id-7","GenericError","x",{},1]', "id-7"),
        ('[4,"id-7",5,"x",{}]', "id-7"),
        ('[4,"id-7","GenericError",null,{}]', "id-7"),
        ('[4,"id-7","GenericError","x",[]]', "id-7"),
        ('[4,"id-7","GenericError","x",null]', "id-7"),
        ('[4,null,"GenericError","x",{}]', None),
    ],
)
def test_decode_malformed_responses_are_ignored_never_answered(
    message: str, message_id: str | None
) -> None:
    incoming = decode(message)
    assert isinstance(incoming, Ignore)
    assert incoming.message_id == message_id
    assert incoming.reason


def test_decode_explains_anomalies_in_deeply_nested_payloads() -> None:
    depth = 800
    message = '[2,"1","X",{"a":' + "[" * depth + '{"k":1,"k":2}' + "]" * depth + "}]"
    incoming = decode(message)
    assert isinstance(incoming, Call)
    (problem,) = incoming.syntax_problems
    assert problem.path == "$.a" + "[0]" * depth


def test_encode_call_error_refuses_circular_details() -> None:
    details: dict[str, object] = {}
    details["self"] = details
    with pytest.raises(LocalProtocolError):
        encode_call_error("1", ErrorCode.GENERIC_ERROR, "", details)


# ------------------------------------------------------------------ decode never raises

DEEP_TEMPLATES = [
    '[2,%s,"Heartbeat",{}]',  # the id: described in the CALLERROR's text
    '[2,"id",%s,{}]',  # the action: described
    "[3,%s,{}]",
    '[4,"id",%s,"",{}]',  # a CALLERROR's code: described
    '[4,"id","x",%s,{}]',
    '[4,"id","x","",%s]',
    '[%s,"id"]',  # the message type: described
    '[2,"id","X",{"a":%s,"a":1}]',  # a duplicate key: explained
]


def _nested(kind: str, depth: int) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def _at_stack_depth(frames: int, function: Callable[[], T]) -> T:
    """``function()`` called ``frames`` Python frames deeper than here."""
    if frames:
        return _at_stack_depth(frames - 1, function)
    return function()


def _deepest_parsable_nesting() -> int:
    """The deepest array nesting ``json.loads`` parses from the current stack."""
    low, high = 1, 1_000_000
    while low < high:
        middle = (low + high + 1) // 2
        try:
            json.loads("[" * middle + "]" * middle)
        except RecursionError:
            high = middle - 1
        else:
            low = middle
    return low


@pytest.mark.parametrize("frames", [0, 50])
def test_decode_never_raises_on_nesting_at_the_parser_limit(frames: int) -> None:
    # Nesting the C parser accepts but json.dumps cannot write back (a few levels
    # below the parser's limit, which depends on how deep the stack already is)
    # once made _describe() raise RecursionError out of decode().
    deepest = _at_stack_depth(frames, _deepest_parsable_nesting)
    for kind in ("array", "object"):
        for template in DEEP_TEMPLATES:
            for depth in range(max(1, deepest - 16), deepest + 4):
                message = template % _nested(kind, depth)
                incoming = _at_stack_depth(frames, functools.partial(decode, message))
                assert isinstance(
                    incoming, Call | CallResult | CallErrorFrame | Reply | Ignore
                )
                if template.startswith("[2,%s"):  # the id is unreadable: "-1"
                    assert isinstance(incoming, Reply)
                    assert incoming.message_id == "-1"
                    assert incoming.code is ErrorCode.RPC_FRAMEWORK_ERROR


def test_describing_a_value_nested_deeper_than_the_recursion_limit() -> None:
    value: list[object] = []
    for _ in range(100_000):  # deeper than any recursion limit (Python or C)
        value = [value]
    text = _framing._describe(value)
    assert "array" in text and len(text) <= 40


def test_decode_answers_minus_one_whatever_goes_wrong_inside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> object:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(_framing, "_decode_call", broken)
    incoming = decode('[2,"1","Heartbeat",{}]')
    assert isinstance(incoming, Reply)
    assert json.loads(incoming.frame) == [
        4,
        "-1",
        "RpcFrameworkError",
        "message could not be read",
        {},
    ]
