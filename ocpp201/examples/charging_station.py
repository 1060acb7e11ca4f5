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
* keeps the connection open and sends Heartbeats, until Ctrl-C.  With ``--once`` it
  exits after coming back from the reset (or when Rejected).

Needs ``pip install 'ocpp201[websockets]'``.  This program is also installed as
``ocpp201.examples.charging_station``; ``python -m ocpp201 demo`` runs it against
the example CSMS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    device_model: dict[tuple[str, str], Variable] = field(default_factory=dict)

    def __post_init__(self) -> None:
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
        self.log(f"ChangeAvailability {request.operational_status.value}")
        return m.ChangeAvailabilityResponse(
            status=enums.ChangeAvailabilityStatusEnumType.ACCEPTED
        )

    @after(Action.CHANGE_AVAILABILITY)
    async def report_availability(self, request: m.ChangeAvailabilityRequest) -> None:
        operative = (
            request.operational_status == enums.OperationalStatusEnumType.OPERATIVE
        )
        state = "Available" if operative else "Unavailable"
        self.station.device_model[
            ("ChargingStation", "AvailabilityState")
        ].value = state
        await self.call(
            m.StatusNotificationRequest(
                timestamp=now(),
                connector_status=enums.ConnectorStatusEnumType(state),
                evse_id=1,
                connector_id=1,
            )
        )

    # -------------------------------------------------------------------- reset (B11)

    @on(Action.RESET)
    def on_reset(self, request: m.ResetRequest) -> m.ResetResponse:
        self.log(f"Reset {request.type.value}: no transaction, resetting now")
        return m.ResetResponse(status=enums.ResetStatusEnumType.ACCEPTED)

    @after(Action.RESET)
    async def reboot(self, request: m.ResetRequest) -> None:
        self.station.boot_reason = enums.BootReasonEnumType.REMOTE_RESET
        await self.close()  # the client reconnects; the next session boots again


# -------------------------------------------------------------------- what it does


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
        if response.status == enums.RegistrationStatusEnumType.REJECTED:
            cp.station.finished.set()  # a real station retries after the interval
            return False
        await asyncio.sleep(response.interval)  # Pending: the CSMS configures us


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
    """Authorize a card, then one transaction with meter values (C01, E, J02)."""
    authorized = await cp.call(m.AuthorizeRequest(id_token=CARD))
    cp.log(f"Authorize: {authorized.id_token_info.status.value}")
    if authorized.id_token_info.status != enums.AuthorizationStatusEnumType.ACCEPTED:
        return
    await status(cp, enums.ConnectorStatusEnumType.OCCUPIED)
    tx = dt.TransactionType(
        transaction_id="TX-0001", charging_state=enums.ChargingStateEnumType.CHARGING
    )
    context = enums.ReadingContextEnumType
    await cp.call(
        m.TransactionEventRequest(
            event_type=enums.TransactionEventEnumType.STARTED,
            timestamp=now(),
            trigger_reason=enums.TriggerReasonEnumType.AUTHORIZED,
            seq_no=0,
            transaction_info=tx,
            evse=dt.EVSEType(id=1, connector_id=1),
            id_token=CARD,
            meter_value=[meter_value(0, context.TRANSACTION_BEGIN)],
        )
    )
    for seq_no, wh, watts in [(1, 1837.5, 11040.0), (2, 3677.0, 11010.0)]:
        await asyncio.sleep(0.2)  # a real station samples every few minutes
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
    await cp.call(
        m.TransactionEventRequest(
            event_type=enums.TransactionEventEnumType.ENDED,
            timestamp=now(),
            trigger_reason=enums.TriggerReasonEnumType.EV_DEPARTED,
            seq_no=3,
            transaction_info=dt.TransactionType(
                transaction_id="TX-0001",
                stopped_reason=enums.ReasonEnumType.EV_DISCONNECTED,
            ),
            meter_value=[meter_value(4410.25, context.TRANSACTION_END)],
        )
    )
    cp.log("transaction TX-0001 ended: 4.41 kWh")
    await status(cp, enums.ConnectorStatusEnumType.AVAILABLE)


async def run(
    url: str,
    station: Station,
    *,
    password: str | None = None,
    once: bool = False,
    **options: Any,
) -> None:
    """Keep ``station`` connected to the CSMS at ``url`` (until Ctrl-C, or with
    ``once`` until it is back from the reset or Rejected).  ``options`` go to each
    endpoint (see ``ocpp201.ChargePoint``)."""

    def factory(identity: str, connection: WebSocketConnection) -> ExampleStation:
        return ExampleStation(identity, connection, station, **options)

    client = ChargingStationClient(
        url,
        station.identity,
        factory,
        session=session,
        password=password,
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
    parser.add_argument(
        "--once", action="store_true", help="exit after the reset (or when Rejected)"
    )
    args = parser.parse_args()
    await run(args.url, Station(args.identity), password=args.password, once=args.once)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
