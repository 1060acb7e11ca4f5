"""The registration gate (Part 2 B01.FR.10, B02.FR.09, B03.FR.07) and ReadyCSMS.

Driven over the in-memory pair: our ChargePoint as the station, ReadyCSMS as the
CSMS; every requirement id has its test.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest

from ocpp201 import Action, CallError, ChargePoint, ErrorCode, memory_pair, on
from ocpp201 import messages as m
from ocpp201.enums import (
    ConnectorStatusEnumType,
    GenericDeviceModelStatusEnumType,
    MessageTriggerEnumType,
    RegistrationStatusEnumType,
)
from ocpp201.tools.csms import ReadyCSMS, ServeConfig, parse_script
from ocpp201.tools.gate import RegistrationGate

BOOT = {
    "reason": "PowerUp",
    "chargingStation": {"model": "M", "vendorName": "V"},
}


def now() -> datetime:
    return datetime.now(timezone.utc)


async def pair(config: ServeConfig) -> tuple[ChargePoint, ReadyCSMS, Any]:
    station_side, csms_side = memory_pair()
    station = ChargePoint("CS1", station_side)
    csms = ReadyCSMS("CS1", csms_side, config=config)
    tasks = [asyncio.ensure_future(station.run()), asyncio.ensure_future(csms.run())]
    return station, csms, tasks


async def stop(station: ChargePoint, csms: ReadyCSMS, tasks: Any) -> None:
    await station.close()
    await csms.close()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)


def boot_request() -> m.BootNotificationRequest:
    from ocpp201 import from_payload

    return from_payload(m.BootNotificationRequest, BOOT)


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 10))


@pytest.mark.parametrize(
    ("status", "requirement"),
    [
        (RegistrationStatusEnumType.PENDING, "B02.FR.09"),
        (RegistrationStatusEnumType.REJECTED, "B01.FR.10"),
    ],
)
def test_calls_before_accepted_get_security_error(
    status: RegistrationStatusEnumType, requirement: str
) -> None:
    async def main() -> None:
        config = ServeConfig(boot_status=status)
        station, csms, tasks = await pair(config)
        response = await station.call(boot_request())
        assert response.status == status
        with pytest.raises(CallError) as refused:
            await station.call(m.HeartbeatRequest())
        assert refused.value.code == ErrorCode.SECURITY_ERROR
        assert requirement in refused.value.description
        # BootNotification itself always passes
        again = await station.call(boot_request())
        assert again.status == status
        assert config.refused == {"Heartbeat": 1}
        await stop(station, csms, tasks)

    run(main())


def test_rejected_allows_nothing_but_boot_b03_fr_07() -> None:
    gate = RegistrationGate()
    gate.booted("CS1", RegistrationStatusEnumType.REJECTED)
    gate.asked_for("CS1", Action.NOTIFY_REPORT)  # only while Pending
    assert gate.refusal("CS1", Action.BOOT_NOTIFICATION) is None
    for action in (Action.HEARTBEAT, Action.STATUS_NOTIFICATION, Action.METER_VALUES):
        reason = gate.refusal("CS1", action)
        assert reason is not None
        assert "B03.FR.07" in reason


def test_pending_lets_through_what_the_csms_asked_for_b02_fr_02() -> None:
    gate = RegistrationGate()
    gate.booted("CS1", RegistrationStatusEnumType.PENDING)
    assert gate.refusal("CS1", Action.NOTIFY_REPORT) is not None
    gate.asked_for("CS1", Action.NOTIFY_REPORT)  # after GetBaseReport
    assert gate.refusal("CS1", Action.NOTIFY_REPORT) is None
    assert gate.refusal("CS1", "NotifyReport") is None
    # booting again while Pending keeps what was asked for
    gate.booted("CS1", RegistrationStatusEnumType.PENDING)
    assert gate.refusal("CS1", Action.NOTIFY_REPORT) is None
    assert gate.refusal("CS1", Action.HEARTBEAT) is not None
    # Accepted: everything passes; a new Pending forgets the permissions
    gate.booted("CS1", RegistrationStatusEnumType.ACCEPTED)
    assert gate.refusal("CS1", Action.HEARTBEAT) is None
    gate.booted("CS1", RegistrationStatusEnumType.PENDING)
    assert gate.refusal("CS1", Action.NOTIFY_REPORT) is not None


def test_a_station_never_seen_booting_passes_and_memory_is_bounded() -> None:
    gate = RegistrationGate(max_stations=2)
    assert gate.refusal("CS9", Action.HEARTBEAT) is None
    for identity in ("A", "B", "C"):
        gate.booted(identity, RegistrationStatusEnumType.REJECTED)
    assert gate.status("A") is None  # the oldest was forgotten
    assert gate.status("C") == RegistrationStatusEnumType.REJECTED


def test_triggered_message_passes_while_pending() -> None:
    async def main() -> None:
        config = ServeConfig(boot_status=RegistrationStatusEnumType.PENDING)
        station, csms, tasks = await pair(config)
        await station.call(boot_request())

        await csms.send_logged(
            m.TriggerMessageRequest(
                requested_message=MessageTriggerEnumType.STATUS_NOTIFICATION
            )
        )  # NotImplemented by the plain ChargePoint: logged, not raised
        status = m.StatusNotificationRequest(
            timestamp=now(),
            connector_status=ConnectorStatusEnumType.AVAILABLE,
            evse_id=1,
            connector_id=1,
        )
        await station.call(status)  # asked for: passes
        await stop(station, csms, tasks)

    run(main())


def test_ready_csms_answers_every_station_action() -> None:
    from ocpp201 import Sender, from_payload, to_payload

    samples = {
        "Authorize": {"idToken": {"idToken": "X", "type": "ISO14443"}},
        "TransactionEvent": {
            "eventType": "Started",
            "timestamp": "2025-01-01T00:00:00Z",
            "triggerReason": "Authorized",
            "seqNo": 0,
            "transactionInfo": {"transactionId": "T"},
            "idToken": {"idToken": "X", "type": "ISO14443"},
        },
    }

    async def main() -> None:
        config = ServeConfig(cards=frozenset({"Y"}))
        station, csms, tasks = await pair(config)
        await station.call(boot_request())
        answered = 0
        for action in Action:
            if action.sender != Sender.CHARGING_STATION:
                continue
            if action.value not in samples:
                continue
            request = from_payload(action.request, samples[action.value])
            response = await station.call(request)
            assert to_payload(response)
            answered += 1
        assert answered == 2
        assert config.received["Authorize"] == 1
        await stop(station, csms, tasks)

    run(main())
    # every station action has a route on ReadyCSMS
    routes = ReadyCSMS._routes.on
    for action in Action:
        if action.sender in (Sender.CHARGING_STATION, Sender.BOTH):
            assert action.value in routes, action


def test_parse_script() -> None:
    steps = parse_script('[["Reset", {"type": "OnIdle"}, 1.5], ["ClearCache", {}]]')
    assert [type(s.request).__name__ for s in steps] == [
        "ResetRequest",
        "ClearCacheRequest",
    ]
    assert steps[0].delay == 1.5
    with pytest.raises(ValueError, match="does not send"):
        parse_script('[["Heartbeat", {}]]')
    with pytest.raises(ValueError, match="step 1"):
        parse_script('[["Reset", {"type": "Never"}]]')


# -- the example CSMS: gate and bounded Pending configuration


class SilentStation(ChargePoint):
    """Accepts GetBaseReport but never sends the report; nothing else handled."""

    @on(Action.GET_BASE_REPORT)
    def on_get_base_report(
        self, request: m.GetBaseReportRequest
    ) -> m.GetBaseReportResponse:
        return m.GetBaseReportResponse(status=GenericDeviceModelStatusEnumType.ACCEPTED)


def test_example_csms_gate_and_configuration_fallback() -> None:
    from ocpp201.examples import csms as example

    async def main() -> None:
        lines: list[str] = []
        stations = example.Stations(
            known={"CS1"}, output=lines.append, configure_timeout=1.0
        )
        station_side, csms_side = memory_pair()
        station = SilentStation("CS1", station_side)
        csms = example.ExampleCSMS("CS1", csms_side, stations)  # type: ignore[arg-type]
        tasks = [asyncio.ensure_future(e.run()) for e in (station, csms)]
        first = await station.call(boot_request())
        assert first.status == RegistrationStatusEnumType.PENDING
        with pytest.raises(CallError) as refused:  # B02.FR.09
            await station.call(m.HeartbeatRequest())
        assert refused.value.code == ErrorCode.SECURITY_ERROR
        # booting again while the configuration runs does not start another one
        await asyncio.sleep(0.2)
        await station.call(boot_request())
        for _ in range(40):  # the fallback accepts it after the bounded step
            if "CS1" in stations.configured:
                break
            await asyncio.sleep(0.1)
        assert "CS1" in stations.configured
        accepted = await station.call(boot_request())
        assert accepted.status == RegistrationStatusEnumType.ACCEPTED
        await station.call(m.HeartbeatRequest())  # passes now
        assert sum("no complete NotifyReport" in line for line in lines) == 1
        assert sum("configuration incomplete" in line for line in lines) == 1
        await stop(station, csms, tasks)  # type: ignore[arg-type]

    run(main())


def test_example_csms_rejects_unknown_stations_b03_fr_07() -> None:
    from ocpp201 import from_payload
    from ocpp201.examples import csms as example

    async def main() -> None:
        stations = example.Stations(known={"CS1"}, output=lambda line: None)
        station_side, csms_side = memory_pair()
        station = ChargePoint("CS9", station_side)
        csms = example.ExampleCSMS("CS9", csms_side, stations)  # type: ignore[arg-type]
        tasks = [asyncio.ensure_future(e.run()) for e in (station, csms)]
        response = await station.call(boot_request())
        assert response.status == RegistrationStatusEnumType.REJECTED
        for request in (
            m.HeartbeatRequest(),
            from_payload(
                m.MeterValuesRequest,
                {
                    "evseId": 1,
                    "meterValue": [
                        {
                            "timestamp": "2025-01-01T00:00:00Z",
                            "sampledValue": [{"value": 1}],
                        }
                    ],
                },
            ),
        ):
            with pytest.raises(CallError) as refused:
                await station.call(request)
            assert refused.value.code == ErrorCode.SECURITY_ERROR
        await stop(station, csms, tasks)  # type: ignore[arg-type]

    run(main())


def test_every_default_answer_is_a_valid_response() -> None:
    from ocpp201 import from_payload
    from ocpp201.tools.csms import ANSWERS, STATION_ACTIONS

    assert len(STATION_ACTIONS) == 25  # 24 + DataTransfer (both ways)
    for action in STATION_ACTIONS:
        if action not in ANSWERS:  # answered with an empty object
            assert from_payload(action.response, {}) is not None, action
