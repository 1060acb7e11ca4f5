"""The registration gate of a CSMS: Part 2 B01.FR.10, B02.FR.09, B03.FR.07.

Each requirement is tested against the sans-I/O core alone (no event loop) and
through a real endpoint pair (``memory_pair``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from rpc_helpers import (
    BOOT_PAYLOAD,
    NOW,
    boot,
    boot_answer,
    boot_request,
    call,
    capture_logs,
    connected,
    heartbeat_response,
    refused,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    CallError,
    CallReceived,
    ChargingStation,
    ErrorCode,
    RegistrationGate,
    RpcConnection,
    Sender,
    SendReply,
    StationRegistration,
    memory_pair,
    on,
)
from ocpp201 import enums as e
from ocpp201 import messages as m

STATUS_PAYLOAD = {
    "timestamp": "2025-01-02T03:04:05Z",
    "connectorStatus": "Available",
    "evseId": 1,
    "connectorId": 1,
}
REPORT_PAYLOAD = {
    "requestId": 7,
    "generatedAt": "2025-01-02T03:04:05Z",
    "seqNo": 0,
}
Status = e.RegistrationStatusEnumType

HANDLERS = {
    "BootNotification": "boot",
    "Heartbeat": "heartbeat",
    "StatusNotification": "status",
    "NotifyReport": "report",
    "MeterValues": "meter",
}


# ------------------------------------------------------------------ the core alone


def core(**options: Any) -> RpcConnection:
    return RpcConnection(
        Sender.CSMS, handlers=HANDLERS, registration=StationRegistration(), **options
    )


def test_core_before_any_boot_answer_everything_passes() -> None:
    """B01.FR.10's precondition: the station "has received a
    BootNotificationResponse" -- a reconnected station that did not reboot."""
    assert isinstance(call(core(), "Heartbeat", {}), CallReceived)


@pytest.mark.parametrize(
    ("action", "payload"),
    [("Heartbeat", {}), ("StatusNotification", STATUS_PAYLOAD)],
)
def test_core_b02_fr_09_pending_refuses_what_was_not_asked_for(
    action: str, payload: Any
) -> None:
    conn = core()
    boot(conn, Status.PENDING)
    assert "B02.FR.09" in refused(call(conn, action, payload))
    # BootNotification always passes, and the id is free again.
    assert isinstance(call(conn, "BootNotification", BOOT_PAYLOAD), CallReceived)


def test_core_b01_fr_10_and_b03_fr_07_rejected_refuses_all_but_boot() -> None:
    conn = core()
    boot(conn, Status.REJECTED)
    description = refused(call(conn, "Heartbeat", {}))
    assert "B01.FR.10" in description and "B03.FR.07" in description
    # Before the handler check: an action without a handler is refused too.
    assert "B03.FR.07" in refused(call(conn, "Authorize", {"idToken": {}}))
    assert isinstance(call(conn, "BootNotification", BOOT_PAYLOAD), CallReceived)


def test_core_b02_fr_09_what_the_csms_asked_for_passes_while_pending() -> None:
    conn = core()
    boot(conn, Status.PENDING)
    refused(call(conn, "NotifyReport", REPORT_PAYLOAD))
    get_report = m.GetBaseReportRequest(
        request_id=7, report_base=e.ReportBaseEnumType.FULL_INVENTORY
    )
    conn.start_call(conn.prepare_call(get_report))
    assert isinstance(call(conn, "NotifyReport", REPORT_PAYLOAD, "2"), CallReceived)
    refused(call(conn, "Heartbeat", {}, "3"))
    # TriggerMessage: the requested message passes.
    conn.connection_lost("test")
    conn = core()
    boot(conn, Status.PENDING)
    trigger = m.TriggerMessageRequest(
        requested_message=e.MessageTriggerEnumType.STATUS_NOTIFICATION
    )
    conn.start_call(conn.prepare_call(trigger))
    assert isinstance(call(conn, "StatusNotification", STATUS_PAYLOAD), CallReceived)
    refused(call(conn, "Heartbeat", {}, "2"))


def test_core_accepted_opens_the_gate_and_a_new_status_forgets_what_was_asked() -> None:
    conn = core()
    boot(conn, Status.PENDING)
    conn.start_call(
        conn.prepare_call(
            m.TriggerMessageRequest(
                requested_message=e.MessageTriggerEnumType.HEARTBEAT
            )
        )
    )
    assert isinstance(call(conn, "Heartbeat", {}), CallReceived)
    boot(conn, Status.REJECTED)
    refused(call(conn, "Heartbeat", {}, "2"))
    boot(conn, Status.ACCEPTED)
    assert isinstance(call(conn, "Heartbeat", {}, "3"), CallReceived)
    assert isinstance(
        call(conn, "MeterValues", {"evseId": 1, "meterValue": []}, "4"), SendReply
    )


def test_core_a_boot_answered_with_an_error_changes_nothing() -> None:
    conn = core()
    boot(conn, Status.PENDING)
    event = call(conn, "BootNotification", BOOT_PAYLOAD, "b2")
    conn.respond_internal_error(event)
    refused(call(conn, "Heartbeat", {}))


def test_core_without_registration_there_is_no_gate() -> None:
    conn = RpcConnection(Sender.CSMS, handlers=HANDLERS)
    event = call(conn, "BootNotification", BOOT_PAYLOAD)
    conn.respond(event, boot_answer(Status.REJECTED))
    assert isinstance(call(conn, "Heartbeat", {}, "2"), CallReceived)


def test_core_b03_fr_08_a_rejected_station_refuses_the_csms_calls() -> None:
    station = RpcConnection(
        Sender.CHARGING_STATION,
        handlers={"GetBaseReport": "report", "Reset": "reset"},
        registration=StationRegistration(),
    )
    get_report = {"requestId": 1, "reportBase": "FullInventory"}
    assert isinstance(call(station, "GetBaseReport", get_report), CallReceived)
    for status, passes in (
        (Status.PENDING, True),  # B02.FR.01: the CSMS may configure it
        (Status.REJECTED, False),
        (Status.ACCEPTED, True),
    ):
        started = station.start_call(station.prepare_call(boot_request()))
        answer = {"currentTime": "2025-01-02T03:04:05Z", "interval": 10}
        event = station.receive(
            json.dumps([3, started.message_id, {**answer, "status": status.value}])
        )
        assert type(event).__name__ == "CallSucceeded"
        event = call(station, "GetBaseReport", get_report, f"g-{status.value}")
        if passes:
            assert isinstance(event, CallReceived)
            station.forget_incoming(event)
        else:
            assert "B03.FR.08" in refused(event)


def test_registration_gate_remembers_identities_within_a_bound() -> None:
    gate = RegistrationGate(max_stations=2)
    gate.booted("A", Status.REJECTED)
    gate.booted("B", Status.PENDING)
    assert gate.refusal("A", Action.HEARTBEAT) is not None
    assert gate.refusal("B", "Heartbeat") is not None
    gate.asked_for("B", Action.HEARTBEAT)
    assert gate.refusal("B", "Heartbeat") is None
    gate.booted("C", Status.ACCEPTED)
    assert len(gate) == 2 and gate.status("A") is None  # the oldest forgotten
    assert gate.refusal("C", "Heartbeat") is None
    with pytest.raises(Exception, match="Rejected") as raised:
        gate.booted("A", Status.REJECTED)
        gate.admit("A", "Heartbeat")
    assert getattr(raised.value, "code", None) is ErrorCode.SECURITY_ERROR


# ------------------------------------------------------------------ real endpoints


class GatedCsms(CSMS):
    answer = Status.PENDING

    @on(Action.BOOT_NOTIFICATION)
    def boot(self, request: m.BootNotificationRequest) -> m.BootNotificationResponse:
        return boot_answer(self.answer)

    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return heartbeat_response()

    @on(Action.NOTIFY_REPORT)
    def report(self, request: m.NotifyReportRequest) -> m.NotifyReportResponse:
        return m.NotifyReportResponse()


class Station(ChargingStation):
    @on(Action.GET_BASE_REPORT)
    def base_report(self, request: m.GetBaseReportRequest) -> m.GetBaseReportResponse:
        return m.GetBaseReportResponse(
            status=e.GenericDeviceModelStatusEnumType.ACCEPTED
        )


async def security_error(station: ChargingStation, request: Any) -> str:
    with pytest.raises(CallError) as raised:
        await station.call(request, timeout=2)
    assert raised.value.code is ErrorCode.SECURITY_ERROR
    return raised.value.description


@pytest.mark.parametrize(
    ("status", "requirement"),
    [(Status.PENDING, "B02.FR.09"), (Status.REJECTED, "B03.FR.07")],
)
def test_endpoints_security_error_until_accepted(
    status: Status, requirement: str
) -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        csms = GatedCsms("CS1", b)
        csms.answer = status
        async with Station("CS1", a) as station, csms:
            assert (await station.call(boot_request(), timeout=2)).status is status
            assert requirement in await security_error(station, m.HeartbeatRequest())
            csms.answer = Status.ACCEPTED
            await station.call(boot_request(), timeout=2)
            await station.call(m.HeartbeatRequest(), timeout=2)

    run(scenario())


def test_endpoints_b02_notify_report_after_get_base_report_passes() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        async with Station("CS1", a) as station, GatedCsms("CS1", b) as csms:
            await station.call(boot_request(), timeout=2)
            report = m.NotifyReportRequest(request_id=1, generated_at=NOW, seq_no=0)
            await security_error(station, report)
            await csms.call(
                m.GetBaseReportRequest(
                    request_id=1, report_base=e.ReportBaseEnumType.FULL_INVENTORY
                ),
                timeout=2,
            )
            await station.call(report, timeout=2)  # asked for: passes
            await security_error(station, m.HeartbeatRequest())

    run(scenario())


def test_endpoints_the_gate_can_be_switched_off() -> None:
    async def scenario() -> None:
        a, b = memory_pair()
        csms = GatedCsms("CS1", b, registration_gate=False)
        async with Station("CS1", a) as station, csms:
            await station.call(boot_request(), timeout=2)
            await station.call(m.HeartbeatRequest(), timeout=2)

    run(scenario())


def test_endpoints_a_shared_gate_survives_reconnections() -> None:
    gate = RegistrationGate()
    assert gate.refused == {}

    async def scenario() -> None:
        a, b = memory_pair()
        async with (
            Station("CS1", a) as station,
            GatedCsms("CS1", b, registration_gate=gate),
        ):
            await station.call(boot_request(), timeout=2)
        assert gate.status("CS1") is Status.PENDING
        # The station reconnects without booting: still Pending for this CSMS.
        a, b = memory_pair()
        async with (
            Station("CS1", a) as station,
            GatedCsms("CS1", b, registration_gate=gate),
        ):
            await security_error(station, m.HeartbeatRequest())
        assert gate.refused == {"Heartbeat": 1}  # counted, by action
        # With a gate per connection (the default), the new connection knows
        # nothing yet, and lets it through.
        a, b = memory_pair()
        async with Station("CS1", a) as station, GatedCsms("CS1", b):
            await station.call(m.HeartbeatRequest(), timeout=2)

    run(scenario())


def test_endpoints_b03_fr_08_station_side_is_opt_in() -> None:
    class RejectingCsms(GatedCsms):
        answer = Status.REJECTED

    get_report = m.GetBaseReportRequest(
        request_id=1, report_base=e.ReportBaseEnumType.FULL_INVENTORY
    )

    async def scenario() -> None:
        for gate in (True, None):
            a, b = memory_pair()
            station = Station("CS1", a, registration_gate=gate)
            async with station, RejectingCsms("CS1", b) as csms:
                await station.call(boot_request(), timeout=2)
                if gate:
                    with pytest.raises(CallError) as raised:
                        await csms.call(get_report, timeout=2)
                    assert raised.value.code is ErrorCode.SECURITY_ERROR
                    assert "B03.FR.08" in raised.value.description
                else:  # off by default on the station's side
                    await csms.call(get_report, timeout=2)

    run(scenario())


def test_raw_peer_gets_a_security_error_frame_and_it_is_logged() -> None:
    async def scenario() -> None:
        async with connected(GatedCsms) as (_, peer):
            await peer.exchange(json.dumps([2, "b", "BootNotification", BOOT_PAYLOAD]))
            frame = await peer.exchange('[2,"h","Heartbeat",{}]')
            assert frame[:3] == [4, "h", "SecurityError"] and frame[4] == {}

    with capture_logs() as logs:
        run(scenario())
    (line,) = logs.messages(logging.WARNING)
    assert "Heartbeat before the BootNotification was Accepted" in line
