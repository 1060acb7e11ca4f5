"""Second review of the fleet: defects found, each pinned by a test against a real
redis-server (and real worker processes where the fault needs one)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import TTL, RedisServer, Station, Worker, run, station, wait_until

from ocpp201 import CSMS, CallTimeoutError
from ocpp201 import messages as m
from ocpp201.enums import ResetEnumType
from ocpp201.fleet import Event, Fleet, FleetError, NodeGoneError, RedisUnavailableError
from ocpp201.fleet._events import EventPublisher

RESET = m.ResetRequest(type=ResetEnumType.IMMEDIATE)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server: these tests stop it with SIGSTOP."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        assert server.process is not None
        server.process.send_signal(signal.SIGCONT)
        server.stop()


def _pause(server: RedisServer) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)


def _resume(server: RedisServer) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGCONT)


def test_a_call_is_bounded_by_its_timeout_when_redis_hangs(
    own_redis: RedisServer,
) -> None:
    """A Redis that accepts connections but does not answer (a stopped process, a
    partition without resets) must not make ``fleet.call(timeout=1)`` hang."""

    async def main() -> None:
        fleet = Fleet(own_redis.url, presence_ttl=TTL)
        await fleet.start()
        _pause(own_redis)
        try:
            start = time.monotonic()
            with pytest.raises((CallTimeoutError, RedisUnavailableError)):
                # The outer bound only turns a hang into a plain TimeoutError.
                await asyncio.wait_for(fleet.call("HANG-1", RESET, timeout=1), 6)
            assert time.monotonic() - start < 2.5
        finally:
            _resume(own_redis)
            await fleet.close()

    run(main())


def test_start_against_a_hung_redis_is_a_clear_error(own_redis: RedisServer) -> None:
    async def main() -> None:
        fleet = Fleet(own_redis.url, connect_timeout=1)
        _pause(own_redis)
        try:
            start = time.monotonic()
            with pytest.raises(RedisUnavailableError):
                await asyncio.wait_for(fleet.start(), 6)
            assert time.monotonic() - start < 2.5
        finally:
            _resume(own_redis)
            await fleet.close()

    run(main())


def test_a_call_cancelled_before_sending_is_not_delivered_after_a_script_reload(
    redis_server: RedisServer,
) -> None:
    """After a Redis restart (scripts gone), a cancelled call's withdrawal (DEL of
    its ``want:`` key) could run before the re-run of its SEND script, which then
    queued the call as wanted: the station got a call its caller had cancelled."""

    class S(Station):
        """Records its own calls."""

    async def main() -> None:
        # A long presence TTL: the node does not reload the scripts meanwhile.
        node = Fleet(redis_server.url, presence_ttl=30, prefix="rv-ns:")
        caller = Fleet(redis_server.url, presence_ttl=TTL, prefix="rv-ns:")
        async with (
            node,
            caller,
            node.serve(CSMS) as server,
            station(server.url + "/ocpp", "RV-NS", S),
        ):

            async def there() -> bool:
                return await caller.locate("RV-NS") is not None

            await wait_until(there)
            client = redis_server.client()
            try:
                client.script_flush()  # as after a Redis restart
            finally:
                client.close()

            def busy(pipe: Any) -> int:  # keeps the caller's pipeline busy 0.5 s
                pipe.blpop(["rv-ns:nothing"], timeout=0.5)
                return 1

            caller._batcher.fire(busy)
            await asyncio.sleep(0.05)
            call = asyncio.ensure_future(caller.call("RV-NS", RESET, timeout=5))
            await asyncio.sleep(0.05)  # its SEND waits behind the busy pipeline
            call.cancel()
            await asyncio.sleep(1.5)
            assert call.cancelled()
            assert S.calls == []

    run(main())


def test_a_call_failed_with_node_gone_is_not_delivered_later(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """A hung node whose presence lapsed, then wakes up: the call its caller was
    told failed (``NodeGoneError``) must not reach the station afterwards (the
    caller would retry it elsewhere: twice).  The node's key is deleted by hand to
    make the lapse happen at once while the station's presence is still fresh, as
    when the station registered after the node's last refresh."""

    worker = Worker(redis_server.url, "rv-hung", ttl=10, log=tmp_path / "w.log")

    class S(Station):
        """Records its own calls."""

    async def main() -> None:
        async with (
            Fleet(redis_server.url, presence_ttl=0.6) as caller,
            station(worker.url, "RV-HUNG", S),
        ):

            async def there() -> bool:
                return await caller.locate("RV-HUNG") is not None

            await wait_until(there)
            worker.process.send_signal(signal.SIGSTOP)
            try:
                call = asyncio.ensure_future(caller.call("RV-HUNG", RESET, timeout=8))
                await asyncio.sleep(0.3)  # queued for the stopped node
                client = redis_server.client()
                try:
                    client.delete("ocpp201:node:rv-hung")  # its presence lapsed
                finally:
                    client.close()
                with pytest.raises(NodeGoneError):
                    await asyncio.wait_for(call, 3)
                await asyncio.sleep(0.2)
            finally:
                worker.process.send_signal(signal.SIGCONT)
            await asyncio.sleep(1.5)  # the node wakes up and reads its commands
            assert S.calls == []

    try:
        run(main())
    finally:
        worker.stop()


def test_closing_a_fleet_fails_its_pending_calls_without_cancelling_them(
    redis_server: RedisServer,
) -> None:
    """``fleet.close()`` while a ``call()`` waits: the call must raise an error, not
    ``CancelledError`` in a task nobody cancelled (which a TaskGroup, ``gather`` or
    ``broadcast()`` would take for a cancellation of their own)."""

    class Slow(Station):
        hold = 3.0

    async def main() -> None:
        node = Fleet(redis_server.url, presence_ttl=TTL, prefix="rv-close:")
        caller = Fleet(redis_server.url, presence_ttl=TTL, prefix="rv-close:")
        async with (
            node,
            node.serve(CSMS) as server,
            station(server.url + "/ocpp", "RV-CLOSE", Slow),
        ):
            await caller.start()

            async def there() -> bool:
                return await caller.locate("RV-CLOSE") is not None

            await wait_until(there)
            call = asyncio.ensure_future(caller.call("RV-CLOSE", RESET, timeout=10))
            await wait_until(lambda: _true(Slow.calls))
            await caller.close()
            outcome = await asyncio.gather(call, return_exceptions=True)
            assert not call.cancelled()
            assert isinstance(outcome[0], FleetError), outcome

    run(main())


async def _true(value: object) -> bool:
    return bool(value)


def test_a_call_arriving_before_the_node_has_its_registration_answer(
    redis_server: RedisServer,
) -> None:
    """The station's REGISTER ran in Redis, but its answer has not reached the node
    yet (a busy loop, a long pipeline) when a call for it arrives: the node must
    wait for its epoch, not answer "moved" -- which made the caller fail at once
    with ``StationOfflineError`` for a station that had just connected.  Here the
    answer is held back by a blocking command pipelined behind the REGISTER."""

    class S(Station):
        """Records its own calls."""

    def busy(seconds: float) -> Any:
        def op(pipe: Any) -> int:
            pipe.blpop(["rv-reg:nothing"], timeout=seconds)
            return 1

        return op

    async def main() -> None:
        node = Fleet(redis_server.url, presence_ttl=30, prefix="rv-reg:")
        caller = Fleet(redis_server.url, presence_ttl=TTL, prefix="rv-reg:")
        async with node, caller, node.serve(CSMS) as server:
            await node.start_node()
            batcher = node._batcher
            batcher.fire(busy(0.5))
            async with station(server.url + "/ocpp", "RV-REG", S):

                async def queued() -> bool:  # the REGISTER waits behind "busy"
                    return any(future for _, future in batcher._queue)

                await wait_until(queued, 5, 0.005)
                batcher.fire(busy(1.5))  # pipelined right behind the REGISTER

                async def there() -> bool:
                    return await caller.locate("RV-REG") is not None

                await wait_until(there, 5, 0.01)
                response = await caller.call("RV-REG", RESET, timeout=5)
                assert response.status.value == "Accepted"
                assert S.calls == [("RV-REG", "Reset")]

    run(main())


def test_unsent_events_are_bounded_in_bytes_too(own_redis: RedisServer) -> None:
    """While Redis does not answer, a station sending large CALLs (up to the
    1 MiB frame limit each) filled the event queue up to 10,000 events: 10 GiB.
    The unsent events must also be bounded in bytes."""
    payload = '"' + "x" * 2**20 + '"'
    event = Event(
        identity="BIG",
        node="n",
        kind="call",
        message_id="1",
        action="DataTransfer",
        payload=payload,
        time="2026-01-01T00:00:00.000Z",
    )

    async def main() -> None:
        fleet = Fleet(own_redis.url)
        await fleet.start()
        publisher = EventPublisher(fleet._redis, "rv:events", 1000)
        publisher.start()
        _pause(own_redis)
        try:
            for _ in range(200):
                publisher.publish(event)
                await asyncio.sleep(0)
            assert publisher.dropped >= 200 - 70
        finally:
            _resume(own_redis)
            await publisher.close()
            await fleet.close()

    run(main())


def test_read_events_blocks_as_long_as_asked(redis_server: RedisServer) -> None:
    """``read_events(block=6)`` waits up to 6 s for an event; it failed after 5 s
    with ``RedisUnavailableError`` (redis-py's read timeout) on an idle stream."""

    async def main() -> None:
        async with Fleet(redis_server.url, events_stream="rv:block") as fleet:
            client = redis_server.client()
            try:
                client.xadd("rv:block", {"identity": "OLD", "kind": "call"})

                def later() -> None:
                    time.sleep(5.5)
                    client.xadd("rv:block", {"identity": "NEW", "kind": "call"})

                start = time.monotonic()
                writer = asyncio.ensure_future(asyncio.to_thread(later))
                events = await fleet.read_events("$", block=6.5)
                await writer
                assert [e.identity for _, e in events] == ["NEW"]
                assert 5.3 < time.monotonic() - start < 6.5
            finally:
                client.close()

    run(main())
