"""Every send is bounded by ``send_timeout``: a peer that stops reading cannot stall
the endpoint.  When a send times out the connection counts as broken: it is logged,
closed, and the endpoint shuts down."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from rpc_helpers import (
    HEARTBEAT_RESPONSE_PAYLOAD,
    StallingConnection,
    bounded,
    capture_logs,
    heartbeat_response,
    run,
)

from ocpp201 import Action, CallTimeoutError, ConnectionClosedError, memory_pair, on
from ocpp201 import messages as m
from ocpp201._endpoint import CSMS, DEFAULT_SEND_TIMEOUT, ChargePoint

SEND_TIMEOUT = 0.1


class Csms(CSMS):
    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return heartbeat_response()  # plain: answered inline by the receive loop


class AsyncCsms(CSMS):
    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return heartbeat_response()  # async: answered from a handler task


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        ("not json", Csms),  # answered by the receive loop itself
        ('[2,"h","Heartbeat",{}]', Csms),  # a plain handler: by the receive loop
        ('[2,"h","Heartbeat",{}]', AsyncCsms),  # answered by a handler task
    ],
    ids=[
        "reply-from-the-receive-loop",
        "reply-from-a-plain-handler",
        "reply-from-a-handler",
    ],
)
def test_a_reply_the_peer_does_not_read_closes_the_connection(
    message: str, cls: type[CSMS]
) -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        connection = StallingConnection(a)
        csms = cls("CS001", connection, send_timeout=SEND_TIMEOUT)
        run_task = asyncio.ensure_future(csms.run())
        connection.stalled = True  # the peer stops reading
        await b.send(message)
        await bounded(run_task, 2)  # ends: the connection was closed as broken
        assert csms.closed
        assert connection.close_calls >= 1
        with pytest.raises(ConnectionClosedError):
            await bounded(b.recv())

    with capture_logs() as logs:
        run(scenario())
    errors = logs.messages(logging.ERROR)
    assert any("send_timeout" in t and "broken" in t for t in errors), errors


def test_a_duplicate_id_reply_from_the_receive_loop_is_bounded_too() -> None:
    release = asyncio.Event()

    class Slow(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            await release.wait()
            return heartbeat_response()

    async def scenario() -> None:
        a, b = memory_pair()
        connection = StallingConnection(a)
        csms = Slow(
            "CS001", connection, send_timeout=SEND_TIMEOUT, handler_concurrency=2
        )
        run_task = asyncio.ensure_future(csms.run())
        await b.send('[2,"same","Heartbeat",{}]')
        await asyncio.sleep(0.01)
        connection.stalled = True
        await b.send('[2,"same","Heartbeat",{}]')  # R12: answered from the loop
        await bounded(run_task, 2)
        assert csms.closed and connection.close_calls >= 1

    with capture_logs():
        run(scenario())


def test_a_call_whose_frame_the_peer_does_not_read_fails_and_closes() -> None:
    async def scenario() -> None:
        a, _ = memory_pair()
        connection = StallingConnection(a)
        connection.stalled = True
        cp = ChargePoint("CS001", connection, send_timeout=SEND_TIMEOUT)
        async with cp:
            loop = asyncio.get_running_loop()
            start = loop.time()
            with pytest.raises(ConnectionClosedError, match="send_timeout"):
                await bounded(cp.call(m.HeartbeatRequest(), timeout=30))
            assert loop.time() - start < 2
            assert cp.closed and connection.close_calls >= 1

    with capture_logs():
        run(scenario())


def test_a_call_timeout_shorter_than_send_timeout_is_just_a_timeout() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        connection = StallingConnection(a)
        cp = ChargePoint("CS001", connection, send_timeout=30)
        async with cp:
            connection.stalled = True
            with pytest.raises(CallTimeoutError):
                await bounded(cp.call(m.HeartbeatRequest(), timeout=0.1))
            assert not cp.closed
            connection.stalled = False
            task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            frame = json.loads(await bounded(b.recv()))
            await b.send(json.dumps([3, frame[1], HEARTBEAT_RESPONSE_PAYLOAD]))
            assert await bounded(task) == heartbeat_response()

    run(scenario())


def test_send_timeout_default_and_validation() -> None:
    a, _ = memory_pair()
    assert ChargePoint("CS001", a).send_timeout == DEFAULT_SEND_TIMEOUT
    bad: Any
    for bad in (0, -1):
        with pytest.raises(ValueError, match="send_timeout"):
            ChargePoint("CS001", a, send_timeout=bad)
        with pytest.raises(ValueError, match="close_timeout"):
            ChargePoint("CS001", a, close_timeout=bad)


def test_a_broken_connection_that_cannot_be_closed_still_ends_run() -> None:
    class NoClose:
        """Neither closable nor ever failing recv(); sends never complete."""

        async def send(self, message: str) -> None:
            await asyncio.sleep(3600)

        async def recv(self) -> str:
            await asyncio.sleep(0.01)
            return "not json"  # answered -- and that send stalls

    async def scenario() -> None:
        cp = ChargePoint("CS001", NoClose(), send_timeout=0.05, close_timeout=0.1)
        run_task = asyncio.ensure_future(cp.run())
        await asyncio.wait({run_task}, timeout=2)
        assert run_task.done() and cp.closed

    with capture_logs():
        run(scenario())


@pytest.mark.parametrize("inline", [True, False], ids=["plain", "async"])
def test_a_handler_reply_on_a_connection_that_cannot_be_closed_still_ends_run(
    inline: bool,
) -> None:
    class NoClose:
        def __init__(self) -> None:
            self.messages = ['[2,"h","Heartbeat",{}]']

        async def send(self, message: str) -> None:
            await asyncio.sleep(3600)

        async def recv(self) -> str:
            if self.messages:
                return self.messages.pop()
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

    async def scenario() -> None:
        cls = Csms if inline else AsyncCsms
        csms = cls("CS001", NoClose(), send_timeout=0.05, close_timeout=0.1)
        run_task = asyncio.ensure_future(csms.run())
        await asyncio.wait({run_task}, timeout=2)
        assert run_task.done() and csms.closed
        if not inline:  # a handler task broke the connection: run() is cancelled
            assert run_task.cancelled()  # by the timer

    with capture_logs() as logs:
        run(scenario())
    if not inline:
        assert any("did not end" in t for t in logs.messages(logging.WARNING))
