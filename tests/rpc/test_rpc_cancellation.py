"""Cancellation of handler tasks: whose cancellation propagates, and what is answered.

A handler task lets ``CancelledError`` propagate only when that task itself is being
cancelled (by ``close()`` / the end of the receive loop).  A ``CancelledError`` that
merely escapes from a handler -- raised by it, or from a task somebody else cancelled
-- is a failure of the handler: the peer gets InternalError, the log an ERROR.  And a
handler that swallows the cancellation of ``handler_timeout`` is kept and cancelled
again by ``close()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest
from rpc_helpers import (
    Peer,
    bounded,
    capture_logs,
    connected,
    error_frame,
    heartbeat_response,
    run,
)

from ocpp201 import CSMS, Action, Hooks, after, memory_pair, on
from ocpp201 import messages as m

HEARTBEAT = '[2,"h","Heartbeat",{}]'
TIMEOUTS = pytest.mark.parametrize(
    "handler_timeout", [None, 5.0], ids=["no-handler-timeout", "handler-timeout"]
)


# ------------------------------------------------------------------ not ours: answer


class RaisesCancelled(CSMS):
    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        raise asyncio.CancelledError


class SyncRaisesCancelled(CSMS):
    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        raise asyncio.CancelledError


class AwaitsCancelledTask(CSMS):
    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        helper = asyncio.ensure_future(asyncio.sleep(10))
        helper.cancel()  # somebody else cancels a task the handler awaits
        await helper
        return heartbeat_response()


@TIMEOUTS
@pytest.mark.parametrize(
    "endpoint_cls",
    [RaisesCancelled, SyncRaisesCancelled, AwaitsCancelledTask],
    ids=["raises", "sync-raises", "awaits-cancelled-task"],
)
def test_a_cancelled_error_escaping_a_handler_is_answered_internal_error(
    endpoint_cls: Any, handler_timeout: float | None
) -> None:
    async def scenario() -> None:
        async with connected(endpoint_cls, handler_timeout=handler_timeout) as (
            _,
            peer,
        ):
            frame = await peer.exchange(HEARTBEAT)
            assert frame == [
                4,
                "h",
                "InternalError",
                "An internal error occurred while handling Heartbeat",
                {},
            ]
            # The handler task ended normally; the endpoint still works.
            frame = await peer.exchange(HEARTBEAT.replace('"h"', '"h2"'))
            assert error_frame(frame) == ("h2", "InternalError")

    with capture_logs() as logs:
        run(scenario())
    errors = [r for r in logs.records if r.levelno == logging.ERROR]
    assert errors and "CancelledError" in errors[0].getMessage()
    assert errors[0].exc_info is not None


def test_a_cancelled_error_escaping_an_after_handler_is_logged() -> None:
    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            return heartbeat_response()

        @after(Action.HEARTBEAT)
        async def first(self, request: m.HeartbeatRequest) -> None:
            raise asyncio.CancelledError

        @after(Action.HEARTBEAT)
        def second(self, request: m.HeartbeatRequest) -> None:
            ran.append("second")

    ran: list[str] = []

    async def scenario() -> None:
        async with connected(Csms) as (_, peer):
            assert (await peer.exchange(HEARTBEAT))[0] == 3
            await peer.expect_nothing()  # after-handlers ran before the probe
            assert ran == ["second"]

    with capture_logs() as logs:
        run(scenario())
    assert any("after-handler first()" in t for t in logs.messages(logging.ERROR))


# ------------------------------------------------------------------ ours: propagate


class Stuck(CSMS):
    entered: asyncio.Event
    cancelled: list[str]

    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        self.entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled.append("heartbeat")
            raise
        raise AssertionError("unreachable")


async def _stuck_endpoint(**options: Any) -> tuple[Stuck, Peer, list[str]]:
    a, b = memory_pair()
    sent: list[str] = []
    csms = Stuck(
        "CS001", a, hooks=Hooks(frame_sent=lambda _, f: sent.append(f)), **options
    )
    csms.entered = asyncio.Event()
    csms.cancelled = []
    return csms, Peer(b), sent


@TIMEOUTS
def test_close_cancels_a_running_handler_without_answering(
    handler_timeout: float | None,
) -> None:
    async def scenario() -> None:
        csms, peer, sent = await _stuck_endpoint(handler_timeout=handler_timeout)
        run_task = asyncio.ensure_future(csms.run())
        await peer.send(HEARTBEAT)
        await bounded(csms.entered.wait())
        await bounded(csms.close())
        assert csms.cancelled == ["heartbeat"]
        assert sent == []  # cancelled by us: no InternalError is made up
        assert run_task.done() and run_task.exception() is None

    run(scenario())


@TIMEOUTS
def test_cancelling_the_receive_loop_cancels_handlers_without_answering(
    handler_timeout: float | None,
) -> None:
    async def scenario() -> None:
        csms, peer, sent = await _stuck_endpoint(handler_timeout=handler_timeout)
        run_task = asyncio.ensure_future(csms.run())
        await peer.send(HEARTBEAT)
        await bounded(csms.entered.wait())
        run_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await bounded(run_task)
        assert csms.cancelled == ["heartbeat"]
        assert sent == []
        assert csms.closed

    run(scenario())


# ------------------------------------------------------------------ handler_timeout


def test_a_handler_that_swallows_its_timeout_cancellation_is_reaped_by_close() -> None:
    class Stubborn(CSMS):
        cancellations = 0
        finished = False

        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.cancellations += 1  # swallowed: goes on working
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.cancellations += 1
                self.finished = True
                raise
            raise AssertionError("unreachable")

    async def scenario() -> None:
        a, b = memory_pair()
        csms = Stubborn("CS001", a, handler_timeout=0.05)
        async with csms:
            frame = await Peer(b).exchange(HEARTBEAT)
            assert error_frame(frame) == ("h", "InternalError")
            await asyncio.sleep(0.05)
            assert csms.cancellations == 1 and not csms.finished  # still running
        assert csms.finished and csms.cancellations == 2
        # run() (the helper) asserts that no task is left behind.

    with capture_logs() as logs:
        run(scenario())
    assert any("ignored its cancellation" in t for t in logs.messages(logging.ERROR))


def test_close_is_bounded_even_when_a_handler_never_ends() -> None:
    release = asyncio.Event()

    handler_tasks: list[asyncio.Task[Any]] = []

    class Immortal(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            task = asyncio.current_task()
            assert task is not None
            handler_tasks.append(task)
            while not release.is_set():
                with contextlib.suppress(asyncio.CancelledError):  # swallows them all
                    await asyncio.sleep(3600)
            return heartbeat_response()

    async def scenario() -> None:
        a, b = memory_pair()
        csms = Immortal("CS001", a, handler_timeout=0.05, close_timeout=0.2)
        run_task = asyncio.ensure_future(csms.run())
        frame = await Peer(b).exchange(HEARTBEAT)
        assert error_frame(frame) == ("h", "InternalError")
        loop = asyncio.get_running_loop()
        start = loop.time()
        await bounded(csms.close(), 3)
        assert loop.time() - start < 1.5  # bounded by close_timeout, not forever
        assert run_task.done()
        (handler_task,) = handler_tasks
        assert not handler_task.done()  # nothing can end it; close() gave up on it
        # Let the immortal handler go so that the test leaves nothing behind.
        release.set()
        handler_task.cancel()
        await bounded(asyncio.wait({handler_task}))

    with capture_logs() as logs:
        run(scenario())
    assert any("left running" in t for t in logs.messages(logging.ERROR))
