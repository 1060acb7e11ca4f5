"""Closing: what ``close()`` does at once, and what it does not do any more.

The moment ``close()`` starts, every pending and queued ``call()`` fails and no
incoming CALL reaches a handler -- even while the connection takes its time to
close (a WebSocket closing handshake with a silent peer).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from rpc_helpers import (
    BootHeartbeatCsms,
    Peer,
    SlowCloseConnection,
    bounded,
    capture_logs,
    heartbeat_response,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    ChargePoint,
    ConnectionClosedError,
    Hooks,
    MemoryConnection,
    memory_pair,
    on,
)
from ocpp201 import messages as m

CLOSE_DELAY = 0.6
"""How long the slow connection's close() takes."""


def test_close_fails_pending_and_queued_calls_before_the_connection_closed() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        connection = SlowCloseConnection(a, CLOSE_DELAY)
        cp = ChargePoint("CS001", connection, close_timeout=5)
        peer = Peer(b)
        run_task = asyncio.ensure_future(cp.run())
        outstanding = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=30))
        queued = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=30))
        await peer.recv()  # the first CALL is outstanding, the second queued
        closing = asyncio.ensure_future(cp.close())
        await bounded(connection.close_started.wait())
        for call in (outstanding, queued):
            # Well before the connection has closed (CLOSE_DELAY).
            with pytest.raises(ConnectionClosedError):
                await bounded(call, CLOSE_DELAY / 4)
        assert cp.closed and not closing.done()
        with pytest.raises(ConnectionClosedError):
            await cp.call(m.HeartbeatRequest(), timeout=30)  # new calls too
        await bounded(closing, CLOSE_DELAY + 2)
        await bounded(run_task)

    run(scenario())


def test_calls_arriving_after_close_started_are_not_handled() -> None:
    handled: list[str] = []

    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            handled.append("heartbeat")
            return heartbeat_response()

    async def scenario() -> None:
        a, b = memory_pair()
        connection = SlowCloseConnection(a, CLOSE_DELAY / 2)
        sent: list[str] = []
        csms = Csms(
            "CS001", connection, hooks=Hooks(frame_sent=lambda _, f: sent.append(f))
        )
        peer = Peer(b)
        run_task = asyncio.ensure_future(csms.run())
        assert (await peer.exchange('[2,"before","Heartbeat",{}]'))[0] == 3
        closing = asyncio.ensure_future(csms.close())
        await bounded(connection.close_started.wait())
        await peer.send('[2,"late","Heartbeat",{}]')
        await peer.send('[2,"late-bad","Heartbeat",{"x":1}]')
        await peer.send("not json")
        await bounded(closing, CLOSE_DELAY + 2)
        await bounded(run_task)
        assert handled == ["heartbeat"]  # only the CALL before close()
        assert [json.loads(f)[1] for f in sent] == ["before"]

    with capture_logs() as logs:
        run(scenario())
    assert any("while closing" in t for t in logs.messages())


class NoCloseConnection:
    """A connection without ``close()``: only its peer can end ``recv()``."""

    def __init__(self, inner: MemoryConnection) -> None:
        self.inner = inner

    async def send(self, message: str) -> None:
        await self.inner.send(message)

    async def recv(self) -> str | bytes:
        return await self.inner.recv()


def test_an_endpoint_on_a_connection_without_close_leaves_at_once() -> None:
    async def scenario() -> None:
        a, _b = memory_pair()
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with ChargePoint("CS001", NoCloseConnection(a), close_timeout=5):
            await asyncio.sleep(0)
        assert loop.time() - started < 1.0  # not close_timeout (5 s)

    run(scenario())


def test_an_answered_id_may_be_reused_the_moment_the_reply_arrives() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        peer = Peer(b)
        async with BootHeartbeatCsms("CS001", a):
            for _ in range(20):
                frame = await peer.exchange('[2,"same","Heartbeat",{}]')
                assert frame[:2] == [3, "same"], frame

    run(scenario())
