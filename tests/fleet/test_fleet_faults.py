"""Faults: a station taking over from another node, a killed worker, a restarted
Redis, an unreachable Redis, a worker stopping cleanly.  Real processes, real Redis."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from fleet_helpers import (
    TTL,
    RedisServer,
    Station,
    Worker,
    free_port,
    run,
    station,
    wait_until,
)

from ocpp201 import ConnectionClosedError
from ocpp201 import messages as m
from ocpp201.enums import ResetEnumType, ResetStatusEnumType
from ocpp201.fleet import (
    Fleet,
    NodeGoneError,
    RedisUnavailableError,
    StationOfflineError,
)
from ocpp201.websocket import connect

RESET = m.ResetRequest(type=ResetEnumType.IMMEDIATE)


async def located_on(
    fleet: Fleet, identity: str, node: str, timeout: float = 10
) -> None:
    async def there() -> bool:
        where = await fleet.locate(identity)
        return where is not None and where.node == node

    await wait_until(there, timeout)


def test_a_reconnect_to_another_node_takes_over(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    a = Worker(redis_server.url, "tk-a", log=tmp_path / "a.log")
    b = Worker(redis_server.url, "tk-b", log=tmp_path / "b.log")

    class Old(Station):
        hold = 60.0  # never answers in time

    class New(Station):
        """Records its own calls."""

    async def main() -> None:
        async with Fleet(redis_server.url, presence_ttl=TTL) as fleet:
            connection = await connect(a.url, "TK")
            async with Old("TK", connection):
                await located_on(fleet, "TK", "tk-a")
                old_epoch = (await fleet.locate("TK")).epoch  # type: ignore[union-attr]
                pending = asyncio.gather(
                    *(fleet.call("TK", RESET, timeout=20) for _ in range(8)),
                    return_exceptions=True,
                )
                await wait_until(lambda: _true(Old.calls))
                await asyncio.sleep(0.3)  # the other 7 wait their turn on node A
                async with station(b.url, "TK", New):
                    await located_on(fleet, "TK", "tk-b")
                    start = time.monotonic()
                    # The older node closes its connection and fails its calls.
                    outcomes = await pending
                    assert all(isinstance(o, ConnectionClosedError) for o in outcomes)
                    assert time.monotonic() - start < 3
                    assert New.calls == []
                    await asyncio.wait_for(connection.wait_closed(), 5)
                    results = await asyncio.gather(
                        *(fleet.call("TK", RESET, timeout=5) for _ in range(10))
                    )
                    assert all(
                        r.status is ResetStatusEnumType.ACCEPTED for r in results
                    )
                    assert New.calls == [("TK", "Reset")] * 10
                    assert Old.calls == [("TK", "Reset")]
                    # A command routed to the old connection is not delivered
                    # anywhere, by the old node nor by the new one.
                    for node in ("tk-a", "tk-b"):
                        assert (
                            await _forged_call(redis_server, node, "TK", old_epoch)
                            == "moved"
                        )
                    assert New.calls == [("TK", "Reset")] * 10
                    assert Old.calls == [("TK", "Reset")]

    try:
        run(main(), timeout=60)
    finally:
        a.stop()
        b.stop()


async def _true(value: object) -> bool:
    return bool(value)


async def _forged_call(
    redis_server: RedisServer, node: str, identity: str, epoch: int
) -> str:
    """Queue a call for ``identity`` with a stale epoch; return the node's verdict."""
    client = redis_server.client()
    try:
        body = {
            "k": "call",
            "r": "forged",
            "i": identity,
            "a": "Reset",
            "p": {"type": "Immediate"},
            "c": "forger",
        }
        client.set("ocpp201:want:forged", "1", px=5000)
        client.rpush(f"ocpp201:cmd:{node}", f"{epoch}\n{json.dumps(body)}")
        reply = await asyncio.to_thread(client.blpop, ["ocpp201:reply:forger"], 5)
        assert reply is not None
        assert client.exists("ocpp201:want:forged")  # never claimed
        client.delete("ocpp201:want:forged")
        return str(json.loads(reply[1])["s"])
    finally:
        client.close()


def test_a_killed_worker(redis_server: RedisServer, tmp_path: Path) -> None:
    a = Worker(redis_server.url, "kill-a", reuse_port=True, log=tmp_path / "a.log")
    b = Worker(
        redis_server.url, "kill-b", port=a.port, reuse_port=True, log=tmp_path / "b.log"
    )
    workers = {"kill-a": a, "kill-b": b}
    names = [f"K-{i}" for i in range(6)]

    class S(Station):
        """Records its own calls."""

    async def main() -> None:
        async with Fleet(redis_server.url, presence_ttl=TTL) as fleet:
            clients = [station(a.url, name, S) for name in names]
            for c in clients:
                c.start()
            once = await connect(a.url, "K-ONCE")  # will not reconnect
            try:
                async with S("K-ONCE", once):

                    async def all_there() -> bool:
                        return set(await fleet.stations()) >= {*names, "K-ONCE"}

                    await wait_until(all_there)
                    where = await fleet.stations()
                    victim = where["K-ONCE"].node
                    survivor = "kill-b" if victim == "kill-a" else "kill-a"
                    moved = [n for n in names if where[n].node == victim]
                    workers[victim].kill()

                    # Routed to the dead node: fails once its presence lapses.
                    start = time.monotonic()
                    with pytest.raises(NodeGoneError) as info:
                        await fleet.call("K-ONCE", RESET, timeout=20)
                    assert info.value.node == victim
                    assert time.monotonic() - start < TTL + 1.5
                    start = time.monotonic()
                    with pytest.raises((NodeGoneError, StationOfflineError)):
                        await fleet.call("K-ONCE", RESET, timeout=20)
                    assert time.monotonic() - start < 0.5
                    assert victim not in await fleet.nodes()

                    # Its stations reconnect to the other worker on the same port.
                    for name in moved:
                        await located_on(fleet, name, survivor)
                    results = await fleet.broadcast(RESET, names, timeout=5)
                    for name in names:
                        assert isinstance(results[name], m.ResetResponse), results
            finally:
                await asyncio.gather(*(c.close() for c in clients))

    try:
        run(main(), timeout=60)
    finally:
        a.stop()
        b.stop()


def test_workers_register_again_after_a_redis_restart(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    a = Worker(server.url, "rr-a", log=tmp_path / "a.log")

    async def main() -> None:
        async with (
            Fleet(server.url, presence_ttl=TTL) as fleet,
            station(a.url, "RR-1", Station),
        ):
            await located_on(fleet, "RR-1", "rr-a")
            await fleet.call("RR-1", RESET, timeout=5)
            server.stop()
            with pytest.raises(RedisUnavailableError):
                await fleet.call("RR-1", RESET, timeout=5)
            server.start()  # same port, no data
            await located_on(fleet, "RR-1", "rr-a")
            assert "rr-a" in await fleet.nodes()
            response = await fleet.call("RR-1", RESET, timeout=5)
            assert response.status is ResetStatusEnumType.ACCEPTED

    try:
        run(main(), timeout=60)
    finally:
        a.stop()
        server.stop()


def test_unreachable_redis_at_start_is_a_clear_error() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"

    async def main() -> None:
        start = time.monotonic()
        with pytest.raises(RedisUnavailableError) as info:
            async with Fleet(url):
                pass
        assert url in str(info.value)
        assert isinstance(info.value, ConnectionError)
        fleet = Fleet(url)
        with pytest.raises(RedisUnavailableError):
            await fleet.call("CS1", RESET)
        for bad in (0, -1, float("nan"), float("inf")):
            with pytest.raises(ValueError):
                await fleet.call("CS1", RESET, timeout=bad)
        await fleet.close()
        assert time.monotonic() - start < 5

    run(main())


def test_a_worker_without_redis_stops_with_a_clear_error(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(RuntimeError, match="did not start"):
        Worker(url, "no-redis", log=tmp_path / "w.log")
    log = (tmp_path / "w.log").read_text()
    assert "RedisUnavailableError" in log
    assert f"cannot reach Redis at {url}" in log


def test_a_clean_stop_withdraws_the_stations_at_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    a = Worker(redis_server.url, "stop-a", ttl=30, log=tmp_path / "a.log")

    async def main() -> None:
        async with Fleet(redis_server.url, presence_ttl=TTL) as fleet:
            connection = await connect(a.url, "ST-1")
            async with Station("ST-1", connection):
                await located_on(fleet, "ST-1", "stop-a")
                await asyncio.to_thread(a.stop)
                start = time.monotonic()
                with pytest.raises(StationOfflineError):
                    await fleet.call("ST-1", RESET, timeout=5)
                assert time.monotonic() - start < 1
                assert "stop-a" not in await fleet.nodes()

    try:
        run(main())
    finally:
        a.stop()
