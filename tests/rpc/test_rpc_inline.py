"""The fast path: plain handlers answered by the receive loop, sends run inline.

A plain-function handler (or one whose result is ready) is called by the receive
loop itself when no other handler runs: no task.  Ordering and the handler bound
stay as with handler tasks: an action with ``@after`` handlers goes through a
handler task (which starts them, one at a time), and a handler returning an
awaitable continues in a handler task while the receive loop reads on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rpc_helpers import connected, heartbeat_response, run

from ocpp201 import CSMS, Action, after, on
from ocpp201 import messages as m
from ocpp201._eager import finish, resume, start


def test_a_plain_handler_runs_in_the_receive_loop_task() -> None:
    seen: list[Any] = []

    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            seen.append(asyncio.current_task())
            return heartbeat_response()

    async def scenario() -> None:
        async with connected(Csms) as (csms, peer):
            for number in range(3):
                frame = await peer.exchange(f'[2,"h{number}","Heartbeat",{{}}]')
                assert frame[:2] == [3, f"h{number}"]
            assert seen == [csms._run_task] * 3
            assert len(csms._tasks) == 0  # no handler task was started

    run(scenario())


def test_a_plain_handler_returning_an_awaitable_continues_in_a_task() -> None:
    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> Any:
            async def later() -> m.HeartbeatResponse:
                await asyncio.sleep(0.01)
                return heartbeat_response()

            return later()

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            frame = await peer.exchange('[2,"h","Heartbeat",{}]')
            assert frame[:2] == [3, "h"]

    run(scenario())


def test_after_handlers_of_a_plain_handler_run_one_at_a_time() -> None:
    events: list[str] = []

    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            events.append("on")
            return heartbeat_response()

        @after(Action.HEARTBEAT)
        async def later(self, request: m.HeartbeatRequest) -> None:
            events.append("after-start")
            await asyncio.sleep(0.05)
            events.append("after-end")

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            await peer.send('[2,"a","Heartbeat",{}]')
            await peer.send('[2,"b","Heartbeat",{}]')
            assert (await peer.recv())[1] == "a"
            assert (await peer.recv())[1] == "b"
            await asyncio.sleep(0.2)
        # in their own task, one at a time: never two after-handlers at once
        after = [e for e in events if e.startswith("after")]
        assert after == ["after-start", "after-end"] * 2, events
        assert events.count("on") == 2

    run(scenario())


def test_eager_helpers_pass_results_errors_and_suspensions_through() -> None:
    async def ready() -> int:
        return 1

    async def waits() -> int:
        await asyncio.sleep(0)
        return 2

    async def fails() -> int:
        await asyncio.sleep(0)
        raise TimeoutError("its own")

    async def stalls() -> int:
        await asyncio.sleep(3600)
        return 3

    async def scenario() -> None:
        assert start(ready()) == (1, None)
        result, started = start(waits())
        assert result is None and started is not None
        assert await resume(started) == 2
        for make, expected in ((waits, (True, 2)), (stalls, (False, None))):
            _, started = start(make())
            assert started is not None
            assert await finish(started, 0.01 if make is stalls else 1) == expected
        # Any awaitable: a future (a send that is not a coroutine function).
        future = asyncio.get_running_loop().create_future()
        future.set_result(4)
        assert start(future) == (4, None)
        pending = asyncio.get_running_loop().create_future()
        _, started = start(pending)
        assert started is not None
        pending.set_result(5)
        assert await finish(started, 1) == (True, 5)
        _, started = start(fails())
        assert started is not None
        try:
            await finish(started, 1)
        except TimeoutError as exc:
            assert str(exc) == "its own"  # not mistaken for the expiry
        else:
            raise AssertionError("TimeoutError expected")

    run(scenario())
