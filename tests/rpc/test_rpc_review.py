"""Regression tests for defects found in a review of the RPC core and shell.

Each test failed before its fix; the docstring names the rule it checks.
"""

from __future__ import annotations

import asyncio
import json
import logging

from rpc_helpers import (
    BOOT_PAYLOAD,
    NOW,
    Peer,
    RecordingHandler,
    bounded,
    connected,
    heartbeat_response,
    run,
)

from ocpp201 import CSMS, Action, MemoryConnection, after, memory_pair, on
from ocpp201 import enums as e
from ocpp201 import messages as m


class HeartbeatCsms(CSMS):
    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return heartbeat_response()


def _recording_logger(name: str) -> tuple[logging.Logger, RecordingHandler]:
    records = RecordingHandler()
    logger = logging.getLogger(f"ocpp201.test.review.{name}")
    logger.handlers[:] = [records]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, records


def test_tolerated_problems_are_logged_rate_limited_and_cut() -> None:
    """Issue 8: lines about one peer's bad messages are rate-limited per
    connection.  In tolerant mode every CALL carrying an unknown property logged
    one WARNING line, however many the peer sent, with the peer's property name in
    full."""
    logger, records = _recording_logger("tolerated")

    async def scenario() -> None:
        async with connected(HeartbeatCsms, validate_incoming=False, logger=logger) as (
            _,
            peer,
        ):
            for number in range(50):
                reply = await peer.exchange(
                    json.dumps([2, f"id{number}", "Heartbeat", {"x" * 5000: 1}])
                )
                assert reply[0] == 3, reply

    run(scenario())
    warnings = [r.getMessage() for r in records.records if r.levelno >= logging.WARNING]
    assert 0 < len(warnings) <= 11, len(warnings)
    assert max(len(text) for text in warnings) <= 2000


def test_call_backlog_zero_stops_reading_instead_of_refusing() -> None:
    """docs/rpc.md R24: a CALL is refused for the backlog only while a CALL of
    ours is outstanding; otherwise the endpoint stops reading (back-pressure).
    With ``call_backlog=0`` the second CALL of a peer whose first one timed out
    was refused RpcFrameworkError (and counted as a violation) instead."""
    gate = asyncio.Event()

    class SlowCsms(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await gate.wait()
            return heartbeat_response()

    async def scenario() -> None:
        async with connected(SlowCsms, call_backlog=0) as (endpoint, peer):
            await peer.send_json([2, "first", "Heartbeat", {}])
            await asyncio.sleep(0.05)
            await peer.send_json([2, "second", "Heartbeat", {}])
            await asyncio.sleep(0.05)
            gate.set()
            first, second = await peer.recv(), await peer.recv()
            assert first[:2] == [3, "first"], first
            assert second[:2] == [3, "second"], second
            assert endpoint.protocol.violations == 0

    run(scenario())


def test_a_huge_integer_message_type_is_message_type_not_supported() -> None:
    """docs/rpc.md R5 (Part 4 section 4.4): a message type that is a number other
    than 2, 3, 4 is answered MessageTypeNotSupported with the message's id.  An
    integer with more digits than Python converts was answered RpcFrameworkError
    "is not a number"."""

    async def scenario() -> None:
        async with connected(HeartbeatCsms) as (_, peer):
            reply = await peer.exchange("[" + "9" * 5000 + ',"abc",{}]')
            assert reply[:3] == [4, "abc", "MessageTypeNotSupported"], reply
            assert len(reply[3]) <= 255

    run(scenario())


class _StallingSlowClose:
    """A peer that stopped reading (``send()`` never completes) and does not
    answer the closing handshake (``close()`` takes ``delay`` seconds); until the
    connection really closes, the peer's messages still arrive."""

    def __init__(self, inner: MemoryConnection, delay: float) -> None:
        self.inner = inner
        self.delay = delay

    async def send(self, message: str) -> None:
        await asyncio.sleep(3600)

    async def recv(self) -> str | bytes:
        return await self.inner.recv()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await asyncio.sleep(self.delay)
        await self.inner.close()


def test_a_flood_read_while_closing_a_broken_connection_is_logged_once() -> None:
    """Issue 8: a never-reading peer is closed with at most a few log lines about
    it.  While the closing handshake of the broken connection ran, every message
    the peer kept sending logged one INFO line ("ignored a message received while
    closing")."""
    logger, records = _recording_logger("closing")

    async def scenario() -> None:
        a, b = memory_pair()
        connection = _StallingSlowClose(a, delay=0.5)
        csms = HeartbeatCsms(
            "CS001", connection, logger=logger, send_timeout=0.1, close_timeout=2.0
        )
        peer = Peer(b)
        for number in range(200):
            await peer.send_json([2, f"id{number}", "Heartbeat", {}])
        await bounded(csms.run(), 5.0)

    run(scenario())
    lines = [r.getMessage() for r in records.records if r.levelno >= logging.INFO]
    assert any("closing the connection as broken" in text for text in lines), lines
    assert len(lines) <= 5, lines[:10]


def test_leaving_async_with_at_once_logs_no_error() -> None:
    """A race at close: ``async with endpoint: pass`` (or a block that fails at
    once) closed the endpoint before its background ``run()`` started; ``run()``
    then raised ConnectionClosedError, logged at ERROR as "the receive loop
    failed" with a traceback, although nothing failed."""
    logger, records = _recording_logger("enter-exit")

    async def scenario() -> None:
        a, _ = memory_pair()
        async with HeartbeatCsms("CS001", a, logger=logger) as csms:
            pass
        assert csms.closed

    run(scenario())
    errors = [r.getMessage() for r in records.records if r.levelno >= logging.ERROR]
    assert errors == []


class _NoClose:
    """A connection without ``close()`` (optional for an endpoint's connection)."""

    def __init__(self, inner: MemoryConnection) -> None:
        self.inner = inner

    async def send(self, message: str) -> None:
        await self.inner.send(message)

    async def recv(self) -> str | bytes:
        return await self.inner.recv()


def test_run_ends_after_a_policy_violation_on_a_connection_without_close() -> None:
    """Issue 8: after ``max_violations`` the connection is closed and its work
    dropped.  On a connection without ``close()`` (nothing else can end
    ``recv()``) ``run()`` kept reading and dropping the peer's messages forever
    after the 1008 decision, unlike every other way this side closes."""

    class Caller(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await self.call(m.ResetRequest(type=e.ResetEnumType.IMMEDIATE), timeout=5)
            return heartbeat_response()

    logger, _ = _recording_logger("policy")

    async def scenario() -> None:
        a, b = memory_pair()
        peer = Peer(b)
        csms = Caller(
            "CS001", _NoClose(a), call_backlog=0, max_violations=1, logger=logger
        )
        run_task = asyncio.ensure_future(csms.run())
        try:
            await peer.send('[2,"h0","Heartbeat",{}]')
            assert (await peer.recv())[2] == "Reset"  # our CALL: left unanswered
            await peer.send('[2,"h1","Heartbeat",{}]')  # beyond the backlog: 1008
            await bounded(asyncio.wait({run_task}, timeout=2.0), 3.0)
            assert csms.closed
            assert run_task.done()
        finally:
            await b.close()
            await bounded(run_task, 3.0)

    run(scenario())


def test_a_call_crossing_the_call_of_an_after_handler_is_handled() -> None:
    """Issue 8: crossing CALLs keep working; docs/rpc.md advises moving a call
    that crosses the peer's CALLs to an ``@after`` handler.  The ``@after``
    handler ran in the connection's only handler slot, so a CALL the peer sent
    before answering the after-handler's CALL (Part 4 section 4.1.1, note: CALLs
    may cross) waited for that answer: both sides stalled until a timeout."""

    class Csms(HeartbeatCsms):
        @on(Action.BOOT_NOTIFICATION)
        def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            return m.BootNotificationResponse(
                current_time=NOW,
                interval=300,
                status=e.RegistrationStatusEnumType.ACCEPTED,
            )

        @after(Action.BOOT_NOTIFICATION)
        async def booted(self, request: m.BootNotificationRequest) -> None:
            await self.call(m.ResetRequest(type=e.ResetEnumType.ON_IDLE), timeout=5)

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            await peer.send_json([2, "b", "BootNotification", BOOT_PAYLOAD])
            assert (await peer.recv())[:2] == [3, "b"]
            reset = await peer.recv()
            assert reset[2] == "Reset"
            # Before answering the Reset, the station sends a CALL of its own.
            await peer.send_json([2, "h", "Heartbeat", {}])
            assert (await peer.recv(timeout=1.0))[:2] == [3, "h"]
            await peer.send_json([3, reset[1], {"status": "Accepted"}])

    run(scenario())
