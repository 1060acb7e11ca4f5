"""One station never hurts the others: ordered, bounded, back-pressured connections.

A hostile-input corpus, scaled down to run in CI, over the in-memory pair: floods of
pipelined CALLs (slow and fast handlers), a peer exceeding the backlog while we
await its answer, a peer that stops reading, floods of unparsable frames, and huge
invalid CALLs.  The WebSocket-level cases (compression, TCP back-pressure) are in
``test_rpc_hostile_ws.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from rpc_helpers import (
    NOW,
    Peer,
    StallingConnection,
    bounded,
    capture_logs,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    ChargingStation,
    MemoryConnection,
    memory_pair,
    on,
)
from ocpp201 import datatypes as d
from ocpp201 import enums as e
from ocpp201 import messages as m


class CountingConnection:
    """A memory connection that counts the messages the endpoint has read."""

    def __init__(self, inner: MemoryConnection) -> None:
        self.inner = inner
        self.received = 0
        self.sent = 0
        self.most_ahead = 0  # most messages read and not yet answered

    async def send(self, message: str) -> None:
        await self.inner.send(message)
        self.sent += 1

    async def recv(self) -> str | bytes:
        message = await self.inner.recv()
        self.received += 1
        self.most_ahead = max(self.most_ahead, self.received - self.sent)
        return message

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.inner.close(code, reason)


class Transfers(CSMS):
    """DataTransfer handler that records how many run at once."""

    delay = 0.0
    running = 0
    most = 0
    order: list[int]

    @on(Action.DATA_TRANSFER)
    async def transfer(self, request: m.DataTransferRequest) -> m.DataTransferResponse:
        type(self).running += 1
        type(self).most = max(type(self).most, type(self).running)
        try:
            self.order.append(int(request.message_id or 0))
            await asyncio.sleep(self.delay)
        finally:
            type(self).running -= 1
        return m.DataTransferResponse(status=e.DataTransferStatusEnumType.ACCEPTED)


def transfer(i: int) -> str:
    return json.dumps(
        [2, f"t{i}", "DataTransfer", {"vendorId": "v", "messageId": str(i)}]
    )


@pytest.mark.parametrize(
    ("delay", "concurrency"),
    [(0.002, 1), (0.0, 1), (0.002, 3)],
    ids=["slow", "fast", "slow-x3"],
)
def test_a_pipelined_flood_is_handled_in_order_bounded_and_back_pressured(
    delay: float, concurrency: int
) -> None:
    count = 300

    class Csms(Transfers):
        pass

    Csms.delay, Csms.running, Csms.most = delay, 0, 0

    async def scenario() -> None:
        a, b = memory_pair()
        connection = CountingConnection(a)
        csms = Csms("CS001", connection, handler_concurrency=concurrency)
        csms.order = []
        peer = Peer(b)
        async with csms:
            for i in range(count):  # sent without waiting for any answer
                await peer.send(transfer(i))
            answered: list[str] = []
            while len(answered) < count:
                frame = await peer.recv()
                assert frame[0] == 3, frame  # nothing refused: the loop paused
                answered.append(frame[1])
            assert sorted(answered) == sorted(f"t{i}" for i in range(count))
            if concurrency == 1:
                assert answered == [f"t{i}" for i in range(count)]  # in order
                assert csms.order == list(range(count))
            # Back-pressure: the endpoint never read more than the CALLs being
            # handled plus one.
            assert connection.most_ahead <= concurrency + 1
        assert Csms.most <= concurrency

    run(scenario(), timeout=30)


def test_calls_beyond_the_backlog_while_awaiting_are_refused_then_closed() -> None:
    class Caller(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await self.call(m.ResetRequest(type=e.ResetEnumType.IMMEDIATE), timeout=5)
            return m.HeartbeatResponse(current_time=NOW)

    async def scenario() -> None:
        a, b = memory_pair()
        peer = Peer(b)
        csms = Caller("CS001", a, call_backlog=2, max_violations=3)
        async with csms:
            await peer.send('[2,"h0","Heartbeat",{}]')
            reset = await peer.recv()  # the handler's CALL: we do not answer yet
            assert reset[2] == "Reset"
            for i in range(1, 6):
                await peer.send(f'[2,"h{i}","Heartbeat",{{}}]')
            # h1, h2 wait in the backlog; h3, h4 are refused; h5 closes (1008).
            for i in (3, 4):
                frame = await peer.recv()
                assert frame[:3] == [4, f"h{i}", "RpcFrameworkError"], frame
            with pytest.raises(Exception, match="1008"):
                await peer.recv()
            assert csms.closed

    with capture_logs() as logs:
        run(scenario())
    assert any("1008" in t for t in logs.messages(logging.ERROR))


def test_a_handler_awaiting_its_call_keeps_reading_with_a_full_backlog() -> None:
    class Caller(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await self.call(m.ResetRequest(type=e.ResetEnumType.IMMEDIATE), timeout=5)
            return m.HeartbeatResponse(current_time=NOW)

    async def scenario() -> None:
        a, b = memory_pair()
        peer = Peer(b)
        async with Caller("CS001", a, call_backlog=1):
            await peer.send('[2,"h0","Heartbeat",{}]')
            await peer.send('[2,"h1","Heartbeat",{}]')  # fills the backlog
            for expected in ("h0", "h1"):
                reset = await peer.recv()
                assert reset[2] == "Reset"
                await peer.send_json([3, reset[1], {"status": "Accepted"}])
                frame = await peer.recv()
                assert frame[:2] == [3, expected]

    run(scenario())


def test_a_peer_that_stops_reading_is_closed_once_with_one_log_line() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        connection = StallingConnection(a)
        csms = Transfers("CS001", connection, send_timeout=0.2, handler_concurrency=5)
        csms.order = []
        run_task = asyncio.ensure_future(csms.run())
        connection.stalled = True  # it never reads again
        for i in range(200):
            await b.send(transfer(i))
        await b.send("garbage")
        await bounded(run_task, 5)
        assert csms.closed and connection.close_calls >= 1

    with capture_logs() as logs:
        run(scenario())
    lines = logs.messages(logging.WARNING)
    assert len(lines) <= 3, lines
    assert sum("not reading" in t for t in lines) == 1, lines


def test_a_flood_of_unparsable_frames_is_answered_but_logged_sparingly() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        peer = Peer(b)
        async with Transfers("CS001", a):
            for i in range(1000):
                frame = await peer.exchange(f"garbage {i}")
                assert frame[:3] == [4, "-1", "RpcFrameworkError"]

    with capture_logs() as logs:
        run(scenario(), timeout=30)
    lines = logs.messages(logging.WARNING)
    assert len(lines) <= 11, len(lines)
    assert "suppressed" in lines[9]


@pytest.mark.parametrize("size", [430_000, 720_000])
def test_a_huge_invalid_call_gets_a_small_callerror(size: int) -> None:
    problems = {f"k{i:07d}{'x' * 40}": i for i in range(size // 60)}
    payload = {"vendorId": "v", **problems}
    message = json.dumps([2, "big", "DataTransfer", payload])
    assert len(message) >= size * 0.9

    async def scenario() -> None:
        a, b = memory_pair()
        peer = Peer(b)
        async with Transfers("CS001", a):
            await peer.send(message)
            text = await peer.recv_text()
            assert isinstance(text, str)
            assert len(text.encode()) <= 64 * 1024
            frame = json.loads(text)
            assert frame[:3] == [4, "big", "ProtocolError"]
            assert frame[4]["omittedProblems"] > 1000

    with capture_logs() as logs:
        run(scenario(), timeout=30)
    assert all(len(t) < 2000 for t in logs.messages(logging.WARNING))


def test_handler_concurrency_is_bounded() -> None:
    a, _ = memory_pair()
    for bad in (0, 1001):
        with pytest.raises(ValueError, match="handler_concurrency"):
            CSMS("CS001", a, handler_concurrency=bad)
    with pytest.raises(ValueError, match="call_backlog"):
        CSMS("CS001", a, call_backlog=-1)


def test_crossing_calls_with_ordered_handling() -> None:
    class Station(ChargingStation):
        @on(Action.GET_VARIABLES)
        async def get_variables(
            self, request: m.GetVariablesRequest
        ) -> m.GetVariablesResponse:
            # Answered while this station's own BootNotification is outstanding.
            return m.GetVariablesResponse(get_variable_result=[RESULT])

    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            return m.HeartbeatResponse(current_time=NOW)

        @on(Action.BOOT_NOTIFICATION)
        async def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            request_ = m.GetVariablesRequest(get_variable_data=[DATA])
            await self.call(request_, timeout=5)
            return m.BootNotificationResponse(
                current_time=NOW,
                interval=1,
                status=e.RegistrationStatusEnumType.ACCEPTED,
            )

    async def scenario() -> None:
        a, b = memory_pair()
        async with Station("CS001", a) as station, Csms("CS001", b):
            boot = m.BootNotificationRequest(
                charging_station=d.ChargingStationType(model="M", vendor_name="V"),
                reason=e.BootReasonEnumType.POWER_UP,
            )
            response = await bounded(station.call(boot, timeout=5), 5)
            assert response.status is e.RegistrationStatusEnumType.ACCEPTED

    run(scenario())


COMPONENT = d.ComponentType(name="C")
VARIABLE = d.VariableType(name="V")
DATA = d.GetVariableDataType(component=COMPONENT, variable=VARIABLE)
RESULT = d.GetVariableResultType(
    attribute_status=e.GetVariableStatusEnumType.ACCEPTED,
    component=COMPONENT,
    variable=VARIABLE,
)


def test_a_paused_endpoint_still_notices_the_connection_closing() -> None:
    class Stuck(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

    async def scenario() -> None:
        a, b = memory_pair()
        csms = Stuck("CS001", a)
        run_task = asyncio.ensure_future(csms.run())
        for i in range(3):  # one handled (stuck), one read ahead, then it pauses
            await b.send(f'[2,"h{i}","Heartbeat",{{}}]')
        await asyncio.sleep(0.05)
        await b.close()
        await bounded(run_task, 2)  # the stuck handler was cancelled at once
        assert csms.closed

    run(scenario())
