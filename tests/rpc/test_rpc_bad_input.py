"""The bad-input table of docs/rpc.md, row by row, through a real endpoint.

Each test drives a running endpoint over the in-memory pair with a raw peer and
checks the exact frame sent back -- or, for responses, that nothing is sent.
Row numbers (R1, R2, ...) are those of the table in docs/rpc.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

import pytest
from rpc_helpers import (
    BOOT_PAYLOAD,
    BootHeartbeatCsms,
    boot_request,
    capture_logs,
    connected,
    error_frame,
    heartbeat_response,
    reset_response,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    ChargePoint,
    ErrorCode,
    HandlerError,
    RemoteProtocolError,
    RemoteValidationError,
    _framing,
    on,
)
from ocpp201 import messages as m


@pytest.fixture(autouse=True)
def _under_each_json_backend(json_backend: str) -> None:
    """Every test of this module runs under each JSON backend (tests/conftest.py)."""


class Station(ChargePoint):
    @on(Action.RESET)
    async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        return reset_response()


async def _answer(
    message: str | bytes, endpoint_cls: Any = BootHeartbeatCsms, **options: Any
) -> Any:
    async with connected(endpoint_cls, **options) as (_, peer):
        return await peer.exchange(message)


def answer(
    message: str | bytes, endpoint_cls: Any = BootHeartbeatCsms, **options: Any
) -> Any:
    return run(_answer(message, endpoint_cls, **options))


# ------------------------------------------------------------------ R1-R4: unreadable


@pytest.mark.parametrize(
    "message",
    [b"\xc3\x28", b'[2,"a\xff","Heartbeat",{}]', b"\xed\xa0\x80"],
    ids=["invalid-continuation", "invalid-byte-in-id", "encoded-surrogate"],
)
def test_r1_bytes_not_utf8(message: bytes) -> None:
    frame = answer(message)
    assert error_frame(frame) == ("-1", "RpcFrameworkError")
    assert "UTF-8" in frame[3]


@pytest.mark.parametrize(
    "message",
    [
        "",
        "hello",
        "[2,",
        '[2,"a","Heartbeat",{}',
        "[2 'a']",
        '[2,"a","Heartbeat",{"x":NaN}]',
        '[2,"a","Heartbeat",{"x":Infinity}]',
        '[2,"a","Heartbeat",{"x":-Infinity}]',
    ],
    ids=["empty", "word", "truncated", "unclosed", "quotes", "nan", "inf", "-inf"],
)
def test_r2_not_json(message: str) -> None:
    frame = answer(message)
    assert frame == [4, "-1", "RpcFrameworkError", frame[3], {}]
    assert "not valid JSON" in frame[3]


@pytest.mark.parametrize("message", ['{"a":2}', '"x"', "2", "null", "true", "[]"])
def test_r3_not_an_array_or_empty(message: str) -> None:
    assert error_frame(answer(message)) == ("-1", "RpcFrameworkError")


@pytest.mark.parametrize(
    "message",
    [
        "[2]",
        '[2,7,"Heartbeat",{}]',
        '[2,null,"Heartbeat",{}]',
        '[2,"","Heartbeat",{}]',
        json.dumps([2, "x" * 37, "Heartbeat", {}]),
        '[2,["id"],"Heartbeat",{}]',
    ],
    ids=["missing", "number", "null", "empty", "37-chars", "array"],
)
def test_r4_message_id_unreadable(message: str) -> None:
    frame = answer(message)
    assert error_frame(frame) == ("-1", "RpcFrameworkError")
    assert "message id" in frame[3]


def test_r2_r4_nesting_at_any_depth_is_answered_minus_one() -> None:
    # An id nested just below the parser's limit once made decode() raise (json.dumps
    # of the id for the description hit the recursion limit): no answer at all.
    # The depth at which that happens depends on the receive loop's stack, so try
    # every depth up to past the parser's limit.
    async def scenario() -> None:
        async with connected(BootHeartbeatCsms) as (_, peer):
            for depth in range(max(1, sys.getrecursionlimit() - 150), 1100):
                await peer.send('[2,%s,"Heartbeat",{}]' % ("[" * depth + "]" * depth))
                frame = await peer.recv()
                assert error_frame(frame) == ("-1", "RpcFrameworkError"), depth

    run(scenario())


def test_r1_r4_a_message_that_cannot_be_read_for_any_reason_is_answered_minus_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The last resort in the endpoint, should the framing layer ever raise.
    def broken(message: str | bytes) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(_framing, "decode", broken)
    with capture_logs() as logs:
        frame = answer('[2,"1","Heartbeat",{}]')
    assert frame == [4, "-1", "RpcFrameworkError", "message could not be read", {}]
    assert any("could not read" in t for t in logs.messages(logging.ERROR))


def test_r4_a_36_character_id_is_fine() -> None:
    message_id = "x" * 36
    frame = answer(json.dumps([2, message_id, "Heartbeat", {}]))
    assert frame[:2] == [3, message_id]


# ------------------------------------------------------------------ R5-R8: frame shape


@pytest.mark.parametrize(
    ("message", "message_id"),
    [
        ('[5,"id-5",{}]', "id-5"),
        ('[1,"id-1"]', "id-1"),
        ('[-2,"m"]', "m"),
        ('[2.5,"id-x","Heartbeat",{}]', "id-x"),
        ("[6]", "-1"),
        ("[6,17]", "-1"),
    ],
)
def test_r5_unknown_message_type(message: str, message_id: str) -> None:
    frame = answer(message)
    assert error_frame(frame) == (message_id, "MessageTypeNotSupported")


@pytest.mark.parametrize(
    ("message", "message_id"),
    [
        ('["2","id-1","Heartbeat",{}]', "id-1"),
        ('[true,"id-1","Heartbeat",{}]', "id-1"),
        ('[null,"id-1"]', "id-1"),
        ('[{},"id-1"]', "id-1"),
        ('["2"]', "-1"),
    ],
)
def test_r6_message_type_not_a_number(message: str, message_id: str) -> None:
    assert error_frame(answer(message)) == (message_id, "RpcFrameworkError")


@pytest.mark.parametrize(
    "message",
    ['[2,"id-1"]', '[2,"id-1","Heartbeat"]', '[2,"id-1","Heartbeat",{},{}]'],
)
def test_r7_call_of_wrong_length(message: str) -> None:
    frame = answer(message)
    assert error_frame(frame) == ("id-1", "RpcFrameworkError")
    assert "4 elements" in frame[3]


@pytest.mark.parametrize("action", [None, 5, {}, ["Heartbeat"], True])
def test_r8_action_not_a_string(action: Any) -> None:
    frame = answer(json.dumps([2, "id-1", action, {}]))
    assert error_frame(frame) == ("id-1", "RpcFrameworkError")


# ------------------------------------------------------------------ R9-R12: action


@pytest.mark.parametrize(
    "action", ["FooBar", "heartbeat", "HeartbeatRequest", "", "Boot Notification"]
)
def test_r9_unknown_action_is_not_implemented(action: str) -> None:
    frame = answer(json.dumps([2, "id-1", action, {}]))
    assert error_frame(frame) == ("id-1", "NotImplemented")


def test_r10_known_action_without_handler_is_not_supported() -> None:
    frame = answer('[2,"id-1","StatusNotification",{}]')
    assert frame == [
        4,
        "id-1",
        "NotSupported",
        "StatusNotification is not supported",
        {},
    ]


def test_r10_even_with_an_invalid_payload_the_action_is_checked_first() -> None:
    frame = answer('[2,"id-1","StatusNotification",[1,2]]')
    assert error_frame(frame) == ("id-1", "NotSupported")


@pytest.mark.parametrize(
    ("endpoint_cls", "action"),
    [
        (BootHeartbeatCsms, "Reset"),
        (BootHeartbeatCsms, "GetVariables"),
        (Station, "BootNotification"),
        (Station, "Heartbeat"),
        (ChargePoint, "TransactionEvent"),
    ],
)
def test_r11_action_sent_in_the_wrong_direction_is_not_supported(
    endpoint_cls: Any, action: str
) -> None:
    frame = answer(json.dumps([2, "id-1", action, {}]), endpoint_cls)
    assert error_frame(frame) == ("id-1", "NotSupported")
    assert "is sent by the" in frame[3]


# ------------------------------------------------------------------ R12: duplicate id


class SlowCsms(CSMS):
    release: asyncio.Event

    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        await asyncio.wait_for(self.release.wait(), 5)
        return heartbeat_response()


def test_r12_call_with_the_id_of_one_still_being_handled() -> None:
    async def scenario() -> None:
        # With one handler at a time the endpoint would not even read the
        # duplicate until the first is answered (back-pressure); with two it does.
        async with connected(SlowCsms, handler_concurrency=2) as (csms, peer):
            csms.release = asyncio.Event()
            await peer.send('[2,"dup","Heartbeat",{}]')
            await asyncio.sleep(0.01)
            frame = await peer.exchange('[2,"dup","Heartbeat",{}]')
            assert error_frame(frame) == ("dup", "RpcFrameworkError")
            assert "already being handled" in frame[3]
            csms.release.set()
            assert (await peer.recv())[:2] == [3, "dup"]
            # Once answered, the id may be used again (the peer's business).
            frame = await peer.exchange('[2,"dup","Heartbeat",{}]')
            assert frame[:2] == [3, "dup"]

    run(scenario())


# ------------------------------------------------------------------ R13-R14: limits


def _get_variables(count: int) -> str:
    data = [
        {"component": {"name": "C"}, "variable": {"name": f"V{i}"}}
        for i in range(count)
    ]
    return json.dumps([2, "id-1", "GetVariables", {"getVariableData": data}])


class VariablesStation(ChargePoint):
    @on(Action.GET_VARIABLES)
    async def get_variables(
        self, request: m.GetVariablesRequest
    ) -> m.GetVariablesResponse:
        raise HandlerError(ErrorCode.GENERIC_ERROR, "reached the handler")


def test_r13_call_larger_than_the_byte_limit_is_a_format_violation() -> None:
    message = _get_variables(3)
    limit = len(message.encode()) - 1
    frame = answer(message, VariablesStation, bytes_per_message={"GetVariables": limit})
    assert error_frame(frame) == ("id-1", "FormatViolation")
    assert "BytesPerMessage" in frame[3]
    assert frame[4]["problems"][0]["code"] == "FormatViolation"
    # At the limit exactly: accepted (the handler is reached).
    frame = answer(message, VariablesStation, bytes_per_message=limit + 1)
    assert frame[2] == "GenericError"


def test_r13_byte_limit_counts_utf8_bytes() -> None:
    message = json.dumps(
        [2, "id-1", "DataTransfer", {"vendorId": "é" * 10}], ensure_ascii=False
    )
    size = len(message.encode())
    assert size > len(message)

    class Dt(CSMS):
        @on(Action.DATA_TRANSFER)
        def transfer(self, request: m.DataTransferRequest) -> m.DataTransferResponse:
            raise HandlerError(ErrorCode.GENERIC_ERROR, "reached")

    assert answer(message, Dt, bytes_per_message=size - 1)[2] == "FormatViolation"
    assert answer(message, Dt, bytes_per_message=size)[2] == "GenericError"


def test_r14_array_longer_than_the_item_limit() -> None:
    frame = answer(
        _get_variables(4), VariablesStation, items_per_message={"GetVariables": 3}
    )
    assert error_frame(frame) == ("id-1", "OccurrenceConstraintViolation")
    problem = frame[4]["problems"][0]
    assert problem["path"] == "$.getVariableData"
    assert "ItemsPerMessage" in problem["message"]
    frame = answer(_get_variables(3), VariablesStation, items_per_message=3)
    assert frame[2] == "GenericError"


def test_r14_item_limit_as_int_applies_to_every_listed_action() -> None:
    frame = answer(_get_variables(2), VariablesStation, items_per_message=1)
    assert error_frame(frame) == ("id-1", "OccurrenceConstraintViolation")


# ------------------------------------------------------------------ R15-R17: payload


def test_r15_duplicate_keys_are_a_format_violation() -> None:
    message = (
        '[2,"id-1","BootNotification",{"reason":"PowerUp","reason":"PowerUp",'
        '"chargingStation":{"model":"M","vendorName":"V"}}]'
    )
    frame = answer(message)
    assert error_frame(frame) == ("id-1", "FormatViolation")
    assert frame[4]["problems"][0]["path"] == "$"
    assert "duplicate key" in frame[4]["problems"][0]["message"]


def test_r15_number_too_large_is_a_format_violation() -> None:
    frame = answer('[2,"id-1","Heartbeat",{"customData":{"vendorId":"v","n":1e999}}]')
    assert error_frame(frame) == ("id-1", "FormatViolation")
    assert frame[4]["problems"][0]["path"] == "$.customData.n"


@pytest.mark.parametrize("payload", [None, [], "x", 1, True])
def test_r16_payload_not_an_object(payload: Any) -> None:
    frame = answer(json.dumps([2, "id-1", "Heartbeat", payload]))
    assert error_frame(frame) == ("id-1", "FormatViolation")


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({**BOOT_PAYLOAD, "reason": 5}, "TypeConstraintViolation"),
        (
            {**BOOT_PAYLOAD, "chargingStation": {"model": "x" * 21, "vendorName": "V"}},
            "TypeConstraintViolation",
        ),
        ({"reason": "PowerUp"}, "OccurrenceConstraintViolation"),
        ({**BOOT_PAYLOAD, "reason": "Whatever"}, "PropertyConstraintViolation"),
        ({**BOOT_PAYLOAD, "extra": 1}, "ProtocolError"),
        ({**BOOT_PAYLOAD, "customData": None}, "TypeConstraintViolation"),
    ],
    ids=["type", "max-length", "missing", "enum", "unknown-property", "null"],
)
def test_r17_payload_problems_get_the_codec_error_code(payload: Any, code: str) -> None:
    frame = answer(json.dumps([2, "id-1", "BootNotification", payload]))
    assert error_frame(frame) == ("id-1", code)
    assert frame[4]["problems"][0]["code"] == code


def test_r17_the_first_problems_are_listed_the_rest_counted() -> None:
    payload = {
        "chargingStation": {"model": 1, "vendorName": 2, "junk": [1] * 50},
        "reason": "Nope",
        **{f"unknown{i}": i for i in range(30)},
    }
    frame = answer(json.dumps([2, "id-1", "BootNotification", payload]))
    assert error_frame(frame) == ("id-1", "TypeConstraintViolation")
    problems = frame[4]["problems"]
    assert len(problems) == 20  # the first 20 of 2 + 1 + 1 + 30, in document order
    assert frame[4]["omittedProblems"] == 14
    assert {p["path"] for p in problems} >= {
        "$.chargingStation.model",
        "$.chargingStation.vendorName",
        "$.chargingStation.junk",
        "$.reason",
        "$.unknown15",
    }
    assert all(set(p) == {"path", "code", "message"} for p in problems)
    assert len(frame[3]) <= 255


# ------------------------------------------------------------------ R18-R20: responses


@pytest.mark.parametrize(
    "message",
    [
        '[3,"nobody-asked",{}]',
        '[4,"nobody-asked","GenericError","",{}]',
        '[3,"id-1"]',
        '[3,"id-1",{},{}]',
        "[3]",
        "[3,5,{}]",
        '[3,"",{}]',
        '[3,"' + "x" * 40 + '",{}]',
        '[4,"id-1"]',
        '[4,"id-1","GenericError","x"]',
        '[4,"id-1",5,"x",{}]',
        '[4,"id-1","GenericError",5,{}]',
        '[4,"id-1","GenericError","x",[]]',
        '[4,"id-1","GenericError","x",{},{}]',
        "[4,null]",
        '[3,"id-1",{"a":1,"a":1}]',
        '[3,"id-1",null]',
    ],
)
def test_r18_responses_are_never_answered(message: str) -> None:
    async def scenario() -> None:
        async with connected(BootHeartbeatCsms) as (_, peer):
            await peer.send(message)
            await peer.expect_nothing()

    run(scenario())


def test_r19_malformed_response_to_our_call_fails_it_and_is_not_answered() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            task = asyncio.ensure_future(cp.call(boot_request(), timeout=5))
            frame = await peer.recv()
            await peer.send_json([4, frame[1], "GenericError", "missing details"])
            with pytest.raises(RemoteProtocolError, match="5 elements"):
                await asyncio.wait_for(task, 2)
            await peer.expect_nothing()

    run(scenario())


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"interval": 300, "status": "Accepted"}, "OccurrenceConstraintViolation"),
        (
            {"currentTime": "yesterday", "interval": 300, "status": "Accepted"},
            "TypeConstraintViolation",
        ),
        ([], "FormatViolation"),
    ],
)
def test_r20_invalid_callresult_payload_fails_our_call_and_is_not_answered(
    payload: Any, code: str
) -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            task = asyncio.ensure_future(cp.call(boot_request(), timeout=5))
            frame = await peer.answer_next_call(payload)
            with pytest.raises(RemoteValidationError) as info:
                await asyncio.wait_for(task, 2)
            assert info.value.code.value == code
            assert info.value.message_id == frame[1]
            assert info.value.action == "BootNotification"
            await peer.expect_nothing()

    run(scenario())


# ------------------------------------------------------------------ R21-R23: handlers


class FailingCsms(CSMS):
    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        raise KeyError("secret internal detail")

    @on(Action.AUTHORIZE)
    async def authorize(self, request: m.AuthorizeRequest) -> m.AuthorizeResponse:
        raise HandlerError(
            ErrorCode.SECURITY_ERROR, "not accepted yet", {"hint": "boot first"}
        )

    @on(Action.BOOT_NOTIFICATION)
    async def boot(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        return heartbeat_response()  # type: ignore[return-value]

    @on(Action.STATUS_NOTIFICATION)
    async def status(
        self, request: m.StatusNotificationRequest
    ) -> m.StatusNotificationResponse:
        return None  # type: ignore[return-value]


def test_r21_handler_exception_is_an_internal_error_without_details() -> None:
    frame = answer('[2,"id-1","Heartbeat",{}]', FailingCsms)
    assert frame == [
        4,
        "id-1",
        "InternalError",
        "An internal error occurred while handling Heartbeat",
        {},
    ]
    assert "secret" not in json.dumps(frame)


def test_r22_handler_error_sends_its_code() -> None:
    message = json.dumps(
        [2, "id-1", "Authorize", {"idToken": {"idToken": "t", "type": "ISO14443"}}]
    )
    frame = answer(message, FailingCsms)
    assert frame == [
        4,
        "id-1",
        "SecurityError",
        "not accepted yet",
        {"hint": "boot first"},
    ]


@pytest.mark.parametrize(
    "message",
    [
        json.dumps([2, "id-1", "BootNotification", BOOT_PAYLOAD]),
        json.dumps(
            [
                2,
                "id-1",
                "StatusNotification",
                {
                    "timestamp": "2025-01-01T00:00:00Z",
                    "connectorStatus": "Available",
                    "evseId": 1,
                    "connectorId": 1,
                },
            ]
        ),
    ],
    ids=["wrong-class", "none"],
)
def test_r23_handler_returning_the_wrong_type_is_an_internal_error(
    message: str,
) -> None:
    frame = answer(message, FailingCsms)
    assert error_frame(frame) == ("id-1", "InternalError")
