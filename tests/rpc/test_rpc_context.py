"""The CALL a handler serves: ocpp201.current_call() and CallContext."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest
from rpc_helpers import (
    BOOT_PAYLOAD,
    boot_response,
    connected,
    heartbeat_response,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    CallContext,
    after,
    current_call,
    on,
)
from ocpp201 import messages as m


def test_outside_a_handler_there_is_no_current_call() -> None:
    with pytest.raises(LookupError, match="inside an @on or @after handler"):
        current_call()


def test_handlers_and_after_handlers_see_their_call() -> None:
    seen: list[tuple[str, CallContext]] = []

    class Csms(CSMS):
        @on(Action.BOOT_NOTIFICATION)
        async def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            seen.append(("on", current_call()))
            return boot_response()

        @after(Action.BOOT_NOTIFICATION)
        def booted(self, request: m.BootNotificationRequest) -> None:
            seen.append(("after", current_call()))

        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            seen.append(("on", current_call()))  # a plain def too
            return heartbeat_response()

    before = datetime.now(timezone.utc)

    async def scenario() -> None:
        async with connected(Csms, identity="CS-42") as (_, peer):
            await peer.exchange(
                json.dumps([2, "b-1", "BootNotification", BOOT_PAYLOAD])
            )
            await peer.exchange('[2,"h-7","Heartbeat",{}]')

    run(scenario())
    assert [(where, c.message_id, c.action, c.identity) for where, c in seen] == [
        ("on", "b-1", "BootNotification", "CS-42"),
        ("after", "b-1", "BootNotification", "CS-42"),
        ("on", "h-7", "Heartbeat", "CS-42"),
    ]
    assert seen[0][1] == seen[1][1]  # the same CALL in @on and @after
    for _, context in seen:
        assert before <= context.received_at <= datetime.now(timezone.utc)
        assert context.tolerated == ()


def test_concurrent_handlers_each_see_their_own_call() -> None:
    """handler_concurrency > 1: the handlers interleave, and in tasks they start."""
    seen: list[tuple[str, str, str]] = []
    started = 0
    all_started = asyncio.Event()

    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            nonlocal started
            mine = current_call().message_id
            started += 1
            if started == 3:
                all_started.set()
            await all_started.wait()  # every handler is running now

            async def in_a_task() -> str:
                return current_call().message_id

            seen.append(
                (
                    mine,
                    current_call().message_id,
                    await asyncio.ensure_future(in_a_task()),
                )
            )
            return heartbeat_response()

        @after(Action.HEARTBEAT)
        async def done(self, request: m.HeartbeatRequest) -> None:
            await asyncio.sleep(0)
            seen.append(("after", current_call().message_id, ""))

    async def scenario() -> None:
        async with connected(Csms, handler_concurrency=3) as (_, peer):
            for n in range(3):
                await peer.send(f'[2,"h-{n}","Heartbeat",{{}}]')
            answers = {(await peer.recv())[1] for _ in range(3)}
            assert answers == {"h-0", "h-1", "h-2"}
            await asyncio.sleep(0.05)

    run(scenario())
    handled = [item for item in seen if item[0] != "after"]
    assert sorted(handled) == [(f"h-{n}",) * 3 for n in range(3)]
    assert sorted(i for w, i, _ in seen if w == "after") == ["h-0", "h-1", "h-2"]


def test_tolerated_deviations_are_in_the_context() -> None:
    contexts: list[CallContext] = []

    class Csms(CSMS):
        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            contexts.append(current_call())
            return heartbeat_response()

    async def scenario() -> None:
        async with connected(Csms, tolerant_actions=["Heartbeat"]) as (_, peer):
            assert (await peer.exchange('[2,"h","Heartbeat",{"x":1}]'))[0] == 3

    run(scenario())
    assert [p.path for p in contexts[0].tolerated] == ["$.x"]
