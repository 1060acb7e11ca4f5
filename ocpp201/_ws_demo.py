"""The scenario behind ``python -m ocpp201 demo``.

A CSMS and two charging stations talk over a real WebSocket on 127.0.0.1 and cover
the basic implementation of OCPP 2.0.1 (Part 0, table 4):

* ``CS999`` boots and is **Rejected** (the CSMS does not know it);
* ``CS001`` boots and is answered **Pending**; meanwhile the CSMS configures it
  (GetBaseReport -> NotifyReport, GetVariables, SetVariables); the station boots
  again and is **Accepted**;
* it reports its connector (StatusNotification), sends a Heartbeat, a NotifyEvent
  (a connector lock failure) and a DataTransfer the CSMS rejects (UnknownVendorId);
* a driver is authorized (Authorize) and charges: TransactionEvent Started, Updated,
  Updated, Ended, all with meter values;
* the CSMS then makes the station Inoperative and Operative again
  (ChangeAvailability, answered by StatusNotifications), sends it a DataTransfer,
  which the station rejects too, and resets it (Reset OnIdle);
* the station closes its connection to reboot, reconnects with the back-off of
  Part 4 section 5.3 and boots with reason RemoteReset.

The same CSMS and station, split in two runnable programs, are in ``examples/``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs

from . import datatypes as dt
from . import enums
from . import messages as m
from ._endpoint import CSMS, ChargePoint, Hooks, RpcEndpoint
from ._handlers import after, on
from .actions import Action
from .websocket import BackOff, ChargingStationClient, serve

__all__ = ["DemoCSMS", "DemoStation", "StationState", "run_demo"]

Write = Callable[[str], object]

CSMS_PATH = "/ocpp"
ID_TOKEN = dt.IdTokenType(
    id_token="04A2C3D4E5F601", type=enums.IdTokenEnumType.ISO14443
)


def now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------------------
# Printing the exchange


class Trace:
    """Prints every frame a station sends or receives, one line each.

    By default a line shows the action and a summary of the payload (date-times
    left out, component/variable pairs and meter values condensed); with
    ``full=True`` it shows the frame's JSON payload as sent.
    """

    def __init__(self, write: Write, *, full: bool = False, width: int = 120) -> None:
        self.write = write
        self.full = full
        self.width = width
        self._actions: dict[str, str] = {}

    def hooks(self) -> Hooks:
        return Hooks(frame_sent=self._sent, frame_received=self._received)

    def say(self, text: str) -> None:
        self.write(text)

    def _sent(self, endpoint: RpcEndpoint, frame: str) -> None:
        self._line(endpoint.identity, "->", frame)

    def _received(self, endpoint: RpcEndpoint, frame: str | bytes) -> None:
        text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
        self._line(endpoint.identity, "<-", text)

    def _line(self, identity: str, arrow: str, frame: str) -> None:
        try:
            message = json.loads(frame)
            kind = message[0]
            if kind == 2:
                self._actions[message[1]] = message[2]
                label, payload = f"{message[2]}Request", message[3]
            elif kind == 3:
                label = f"{self._actions.pop(message[1], '?')}Response"
                payload = message[2]
            else:
                label = f"CALLERROR {message[2]}"
                payload = {"description": message[3], "details": message[4]}
        except (ValueError, LookupError, TypeError):
            label, payload = "(not OCPP)", frame
        if self.full:
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        else:
            body = summarize(payload)
        line = f"  {identity:<5} {arrow} CSMS  {label:<27} {body}".rstrip()
        if not self.full and len(line) > self.width:
            line = line[: self.width - 4] + " ..."
        self.write(line)


_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
_VALUE_KEYS = ("attributeValue", "actualValue")
_STATUS_KEYS = ("attributeStatus", "trigger")


def summarize(payload: Any) -> str:
    """A one-line summary of a JSON payload for people."""
    parts: list[str] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            if "component" in value and "variable" in value:
                parts.append(_component_variable(value))
                return
            if "sampledValue" in value:
                parts.append("meter: " + ", ".join(map(_sample, value["sampledValue"])))
                return
            for k, v in value.items():
                if k != "customData":
                    walk(v, k)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str):
            if not _DATE_TIME.match(value):
                parts.append(f"{key}={value}")
            elif key == "currentTime":
                parts.append(f"{key}={value[11:19]}")
        else:
            parts.append(f"{key}={json.dumps(value)}")

    walk(payload, "payload")
    return " ".join(parts) if parts else "{}"


def _sample(sample: dict[str, Any]) -> str:
    unit = sample.get("unitOfMeasure", {}).get("unit", "Wh")
    return f"{sample.get('value')} {unit}"


def _component_variable(item: dict[str, Any]) -> str:
    text = f"{item['component'].get('name')}.{item['variable'].get('name')}"
    attributes = item.get("variableAttribute") or [{}]
    value = next((item[k] for k in _VALUE_KEYS if k in item), None)
    if value is None:
        value = attributes[0].get("value")
    if value is not None:
        text += f"={value}"
    status = next((item[k] for k in _STATUS_KEYS if k in item), None)
    if status is not None:
        text += f" ({status})"
    return text


# --------------------------------------------------------------------------------------
# The charging station


@attrs.define
class Variable:
    """One variable of the station's (tiny) device model."""

    value: str
    mutability: enums.MutabilityEnumType = enums.MutabilityEnumType.READ_WRITE
    data_type: enums.DataEnumType = enums.DataEnumType.INTEGER


def default_device_model() -> dict[tuple[str, str], Variable]:
    ro = enums.MutabilityEnumType.READ_ONLY
    text = enums.DataEnumType.STRING
    return {
        ("ChargingStation", "AvailabilityState"): Variable(
            "Available", ro, enums.DataEnumType.OPTION_LIST
        ),
        ("ChargingStation", "Model"): Variable("Demo-22", ro, text),
        ("OCPPCommCtrlr", "HeartbeatInterval"): Variable("300"),
        ("OCPPCommCtrlr", "RetryBackOffWaitMinimum"): Variable("1"),
        ("OCPPCommCtrlr", "RetryBackOffRandomRange"): Variable("1"),
        ("OCPPCommCtrlr", "RetryBackOffRepeatTimes"): Variable("3"),
        ("OCPPCommCtrlr", "WebSocketPingInterval"): Variable("30"),
        ("SecurityCtrlr", "Identity"): Variable("CS001", ro, text),
    }


@attrs.define
class StationState:
    """What a station remembers across connections (its endpoints are per
    connection)."""

    identity: str
    trace: Trace
    boot_reason: enums.BootReasonEnumType = enums.BootReasonEnumType.POWER_UP
    device_model: dict[tuple[str, str], Variable] = attrs.field(
        factory=default_device_model
    )
    boots: int = 0
    connections: int = 0
    registration: enums.RegistrationStatusEnumType | None = None
    done: asyncio.Event = attrs.field(factory=asyncio.Event)


class DemoStation(ChargePoint):
    """Handles what a basic charging station must handle (Part 0, table 4)."""

    def __init__(self, identity: str, connection: Any, *, state: StationState) -> None:
        super().__init__(identity, connection, hooks=state.trace.hooks())
        self.state = state

    # -- configuration (B05-B07)

    @on(Action.GET_VARIABLES)
    def get_variables(self, request: m.GetVariablesRequest) -> m.GetVariablesResponse:
        results = []
        for item in request.get_variable_data:
            var = self.state.device_model.get((item.component.name, item.variable.name))
            if var is None:
                status = enums.GetVariableStatusEnumType.UNKNOWN_VARIABLE
            elif var.mutability == enums.MutabilityEnumType.WRITE_ONLY:
                status = enums.GetVariableStatusEnumType.REJECTED
            else:
                status = enums.GetVariableStatusEnumType.ACCEPTED
            results.append(
                dt.GetVariableResultType(
                    attribute_status=status,
                    attribute_value=var.value
                    if var is not None
                    and status == enums.GetVariableStatusEnumType.ACCEPTED
                    else None,
                    component=item.component,
                    variable=item.variable,
                )
            )
        return m.GetVariablesResponse(get_variable_result=results)

    @on(Action.SET_VARIABLES)
    def set_variables(self, request: m.SetVariablesRequest) -> m.SetVariablesResponse:
        results = []
        for item in request.set_variable_data:
            var = self.state.device_model.get((item.component.name, item.variable.name))
            if var is None:
                status = enums.SetVariableStatusEnumType.UNKNOWN_VARIABLE
            elif var.mutability == enums.MutabilityEnumType.READ_ONLY:
                status = enums.SetVariableStatusEnumType.REJECTED
            else:
                var.value = item.attribute_value
                status = enums.SetVariableStatusEnumType.ACCEPTED
            results.append(
                dt.SetVariableResultType(
                    attribute_status=status,
                    component=item.component,
                    variable=item.variable,
                )
            )
        return m.SetVariablesResponse(set_variable_result=results)

    @on(Action.GET_BASE_REPORT)
    def get_base_report(
        self, request: m.GetBaseReportRequest
    ) -> m.GetBaseReportResponse:
        return m.GetBaseReportResponse(
            status=enums.GenericDeviceModelStatusEnumType.ACCEPTED
        )

    @after(Action.GET_BASE_REPORT)
    async def send_report(self, request: m.GetBaseReportRequest) -> None:
        """Send the report in two NotifyReport messages (``tbc`` on the first)."""
        base = request.report_base
        items = [
            (key, var)
            for key, var in self.state.device_model.items()
            if base == enums.ReportBaseEnumType.FULL_INVENTORY
            or (
                base == enums.ReportBaseEnumType.CONFIGURATION_INVENTORY
                and var.mutability != enums.MutabilityEnumType.READ_ONLY
            )
            or (
                base == enums.ReportBaseEnumType.SUMMARY_INVENTORY
                and key[1] == "AvailabilityState"
            )
        ]
        half = (len(items) + 1) // 2
        parts = [items[:half], items[half:]] if len(items) > 1 else [items]
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
                            variable=dt.VariableType(name=variable),
                            variable_attribute=[
                                dt.VariableAttributeType(
                                    value=var.value, mutability=var.mutability
                                )
                            ],
                            variable_characteristics=dt.VariableCharacteristicsType(
                                data_type=var.data_type, supports_monitoring=False
                            ),
                        )
                        for (component, variable), var in part
                    ],
                )
            )

    # -- availability (G03, G04)

    @on(Action.CHANGE_AVAILABILITY)
    def change_availability(
        self, request: m.ChangeAvailabilityRequest
    ) -> m.ChangeAvailabilityResponse:
        return m.ChangeAvailabilityResponse(
            status=enums.ChangeAvailabilityStatusEnumType.ACCEPTED
        )

    @after(Action.CHANGE_AVAILABILITY)
    async def report_availability(self, request: m.ChangeAvailabilityRequest) -> None:
        operative = (
            request.operational_status == enums.OperationalStatusEnumType.OPERATIVE
        )
        self.state.device_model[("ChargingStation", "AvailabilityState")].value = (
            "Available" if operative else "Unavailable"
        )
        await self.call(
            m.StatusNotificationRequest(
                timestamp=now(),
                connector_status=enums.ConnectorStatusEnumType.AVAILABLE
                if operative
                else enums.ConnectorStatusEnumType.UNAVAILABLE,
                evse_id=1,
                connector_id=1,
            )
        )

    # -- reset (B11)

    @on(Action.RESET)
    def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        return m.ResetResponse(status=enums.ResetStatusEnumType.ACCEPTED)

    @after(Action.RESET)
    async def reboot(self, request: m.ResetRequest) -> None:
        """No transaction is ongoing, so OnIdle resets at once: close the connection
        (the client reconnects and the next session boots with RemoteReset)."""
        self.state.trace.say(f"== {self.identity} reboots: closing its connection")
        self.state.boot_reason = enums.BootReasonEnumType.REMOTE_RESET
        await self.close()

    # -- data transfer (P01, P02): no vendor extensions here

    @on(Action.DATA_TRANSFER)
    def data_transfer(self, request: m.DataTransferRequest) -> m.DataTransferResponse:
        return m.DataTransferResponse(
            status=enums.DataTransferStatusEnumType.UNKNOWN_VENDOR_ID
        )


async def boot(cp: DemoStation) -> bool:
    """BootNotification until Accepted (True) or Rejected (False) (B01-B03)."""
    state = cp.state
    for _ in range(10):  # bounded: a demo, not a real station
        response = await cp.call(
            m.BootNotificationRequest(
                charging_station=dt.ChargingStationType(
                    model="Demo-22", vendor_name="ocpp201", firmware_version="0.1.0"
                ),
                reason=state.boot_reason,
            )
        )
        state.boots += 1
        state.registration = response.status
        if response.status == enums.RegistrationStatusEnumType.ACCEPTED:
            return True
        if response.status == enums.RegistrationStatusEnumType.REJECTED:
            state.trace.say(
                f"== {cp.identity} is Rejected: it sends nothing else and would "
                f"retry BootNotification after {response.interval} s"
            )
            return False
        state.trace.say(
            f"== {cp.identity} is Pending: it waits {response.interval} s "
            "(the CSMS may configure it meanwhile) and boots again"
        )
        await asyncio.sleep(response.interval)
    return False


async def station_session(cp: DemoStation) -> None:
    """What station CS001 does on each connection."""
    state = cp.state
    trace = state.trace
    state.connections += 1
    if state.connections > 1:
        trace.say(
            f"== {cp.identity} reconnected after the back-off "
            f"(connection {state.connections}); it boots again"
        )
    if not await boot(cp):
        state.done.set()
        return
    await cp.call(
        m.StatusNotificationRequest(
            timestamp=now(),
            connector_status=enums.ConnectorStatusEnumType.AVAILABLE,
            evse_id=1,
            connector_id=1,
        )
    )
    if state.boot_reason == enums.BootReasonEnumType.REMOTE_RESET:
        trace.say(f"== {cp.identity} is back after the reset")
        state.done.set()
        return

    trace.say(f"== {cp.identity} is Accepted: heartbeat, an event, a DataTransfer")
    await cp.call(m.HeartbeatRequest())
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
    await cp.call(
        m.DataTransferRequest(vendor_id="com.example.unknown", message_id="Hello")
    )

    trace.say("== A driver presents a card and charges (Authorize, TransactionEvent)")
    authorized = await cp.call(m.AuthorizeRequest(id_token=ID_TOKEN))
    if authorized.id_token_info.status != enums.AuthorizationStatusEnumType.ACCEPTED:
        state.done.set()
        return
    await cp.call(
        m.StatusNotificationRequest(
            timestamp=now(),
            connector_status=enums.ConnectorStatusEnumType.OCCUPIED,
            evse_id=1,
            connector_id=1,
        )
    )
    context = enums.ReadingContextEnumType
    steps = [
        (enums.TransactionEventEnumType.STARTED,
         enums.TriggerReasonEnumType.AUTHORIZED, 0.0, None,
         context.TRANSACTION_BEGIN),
        (enums.TransactionEventEnumType.UPDATED,
         enums.TriggerReasonEnumType.METER_VALUE_PERIODIC, 1837.5, 11040.0,
         context.SAMPLE_PERIODIC),
        (enums.TransactionEventEnumType.UPDATED,
         enums.TriggerReasonEnumType.METER_VALUE_PERIODIC, 3677.0, 11010.0,
         context.SAMPLE_PERIODIC),
        (enums.TransactionEventEnumType.ENDED,
         enums.TriggerReasonEnumType.EV_DEPARTED, 4410.25, None,
         context.TRANSACTION_END),
    ]  # fmt: skip
    for seq_no, (event, trigger, energy, power, ctx) in enumerate(steps):
        ended = event == enums.TransactionEventEnumType.ENDED
        await cp.call(
            m.TransactionEventRequest(
                event_type=event,
                timestamp=now(),
                trigger_reason=trigger,
                seq_no=seq_no,
                transaction_info=dt.TransactionType(
                    transaction_id="TX-0001",
                    charging_state=None
                    if ended
                    else enums.ChargingStateEnumType.CHARGING,
                    stopped_reason=enums.ReasonEnumType.EV_DISCONNECTED
                    if ended
                    else None,
                ),
                evse=dt.EVSEType(id=1, connector_id=1) if seq_no == 0 else None,
                id_token=ID_TOKEN if seq_no == 0 else None,
                meter_value=[meter_value(energy, power, ctx)],
            )
        )
    await cp.call(
        m.StatusNotificationRequest(
            timestamp=now(),
            connector_status=enums.ConnectorStatusEnumType.AVAILABLE,
            evse_id=1,
            connector_id=1,
        )
    )


def meter_value(
    energy_wh: float, power_w: float | None, context: enums.ReadingContextEnumType
) -> dt.MeterValueType:
    sampled = [
        dt.SampledValueType(
            value=energy_wh,
            context=context,
            measurand=enums.MeasurandEnumType.ENERGY_ACTIVE_IMPORT_REGISTER,
            unit_of_measure=dt.UnitOfMeasureType(unit="Wh"),
        )
    ]
    if power_w is not None:
        sampled.append(
            dt.SampledValueType(
                value=power_w,
                context=context,
                measurand=enums.MeasurandEnumType.POWER_ACTIVE_IMPORT,
                unit_of_measure=dt.UnitOfMeasureType(unit="W"),
            )
        )
    return dt.MeterValueType(timestamp=now(), sampled_value=sampled)


# --------------------------------------------------------------------------------------
# The CSMS


@attrs.define
class Registry:
    """What the CSMS knows about stations, shared by all its endpoints."""

    say: Write
    known: set[str] = attrs.field(factory=set)
    configured: set[str] = attrs.field(factory=set)
    heartbeat_interval: int = 300
    energy_wh: dict[str, float] = attrs.field(factory=dict)


class DemoCSMS(CSMS):
    """Handles what a basic CSMS must handle and drives the station."""

    def __init__(self, identity: str, connection: Any, *, registry: Registry) -> None:
        super().__init__(identity, connection)
        self.registry = registry
        self._report_done = asyncio.Event()
        self._report: list[dt.ReportDataType] = []

    # -- booting (B01-B04)

    @on(Action.BOOT_NOTIFICATION)
    def boot_notification(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        if self.identity not in self.registry.known:
            status, interval = enums.RegistrationStatusEnumType.REJECTED, 60
        elif self.identity not in self.registry.configured:
            status, interval = enums.RegistrationStatusEnumType.PENDING, 1
        else:
            status = enums.RegistrationStatusEnumType.ACCEPTED
            interval = self.registry.heartbeat_interval
        return m.BootNotificationResponse(
            current_time=now(), interval=interval, status=status
        )

    @after(Action.BOOT_NOTIFICATION)
    async def configure(
        self, request: m.BootNotificationRequest, response: m.BootNotificationResponse
    ) -> None:
        """While a station is Pending, read its device model and configure it."""
        if response.status != enums.RegistrationStatusEnumType.PENDING:
            return
        say = self.registry.say
        say(f"== CSMS configures {self.identity} while it is Pending")
        report = await self.call(
            m.GetBaseReportRequest(
                request_id=1, report_base=enums.ReportBaseEnumType.FULL_INVENTORY
            )
        )
        if report.status == enums.GenericDeviceModelStatusEnumType.ACCEPTED:
            await asyncio.wait_for(self._report_done.wait(), 10)
            say(f"== CSMS received {len(self._report)} variables in the report")
        comm = dt.ComponentType(name="OCPPCommCtrlr")
        await self.call(
            m.GetVariablesRequest(
                get_variable_data=[
                    dt.GetVariableDataType(
                        component=comm, variable=dt.VariableType(name=name)
                    )
                    for name in ("HeartbeatInterval", "WebSocketPingInterval")
                ]
            )
        )
        await self.call(
            m.SetVariablesRequest(
                set_variable_data=[
                    dt.SetVariableDataType(
                        attribute_value=str(self.registry.heartbeat_interval),
                        component=comm,
                        variable=dt.VariableType(name="HeartbeatInterval"),
                    )
                ]
            )
        )
        self.registry.configured.add(self.identity)

    @on(Action.NOTIFY_REPORT)
    def notify_report(self, request: m.NotifyReportRequest) -> m.NotifyReportResponse:
        self._report.extend(request.report_data or [])
        if not request.tbc:
            self._report_done.set()
        return m.NotifyReportResponse()

    # -- what a station reports

    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return m.HeartbeatResponse(current_time=now())

    @on(Action.STATUS_NOTIFICATION)
    def status_notification(
        self, request: m.StatusNotificationRequest
    ) -> m.StatusNotificationResponse:
        return m.StatusNotificationResponse()

    @on(Action.NOTIFY_EVENT)
    def notify_event(self, request: m.NotifyEventRequest) -> m.NotifyEventResponse:
        return m.NotifyEventResponse()

    @on(Action.DATA_TRANSFER)
    def data_transfer(self, request: m.DataTransferRequest) -> m.DataTransferResponse:
        return m.DataTransferResponse(
            status=enums.DataTransferStatusEnumType.UNKNOWN_VENDOR_ID
        )

    # -- authorization and transactions (C01, E01-E13, J02)

    @on(Action.AUTHORIZE)
    def authorize(self, request: m.AuthorizeRequest) -> m.AuthorizeResponse:
        return m.AuthorizeResponse(id_token_info=self._token_info(request.id_token))

    @on(Action.TRANSACTION_EVENT)
    def transaction_event(
        self, request: m.TransactionEventRequest
    ) -> m.TransactionEventResponse:
        for value in request.meter_value or []:
            for sample in value.sampled_value:
                if sample.measurand in (
                    None,
                    enums.MeasurandEnumType.ENERGY_ACTIVE_IMPORT_REGISTER,
                ):
                    self.registry.energy_wh[request.transaction_info.transaction_id] = (
                        sample.value
                    )
        if request.id_token is None:
            return m.TransactionEventResponse()
        return m.TransactionEventResponse(
            id_token_info=self._token_info(request.id_token)
        )

    @after(Action.TRANSACTION_EVENT)
    async def after_transaction(self, request: m.TransactionEventRequest) -> None:
        if request.event_type != enums.TransactionEventEnumType.ENDED:
            return
        tx = request.transaction_info.transaction_id
        self.registry.say(
            f"== CSMS: transaction {tx} ended after "
            f"{self.registry.energy_wh.get(tx, 0) / 1000:.2f} kWh"
        )
        asyncio.get_running_loop().call_soon(self._operate)

    def _token_info(self, token: dt.IdTokenType) -> dt.IdTokenInfoType:
        known = token.id_token == ID_TOKEN.id_token
        return dt.IdTokenInfoType(
            status=enums.AuthorizationStatusEnumType.ACCEPTED
            if known
            else enums.AuthorizationStatusEnumType.UNKNOWN
        )

    # -- operating the station (G03, G04, P02, B11)

    def _operate(self) -> None:
        task = asyncio.ensure_future(self.operate())
        self._operating = task  # keep a reference until it is done

    async def operate(self) -> None:
        say = self.registry.say
        await asyncio.sleep(0.2)  # let the station finish what it is sending
        say(f"== CSMS operator: maintenance on {self.identity}, then a reset")
        for status in (
            enums.OperationalStatusEnumType.INOPERATIVE,
            enums.OperationalStatusEnumType.OPERATIVE,
        ):
            await self.call(m.ChangeAvailabilityRequest(operational_status=status))
            await asyncio.sleep(0.1)  # let the StatusNotification come in
        await self.call(
            m.DataTransferRequest(vendor_id="com.example.csms", message_id="Ping")
        )
        await self.call(m.ResetRequest(type=enums.ResetEnumType.ON_IDLE))


# --------------------------------------------------------------------------------------
# Running it


async def run_demo(write: Write = print, *, full: bool = False) -> None:
    """Run the whole scenario (a few seconds) and print the exchange."""
    trace = Trace(write, full=full)
    registry = Registry(say=write, known={"CS001"})

    def csms_factory(identity: str, connection: Any) -> DemoCSMS:
        return DemoCSMS(identity, connection, registry=registry)

    async with serve(csms_factory, "127.0.0.1", 0, path=CSMS_PATH) as server:
        write(f"ocpp201 demo: a CSMS listening on {server.url}")
        write("")

        # A station the CSMS does not know: Rejected (B03).
        write("== CS999 connects; the CSMS does not know it")
        rejected = StationState("CS999", trace)
        await _run_station(server.url, rejected)

        # A known station: Pending, configured, Accepted, charging, reset.
        write("")
        write("== CS001 connects (power up)")
        station = StationState("CS001", trace)
        await _run_station(server.url, station)

        write("")
        write(
            f"Done: CS001 booted {station.boots} times "
            f"(last reason {station.boot_reason.value}, {station.registration.value}"
            f"); CS999 was {rejected.registration.value}."
            if station.registration is not None and rejected.registration is not None
            else "Done."
        )


async def _run_station(url: str, state: StationState) -> None:
    def factory(identity: str, connection: Any) -> DemoStation:
        return DemoStation(identity, connection, state=state)

    client = ChargingStationClient(
        url,
        state.identity,
        factory,
        session=station_session,
        back_off=BackOff(wait_minimum=0.5, random_range=0.5, repeat_times=3),
        max_attempts=5,
    )
    async with client:
        await asyncio.wait_for(state.done.wait(), 20)


def _print(line: str) -> None:
    """print() that stops quietly when stdout is closed (``demo | head``)."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """``python -m ocpp201 demo [--full]``; returns the exit status."""
    full = bool(argv and "--full" in argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(asyncio.wait_for(run_demo(_print, full=full), 60))
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    return 0
