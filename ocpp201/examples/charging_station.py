"""An OCPP 2.0.1 charging station over WebSocket, covering the basic implementation.

Start the example CSMS first, then::

    python -m ocpp201.examples.charging_station ws://127.0.0.1:9000/ocpp CS001

What it does:

* boots (BootNotification), waits while Pending and stops when Rejected (B01-B03);
* reports its connector (StatusNotification), sends a Heartbeat, reports a connector
  lock failure (NotifyEvent) and tries a DataTransfer;
* authorizes a card (Authorize) and charges: TransactionEvent Started, Updated with
  periodic meter values, Ended;
* answers GetBaseReport (then sends its device model in NotifyReport messages),
  GetVariables, SetVariables, ChangeAvailability (then reports the new connector
  status) and Reset (then "reboots": closes the connection, reconnects with the
  back-off of Part 4 section 5.3 and boots with reason RemoteReset); a DataTransfer
  from the CSMS gets the endpoint's default answer, UnknownVendorId;
* during a transaction, Reset OnIdle and ChangeAvailability Inoperative are
  answered Scheduled and done when the transaction has ended (B11/B12, G03); Reset
  Immediate ends the transaction first (stoppedReason ImmediateReset);
* keeps the connection open and sends Heartbeats, until Ctrl-C; when Rejected it
  boots again after the interval (B03.FR.06).  With ``--once`` it exits after
  coming back from the reset (or when Rejected).

When it cannot connect it says why (the HTTP status of a refusal, a TLS error, ...)
in a WARNING and keeps retrying with the back-off.  ``--ca`` trusts a CA for
``wss://``; ``--cert``/``--key`` add a client certificate (security profile 3).

Needs ``pip install 'ocpp201[websockets]'``; ``python -m ocpp201 demo`` runs it
against the example CSMS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ocpp201 import Action, ChargePoint, after, enums, on
from ocpp201 import datatypes as dt
from ocpp201 import messages as m
from ocpp201.websocket import BackOff, ChargingStationClient, WebSocketConnection

CARD = dt.IdTokenType(id_token="04A2C3D4E5F601", type=enums.IdTokenEnumType.ISO14443)
RO = enums.MutabilityEnumType.READ_ONLY
RW = enums.MutabilityEnumType.READ_WRITE


def now() -> datetime:
    return datetime.now(timezone.utc)


def show(line: str) -> None:
    print(line, flush=True)


@dataclass
class Variable:
    value: str
    mutability: enums.MutabilityEnumType = RW
    data_type: enums.DataEnumType = enums.DataEnumType.INTEGER


@dataclass
class Station:
    """What the station keeps across connections (an endpoint lives for one)."""

    identity: str
    output: Callable[[str], object] = show  # where log lines go
    boot_reason: enums.BootReasonEnumType = enums.BootReasonEnumType.POWER_UP
    registration: enums.RegistrationStatusEnumType | None = None
    boots: int = 0  # BootNotifications sent
    heartbeat_interval: int = 300
    finished: asyncio.Event = field(default_factory=asyncio.Event)  # for --once
    retry_rejected: bool = True  # boot again after the interval when Rejected
    card: dt.IdTokenType = field(default_factory=lambda: CARD)
    transaction: str | None = None  # the id of the running transaction
    reset_when_idle: bool = False  # Reset OnIdle during a transaction (Scheduled)
    inoperative_when_idle: bool = False  # ChangeAvailability Inoperative, Scheduled
    stop_now: asyncio.Event = field(default_factory=asyncio.Event)  # Reset Immediate
    idle: asyncio.Event = field(default_factory=asyncio.Event)  # no transaction
    device_model: dict[tuple[str, str], Variable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.idle.set()
        text = enums.DataEnumType.STRING
        self.device_model = {
            ("ChargingStation", "Model"): Variable("Example-22", RO, text),
            ("ChargingStation", "AvailabilityState"): Variable(
                "Available", RO, enums.DataEnumType.OPTION_LIST
            ),
            ("SecurityCtrlr", "Identity"): Variable(self.identity, RO, text),
            ("OCPPCommCtrlr", "HeartbeatInterval"): Variable("60"),
            ("OCPPCommCtrlr", "RetryBackOffWaitMinimum"): Variable("1"),
            ("OCPPCommCtrlr", "RetryBackOffRandomRange"): Variable("1"),
            ("OCPPCommCtrlr", "RetryBackOffRepeatTimes"): Variable("3"),
            ("OCPPCommCtrlr", "WebSocketPingInterval"): Variable("30"),
        }

    def setting(self, name: str) -> int:
        return int(self.device_model[("OCPPCommCtrlr", name)].value)


class ExampleStation(ChargePoint):
    """The charging station side of one connection."""

    def __init__(
        self,
        identity: str,
        connection: WebSocketConnection,
        station: Station,
        **options: Any,  # ChargePoint options: timeouts, hooks, ...
    ) -> None:
        super().__init__(identity, connection, **options)
        self.station = station

    def log(self, text: str) -> None:
        self.station.output(f"[{self.identity}] {text}")

    # ------------------------------------------------------ configuration (B05-B07)

    @on(Action.GET_VARIABLES)
    def on_get_variables(
        self, request: m.GetVariablesRequest
    ) -> m.GetVariablesResponse:
        results = []
        for item in request.get_variable_data:
            key = (item.component.name, item.variable.name)
            variable = self.station.device_model.get(key)
            self.log(f"GetVariables {'.'.join(key)}")
            results.append(
                dt.GetVariableResultType(
                    attribute_status=enums.GetVariableStatusEnumType.ACCEPTED
                    if variable is not None
                    else enums.GetVariableStatusEnumType.UNKNOWN_VARIABLE,
                    attribute_value=variable.value if variable is not None else None,
                    component=item.component,
                    variable=item.variable,
                )
            )
        return m.GetVariablesResponse(get_variable_result=results)

    @on(Action.SET_VARIABLES)
    def on_set_variables(
        self, request: m.SetVariablesRequest
    ) -> m.SetVariablesResponse:
        results = []
        for item in request.set_variable_data:
            key = (item.component.name, item.variable.name)
            variable = self.station.device_model.get(key)
            if variable is None:
                status = enums.SetVariableStatusEnumType.UNKNOWN_VARIABLE
            elif variable.mutability == RO:
                status = enums.SetVariableStatusEnumType.REJECTED
            else:
                variable.value = item.attribute_value
                status = enums.SetVariableStatusEnumType.ACCEPTED
            self.log(
                f"SetVariables {'.'.join(key)} = {item.attribute_value}: {status.value}"
            )
            results.append(
                dt.SetVariableResultType(
                    attribute_status=status,
                    component=item.component,
                    variable=item.variable,
                )
            )
        return m.SetVariablesResponse(set_variable_result=results)

    @on(Action.GET_BASE_REPORT)
    def on_get_base_report(
        self, request: m.GetBaseReportRequest
    ) -> m.GetBaseReportResponse:
        self.log(f"GetBaseReport {request.report_base.value}")
        return m.GetBaseReportResponse(
            status=enums.GenericDeviceModelStatusEnumType.ACCEPTED
        )

    @after(Action.GET_BASE_REPORT)
    async def send_report(self, request: m.GetBaseReportRequest) -> None:
        """The report, in NotifyReport messages of at most 4 variables."""
        base = request.report_base
        wanted = [
            (key, variable)
            for key, variable in self.station.device_model.items()
            if base == enums.ReportBaseEnumType.FULL_INVENTORY
            or (
                base == enums.ReportBaseEnumType.CONFIGURATION_INVENTORY
                and variable.mutability != RO
            )
            or (
                base == enums.ReportBaseEnumType.SUMMARY_INVENTORY
                and key[1] == "AvailabilityState"
            )
        ]
        parts = [wanted[i : i + 4] for i in range(0, len(wanted), 4)] or [[]]
        for seq_no, part in enumerate(parts):
            await self.call(
                m.NotifyReportRequest(
                    request_id=request.request_id,
                    generated_at=now(),
                    seq_no=seq_no,
                    tbc=seq_no < len(parts) - 1,
                    report_data=[
                        dt.ReportDataType(
                            component=dt.ComponentType(name=component),
                            variable=dt.VariableType(name=name),
                            variable_attribute=[
                                dt.VariableAttributeType(
                                    value=variable.value, mutability=variable.mutability
                                )
                            ],
                            variable_characteristics=dt.VariableCharacteristicsType(
                                data_type=variable.data_type, supports_monitoring=False
                            ),
                        )
                        for (component, name), variable in part
                    ]
                    or None,
                )
            )

    # ------------------------------------------------------- availability (G03, G04)

    @on(Action.CHANGE_AVAILABILITY)
    def on_change_availability(
        self, request: m.ChangeAvailabilityRequest
    ) -> m.ChangeAvailabilityResponse:
        operative = (
            request.operational_status == enums.OperationalStatusEnumType.OPERATIVE
        )
        self.station.inoperative_when_idle = False
        if not operative and self.station.transaction is not None:
            # G03.FR.05: not during a transaction; once it has ended.
            self.log(f"ChangeAvailability {request.operational_status.value}: later")
            self.station.inoperative_when_idle = True
            return m.ChangeAvailabilityResponse(
                status=enums.ChangeAvailabilityStatusEnumType.SCHEDULED
            )
        self.log(f"ChangeAvailability {request.operational_status.value}")
        return m.ChangeAvailabilityResponse(
            status=enums.ChangeAvailabilityStatusEnumType.ACCEPTED
        )

    @after(Action.CHANGE_AVAILABILITY)
    async def report_availability(
        self,
        request: m.ChangeAvailabilityRequest,
        response: m.ChangeAvailabilityResponse,
    ) -> None:
        if response.status == enums.ChangeAvailabilityStatusEnumType.ACCEPTED:
            operative = (
                request.operational_status == enums.OperationalStatusEnumType.OPERATIVE
            )
            await set_availability(self, operative=operative)

    # -------------------------------------------------------------------- reset (B11)

    @on(Action.RESET)
    def on_reset(self, request: m.ResetRequest) -> m.ResetResponse:
        station = self.station
        if station.transaction is None:
            self.log(f"Reset {request.type.value}: no transaction, resetting now")
        elif request.type == enums.ResetEnumType.ON_IDLE:
            self.log("Reset OnIdle: after the transaction (B12.FR.01)")
            station.reset_when_idle = True
            return m.ResetResponse(status=enums.ResetStatusEnumType.SCHEDULED)
        else:
            self.log("Reset Immediate: ending the transaction first (B12.FR.02)")
            station.stop_now.set()
        return m.ResetResponse(status=enums.ResetStatusEnumType.ACCEPTED)

    @after(Action.RESET)
    async def reboot(self, request: m.ResetRequest, response: m.ResetResponse) -> None:
        if response.status != enums.ResetStatusEnumType.ACCEPTED:
            return  # scheduled: charge() reboots when the transaction has ended
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.station.idle.wait(), 30)
        await reboot(self)


# -------------------------------------------------------------------- what it does


async def reboot(cp: ExampleStation) -> None:
    """Close the connection; the client reconnects and the next session boots."""
    cp.station.boot_reason = enums.BootReasonEnumType.REMOTE_RESET
    await cp.close()


async def set_availability(cp: ExampleStation, *, operative: bool) -> None:
    state = "Available" if operative else "Unavailable"
    cp.station.device_model[("ChargingStation", "AvailabilityState")].value = state
    await status(cp, enums.ConnectorStatusEnumType(state))


async def session(cp: ExampleStation) -> None:
    """Run on every new connection (the client cancels it if the connection drops)."""
    station = cp.station
    if not await boot(cp):
        return
    await status(cp, enums.ConnectorStatusEnumType.AVAILABLE)
    if station.boot_reason == enums.BootReasonEnumType.REMOTE_RESET:
        cp.log("back after the reset")
        station.finished.set()
    else:
        await cp.call(m.HeartbeatRequest())
        await report_lock_failure(cp)
        transfer = await cp.call(
            m.DataTransferRequest(vendor_id="com.example.station", message_id="Hi")
        )
        cp.log(f"DataTransfer to the CSMS: {transfer.status.value}")
        await charge(cp)
    while True:  # Heartbeats until the connection closes (B04)
        await asyncio.sleep(station.heartbeat_interval)
        await cp.call(m.HeartbeatRequest())


async def boot(cp: ExampleStation) -> bool:
    """BootNotification until Accepted; False if Rejected."""
    while True:
        response = await cp.call(
            m.BootNotificationRequest(
                charging_station=dt.ChargingStationType(
                    model="Example-22", vendor_name="ocpp201", firmware_version="1.0"
                ),
                reason=cp.station.boot_reason,
            )
        )
        cp.station.boots += 1
        cp.station.registration = response.status
        cp.log(
            f"BootNotification: {response.status.value}, interval {response.interval}"
        )
        if response.status == enums.RegistrationStatusEnumType.ACCEPTED:
            cp.station.heartbeat_interval = response.interval
            return True
        if (
            response.status == enums.RegistrationStatusEnumType.REJECTED
            and not cp.station.retry_rejected
        ):
            cp.station.finished.set()
            return False
        # Pending: the CSMS configures us meanwhile; Rejected: try again later
        # (B02.FR.07/08, B03.FR.05/06: our own wait when the interval is 0).
        await asyncio.sleep(response.interval or 60)


async def status(cp: ExampleStation, connector: enums.ConnectorStatusEnumType) -> None:
    await cp.call(
        m.StatusNotificationRequest(
            timestamp=now(), connector_status=connector, evse_id=1, connector_id=1
        )
    )


async def report_lock_failure(cp: ExampleStation) -> None:
    await cp.call(
        m.NotifyEventRequest(
            generated_at=now(),
            seq_no=0,
            event_data=[
                dt.EventDataType(
                    event_id=1,
                    timestamp=now(),
                    trigger=enums.EventTriggerEnumType.DELTA,
                    actual_value="true",
                    component=dt.ComponentType(
                        name="ConnectorPlugRetentionLock",
                        evse=dt.EVSEType(id=1, connector_id=1),
                    ),
                    variable=dt.VariableType(name="Problem"),
                    event_notification_type=(
                        enums.EventNotificationEnumType.HARD_WIRED_NOTIFICATION
                    ),
                )
            ],
        )
    )


def meter_value(
    wh: float, context: enums.ReadingContextEnumType, watts: float | None = None
) -> dt.MeterValueType:
    """The energy register, and the power if ``watts`` is given."""
    samples = [
        dt.SampledValueType(
            value=wh,
            context=context,
            measurand=enums.MeasurandEnumType.ENERGY_ACTIVE_IMPORT_REGISTER,
            unit_of_measure=dt.UnitOfMeasureType(unit="Wh"),
        )
    ]
    if watts is not None:
        samples.append(
            dt.SampledValueType(
                value=watts,
                context=context,
                measurand=enums.MeasurandEnumType.POWER_ACTIVE_IMPORT,
                unit_of_measure=dt.UnitOfMeasureType(unit="W"),
            )
        )
    return dt.MeterValueType(timestamp=now(), sampled_value=samples)


async def charge(cp: ExampleStation) -> None:
    """Authorize a card, then one transaction with meter values (C01, E, J02).

    A Reset Immediate ends it early; what the CSMS scheduled for the end of the
    transaction (Reset OnIdle, ChangeAvailability Inoperative) is done afterwards.
    """
    station = cp.station
    authorized = await cp.call(m.AuthorizeRequest(id_token=station.card))
    cp.log(f"Authorize: {authorized.id_token_info.status.value}")
    if authorized.id_token_info.status != enums.AuthorizationStatusEnumType.ACCEPTED:
        return
    await status(cp, enums.ConnectorStatusEnumType.OCCUPIED)
    tx = dt.TransactionType(
        transaction_id="TX-0001", charging_state=enums.ChargingStateEnumType.CHARGING
    )
    context = enums.ReadingContextEnumType
    station.transaction = tx.transaction_id
    station.idle.clear()
    station.stop_now.clear()
    await cp.call(
        m.TransactionEventRequest(
            event_type=enums.TransactionEventEnumType.STARTED,
            timestamp=now(),
            trigger_reason=enums.TriggerReasonEnumType.AUTHORIZED,
            seq_no=0,
            transaction_info=tx,
            evse=dt.EVSEType(id=1, connector_id=1),
            id_token=station.card,
            meter_value=[meter_value(0, context.TRANSACTION_BEGIN)],
        )
    )
    seq_no, wh = 0, 0.0
    for wh, watts in [(1837.5, 11040.0), (3677.0, 11010.0)]:
        # a real station samples every few minutes
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(station.stop_now.wait(), 0.2)
        if station.stop_now.is_set():
            break
        seq_no += 1
        await cp.call(
            m.TransactionEventRequest(
                event_type=enums.TransactionEventEnumType.UPDATED,
                timestamp=now(),
                trigger_reason=enums.TriggerReasonEnumType.METER_VALUE_PERIODIC,
                seq_no=seq_no,
                transaction_info=tx,
                meter_value=[meter_value(wh, context.SAMPLE_PERIODIC, watts)],
            )
        )
    if station.stop_now.is_set():
        trigger = enums.TriggerReasonEnumType.RESET_COMMAND
        reason = enums.ReasonEnumType.IMMEDIATE_RESET
    else:
        trigger = enums.TriggerReasonEnumType.EV_DEPARTED
        reason = enums.ReasonEnumType.EV_DISCONNECTED
        wh = 4410.25
    await cp.call(
        m.TransactionEventRequest(
            event_type=enums.TransactionEventEnumType.ENDED,
            timestamp=now(),
            trigger_reason=trigger,
            seq_no=seq_no + 1,
            transaction_info=dt.TransactionType(
                transaction_id="TX-0001", stopped_reason=reason
            ),
            meter_value=[meter_value(wh, context.TRANSACTION_END)],
        )
    )
    cp.log(f"transaction TX-0001 ended: {wh / 1000:.2f} kWh")
    station.transaction = None
    station.idle.set()
    if station.stop_now.is_set():
        return  # the Reset handler reboots now
    await status(cp, enums.ConnectorStatusEnumType.AVAILABLE)
    if station.inoperative_when_idle:
        station.inoperative_when_idle = False
        await set_availability(cp, operative=False)
    if station.reset_when_idle:
        station.reset_when_idle = False
        await reboot(cp)


async def run(
    url: str,
    station: Station,
    *,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    once: bool = False,
    **options: Any,
) -> None:
    """Keep ``station`` connected to the CSMS at ``url`` (until Ctrl-C, or with
    ``once`` until it is back from the reset or Rejected).  ``options`` go to each
    endpoint (see ``ocpp201.ChargePoint``)."""

    def factory(identity: str, connection: WebSocketConnection) -> ExampleStation:
        return ExampleStation(identity, connection, station, **options)

    station.retry_rejected = not once
    client = ChargingStationClient(
        url,
        station.identity,
        factory,
        session=session,
        password=password,
        ssl=ssl_context,
        back_off=BackOff(
            wait_minimum=station.setting("RetryBackOffWaitMinimum"),
            random_range=station.setting("RetryBackOffRandomRange"),
            repeat_times=station.setting("RetryBackOffRepeatTimes"),
        ),
        ping_interval=station.setting("WebSocketPingInterval"),
    )
    async with client:
        if not once:
            await asyncio.Event().wait()  # until Ctrl-C
        await station.finished.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="the CSMS's OCPP-J endpoint, e.g. ws://host/ocpp")
    parser.add_argument("identity", help="this station's identity, e.g. CS001")
    parser.add_argument("--password", help="BasicAuthPassword (security profile 1/2)")
    parser.add_argument("--card", default=CARD.id_token, help="the driver's idToken")
    parser.add_argument("--ca", help="trust this CA (PEM) for wss://")
    parser.add_argument("--cert", help="client certificate (PEM, security profile 3)")
    parser.add_argument("--key", help="the private key of --cert (PEM)")
    parser.add_argument(
        "--once", action="store_true", help="exit after the reset (or when Rejected)"
    )
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    context = None
    if args.url.startswith("wss://"):
        context = ssl.create_default_context(cafile=args.ca)
        if args.cert:
            context.load_cert_chain(args.cert, args.key)
    station = Station(
        args.identity,
        card=dt.IdTokenType(id_token=args.card, type=enums.IdTokenEnumType.ISO14443),
    )
    await run(
        args.url, station, password=args.password, ssl_context=context, once=args.once
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
