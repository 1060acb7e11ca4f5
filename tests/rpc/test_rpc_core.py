"""The sans-I/O core, :class:`ocpp201.RpcConnection`, driven directly: no event loop.

Every row of the bad-input table of docs/rpc.md (R1-R23) is checked here against the
core alone, with the same inputs as ``test_rpc_bad_input.py`` uses through a real
endpoint; then the core's own rules (one outstanding CALL, message ids, the backlog,
bounded CALLERRORs, closing).  Test names start with the row number.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rpc_helpers import (
    BOOT_PAYLOAD,
    BOOT_RESPONSE_PAYLOAD,
    boot_request,
    boot_response,
    heartbeat_response,
)

import ocpp201
from ocpp201 import (
    CallError,
    CallFailed,
    CallReceived,
    CallSucceeded,
    CloseConnection,
    ConnectionClosedError,
    ErrorCode,
    FrameDropped,
    LocalProtocolError,
    LocalValidationError,
    RemoteProtocolError,
    RemoteValidationError,
    RpcConnection,
    Sender,
    SendReply,
)
from ocpp201 import messages as m


@pytest.fixture(autouse=True)
def _under_each_json_backend(json_backend: str) -> None:
    """Every test of this module runs under each JSON backend (tests/conftest.py)."""


ROOT = Path(__file__).resolve().parents[2]

CSMS_HANDLERS = {
    "BootNotification": "boot",
    "Heartbeat": "heartbeat",
    "Authorize": "authorize",
    "StatusNotification": "status",
    "DataTransfer": "transfer",
}


def csms(**options: Any) -> RpcConnection:
    return RpcConnection(Sender.CSMS, handlers=CSMS_HANDLERS, **options)


def station(**options: Any) -> RpcConnection:
    handlers = {"Reset": "reset", "GetVariables": "get_variables"}
    return RpcConnection(Sender.CHARGING_STATION, handlers=handlers, **options)


def reply_of(event: object) -> list[Any]:
    """The frame of a SendReply, decoded, with the shape every CALLERROR has."""
    assert isinstance(event, SendReply), event
    frame = json.loads(event.frame)
    if frame[0] == 4:
        assert len(frame) == 5 and isinstance(frame[4], dict), frame
        assert isinstance(frame[3], str) and len(frame[3]) <= 255
        assert len(event.frame.encode()) <= ocpp201._protocol.MAX_CALLERROR_BYTES
        assert event.code is not None and event.code.value == frame[2]
    assert event.message_id == frame[1]
    return frame  # type: ignore[no-any-return]


def code_of(message: str | bytes, conn: RpcConnection | None = None) -> tuple[str, str]:
    frame = reply_of((conn or csms()).receive(message))
    return frame[1], frame[2]


# ------------------------------------------------------------------ R1-R8: the frame


@pytest.mark.parametrize(
    "message", [b"\xc3\x28", b'[2,"a\xff","Heartbeat",{}]', b"\xed\xa0\x80"]
)
def test_r1_bytes_not_utf8(message: bytes) -> None:
    event = csms().receive(message)
    assert isinstance(event, SendReply) and event.bad_frame
    assert code_of(message) == ("-1", "RpcFrameworkError")


@pytest.mark.parametrize(
    "message", ["", "hello", "[2,", '[2,"a","Heartbeat",{"x":NaN}]', "[2,Infinity]"]
)
def test_r2_not_json(message: str) -> None:
    assert code_of(message) == ("-1", "RpcFrameworkError")


def test_r2_nesting_too_deep() -> None:
    assert code_of("[" * 100_000 + "]" * 100_000) == ("-1", "RpcFrameworkError")


@pytest.mark.parametrize("message", ['{"a":2}', '"x"', "2", "null", "true", "[]"])
def test_r3_not_an_array_or_empty(message: str) -> None:
    assert code_of(message) == ("-1", "RpcFrameworkError")


@pytest.mark.parametrize(
    "message",
    [
        "[2]",
        '[2,7,"Heartbeat",{}]',
        '[2,"","Heartbeat",{}]',
        json.dumps([2, "x" * 37, "Heartbeat", {}]),
        '[2,[[["id"]]],"Heartbeat",{}]',
    ],
)
def test_r4_message_id_unreadable(message: str) -> None:
    assert code_of(message) == ("-1", "RpcFrameworkError")


@pytest.mark.parametrize(
    ("message", "message_id"),
    [('[5,"id-5",{}]', "id-5"), ('[2.5,"id-x","Heartbeat",{}]', "id-x"), ("[6]", "-1")],
)
def test_r5_unknown_message_type(message: str, message_id: str) -> None:
    assert code_of(message) == (message_id, "MessageTypeNotSupported")


@pytest.mark.parametrize(
    ("message", "message_id"),
    [
        ('["2","id-1","Heartbeat",{}]', "id-1"),
        ('[true,"id-1"]', "id-1"),
        ('["2"]', "-1"),
    ],
)
def test_r6_message_type_not_a_number(message: str, message_id: str) -> None:
    assert code_of(message) == (message_id, "RpcFrameworkError")


@pytest.mark.parametrize("message", ['[2,"id-1"]', '[2,"id-1","Heartbeat",{},{}]'])
def test_r7_call_of_wrong_length(message: str) -> None:
    assert code_of(message) == ("id-1", "RpcFrameworkError")


@pytest.mark.parametrize("action", [None, 5, {}, ["Heartbeat"], True])
def test_r8_action_not_a_string(action: Any) -> None:
    assert code_of(json.dumps([2, "id-1", action, {}])) == ("id-1", "RpcFrameworkError")


# ------------------------------------------------------------------ R9-R12: action, id


@pytest.mark.parametrize("action", ["FooBar", "heartbeat", "", "Boot Notification"])
def test_r9_unknown_action(action: str) -> None:
    assert code_of(json.dumps([2, "id-1", action, {}])) == ("id-1", "NotImplemented")


def test_r10_known_action_without_handler() -> None:
    frame = reply_of(csms().receive('[2,"id-1","MeterValues",[1,2]]'))
    assert frame == [4, "id-1", "NotSupported", "MeterValues is not supported", {}]


@pytest.mark.parametrize(
    ("conn", "action"),
    [(csms(), "Reset"), (station(), "BootNotification"), (station(), "Heartbeat")],
)
def test_r11_action_sent_in_the_wrong_direction(
    conn: RpcConnection, action: str
) -> None:
    frame = reply_of(conn.receive(json.dumps([2, "id-1", action, {}])))
    assert frame[2] == "NotSupported" and "is sent by the" in frame[3]


def test_r12_duplicate_id_in_progress_and_free_again_once_answered() -> None:
    conn = csms()
    call = conn.receive('[2,"dup","Heartbeat",{}]')
    assert isinstance(call, CallReceived)
    assert call.handler == "heartbeat" and isinstance(call.request, m.HeartbeatRequest)
    frame = reply_of(conn.receive('[2,"dup","Heartbeat",{}]'))
    assert frame[:3] == [4, "dup", "RpcFrameworkError"]
    assert "already being handled" in frame[3]
    answer = conn.respond(call, heartbeat_response())
    assert json.loads(answer.frame)[:2] == [3, "dup"]
    # The id is free again as soon as the reply is built, before it is even sent.
    assert isinstance(conn.receive('[2,"dup","Heartbeat",{}]'), CallReceived)


# ------------------------------------------------------------------ R13-R17: payload


def _get_variables(count: int) -> str:
    data = [
        {"component": {"name": "C"}, "variable": {"name": f"V{i}"}}
        for i in range(count)
    ]
    return json.dumps([2, "id-1", "GetVariables", {"getVariableData": data}])


def test_r13_byte_limit() -> None:
    message = _get_variables(3)
    size = len(message.encode())
    frame = reply_of(station(bytes_per_message=size - 1).receive(message))
    assert frame[2] == "FormatViolation" and "BytesPerMessage" in frame[3]
    assert isinstance(station(bytes_per_message=size).receive(message), CallReceived)


def test_r14_item_limit() -> None:
    frame = reply_of(station(items_per_message=3).receive(_get_variables(4)))
    assert frame[2] == "OccurrenceConstraintViolation"
    assert frame[4]["problems"][0]["path"] == "$.getVariableData"
    assert isinstance(
        station(items_per_message=3).receive(_get_variables(3)), CallReceived
    )


@pytest.mark.parametrize(
    "message",
    [
        '[2,"id-1","Heartbeat",{"customData":{"vendorId":"v","a":1,"a":2}}]',
        '[2,"id-1","Heartbeat",{"customData":{"vendorId":"v","n":1e999}}]',
    ],
)
def test_r15_duplicate_key_or_huge_number(message: str) -> None:
    event = csms().receive(message)
    assert reply_of(event)[2] == "FormatViolation"
    assert isinstance(event, SendReply) and event.validation is not None
    if '"a":2' in message:  # tolerant mode accepts duplicates (the last one wins)
        assert isinstance(csms(validate_incoming=False).receive(message), CallReceived)


@pytest.mark.parametrize("payload", [None, [], "x", 1, True])
def test_r16_payload_not_an_object(payload: Any) -> None:
    assert (
        code_of(json.dumps([2, "id-1", "Heartbeat", payload]))[1] == "FormatViolation"
    )


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({**BOOT_PAYLOAD, "reason": 5}, "TypeConstraintViolation"),
        ({"reason": "PowerUp"}, "OccurrenceConstraintViolation"),
        ({**BOOT_PAYLOAD, "reason": "Whatever"}, "PropertyConstraintViolation"),
        ({**BOOT_PAYLOAD, "extra": 1}, "ProtocolError"),
    ],
)
def test_r17_payload_problems_get_the_codec_error_code(payload: Any, code: str) -> None:
    event = csms().receive(json.dumps([2, "id-1", "BootNotification", payload]))
    frame = reply_of(event)
    assert frame[2] == code and frame[4]["problems"][0]["code"] == code
    assert isinstance(event, SendReply) and event.validation is not None
    assert event.validation.direction == "incoming"


def test_r17_tolerant_mode_drops_unknown_properties() -> None:
    payload = {**BOOT_PAYLOAD, "extra": 1}
    event = csms(validate_incoming=False).receive(
        json.dumps([2, "id-1", "BootNotification", payload])
    )
    assert isinstance(event, CallReceived)
    assert [problem.path for problem in event.tolerated] == ["$.extra"]


# ------------------------------------------------------------------ R18-R20: responses


@pytest.mark.parametrize(
    "message",
    [
        '[3,"nobody-asked",{}]',
        '[4,"nobody-asked","GenericError","",{}]',
        '[3,"id-1"]',
        "[3]",
        '[4,"id-1",5,"x",{}]',
        '[4,"id-1","GenericError","x",[]]',
        "[4,null]",
    ],
)
def test_r18_responses_are_never_answered(message: str) -> None:
    event = csms().receive(message)
    assert isinstance(event, FrameDropped) and event.unmatched is not None
    assert event.unmatched.frame == message


def test_r19_malformed_response_to_our_call() -> None:
    conn = station()
    started = conn.start_call(conn.prepare_call(boot_request()))
    event = conn.receive(json.dumps([4, started.message_id, "GenericError", "x"]))
    assert isinstance(event, CallFailed) and event.message_id == started.message_id
    assert isinstance(event.error, RemoteProtocolError)
    assert "5 elements" in str(event.error)
    assert not conn.awaiting_response


def test_r20_invalid_callresult_payload() -> None:
    conn = station()
    started = conn.start_call(conn.prepare_call(boot_request()))
    payload = {"interval": 300, "status": "Accepted"}
    event = conn.receive(json.dumps([3, started.message_id, payload]))
    assert isinstance(event, CallFailed)
    assert isinstance(event.error, RemoteValidationError)
    assert event.error.code == ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
    assert event.validation is not None and event.validation.kind == "response"


# ------------------------------------------------------------------ R21-R23: handlers


def _admitted(conn: RpcConnection, message: str) -> CallReceived:
    event = conn.receive(message)
    assert isinstance(event, CallReceived), event
    return event


def test_r21_handler_failure_is_an_internal_error() -> None:
    conn = csms()
    call = _admitted(conn, '[2,"id-1","Heartbeat",{}]')
    frame = reply_of(conn.respond_internal_error(call))
    assert frame == [
        4,
        "id-1",
        "InternalError",
        "An internal error occurred while handling Heartbeat",
        {},
    ]


def test_r22_handler_error_sends_its_code_description_and_details() -> None:
    conn = csms()
    message = json.dumps(
        [2, "id-1", "Authorize", {"idToken": {"idToken": "t", "type": "ISO14443"}}]
    )
    call = _admitted(conn, message)
    reply = conn.respond_error(call, ErrorCode.SECURITY_ERROR, "no", {"hint": "boot"})
    assert reply_of(reply) == [4, "id-1", "SecurityError", "no", {"hint": "boot"}]


@pytest.mark.parametrize("response", [None, "text", m.HeartbeatResponse])
def test_r23_handler_returning_the_wrong_type(response: Any) -> None:
    conn = csms()
    call = _admitted(conn, json.dumps([2, "id-1", "BootNotification", BOOT_PAYLOAD]))
    reply = conn.respond(call, response)
    assert reply_of(reply)[2] == "InternalError"
    assert reply.our_fault and "not the peer's" in reply.reason


# ------------------------------------------------------------------ our calls


def test_a_call_round_trip() -> None:
    conn = station()
    started = conn.start_call(conn.prepare_call(boot_request()))
    assert json.loads(started.frame)[:3] == [2, started.message_id, "BootNotification"]
    assert conn.awaiting_response
    event = conn.receive(json.dumps([3, started.message_id, BOOT_RESPONSE_PAYLOAD]))
    assert isinstance(event, CallSucceeded)
    assert event.response == boot_response()
    late = conn.receive(json.dumps([3, started.message_id, BOOT_RESPONSE_PAYLOAD]))
    assert isinstance(late, FrameDropped) and late.unmatched is not None


def test_a_callerror_answer_keeps_its_code_verbatim() -> None:
    conn = station()
    started = conn.start_call(conn.prepare_call(boot_request()))
    event = conn.receive(json.dumps([4, started.message_id, "Vendor", "d", {"a": 1}]))
    assert isinstance(event, CallFailed) and isinstance(event.error, CallError)
    assert event.error.code == "Vendor" and event.error.details == {"a": 1}


def test_one_outstanding_call_at_a_time() -> None:
    conn = station()
    prepared = conn.prepare_call(boot_request())
    started = conn.start_call(prepared)
    with pytest.raises(LocalProtocolError, match="outstanding"):
        conn.start_call(prepared)
    conn.abandon_call(started.message_id)
    conn.start_call(prepared)


def test_prepare_call_checks_role_and_validity_without_changing_state() -> None:
    with pytest.raises(LocalProtocolError, match="cannot send Reset"):
        station().prepare_call(
            m.ResetRequest(type=ocpp201.enums.ResetEnumType.IMMEDIATE)
        )
    with pytest.raises(LocalProtocolError, match="request object"):
        csms().prepare_call(object())
    request = m.HeartbeatRequest(
        custom_data=ocpp201.datatypes.CustomDataType(vendor_id="v")
    )
    object.__setattr__(request.custom_data, "vendor_id", "x" * 300)
    with pytest.raises(LocalValidationError):
        station().prepare_call(request)


def test_repeated_ids_of_a_factory_are_refused_within_the_memory() -> None:
    ids = iter(["a", "b", "c", "d", "a"])
    conn = station(message_id_factory=lambda: next(ids), message_id_memory=3)
    prepared = conn.prepare_call(boot_request())
    for _ in range(4):
        conn.abandon_call(conn.start_call(prepared).message_id)
    started = conn.start_call(prepared)  # "a" was forgotten: memory of 3
    assert started.message_id == "a"
    conn.abandon_call("a")
    ids = iter(["a"])
    with pytest.raises(LocalProtocolError, match="repeated 'a'"):
        conn.start_call(prepared)


def test_connection_lost_fails_our_calls_and_drops_what_follows() -> None:
    conn = station()
    started = conn.start_call(conn.prepare_call(boot_request()))
    assert conn.connection_lost("gone") == (started.message_id,)
    assert conn.connection_lost("again") == ()
    assert conn.closed == "gone"
    assert isinstance(
        conn.receive('[2,"x","Reset",{"type":"Immediate"}]'), FrameDropped
    )
    with pytest.raises(ConnectionClosedError, match="gone"):
        conn.start_call(conn.prepare_call(boot_request()))


# ------------------------------------------------------------------ isolation rules


def test_calls_beyond_the_backlog_are_refused_then_the_connection_closed() -> None:
    conn = csms(max_calls_in_progress=2, max_violations=3)
    admitted = [_admitted(conn, f'[2,"h{i}","Heartbeat",{{}}]') for i in range(2)]
    assert conn.backlog_full
    for i in range(2):
        frame = reply_of(conn.receive(f'[2,"x{i}","Heartbeat",{{}}]'))
        assert frame[:3] == [4, f"x{i}", "RpcFrameworkError"]
        assert "4.1.1" in frame[3]
    closing = conn.receive('[2,"x3","Heartbeat",{}]')
    assert isinstance(closing, CloseConnection) and closing.code == 1008
    assert conn.violations == 3
    conn.respond(admitted[0], heartbeat_response())
    assert not conn.backlog_full


@pytest.mark.parametrize(
    "payload",
    [
        {f"k{'x' * 5000}{i}": i for i in range(200)},  # long paths, many problems
        {"chargingStation": {"model": "m" * 900_000, "vendorName": "v"}, "reason": 1},
    ],
    ids=["many-long-keys", "huge-string"],
)
def test_no_callerror_exceeds_64_kib(payload: Any) -> None:
    message = json.dumps([2, "id-1", "BootNotification", payload])
    frame = reply_of(csms().receive(message))  # reply_of checks the 64 KiB
    assert len(frame[4]["problems"]) <= ocpp201._protocol.MAX_LISTED_PROBLEMS
    assert all(
        len(p["path"]) <= 200 and len(p["message"]) <= 200 for p in frame[4]["problems"]
    )


@pytest.mark.parametrize(
    "message",
    [
        # 20,000 duplicate keys, each a problem with a long path
        '[2,"id-1","Heartbeat",{"customData":{"vendorId":"v",'
        + ",".join(f'"{"k" * 300}":{i}' for i in range(20_000))
        + "}}]",
        # oversized numbers everywhere
        '[2,"id-1","Heartbeat",{"customData":{"vendorId":"v","n":['
        + ",".join(["1e999"] * 20_000)
        + "]}}]",
        # unknown properties nested deep, with long names
        json.dumps([2, "id-1", "Heartbeat", {"x" * 1000: {"y" * 1000: [1] * 5000}}]),
    ],
    ids=["duplicate-keys", "huge-numbers", "deep-unknown"],
)
def test_no_callerror_exceeds_64_kib_for_syntax_problems(message: str) -> None:
    event = csms().receive(message)
    frame = reply_of(event)  # checks the 64 KiB bound
    assert frame[2] in ("FormatViolation", "ProtocolError")


def test_handler_error_details_too_large_are_dropped() -> None:
    conn = csms()
    call = _admitted(conn, '[2,"id-1","Heartbeat",{}]')
    reply = conn.respond_error(
        call, ErrorCode.GENERIC_ERROR, "x", {"blob": "b" * 100_000}
    )
    assert reply_of(reply)[4] == {"omittedDetails": True}
    assert reply.our_fault


# ------------------------------------------------------------------ imports


def test_the_core_imports_neither_asyncio_nor_the_transport() -> None:
    # Load ocpp201._protocol without running ocpp201/__init__.py (which also
    # imports the asyncio shell), then look at what got imported.
    forbidden = ("asyncio", "websockets", "socket", "selectors")
    shells = ("ocpp201.websocket", "ocpp201._endpoint", "ocpp201._memory")
    code = "\n".join(
        [
            "import sys, types",
            "package = types.ModuleType('ocpp201')",
            f"package.__path__ = [{str(ROOT / 'ocpp201')!r}]",
            "sys.modules['ocpp201'] = package",
            "import ocpp201._protocol",
            f"print(sorted(n for n in sys.modules if n.split('.')[0] in {forbidden!r}"
            f" or n in {shells!r} or n.startswith('ocpp201.websocket')))",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_a_subclass_of_the_core_can_narrow_lookup_and_the_backlog() -> None:
    """``lookup()`` and ``backlog_full`` are the core's own answers: a subclass that
    overrides them is asked on every CALL (and for every reply)."""

    class NoHeartbeat(ocpp201.RpcConnection):
        def lookup(self, action: str) -> Any:
            return None if action == "Heartbeat" else super().lookup(action)

    class AlwaysFull(ocpp201.RpcConnection):
        @property
        def backlog_full(self) -> bool:
            return True

    frame = '[2,"1","Heartbeat",{}]'
    hidden = NoHeartbeat(ocpp201.Sender.CSMS)  # else: NotSupported
    reply = hidden.receive(frame)
    assert isinstance(reply, ocpp201.SendReply)
    assert reply.code is ocpp201.ErrorCode.NOT_IMPLEMENTED
    full = AlwaysFull(ocpp201.Sender.CSMS, handlers={"Heartbeat": "h"})
    reply = full.receive(frame)
    assert isinstance(reply, ocpp201.SendReply)
    assert reply.code is ocpp201.ErrorCode.RPC_FRAMEWORK_ERROR
