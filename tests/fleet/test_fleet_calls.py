"""Calls across processes: two real worker processes, stations over real WebSockets,
and this process calling them through a real Redis."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fleet_helpers import TTL, RedisServer, Station, Worker, run, station, wait_until

from ocpp201 import CallError, CallTimeoutError, ErrorCode, LocalProtocolError
from ocpp201 import messages as m
from ocpp201.datatypes import ChargingStationType
from ocpp201.enums import (
    BootReasonEnumType,
    ConnectorStatusEnumType,
    OperationalStatusEnumType,
    ResetEnumType,
    ResetStatusEnumType,
)
from ocpp201.fleet import Fleet, StationLocation, StationOfflineError

EVENTS = "test:events"
RESET = m.ResetRequest(type=ResetEnumType.IMMEDIATE)


@pytest.fixture(scope="module")
def workers(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Worker, Worker]]:
    logs: Path = tmp_path_factory.mktemp("logs")
    a = Worker(redis_server.url, "node-a", events=EVENTS, log=logs / "a.log")
    b = Worker(redis_server.url, "node-b", events=EVENTS, log=logs / "b.log")
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def client(redis_server: RedisServer) -> Fleet:
    return Fleet(redis_server.url, presence_ttl=TTL, events_stream=EVENTS)


async def connected(fleet: Fleet, identity: str, node: str) -> None:
    async def located() -> bool:
        where = await fleet.locate(identity)
        return where is not None and where.node == node

    await wait_until(located)


def test_call_reaches_stations_on_other_processes(
    redis_server: RedisServer, workers: tuple[Worker, Worker]
) -> None:
    a, b = workers

    class S(Station):
        """Records its own calls."""

    async def main() -> None:
        async with (
            client(redis_server) as fleet,
            station(a.url, "CALL-A", S),
            station(b.url, "CALL-B", S),
        ):
            await connected(fleet, "CALL-A", "node-a")
            await connected(fleet, "CALL-B", "node-b")
            for identity in ("CALL-A", "CALL-B"):
                response = await fleet.call(identity, RESET, timeout=5)
                assert isinstance(response, m.ResetResponse)
                assert response.status is ResetStatusEnumType.ACCEPTED
            assert S.calls == [("CALL-A", "Reset"), ("CALL-B", "Reset")]
            stations = await fleet.stations()
            assert stations["CALL-A"].node == "node-a"
            assert stations["CALL-B"].node == "node-b"
            location = await fleet.locate("CALL-A")
            assert isinstance(location, StationLocation)
            assert location.epoch > 0
            assert set(await fleet.nodes()) >= {"node-a", "node-b"}

    run(main())


def test_unknown_station_fails_at_once(
    redis_server: RedisServer, workers: tuple[Worker, Worker]
) -> None:
    async def main() -> None:
        async with client(redis_server) as fleet:
            start = time.monotonic()
            with pytest.raises(StationOfflineError) as info:
                await fleet.call("NO-SUCH-STATION", RESET, timeout=10)
            assert time.monotonic() - start < 1.0
            assert info.value.identity == "NO-SUCH-STATION"
            assert await fleet.locate("NO-SUCH-STATION") is None

    run(main())


def test_a_disconnected_station_is_offline_at_once(
    redis_server: RedisServer, workers: tuple[Worker, Worker]
) -> None:
    a, _ = workers

    async def main() -> None:
        async with client(redis_server) as fleet:
            async with station(a.url, "GONE", Station):
                await connected(fleet, "GONE", "node-a")

            async def offline() -> bool:
                return await fleet.locate("GONE") is None

            await wait_until(offline, timeout=TTL / 2)  # withdrawn, not lapsed
            start = time.monotonic()
            with pytest.raises(StationOfflineError):
                await fleet.call("GONE", RESET, timeout=10)
            assert time.monotonic() - start < 1.0

    run(main())


def test_call_error_timeout_and_one_outstanding_call(
    redis_server: RedisServer, workers: tuple[Worker, Worker]
) -> None:
    _, b = workers

    class S(Station):
        hold = 0.0

    async def main() -> None:
        async with client(redis_server) as fleet, station(b.url, "ERR", S):
            await connected(fleet, "ERR", "node-b")
            refuse = m.ChangeAvailabilityRequest(
                operational_status=OperationalStatusEnumType.INOPERATIVE
            )
            with pytest.raises(CallError) as info:
                await fleet.call("ERR", refuse, timeout=5)
            assert info.value.code is ErrorCode.GENERIC_ERROR
            assert info.value.description == "not today"
            assert info.value.details == {"why": "test"}
            assert info.value.action == "ChangeAvailability"

            S.hold = 0.2  # five calls at once are delivered one after the other
            results = await asyncio.gather(
                *(fleet.call("ERR", RESET, timeout=5) for _ in range(5))
            )
            assert all(r.status is ResetStatusEnumType.ACCEPTED for r in results)
            assert S.max_active == 1

            S.hold = 3.0
            start = time.monotonic()
            with pytest.raises(CallTimeoutError):
                await fleet.call("ERR", RESET, timeout=0.5)
            assert time.monotonic() - start < 2.0
            S.hold = 0.0
            await asyncio.sleep(3.0)  # the station answers late; ignored
            response = await fleet.call("ERR", RESET, timeout=5)
            assert response.status is ResetStatusEnumType.ACCEPTED

    run(main())


def test_requests_the_csms_may_not_send_are_refused_before_sending(
    redis_server: RedisServer, workers: tuple[Worker, Worker]
) -> None:
    async def main() -> None:
        async with client(redis_server) as fleet:
            boot = m.BootNotificationRequest(
                charging_station=ChargingStationType(model="M", vendor_name="V"),
                reason=BootReasonEnumType.POWER_UP,
            )
            with pytest.raises(LocalProtocolError):
                await fleet.call("ANY", boot)

    run(main())


def test_broadcast_gives_one_result_per_station(
    redis_server: RedisServer, workers: tuple[Worker, Worker]
) -> None:
    a, b = workers

    class S(Station):
        """Records its own calls."""

    names = [f"BC-{i}" for i in range(6)]

    async def main() -> None:
        async with client(redis_server) as fleet:
            clients = [
                station((a if i % 2 else b).url, name, S)
                for i, name in enumerate(names)
            ]
            for c in clients:
                c.start()
            try:
                for i, name in enumerate(names):
                    await connected(fleet, name, "node-a" if i % 2 else "node-b")
                results = await fleet.broadcast(RESET, [*names, "BC-NONE"], timeout=5)
                assert set(results) == {*names, "BC-NONE"}
                for name in names:
                    response = results[name]
                    assert isinstance(response, m.ResetResponse), response
                assert isinstance(results["BC-NONE"], StationOfflineError)
                everyone = await fleet.broadcast(RESET, timeout=5)
                assert set(names) <= set(everyone)
                assert sorted(c for c in S.calls if c[0] in names) == sorted(
                    [(n, "Reset") for n in names] * 2
                )
            finally:
                await asyncio.gather(*(c.close() for c in clients))

    run(main())


def test_events_carry_each_incoming_call_and_its_answer(
    redis_server: RedisServer, workers: tuple[Worker, Worker]
) -> None:
    a, _ = workers

    async def main() -> None:
        async with client(redis_server) as fleet:
            async with station(a.url, "EV-1", Station) as cs:
                cp = await cs.wait_connected(5)
                await cp.call(m.HeartbeatRequest(), timeout=5)
                with pytest.raises(CallError):  # no handler on the CSMS
                    await cp.call(
                        m.StatusNotificationRequest(
                            timestamp=datetime.now(timezone.utc),
                            connector_status=ConnectorStatusEnumType.AVAILABLE,
                            evse_id=1,
                            connector_id=1,
                        ),
                        timeout=5,
                    )
            events = []

            async def collected() -> bool:
                nonlocal events
                events = [
                    e
                    for _, e in await fleet.read_events("0", count=10_000)
                    if e.identity == "EV-1"
                ]
                return len(events) >= 4

            await wait_until(collected)
            kinds = [(e.kind, e.action) for e in events]
            assert kinds == [
                ("call", "Heartbeat"),
                ("result", "Heartbeat"),
                ("call", "StatusNotification"),
                ("error", "StatusNotification"),
            ]
            assert all(e.node == "node-a" for e in events)
            assert events[0].message_id == events[1].message_id
            assert events[0].parsed_payload() == {}
            assert "currentTime" in json.loads(events[1].payload)
            assert events[3].parsed_payload()[0] == "NotSupported"
            assert events[3].time.endswith("Z")

    run(main())
