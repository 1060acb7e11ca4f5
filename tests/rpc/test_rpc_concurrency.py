"""Concurrency: handlers calling out, crossing CALLs, replies during our CALL, close."""

from __future__ import annotations

import asyncio

import pytest
from rpc_helpers import (
    HEARTBEAT_RESPONSE_PAYLOAD,
    boot_request,
    boot_response,
    bounded,
    connected,
    endpoints,
    heartbeat_response,
    reset_response,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    CallError,
    ChargePoint,
    ConnectionClosedError,
    ErrorCode,
    LocalProtocolError,
    memory_pair,
    on,
)
from ocpp201 import datatypes as d
from ocpp201 import enums as e
from ocpp201 import messages as m


def _get_variables_request() -> m.GetVariablesRequest:
    return m.GetVariablesRequest(
        get_variable_data=[
            d.GetVariableDataType(
                component=d.ComponentType(name="OCPPCommCtrlr"),
                variable=d.VariableType(name="HeartbeatInterval"),
            )
        ]
    )


class Station(ChargePoint):
    @on(Action.GET_VARIABLES)
    async def get_variables(
        self, request: m.GetVariablesRequest
    ) -> m.GetVariablesResponse:
        return m.GetVariablesResponse(
            get_variable_result=[
                d.GetVariableResultType(
                    attribute_status=e.GetVariableStatusEnumType.ACCEPTED,
                    attribute_value="300",
                    component=item.component,
                    variable=item.variable,
                )
                for item in request.get_variable_data
            ]
        )

    @on(Action.RESET)
    async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        # A handler that itself calls the other side before answering.
        await self.call(m.HeartbeatRequest(), timeout=2)
        return reset_response()


class Csms(CSMS):
    @on(Action.BOOT_NOTIFICATION)
    async def boot(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        # A handler awaiting its own call to the station: no deadlock.
        result = await self.call(_get_variables_request(), timeout=2)
        assert result.get_variable_result[0].attribute_value == "300"
        return boot_response()

    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return heartbeat_response()


def test_a_handler_may_call_the_peer_while_the_peer_waits_for_its_answer() -> None:
    async def scenario() -> None:
        async with endpoints(Station, Csms) as (cp, _):
            # cp's BootNotification is outstanding while the CSMS's handler calls
            # GetVariables and waits for cp's answer.
            assert await cp.call(boot_request(), timeout=5) == boot_response()

    run(scenario())


def test_a_handler_may_await_its_own_call_before_answering() -> None:
    async def scenario() -> None:
        async with endpoints(Station, Csms) as (_, csms):
            # csms calls Reset; cp's Reset handler calls Heartbeat, which the CSMS
            # answers while its own Reset CALL is still outstanding.
            reset = m.ResetRequest(type=e.ResetEnumType.IMMEDIATE)
            assert await csms.call(reset, timeout=5) == reset_response()

    run(scenario())


def test_nested_calls_while_our_call_is_outstanding_wait_for_the_slot() -> None:
    # Part 4 section 4.1.1 forbids a second outstanding CALL: cp's Reset handler
    # must wait for cp's outstanding BootNotification.  When the CSMS only answers
    # that after its own Reset is answered, only the timeout breaks the cycle.
    class WaitingCsms(CSMS):
        @on(Action.BOOT_NOTIFICATION)
        async def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            await self.call(m.ResetRequest(type=e.ResetEnumType.IMMEDIATE), timeout=2)
            return boot_response()

        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            return heartbeat_response()

    class ImpatientStation(ChargePoint):
        @on(Action.RESET)
        async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
            await self.call(m.HeartbeatRequest(), timeout=0.1)
            return reset_response()

    async def scenario() -> None:
        async with endpoints(ImpatientStation, WaitingCsms) as (cp, _):
            # The Heartbeat times out (never sent), the Reset handler fails, the CSMS
            # gets InternalError for its Reset, its boot handler fails in turn, and
            # cp gets InternalError for BootNotification -- all within the timeouts.
            with pytest.raises(CallError) as info:
                await cp.call(boot_request(), timeout=5)
            assert info.value.code is ErrorCode.INTERNAL_ERROR

    run(scenario())


def test_crossing_calls_both_get_answered() -> None:
    async def scenario() -> None:
        async with endpoints(Station, Csms) as (cp, csms):
            results = await bounded(
                asyncio.gather(
                    cp.call(m.HeartbeatRequest(), timeout=2),
                    csms.call(m.ResetRequest(type=e.ResetEnumType.ON_IDLE), timeout=2),
                    cp.call(m.HeartbeatRequest(), timeout=2),
                    csms.call(m.ResetRequest(type=e.ResetEnumType.ON_IDLE), timeout=2),
                )
            )
            assert list(results) == [
                heartbeat_response(),
                reset_response(),
                heartbeat_response(),
                reset_response(),
            ]

    run(scenario())


class RawStation(ChargePoint):
    @on(Action.RESET)
    async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        return reset_response()


def test_incoming_calls_are_answered_while_our_calls_are_queued() -> None:
    async def scenario() -> None:
        async with connected(RawStation) as (cp, peer):
            outstanding = asyncio.ensure_future(
                cp.call(m.HeartbeatRequest(), timeout=5)
            )
            queued = asyncio.ensure_future(
                cp.call(m.DataTransferRequest(vendor_id="queued"), timeout=5)
            )
            ours = await peer.recv()
            assert ours[2] == "Heartbeat"
            # The peer sends a CALL before answering ours: it is answered at once,
            # not held up behind our outstanding and queued CALLs.
            frame = await peer.exchange('[2,"csms-1","Reset",{"type":"Immediate"}]')
            assert frame == [3, "csms-1", {"status": "Accepted"}]
            await peer.send_json([3, ours[1], HEARTBEAT_RESPONSE_PAYLOAD])
            await bounded(outstanding)
            frame = await peer.recv()
            assert frame[3] == {"vendorId": "queued"}
            await peer.send_json([3, frame[1], {"status": "Accepted"}])
            await bounded(queued)

    run(scenario())


def test_with_handler_concurrency_incoming_calls_are_handled_concurrently() -> None:
    started: list[str] = []

    class Concurrent(CSMS):
        gate: asyncio.Event

        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            started.append("heartbeat")
            await asyncio.wait_for(self.gate.wait(), 2)
            return heartbeat_response()

        @on(Action.AUTHORIZE)
        async def authorize(self, request: m.AuthorizeRequest) -> m.AuthorizeResponse:
            self.gate.set()
            return m.AuthorizeResponse(
                id_token_info=d.IdTokenInfoType(
                    status=e.AuthorizationStatusEnumType.ACCEPTED
                )
            )

    async def scenario() -> None:
        async with connected(Concurrent, handler_concurrency=2) as (csms, peer):
            csms.gate = asyncio.Event()
            await peer.send('[2,"h","Heartbeat",{}]')
            await peer.send(
                '[2,"a","Authorize",{"idToken":{"idToken":"x","type":"Local"}}]'
            )
            first, second = await peer.recv(), await peer.recv()
            assert [first[1], second[1]] == ["a", "h"]

    run(scenario())


# ------------------------------------------------------------------ closing


def test_closing_fails_every_pending_call_at_once() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            calls = [
                asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=30))
                for _ in range(3)
            ]
            await peer.recv()  # the first is outstanding, two are queued
            loop = asyncio.get_running_loop()
            start = loop.time()
            await peer.connection.close()
            for call in calls:
                with pytest.raises(ConnectionClosedError):
                    await bounded(call, 1)
            assert loop.time() - start < 1
            assert cp.closed

    run(scenario())


def test_close_cancels_handlers_and_leaves_no_task_behind() -> None:
    class Stuck(CSMS):
        entered: asyncio.Event

        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            self.entered.set()
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

    async def scenario() -> None:
        a, b = memory_pair()
        csms = Stuck("CS001", a)
        csms.entered = asyncio.Event()
        run_task = asyncio.ensure_future(csms.run())
        await b.send('[2,"1","Heartbeat",{}]')
        await bounded(csms.entered.wait())
        await bounded(csms.close())
        assert run_task.done()
        assert run_task.exception() is None
        # run() (the helper) asserts that no task is left behind.

    run(scenario())


def test_run_returns_when_the_peer_closes() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        cp = ChargePoint("CS001", a)
        run_task = asyncio.ensure_future(cp.run())
        await asyncio.sleep(0)
        await b.close()
        await bounded(run_task)
        assert cp.closed

    run(scenario())


def test_close_from_inside_a_handler() -> None:
    class Closer(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await self.close()
            return heartbeat_response()

    async def scenario() -> None:
        async with connected(Closer) as (csms, peer):
            await peer.send('[2,"1","Heartbeat",{}]')
            with pytest.raises(ConnectionClosedError):
                await peer.recv()
            await bounded(csms.close())

    run(scenario())


def test_close_is_idempotent_and_works_without_run() -> None:
    async def scenario() -> None:
        a, _ = memory_pair()
        cp = ChargePoint("CS001", a)
        await bounded(cp.close())
        await bounded(cp.close())
        assert cp.closed
        with pytest.raises(ConnectionClosedError):
            await cp.run()

    run(scenario())


def test_close_cancels_run_on_a_connection_without_close() -> None:
    class NoClose:
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, message: str) -> None:
            self.sent.append(message)

        async def recv(self) -> str:
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

    async def scenario() -> None:
        cp = ChargePoint("CS001", NoClose(), close_timeout=0.05)
        run_task = asyncio.ensure_future(cp.run())
        await asyncio.sleep(0)
        pending = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=5))
        await asyncio.sleep(0.01)
        await bounded(cp.close())
        with pytest.raises(ConnectionClosedError):
            await bounded(pending)
        assert run_task.cancelled()

    run(scenario())


def test_run_twice_is_a_local_error() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, _):
            await asyncio.sleep(0)
            with pytest.raises(LocalProtocolError, match="already running"):
                await cp.run()

    run(scenario())


def test_an_unexpected_recv_error_is_raised_after_cleanup() -> None:
    class Broken:
        async def send(self, message: str) -> None:
            pass

        async def recv(self) -> str:
            await asyncio.sleep(0.05)
            raise ValueError("boom")

    async def scenario() -> None:
        cp = ChargePoint("CS001", Broken())
        run_task = asyncio.ensure_future(cp.run())
        pending = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=5))
        with pytest.raises(ValueError, match="boom"):
            await bounded(run_task)
        with pytest.raises(ConnectionClosedError, match="boom"):
            await bounded(pending)

    run(scenario())
