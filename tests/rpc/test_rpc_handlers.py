"""Handlers: @on / @after routing, inheritance, role checks, failures."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from rpc_helpers import (
    BOOT_PAYLOAD,
    boot_request,
    boot_response,
    capture_logs,
    connected,
    error_frame,
    heartbeat_response,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    ChargePoint,
    ErrorCode,
    HandlerError,
    Hooks,
    LocalProtocolError,
    ValidationFailure,
    after,
    memory_pair,
    on,
)
from ocpp201 import datatypes as d
from ocpp201 import enums as e
from ocpp201 import messages as m

BOOT_CALL = json.dumps([2, "b-1", "BootNotification", BOOT_PAYLOAD])


def test_sync_and_async_handlers_receive_typed_requests() -> None:
    received: list[Any] = []

    class Csms(CSMS):
        @on(Action.BOOT_NOTIFICATION)
        async def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            received.append(request)
            return boot_response()

        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            received.append(request)
            return heartbeat_response()

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            assert (await peer.exchange(BOOT_CALL))[:2] == [3, "b-1"]
            frame = await peer.exchange('[2,"h-1","Heartbeat",{}]')
            assert frame == [3, "h-1", {"currentTime": "2025-01-02T03:04:05Z"}]

    run(scenario())
    assert received == [boot_request(), m.HeartbeatRequest()]
    assert received[0].reason is e.BootReasonEnumType.POWER_UP


def test_after_runs_once_the_response_is_sent() -> None:
    log: list[str] = []

    class Csms(CSMS):
        @on(Action.BOOT_NOTIFICATION)
        async def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            log.append("on")
            return boot_response()

        @after(Action.BOOT_NOTIFICATION)
        async def booted(
            self,
            request: m.BootNotificationRequest,
            response: m.BootNotificationResponse,
        ) -> None:
            log.append(f"after {response.status.value}")
            # Runs after the CALLRESULT went out: the peer sees it first.
            await self.call(m.ResetRequest(type=e.ResetEnumType.ON_IDLE), timeout=2)

        @after(Action.BOOT_NOTIFICATION)
        def also(self, request: m.BootNotificationRequest) -> None:
            log.append("also")

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            await peer.send(BOOT_CALL)
            assert (await peer.recv())[:2] == [3, "b-1"]
            frame = await peer.recv()
            assert frame[2] == "Reset"
            await peer.send_json([3, frame[1], {"status": "Accepted"}])
            for _ in range(100):
                if "also" in log:
                    break
                await asyncio.sleep(0.005)

    run(scenario())
    assert log == ["on", "after Accepted", "also"]


def test_after_does_not_run_when_the_handler_failed() -> None:
    log: list[str] = []

    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            raise RuntimeError("broken")

        @after(Action.HEARTBEAT)
        def beat(self, request: m.HeartbeatRequest) -> None:
            log.append("after")

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            frame = await peer.exchange('[2,"h","Heartbeat",{}]')
            assert frame[2] == "InternalError"
            await peer.expect_nothing()

    run(scenario())
    assert log == []


def test_an_after_handler_that_raises_is_logged() -> None:
    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            return heartbeat_response()

        @after(Action.HEARTBEAT)
        async def beat(self, request: m.HeartbeatRequest) -> None:
            raise RuntimeError("after failed")

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            assert (await peer.exchange('[2,"h","Heartbeat",{}]'))[0] == 3
            assert (await peer.exchange('[2,"i","Heartbeat",{}]'))[0] == 3

    with capture_logs() as logs:
        run(scenario())
    errors = [r for r in logs.records if r.levelno == logging.ERROR]
    assert errors and "after-handler beat()" in errors[0].getMessage()
    assert errors[0].exc_info is not None


def test_after_without_on_is_allowed_but_never_runs() -> None:
    class Csms(CSMS):
        @after(Action.HEARTBEAT)
        def beat(self, request: m.HeartbeatRequest) -> None:
            raise AssertionError("never")

    assert answer_sync('[2,"h","Heartbeat",{}]', Csms)[2] == "NotSupported"


def answer_sync(message: str, endpoint_cls: Any) -> Any:
    async def scenario() -> Any:
        async with connected(endpoint_cls) as (_, peer):
            return await peer.exchange(message)

    return run(scenario())


# ------------------------------------------------------------------ inheritance


class Base(CSMS):
    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return m.HeartbeatResponse(current_time=heartbeat_response().current_time)

    @on(Action.BOOT_NOTIFICATION)
    def boot(self, request: m.BootNotificationRequest) -> m.BootNotificationResponse:
        return boot_response()


def test_handlers_are_inherited() -> None:
    class Child(Base):
        pass

    assert answer_sync('[2,"h","Heartbeat",{}]', Child)[0] == 3


def test_a_subclass_handler_replaces_the_base_handler_for_the_action() -> None:
    class Child(Base):
        @on(Action.HEARTBEAT)
        def other_name(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            return m.HeartbeatResponse(
                current_time=heartbeat_response().current_time.replace(year=2030)
            )

    frame = answer_sync('[2,"h","Heartbeat",{}]', Child)
    assert frame[2]["currentTime"].startswith("2030")


def test_overriding_a_method_without_decorator_drops_its_route() -> None:
    class Child(Base):
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            raise AssertionError("not a handler any more")

    assert answer_sync('[2,"h","Heartbeat",{}]', Child)[2] == "NotSupported"
    assert answer_sync(BOOT_CALL, Child)[0] == 3


def test_two_handlers_for_one_action_in_one_class_are_an_error() -> None:
    with pytest.raises(LocalProtocolError, match="both"):

        class Twice(CSMS):
            @on(Action.HEARTBEAT)
            def one(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
                return heartbeat_response()

            @on(Action.HEARTBEAT)
            def two(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
                return heartbeat_response()


def test_handling_an_action_the_role_itself_sends_is_an_error() -> None:
    with pytest.raises(LocalProtocolError, match="cannot handle Reset"):

        class Wrong(CSMS):
            @on(Action.RESET)
            def reset(self, request: m.ResetRequest) -> m.ResetResponse:
                raise AssertionError

    with pytest.raises(LocalProtocolError, match="cannot handle BootNotification"):

        class AlsoWrong(ChargePoint):
            @on(Action.BOOT_NOTIFICATION)
            def boot(
                self, request: m.BootNotificationRequest
            ) -> m.BootNotificationResponse:
                raise AssertionError


def test_a_handler_for_an_unknown_action_is_an_error_when_built() -> None:
    class Vendor(CSMS):
        @on("com.example.Thing")
        def thing(self, request: Any) -> Any:
            raise AssertionError

    a, _ = memory_pair()
    with pytest.raises(LocalProtocolError, match=r"com\.example\.Thing"):
        Vendor("x", a)


def test_the_shared_base_cannot_be_instantiated() -> None:
    from ocpp201 import RpcEndpoint

    a, _ = memory_pair()
    with pytest.raises(TypeError):
        RpcEndpoint("x", a)


def test_on_accepts_the_wire_name_too() -> None:
    class Csms(CSMS):
        @on("Heartbeat")
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            return heartbeat_response()

    assert answer_sync('[2,"h","Heartbeat",{}]', Csms)[0] == 3


def test_after_handler_must_take_request_or_request_and_response() -> None:
    with pytest.raises(TypeError):

        class Bad(CSMS):
            @after(Action.HEARTBEAT)  # type: ignore[arg-type]
            def beat(self) -> None:
                pass


# ------------------------------------------------------------------ failures


def test_an_invalid_response_from_a_handler_is_our_fault() -> None:
    failures: list[ValidationFailure] = []

    class Csms(CSMS):
        @on(Action.BOOT_NOTIFICATION)
        def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            response = boot_response()
            object.__setattr__(response, "interval", "soon")  # behind attrs' back
            return response

    async def scenario() -> None:
        hooks = Hooks(validation_failed=lambda _, f: failures.append(f))
        async with connected(Csms, hooks=hooks) as (_, peer):
            frame = await peer.exchange(BOOT_CALL)
            assert error_frame(frame) == ("b-1", "InternalError")

    with capture_logs() as logs:
        run(scenario())
    assert [(f.direction, f.kind, f.action) for f in failures] == [
        ("outgoing", "response", "BootNotification")
    ]
    assert any("not the peer's" in text for text in logs.messages(logging.ERROR))


def test_handler_exceptions_are_logged_with_traceback() -> None:
    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            raise ZeroDivisionError("the detail")

    with capture_logs() as logs:
        frame = answer_sync('[2,"h","Heartbeat",{}]', Csms)
    assert frame == [4, "h", "InternalError", frame[3], {}]
    assert "ZeroDivisionError" not in frame[3] and "the detail" not in frame[3]
    record = next(r for r in logs.records if r.levelno == logging.ERROR)
    assert record.exc_info is not None and record.exc_info[0] is ZeroDivisionError
    assert record.name == "ocpp201.rpc.CS001"


def test_handler_timeout() -> None:
    class Slow(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await asyncio.sleep(10)
            return heartbeat_response()

    async def scenario() -> None:
        async with connected(Slow, handler_timeout=0.05) as (_, peer):
            frame = await peer.exchange('[2,"h","Heartbeat",{}]')
            assert error_frame(frame) == ("h", "InternalError")

    run(scenario())


def test_a_timeout_error_raised_by_a_handler_is_an_ordinary_failure() -> None:
    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            raise TimeoutError("its own")

    async def scenario() -> None:
        async with connected(Csms, handler_timeout=5) as (_, peer):
            frame = await peer.exchange('[2,"h","Heartbeat",{}]')
            assert error_frame(frame) == ("h", "InternalError")

    with capture_logs() as logs:
        run(scenario())
    assert any("raised" in text for text in logs.messages(logging.ERROR))


def test_handler_error_with_unencodable_details_still_answers() -> None:
    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            raise HandlerError(ErrorCode.GENERIC_ERROR, "x" * 300, {"bad": object()})

    frame = answer_sync('[2,"h","Heartbeat",{}]', Csms)
    assert frame[:3] == [4, "h", "GenericError"]
    assert frame[4] == {}
    assert len(frame[3]) == 255


def test_status_notification_round_trip_with_nested_types() -> None:
    class Csms(CSMS):
        @on(Action.STATUS_NOTIFICATION)
        def status(
            self, request: m.StatusNotificationRequest
        ) -> m.StatusNotificationResponse:
            assert request.connector_status is e.ConnectorStatusEnumType.OCCUPIED
            assert request.timestamp.tzinfo is not None
            return m.StatusNotificationResponse(
                custom_data=d.CustomDataType(vendor_id="v", extra={"k": [1, "é"]})
            )

    payload = {
        "timestamp": "2025-01-01T00:00:00+01:00",
        "connectorStatus": "Occupied",
        "evseId": 1,
        "connectorId": 2,
    }
    frame = answer_sync(json.dumps([2, "s", "StatusNotification", payload]), Csms)
    assert frame == [3, "s", {"customData": {"vendorId": "v", "k": [1, "é"]}}]


# ------------------------------------------------------------------ HandlerError codes


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("NotAnOcppErrorCode", ValueError),
        ("securityerror", ValueError),  # the table is case-sensitive
        ("", ValueError),
        (404, TypeError),
        (None, TypeError),
    ],
)
def test_handler_error_refuses_a_code_outside_the_part4_table(
    code: Any, error: type[Exception]
) -> None:
    # Part 4 section 4.2.3: errorCode must come from the RPC Framework Error Codes
    # table.  A wrong code is local misuse, refused when the error is built.
    with pytest.raises(error, match="code"):
        HandlerError(code, "x")


def test_handler_error_accepts_a_code_member_or_its_value() -> None:
    assert HandlerError(ErrorCode.SECURITY_ERROR).code is ErrorCode.SECURITY_ERROR
    error = HandlerError("GenericError", "why", {"a": 1})
    assert error.code is ErrorCode.GENERIC_ERROR
    assert (error.description, error.details) == ("why", {"a": 1})
    with pytest.raises(TypeError, match="details"):
        HandlerError(ErrorCode.GENERIC_ERROR, "", [("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="description"):
        HandlerError(ErrorCode.GENERIC_ERROR, 5)  # type: ignore[arg-type]


def test_a_handler_error_with_a_foreign_code_never_reaches_the_wire() -> None:
    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            raise HandlerError("NotAnOcppErrorCode", "x" * 300)

    with capture_logs() as logs:
        frame = answer_sync('[2,"h","Heartbeat",{}]', Csms)
    assert frame == [
        4,
        "h",
        "InternalError",
        "An internal error occurred while handling Heartbeat",
        {},
    ]
    record = next(r for r in logs.records if r.levelno == logging.ERROR)
    assert record.exc_info is not None and record.exc_info[0] is ValueError


# ------------------------------------------------------------------ DataTransfer


@pytest.mark.parametrize("endpoint_cls", [CSMS, ChargePoint])
def test_data_transfer_is_answered_unknown_vendor_id_by_default(
    endpoint_cls: Any,
) -> None:
    # Part 2 P01.FR.05: a CALLRESULT with status UnknownVendorId, not a CALLERROR.
    frame = answer_sync(
        '[2,"d","DataTransfer",{"vendorId":"com.example","data":[1]}]', endpoint_cls
    )
    assert frame == [3, "d", {"status": "UnknownVendorId"}]


def test_a_data_transfer_handler_replaces_the_default() -> None:
    class Vendor(CSMS):
        @on(Action.DATA_TRANSFER)
        def vendor(self, request: m.DataTransferRequest) -> m.DataTransferResponse:
            return m.DataTransferResponse(
                status=e.DataTransferStatusEnumType.ACCEPTED, data=request.data
            )

    frame = answer_sync('[2,"d","DataTransfer",{"vendorId":"v","data":null}]', Vendor)
    assert frame == [3, "d", {"status": "Accepted", "data": None}]
