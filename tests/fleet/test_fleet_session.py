"""The pieces of ``Fleet.serve()`` used with your own ``serve()`` call:
``fleet.factory()`` and ``fleet.session(inner)`` (in one process, real Redis and
real WebSockets)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from fleet_helpers import TTL, RedisServer, Station, run, station, wait_until

from ocpp201 import CSMS, CallError
from ocpp201 import messages as m
from ocpp201.enums import ResetEnumType, ResetStatusEnumType
from ocpp201.fleet import Fleet, NodeBusyError, StationOfflineError
from ocpp201.websocket import connect, serve


def test_own_serve_with_the_fleet_session_and_factory(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    async def inner(endpoint: Any) -> None:
        seen.append(endpoint.identity)
        raise RuntimeError("the application's session failed")

    async def main() -> None:
        node = Fleet(
            redis_server.url,
            node_id="own-serve",
            presence_ttl=TTL,
            events_stream="own:events",
            prefix="own:",
        )
        caller = Fleet(redis_server.url, presence_ttl=TTL, prefix="own:")
        async with node, caller:
            async with serve(
                node.factory(CSMS), "127.0.0.1", 0, session=node.session(inner)
            ) as server:
                url = server.url + "/ocpp"
                async with station(url, "OWN-1", Station) as cs:

                    async def there() -> bool:
                        return await caller.locate("OWN-1") is not None

                    await wait_until(there)
                    assert seen == ["OWN-1"]
                    # The session's failure is logged; the station stays reachable.
                    response = await caller.call(
                        "OWN-1", m.ResetRequest(type=ResetEnumType.ON_IDLE), timeout=5
                    )
                    assert response.status is ResetStatusEnumType.ACCEPTED
                    cp = await cs.wait_connected(5)
                    with pytest.raises(CallError):  # NotSupported, and two events
                        await cp.call(m.HeartbeatRequest(), timeout=5)
                    assert (await caller.stations()).keys() == {"OWN-1"}

                    async def published() -> bool:
                        events = await node.read_events("0")
                        return len(events) == 2

                    await wait_until(published)
            # The server closed: the station is withdrawn at once.
            with pytest.raises(StationOfflineError):
                await caller.call(
                    "OWN-1", m.ResetRequest(type=ResetEnumType.ON_IDLE), timeout=5
                )
            assert await caller.stations() == {}
        # Another prefix is another fleet.
        async with Fleet(redis_server.url) as other:
            assert "own-serve" not in await other.nodes()

    with caplog.at_level(logging.ERROR, logger="ocpp201.fleet"):
        run(main())
    assert "the session failed" in caplog.text


def test_close_ends_the_background_loops_promptly(redis_server: RedisServer) -> None:
    """Regression: redis-py can turn the cancellation of a blocking read into a
    Redis error; the loops must still end when the fleet closes."""
    reset = m.ResetRequest(type=ResetEnumType.ON_IDLE)

    async def main() -> None:
        node = Fleet(redis_server.url, presence_ttl=TTL, prefix="close:")
        async with (
            node,
            node.serve(CSMS) as server,
            station(server.url + "/ocpp", "CLOSE-1", Station),
        ):
            await node.start_node()
            for _ in range(8):
                fleet = Fleet(redis_server.url, presence_ttl=TTL, prefix="close:")
                await fleet.start()

                async def there(fleet: Fleet = fleet) -> bool:
                    return await fleet.locate("CLOSE-1") is not None

                await wait_until(there)
                await asyncio.gather(
                    *(fleet.call("CLOSE-1", reset, timeout=10) for _ in range(50))
                )
                start = time.monotonic()
                await fleet.close()
                assert time.monotonic() - start < 3.5

    run(main(), timeout=90)


def test_a_cancelled_call_waiting_in_redis_is_never_delivered(
    redis_server: RedisServer,
) -> None:
    reset = m.ResetRequest(type=ResetEnumType.ON_IDLE)

    class Slow(Station):
        hold = 1.5

    async def main() -> None:
        # max_inflight=1: while the first call runs, the node leaves the next
        # commands in Redis.
        node = Fleet(
            redis_server.url, presence_ttl=TTL, prefix="cancel:", max_inflight=1
        )
        caller = Fleet(redis_server.url, presence_ttl=TTL, prefix="cancel:")
        async with (
            node,
            caller,
            node.serve(CSMS) as server,
            station(server.url + "/ocpp", "CANCEL-1", Slow),
        ):

            async def there() -> bool:
                return await caller.locate("CANCEL-1") is not None

            await wait_until(there)
            first = asyncio.ensure_future(caller.call("CANCEL-1", reset, timeout=10))
            await wait_until(lambda: _true(Slow.calls))
            second = asyncio.ensure_future(caller.call("CANCEL-1", reset, timeout=10))
            await asyncio.sleep(0.3)
            second.cancel()
            response = await first
            assert response.status is ResetStatusEnumType.ACCEPTED
            await asyncio.sleep(0.5)  # the node pops the withdrawn call and drops it
            third = await caller.call("CANCEL-1", reset, timeout=10)
            assert third.status is ResetStatusEnumType.ACCEPTED
            assert Slow.calls == [("CANCEL-1", "Reset")] * 2
            assert second.cancelled()

    run(main(), timeout=60)


async def _true(value: object) -> bool:
    return bool(value)


def test_events_do_not_change_the_answer_to_broken_frames(
    redis_server: RedisServer,
) -> None:
    async def main() -> None:
        node = Fleet(
            redis_server.url, presence_ttl=TTL, prefix="broken:", events_stream="b:ev"
        )
        async with node, node.serve(CSMS) as server:
            async with await connect(server.url + "/ocpp", "BROKEN-1") as conn:
                for frame in ("[" * 100_000, "not json", '[2,"1","Heartbeat",{}'):
                    await conn.send(frame)
                    answer = json.loads(await asyncio.wait_for(conn.recv(), 5))
                    assert answer[:3] == [4, "-1", "RpcFrameworkError"]
                await conn.send('[2,"2","Heartbeat",{}]')  # still open; NotSupported
                answer = json.loads(await asyncio.wait_for(conn.recv(), 5))
                assert answer[:3] == [4, "2", "NotSupported"]

            async def published() -> bool:
                return len(await node.read_events("0")) == 2

            await wait_until(published)
            kinds = [e.kind for _, e in await node.read_events("0")]
            assert kinds == ["call", "error"]

    run(main())


def test_a_full_node_queue_fails_at_once(redis_server: RedisServer) -> None:
    reset = m.ResetRequest(type=ResetEnumType.ON_IDLE)

    class Slow(Station):
        hold = 1.0

    async def main() -> None:
        node = Fleet(redis_server.url, presence_ttl=TTL, prefix="busy:", max_inflight=1)
        caller = Fleet(
            redis_server.url, presence_ttl=TTL, prefix="busy:", queue_limit=1
        )
        async with (
            node,
            caller,
            node.serve(CSMS) as server,
            station(server.url + "/ocpp", "BUSY-1", Slow),
        ):

            async def there() -> bool:
                return await caller.locate("BUSY-1") is not None

            await wait_until(there)
            first = asyncio.ensure_future(caller.call("BUSY-1", reset, timeout=10))
            await wait_until(lambda: _true(Slow.calls))
            second = asyncio.ensure_future(caller.call("BUSY-1", reset, timeout=10))
            await asyncio.sleep(0.2)  # queued in Redis: the node delivers one at a time
            start = time.monotonic()
            with pytest.raises(NodeBusyError) as info:
                await caller.call("BUSY-1", reset, timeout=10)
            assert time.monotonic() - start < 0.5
            assert info.value.node == node.node_id
            for call in (first, second):
                assert (await call).status is ResetStatusEnumType.ACCEPTED
            assert len(Slow.calls) == 2

    run(main(), timeout=60)
