"""Our own endpoints on both sides of the transport, end to end."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any

import pytest
import trustme
from ws_helpers import (
    CSMS,
    HOST,
    ChargePoint,
    ConnectionClosedError,
    bounded,
    client_context,
    on,
    run,
    server_context,
)

from ocpp201 import Action, datatypes, enums
from ocpp201 import messages as m
from ocpp201.websocket import BackOff, ChargingStationClient, connect, serve


class SimpleCSMS(CSMS):
    stall = False

    @on(Action.BOOT_NOTIFICATION)
    def boot(self, request: m.BootNotificationRequest) -> m.BootNotificationResponse:
        return m.BootNotificationResponse(
            current_time=datetime.now(timezone.utc),
            interval=60,
            status=enums.RegistrationStatusEnumType.ACCEPTED,
        )

    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        if self.stall:
            await asyncio.sleep(60)
        return m.HeartbeatResponse(current_time=datetime.now(timezone.utc))


class SimpleStation(ChargePoint):
    @on(Action.RESET)
    def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        return m.ResetResponse(status=enums.ResetStatusEnumType.ACCEPTED)


BOOT = m.BootNotificationRequest(
    charging_station=datatypes.ChargingStationType(model="M", vendor_name="V"),
    reason=enums.BootReasonEnumType.POWER_UP,
)


def test_security_profile_2_end_to_end() -> None:
    """TLS + HTTP Basic auth, with our CSMS and our station, both directions."""

    async def main() -> None:
        ca = trustme.CA()
        context = server_context(ca, ca.issue_cert(HOST))
        passwords = {"CS 1": "0123456789abcdef0123"}
        async with serve(
            SimpleCSMS, HOST, 0, path="/ocpp", ssl=context, password_for=passwords.get
        ) as server:
            client = ChargingStationClient(
                server.url,
                "CS 1",
                SimpleStation,
                password=passwords["CS 1"],
                ssl=client_context(ca),
            )
            async with client:
                station = await bounded(client.wait_connected())
                boot = await station.call(BOOT, timeout=5)
                assert boot.status == enums.RegistrationStatusEnumType.ACCEPTED
                csms = await bounded(server.wait_for_station("CS 1"))
                assert isinstance(csms, SimpleCSMS)
                assert csms.connection.username == "CS 1"  # type: ignore[attr-defined]
                reset = await csms.call(
                    m.ResetRequest(type=enums.ResetEnumType.IMMEDIATE), timeout=5
                )
                assert reset.status == enums.ResetStatusEnumType.ACCEPTED
            # The station left: its CSMS endpoint is closed and forgotten.
            for _ in range(200):  # bounded: at most 2 s
                if not server.stations:
                    break
                await asyncio.sleep(0.01)
            assert server.stations == {}
            assert csms.closed

    run(main())


def test_pending_calls_fail_when_the_csms_goes_away() -> None:
    async def main() -> None:
        def factory(identity: str, connection: Any) -> SimpleCSMS:
            csms = SimpleCSMS(identity, connection)
            csms.stall = True
            return csms

        server = await serve(factory, HOST, 0)
        connection = await bounded(connect(server.url, "CS1"))
        async with SimpleStation("CS1", connection) as station:
            call = asyncio.ensure_future(station.call(m.HeartbeatRequest(), timeout=30))
            await bounded(server.wait_for_station("CS1"))
            await asyncio.sleep(0.05)  # the CSMS is now stuck in its handler
            start = time.monotonic()
            server.close()
            with pytest.raises(ConnectionClosedError):
                await bounded(call)
            assert time.monotonic() - start < 5
            await bounded(server.wait_closed())

    run(main())


def test_station_reconnects_and_calls_again() -> None:
    async def main() -> None:
        server = await serve(SimpleCSMS, HOST, 0, path="/ocpp")
        port = server.port
        boots: list[str] = []

        async def session(station: SimpleStation) -> None:
            response = await station.call(BOOT, timeout=5)
            boots.append(response.status.value)

        client = ChargingStationClient(
            server.url,
            "CS1",
            SimpleStation,
            session=session,
            back_off=BackOff(wait_minimum=0.05, random_range=0, repeat_times=2),
        )
        async with client:
            first = await bounded(client.wait_connected())
            for _ in range(300):  # bounded: at most 3 s
                if boots:
                    break
                await asyncio.sleep(0.01)
            assert boots == ["Accepted"]
            server.close()
            await bounded(server.wait_closed())
            with pytest.raises(ConnectionClosedError):
                await first.call(m.HeartbeatRequest(), timeout=5)
            server = await serve(SimpleCSMS, HOST, port, path="/ocpp")
            for _ in range(300):  # bounded: at most 3 s
                if client.connections == 2 and len(boots) == 2:
                    break
                await asyncio.sleep(0.01)
            second = await bounded(client.wait_connected())
            assert second is not first
            assert boots == ["Accepted", "Accepted"]
            heartbeat = await second.call(m.HeartbeatRequest(), timeout=5)
            assert heartbeat.current_time.tzinfo is not None
        server.close()
        await bounded(server.wait_closed())

    run(main())
