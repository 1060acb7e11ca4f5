"""The in-memory connected pair."""

from __future__ import annotations

import asyncio

import pytest
from rpc_helpers import bounded, run

from ocpp201 import ConnectionClosedError, memory_pair


def test_messages_flow_both_ways_in_order() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        await a.send("1")
        await a.send(b"2")
        await b.send("x")
        assert await bounded(b.recv()) == "1"
        assert await bounded(b.recv()) == b"2"
        assert await bounded(a.recv()) == "x"

    run(scenario())


def test_recv_waits_for_a_message() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        receiving = asyncio.ensure_future(b.recv())
        await asyncio.sleep(0.01)
        assert not receiving.done()
        await a.send("late")
        assert await bounded(receiving) == "late"

    run(scenario())


def test_close_delivers_what_was_sent_then_fails() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        await a.send("before")
        await a.close()
        assert a.closed and b.closed
        with pytest.raises(ConnectionClosedError):
            await bounded(a.recv())
        assert await bounded(b.recv()) == "before"
        with pytest.raises(ConnectionClosedError, match="peer"):
            await bounded(b.recv())
        with pytest.raises(ConnectionClosedError):
            await b.send("after")
        with pytest.raises(ConnectionClosedError):
            await a.send("after")
        await a.close()  # idempotent
        await b.close()

    run(scenario())


def test_close_wakes_a_waiting_recv_on_both_ends() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        on_a = asyncio.ensure_future(a.recv())
        on_b = asyncio.ensure_future(b.recv())
        await asyncio.sleep(0)
        await b.close()
        for waiting in (on_a, on_b):
            with pytest.raises(ConnectionClosedError):
                await bounded(waiting)

    run(scenario())


def test_send_refuses_other_types() -> None:
    async def scenario() -> None:
        a, _ = memory_pair()
        with pytest.raises(TypeError):
            await a.send(42)  # type: ignore[arg-type]

    run(scenario())


def test_two_concurrent_recvs_are_a_bug() -> None:
    async def scenario() -> None:
        a, _ = memory_pair()
        first = asyncio.ensure_future(a.recv())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError):
            await a.recv()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first

    run(scenario())
