"""Simulated charging stations: a test peer for a CSMS and a load generator.

Each :class:`SimulatedStation` keeps a connection with
:class:`ocpp201.websocket.ChargingStationClient` (reconnecting with the back-off)
and runs the life of a simple one-connector station: BootNotification (retried
while Pending or Rejected, after the interval the CSMS gave), StatusNotification,
Heartbeats, and transactions -- Authorize, TransactionEvent Started, Updated with
meter values, a MeterValues message, Ended -- one after another.  It answers the
CSMS's requests (Reset and ChangeAvailability end or schedule around a running
transaction, as B12 and G03 expect).  :class:`Stats` counts every CALL and its
latency; :func:`simulate` runs N stations for a given time and returns the stats.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import ssl as ssl_module
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from .. import (
    CallError,
    CallTimeoutError,
    ChargePoint,
    Connection,
    ConnectionClosedError,
    Hooks,
    Request,
    Response,
    RpcEndpoint,
    after,
    from_payload,
    on,
)
from .. import messages as m
from ..actions import Action
from ..enums import (
    ChangeAvailabilityStatusEnumType,
    GenericDeviceModelStatusEnumType,
    MessageTriggerEnumType,
    OperationalStatusEnumType,
    RegistrationStatusEnumType,
    ResetEnumType,
    ResetStatusEnumType,
    TriggerMessageStatusEnumType,
)

__all__ = ["SimulatedStation", "SimulationConfig", "Stats", "simulate"]

_MAX_SAMPLES = 200_000  # latencies kept (then a uniform reservoir sample)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@attrs.define(kw_only=True)
class SimulationConfig:
    """How the simulated stations behave (seconds unless said otherwise).

    Attributes:
        heartbeat_interval: between Heartbeats; ``None``: the interval of the
            BootNotificationResponse.
        meter_interval: between meter values during a transaction.
        transaction_duration: how long a transaction lasts.
        idle: the pause between two transactions.
        card: the idToken a driver presents.
        call_timeout: how long a CALL waits for its answer.
        vendor, model: the BootNotification's vendorName and model.
    """

    heartbeat_interval: float | None = None
    meter_interval: float = 10.0
    transaction_duration: float = 30.0
    idle: float = 10.0
    card: str = "SIMCARD01"
    call_timeout: float = 30.0
    vendor: str = "ocpp201"
    model: str = "Simulator"


@attrs.define(kw_only=True)
class Stats:
    """What the stations did: CALLs by action and outcome, latencies, connections."""

    sent: collections.Counter[str] = attrs.Factory(collections.Counter)
    errors: collections.Counter[str] = attrs.Factory(collections.Counter)
    answered: collections.Counter[str] = attrs.Factory(collections.Counter)
    callerrors_sent: int = 0
    latencies: list[float] = attrs.Factory(list)
    boots: collections.Counter[str] = attrs.Factory(collections.Counter)
    connections: int = 0
    transactions: int = 0
    _seen: int = 0

    def latency(self, seconds: float) -> None:
        """Record one CALL's round trip (a reservoir sample beyond the bound)."""
        self._seen += 1
        if len(self.latencies) < _MAX_SAMPLES:
            self.latencies.append(seconds)
        else:
            slot = random.randrange(self._seen)
            if slot < _MAX_SAMPLES:
                self.latencies[slot] = seconds

    def percentiles(self) -> dict[str, float]:
        """p50, p90, p99 and max of the latencies, in milliseconds."""
        if not self.latencies:
            return {}
        ordered = sorted(self.latencies)

        def at(q: float) -> float:
            index = min(len(ordered) - 1, round(q * (len(ordered) - 1)))
            return round(ordered[index] * 1000, 2)

        return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1.0)}

    def summary(self) -> dict[str, Any]:
        """Everything as one JSON-ready object."""
        return {
            "calls": sum(self.sent.values()),
            "errors": sum(self.errors.values()),
            "callerrors_sent": self.callerrors_sent,
            "connections": self.connections,
            "boots": dict(sorted(self.boots.items())),
            "transactions": self.transactions,
            "latency_ms": self.percentiles(),
            "sent": dict(sorted(self.sent.items())),
            "error_kinds": dict(sorted(self.errors.items())),
            "answered": dict(sorted(self.answered.items())),
        }


def _count_callerrors(stats: Stats) -> Hooks:
    def sent(endpoint: RpcEndpoint, frame: str) -> None:
        if frame.startswith("[4"):
            stats.callerrors_sent += 1

    return Hooks(frame_sent=sent)


_DEVICE_MODEL: dict[tuple[str, str], str] = {
    ("OCPPCommCtrlr", "HeartbeatInterval"): "300",
    ("OCPPCommCtrlr", "OfflineThreshold"): "300",
    ("SampledDataCtrlr", "TxUpdatedInterval"): "10",
    ("AuthCtrlr", "AuthorizeRemoteStart"): "true",
}


class StationEndpoint(ChargePoint):
    """The endpoint of one connection of a :class:`SimulatedStation`."""

    def __init__(
        self, identity: str, connection: Connection, *, station: SimulatedStation
    ) -> None:
        super().__init__(
            identity,
            connection,
            hooks=_count_callerrors(station.stats),
            call_timeout=station.config.call_timeout,
        )
        self.station = station

    def _answered(self, action: Action) -> None:
        self.station.stats.answered[action.value] += 1

    @on(Action.RESET)
    def on_reset(self, request: m.ResetRequest) -> m.ResetResponse:
        self._answered(Action.RESET)
        station = self.station
        if station.transaction is not None and request.type == ResetEnumType.ON_IDLE:
            station.reset_when_idle = True  # B12.FR.01: after the transaction
            return m.ResetResponse(status=ResetStatusEnumType.SCHEDULED)
        station.reset_now = True  # B12.FR.02: the transaction is ended first
        station.wake.set()
        return m.ResetResponse(status=ResetStatusEnumType.ACCEPTED)

    @on(Action.CHANGE_AVAILABILITY)
    def on_change_availability(
        self, request: m.ChangeAvailabilityRequest
    ) -> m.ChangeAvailabilityResponse:
        self._answered(Action.CHANGE_AVAILABILITY)
        station = self.station
        wanted = request.operational_status == OperationalStatusEnumType.OPERATIVE
        station.wanted_operative = wanted
        station.wake.set()
        if not wanted and station.transaction is not None:  # G03.FR.05
            return m.ChangeAvailabilityResponse(
                status=ChangeAvailabilityStatusEnumType.SCHEDULED
            )
        return m.ChangeAvailabilityResponse(
            status=ChangeAvailabilityStatusEnumType.ACCEPTED
        )

    @on(Action.GET_VARIABLES)
    def on_get_variables(self, request: m.GetVariablesRequest) -> Any:
        self._answered(Action.GET_VARIABLES)
        results = []
        for item in request.get_variable_data:
            key = (item.component.name, item.variable.name)
            value = self.station.variables.get(key)
            result: dict[str, Any] = {
                "attributeStatus": "Accepted"
                if value is not None
                else "UnknownVariable",
                "component": {"name": item.component.name},
                "variable": {"name": item.variable.name},
            }
            if value is not None:
                result["attributeValue"] = value
            results.append(result)
        return from_payload(m.GetVariablesResponse, {"getVariableResult": results})

    @on(Action.SET_VARIABLES)
    def on_set_variables(self, request: m.SetVariablesRequest) -> Any:
        self._answered(Action.SET_VARIABLES)
        results = []
        for item in request.set_variable_data:
            key = (item.component.name, item.variable.name)
            known = key in self.station.variables
            if known:
                self.station.variables[key] = item.attribute_value
            results.append(
                {
                    "attributeStatus": "Accepted" if known else "UnknownVariable",
                    "component": {"name": item.component.name},
                    "variable": {"name": item.variable.name},
                }
            )
        return from_payload(m.SetVariablesResponse, {"setVariableResult": results})

    @on(Action.GET_BASE_REPORT)
    def on_get_base_report(self, request: m.GetBaseReportRequest) -> Any:
        self._answered(Action.GET_BASE_REPORT)
        return m.GetBaseReportResponse(status=_ACCEPTED_REPORT)

    @after(Action.GET_BASE_REPORT)
    async def send_report(self, request: m.GetBaseReportRequest) -> None:
        await self.station.report(self, request.request_id)

    @on(Action.TRIGGER_MESSAGE)
    def on_trigger_message(
        self, request: m.TriggerMessageRequest
    ) -> m.TriggerMessageResponse:
        self._answered(Action.TRIGGER_MESSAGE)
        ok = request.requested_message in _TRIGGERABLE
        status = (
            TriggerMessageStatusEnumType.ACCEPTED
            if ok
            else TriggerMessageStatusEnumType.NOT_IMPLEMENTED
        )
        return m.TriggerMessageResponse(status=status)

    @after(Action.TRIGGER_MESSAGE)
    async def send_triggered(self, request: m.TriggerMessageRequest) -> None:
        if request.requested_message in _TRIGGERABLE:
            await self.station.triggered(self, request.requested_message)

    @on(Action.REQUEST_STOP_TRANSACTION)
    def on_request_stop(self, request: m.RequestStopTransactionRequest) -> Any:
        self._answered(Action.REQUEST_STOP_TRANSACTION)
        ok = self.station.transaction == request.transaction_id
        if ok:
            self.station.stop_requested = True
            self.station.wake.set()
        return from_payload(
            m.RequestStopTransactionResponse,
            {"status": "Accepted" if ok else "Rejected"},
        )

    @on(Action.REQUEST_START_TRANSACTION)
    def on_request_start(self, request: m.RequestStartTransactionRequest) -> Any:
        self._answered(Action.REQUEST_START_TRANSACTION)
        return from_payload(m.RequestStartTransactionResponse, {"status": "Rejected"})

    @on(Action.CLEAR_CACHE)
    def on_clear_cache(self, request: m.ClearCacheRequest) -> Any:
        self._answered(Action.CLEAR_CACHE)
        return from_payload(m.ClearCacheResponse, {"status": "Accepted"})

    @on(Action.UNLOCK_CONNECTOR)
    def on_unlock(self, request: m.UnlockConnectorRequest) -> Any:
        self._answered(Action.UNLOCK_CONNECTOR)
        return from_payload(m.UnlockConnectorResponse, {"status": "Unlocked"})

    @on(Action.GET_TRANSACTION_STATUS)
    def on_transaction_status(self, request: m.GetTransactionStatusRequest) -> Any:
        self._answered(Action.GET_TRANSACTION_STATUS)
        return from_payload(m.GetTransactionStatusResponse, {"messagesInQueue": False})


_ACCEPTED_REPORT = GenericDeviceModelStatusEnumType.ACCEPTED
_TRIGGERABLE = frozenset(
    {
        MessageTriggerEnumType.BOOT_NOTIFICATION,
        MessageTriggerEnumType.HEARTBEAT,
        MessageTriggerEnumType.STATUS_NOTIFICATION,
        MessageTriggerEnumType.METER_VALUES,
    }
)


class _RebootError(Exception):
    """The station reboots (Reset): close the connection and boot again."""


class SimulatedStation:
    """One simulated charging station; its state survives reconnections."""

    def __init__(self, identity: str, config: SimulationConfig, stats: Stats) -> None:
        self.identity = identity
        self.config = config
        self.stats = stats
        self.variables = dict(_DEVICE_MODEL)
        self.registration: RegistrationStatusEnumType | None = None
        self.boot_reason = "PowerUp"
        self.interval = 300.0
        self.transaction: str | None = None
        self.seq_no = 0
        self.energy_wh = 0.0
        self.operative = True
        self.wanted_operative = True
        self.reset_when_idle = False
        self.reset_now = False
        self.stop_requested = False
        self.wake = asyncio.Event()
        self._transactions = 0

    # -- CALLs, counted and timed

    async def call(
        self, endpoint: StationEndpoint, payload: Any, action: Action
    ) -> Any:
        """Send one request built from its JSON ``payload``; ``None`` on failure."""
        request: Request[Any] = from_payload(action.request, payload)
        self.stats.sent[action.value] += 1
        start = time.perf_counter()
        try:
            response: Response = await endpoint.call(request)
        except CallError as exc:
            code = getattr(exc.code, "value", exc.code)
            self.stats.errors[f"{action.value}: CALLERROR {code}"] += 1
            return None
        except CallTimeoutError:
            self.stats.errors[f"{action.value}: timeout"] += 1
            return None
        self.stats.latency(time.perf_counter() - start)
        return response

    # -- the life of the station

    async def session(self, endpoint: StationEndpoint) -> None:
        """Run on each connection: boot, then report and charge."""
        self.stats.connections += 1
        try:
            await self._boot(endpoint)
            await self._status(endpoint)
            await self._live(endpoint)
        except _RebootError:
            await endpoint.close()
        except ConnectionClosedError:
            pass

    async def _boot(self, endpoint: StationEndpoint) -> None:
        while True:
            payload = {
                "reason": self.boot_reason,
                "chargingStation": {
                    "model": self.config.model,
                    "vendorName": self.config.vendor,
                },
            }
            response = await self.call(endpoint, payload, Action.BOOT_NOTIFICATION)
            if response is None:
                await asyncio.sleep(10)
                continue
            self.registration = response.status
            self.stats.boots[response.status.value] += 1
            if response.status == RegistrationStatusEnumType.ACCEPTED:
                if response.interval > 0:
                    self.interval = float(response.interval)
                self.boot_reason = "PowerUp"
                return
            # B02.FR.07/08, B03.FR.05/06: boot again after the interval; send nothing
            # else meanwhile (only what the CSMS asks for, handled by the endpoint).
            await asyncio.sleep(response.interval if response.interval > 0 else 10)

    async def _status(self, endpoint: StationEndpoint) -> None:
        status = "Available" if self.operative else "Unavailable"
        if self.transaction is not None and self.operative:
            status = "Occupied"
        payload = {
            "timestamp": _now(),
            "connectorStatus": status,
            "evseId": 1,
            "connectorId": 1,
        }
        await self.call(endpoint, payload, Action.STATUS_NOTIFICATION)

    async def _live(self, endpoint: StationEndpoint) -> None:
        config = self.config
        heartbeat = config.heartbeat_interval or self.interval
        next_heartbeat = time.monotonic() + heartbeat
        next_meter = 0.0
        tx_end = 0.0
        next_tx = time.monotonic() + random.uniform(0, min(config.idle, 5.0))
        while True:
            now = time.monotonic()
            await self._apply_requests(endpoint)
            if now >= next_heartbeat:
                await self.call(endpoint, {}, Action.HEARTBEAT)
                next_heartbeat = now + heartbeat
            if self.transaction is None and self.operative and now >= next_tx:
                if await self._start(endpoint):
                    tx_end = now + config.transaction_duration
                    next_meter = now + config.meter_interval
                else:
                    next_tx = now + config.idle
            if self.transaction is not None:
                if now >= tx_end or self.stop_requested:
                    reason = "Remote" if self.stop_requested else "Local"
                    await self._end(endpoint, reason)
                    next_tx = now + config.idle
                elif now >= next_meter:
                    await self._meter(endpoint)
                    next_meter = now + config.meter_interval
            deadlines = [next_heartbeat]
            if self.transaction is not None:
                deadlines += [tx_end, next_meter]
            elif self.operative:
                deadlines.append(next_tx)
            wait = max(0.0, min(deadlines) - time.monotonic())
            self.wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), wait)

    async def _apply_requests(self, endpoint: StationEndpoint) -> None:
        """What the CSMS asked for: end the transaction first (B12, G03)."""
        if self.reset_now:
            self.reset_now = False
            if self.transaction is not None:
                await self._end(endpoint, "ImmediateReset")
            self.boot_reason = "RemoteReset"
            raise _RebootError
        if self.reset_when_idle and self.transaction is None:
            self.reset_when_idle = False
            self.boot_reason = "RemoteReset"
            raise _RebootError
        if self.wanted_operative != self.operative and (
            self.wanted_operative or self.transaction is None
        ):
            self.operative = self.wanted_operative
            await self._status(endpoint)

    def _meter_value(self) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": _now(),
                "sampledValue": [
                    {"value": round(self.energy_wh, 1)},
                    {
                        "value": 11040.0,
                        "measurand": "Power.Active.Import",
                        "unitOfMeasure": {"unit": "W"},
                    },
                ],
            }
        ]

    def _event(self, event: str, trigger: str, **extra: Any) -> dict[str, Any]:
        assert self.transaction is not None
        self.seq_no += 1
        info: dict[str, Any] = {"transactionId": self.transaction}
        info.update(extra.pop("info", {}))
        return {
            "eventType": event,
            "timestamp": _now(),
            "triggerReason": trigger,
            "seqNo": self.seq_no,
            "transactionInfo": info,
            "meterValue": self._meter_value(),
            **extra,
        }

    async def _start(self, endpoint: StationEndpoint) -> bool:
        token = {"idToken": self.config.card, "type": "ISO14443"}
        authorized = await self.call(endpoint, {"idToken": token}, Action.AUTHORIZE)
        if authorized is None or authorized.id_token_info.status.value != "Accepted":
            return False
        self._transactions += 1
        self.transaction = f"{self.identity}-{self._transactions}"
        self.stats.transactions += 1
        self.stop_requested = False
        payload = self._event(
            "Started",
            "Authorized",
            idToken=token,
            evse={"id": 1, "connectorId": 1},
            info={"chargingState": "Charging"},
        )
        await self.call(endpoint, payload, Action.TRANSACTION_EVENT)
        await self._status(endpoint)
        return True

    async def _meter(self, endpoint: StationEndpoint) -> None:
        self.energy_wh += 11040.0 * self.config.meter_interval / 3600
        payload = self._event("Updated", "MeterValuePeriodic")
        await self.call(endpoint, payload, Action.TRANSACTION_EVENT)
        values = {"evseId": 1, "meterValue": self._meter_value()}
        await self.call(endpoint, values, Action.METER_VALUES)

    async def _end(self, endpoint: StationEndpoint, reason: str) -> None:
        trigger = {
            "Remote": "RemoteStop",
            "ImmediateReset": "ResetCommand",
        }.get(reason, "StopAuthorized")
        payload = self._event("Ended", trigger, info={"stoppedReason": reason})
        self.transaction = None
        self.seq_no = 0
        await self.call(endpoint, payload, Action.TRANSACTION_EVENT)
        await self._status(endpoint)

    async def report(self, endpoint: StationEndpoint, request_id: int) -> None:
        """NotifyReport with the station's few variables (after GetBaseReport)."""
        data = [
            {
                "component": {"name": component},
                "variable": {"name": variable},
                "variableAttribute": [{"value": value}],
            }
            for (component, variable), value in self.variables.items()
        ]
        payload = {
            "requestId": request_id,
            "generatedAt": _now(),
            "seqNo": 0,
            "reportData": data,
        }
        await self.call(endpoint, payload, Action.NOTIFY_REPORT)

    async def triggered(
        self, endpoint: StationEndpoint, message: MessageTriggerEnumType
    ) -> None:
        """Send the message a TriggerMessage asked for."""
        if message == MessageTriggerEnumType.HEARTBEAT:
            await self.call(endpoint, {}, Action.HEARTBEAT)
        elif message == MessageTriggerEnumType.STATUS_NOTIFICATION:
            await self._status(endpoint)
        elif message == MessageTriggerEnumType.METER_VALUES:
            values = {"evseId": 1, "meterValue": self._meter_value()}
            await self.call(endpoint, values, Action.METER_VALUES)
        elif message == MessageTriggerEnumType.BOOT_NOTIFICATION:
            payload = {
                "reason": "Triggered",
                "chargingStation": {
                    "model": self.config.model,
                    "vendorName": self.config.vendor,
                },
            }
            await self.call(endpoint, payload, Action.BOOT_NOTIFICATION)


async def simulate(
    url: str,
    stations: int,
    duration: float,
    *,
    config: SimulationConfig | None = None,
    prefix: str = "SIM",
    ramp: float | None = None,
    password: str | None = None,
    ssl: ssl_module.SSLContext | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> Stats:
    """Run ``stations`` simulated stations against ``url`` for ``duration`` seconds.

    Stations connect spread over ``ramp`` seconds (default: 10 ms per station, at
    most 10 s), as ``{prefix}{number:05d}``.  Returns the statistics.
    """
    from ..websocket import BackOff, ChargingStationClient  # noqa: PLC0415

    config = config or SimulationConfig()
    stats = Stats()
    ramp = min(stations * 0.01, 10.0) if ramp is None else ramp
    clients: list[ChargingStationClient[StationEndpoint]] = []
    extra = dict(client_options or {})
    extra.setdefault(
        "back_off", BackOff(wait_minimum=1, random_range=2, repeat_times=3)
    )
    deadline = time.monotonic() + duration
    for number in range(1, stations + 1):
        station = SimulatedStation(f"{prefix}{number:05d}", config, stats)

        def factory(
            identity: str, connection: Connection, station: SimulatedStation = station
        ) -> StationEndpoint:
            return StationEndpoint(identity, connection, station=station)

        client = ChargingStationClient(
            url,
            station.identity,
            factory,
            session=station.session,
            password=password,
            ssl=ssl,
            **extra,
        )
        clients.append(client)
        client.start()
        if ramp and stations > 1:
            await asyncio.sleep(ramp / stations)
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    results = await asyncio.gather(
        *(client.close() for client in clients), return_exceptions=True
    )
    for client, result in zip(clients, results, strict=True):
        if isinstance(result, BaseException):
            stats.errors[f"client: {type(result).__name__}"] += 1
        if client.connections == 0:  # why it never connected, once per kind
            stats.errors[f"never connected: {_failure(client.last_error)}"] += 1
    return stats


def _failure(error: BaseException | None) -> str:
    """A failed connection attempt, without the station identity in it."""
    if error is None:
        return "no attempt finished"
    status = getattr(error, "status", None)
    if status is not None:
        return f"HTTP {status}"
    if isinstance(error, asyncio.TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {str(error)[:80]}"
