"""An OCPP 2.0.1 CSMS over WebSocket, covering the basic implementation (Part 0).

Run it, then start a charging station against it::

    python -m ocpp201.examples.csms --port 9000
    python -m ocpp201.examples.charging_station ws://127.0.0.1:9000/ocpp CS001

What it does with a station:

* BootNotification: an unknown station is **Rejected**; a known station is first
  answered **Pending** while the CSMS reads its device model (GetBaseReport ->
  NotifyReport), reads and sets variables (GetVariables, SetVariables); its next
  BootNotification is **Accepted**.  The configuration step is bounded: a station
  that sends no NotifyReport (B02.FR.02 allows that) or does not answer is
  accepted anyway after ``--configure-timeout`` seconds, and one station is never
  configured twice at once.
* Until a station is Accepted, its other CALLs are answered CALLERROR SecurityError
  (the registration gate of Part 2 B01.FR.10, B02.FR.09 and B03.FR.07); while
  Pending, the NotifyReport it was asked for passes.
* It answers Heartbeat, StatusNotification, NotifyEvent, SecurityEventNotification,
  FirmwareStatusNotification, Authorize (the ``--card`` cards), TransactionEvent
  and MeterValues (it prints the energy of each
  transaction from the meter values).  A DataTransfer gets the endpoint's default
  answer, UnknownVendorId (no vendor extensions here).
* When a transaction has ended, the "operator" makes the station Inoperative and
  Operative again (ChangeAvailability), sends it a DataTransfer, and resets it
  (Reset OnIdle).

Refused connections (unknown path, wrong password, no ``ocpp2.0.1``, ...) are logged
at WARNING with the reason.  ``--tls-cert``/``--tls-key`` serve ``wss://``, and
``--client-ca`` requires client certificates (security profile 3).

Needs ``pip install 'ocpp201[websockets]'``; ``python -m ocpp201 demo`` runs it
with the example charging station.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone

from ocpp201 import (
    CSMS,
    Action,
    CallError,
    CallTimeoutError,
    ConnectionClosedError,
    after,
    enums,
    on,
)
from ocpp201 import datatypes as dt
from ocpp201 import messages as m
from ocpp201.tools.gate import RegistrationGate
from ocpp201.websocket import WebSocketConnection, serve

KNOWN_CARDS = frozenset({"04A2C3D4E5F601"})
HEARTBEAT_INTERVAL = 300  # seconds


def now() -> datetime:
    return datetime.now(timezone.utc)


def show(line: str) -> None:
    print(line, flush=True)


class Stations:
    """What this CSMS knows about charging stations (shared by all connections)."""

    def __init__(
        self,
        known: Iterable[str] | None,
        output: Callable[[str], object] = show,
        *,
        cards: Iterable[str] = KNOWN_CARDS,
        heartbeat_interval: int = HEARTBEAT_INTERVAL,
        configure_timeout: float = 30.0,
    ) -> None:
        self.known = None if known is None else frozenset(known)  # None: any
        self.output = output  # where log lines go
        self.cards = frozenset(cards)
        self.heartbeat_interval = heartbeat_interval
        self.configure_timeout = configure_timeout
        self.configured: set[str] = set()
        self.configuring: set[str] = set()  # one configuration step at a time
        self.gate = RegistrationGate()
        self.request_ids = itertools.count(1)
        self.energy_wh: dict[str, float] = {}

    def is_known(self, identity: str) -> bool:
        return self.known is None or identity in self.known


class ExampleCSMS(CSMS):
    """The CSMS side of the connection to one charging station."""

    def __init__(
        self, identity: str, connection: WebSocketConnection, stations: Stations
    ) -> None:
        super().__init__(identity, connection)
        self.stations = stations
        self.report: list[dt.ReportDataType] = []
        self.report_id: int | None = None
        self.report_complete = asyncio.Event()
        # What the "operator" does with this station, one job after another, beside
        # the receive loop (see run()): handlers only queue it, so they stay short.
        self.jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue(8)

    async def run(self) -> None:
        """The receive loop, with :meth:`work` beside it for as long as it runs.

        The worker is cancelled and awaited when the connection ends: no task
        outlives the connection, and none is left unobserved.
        """
        worker = asyncio.ensure_future(self.work())
        try:
            await super().run()
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            while not self.jobs.empty():  # a configuration that never started
                if self.jobs.get_nowait() == self.configure:
                    self.stations.configuring.discard(self.identity)

    async def work(self) -> None:
        """Run the queued jobs in order; a job that fails is logged, the next runs."""
        while True:
            job = await self.jobs.get()
            try:
                await job()
            except (CallError, CallTimeoutError) as exc:
                self.log(f"{job.__name__}: {exc}")
            except ConnectionClosedError:
                return

    def schedule(self, job: Callable[[], Awaitable[None]]) -> bool:
        """Queue ``job`` for :meth:`work`; ``False`` when it was dropped."""
        try:
            self.jobs.put_nowait(job)
        except asyncio.QueueFull:  # a station flooding us: drop, do not pile up
            self.log(f"too much to do; {job.__name__} skipped")
            return False
        return True

    def log(self, text: str) -> None:
        self.stations.output(f"[CSMS] {self.identity}: {text}")

    def admit(self, action: Action) -> None:
        """The registration gate: SecurityError before an Accepted boot."""
        self.stations.gate.admit(self.identity, action)

    # ---------------------------------------------------------------- booting (B01-B04)

    @on(Action.BOOT_NOTIFICATION)
    def on_boot_notification(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        stations = self.stations
        if not stations.is_known(self.identity):
            status, interval = enums.RegistrationStatusEnumType.REJECTED, 60
        elif self.identity not in stations.configured:
            status, interval = enums.RegistrationStatusEnumType.PENDING, 1
        else:
            status = enums.RegistrationStatusEnumType.ACCEPTED
            interval = stations.heartbeat_interval
        stations.gate.booted(self.identity, status)
        station = request.charging_station
        self.log(
            f"BootNotification from {station.vendor_name} {station.model} "
            f"({request.reason.value}) -> {status.value}"
        )
        return m.BootNotificationResponse(
            current_time=now(), interval=interval, status=status
        )

    @after(Action.BOOT_NOTIFICATION)
    def after_boot_notification(
        self, request: m.BootNotificationRequest, response: m.BootNotificationResponse
    ) -> None:
        stations = self.stations
        if (
            response.status == enums.RegistrationStatusEnumType.PENDING
            and self.identity not in stations.configuring
        ):
            # Booting again while Pending (every interval) does not pile up jobs.
            stations.configuring.add(self.identity)
            if not self.schedule(self.configure):
                stations.configuring.discard(self.identity)

    async def configure(self) -> None:
        """While the station is Pending: read its device model, then configure it.

        Bounded: whatever the station does not answer in time is skipped, and the
        station is accepted at its next boot anyway.
        """
        stations = self.stations
        try:
            await asyncio.wait_for(self.read_and_set(), stations.configure_timeout)
        except (asyncio.TimeoutError, CallError, CallTimeoutError) as exc:
            self.log(f"configuration incomplete ({exc!r}); accepting it anyway")
        finally:
            stations.configuring.discard(self.identity)
        stations.configured.add(self.identity)

    async def read_and_set(self) -> None:
        report_id = next(self.stations.request_ids)
        self.report_id, self.report = report_id, []
        self.report_complete.clear()
        self.stations.gate.asked_for(self.identity, Action.NOTIFY_REPORT)
        report = await self.call(
            m.GetBaseReportRequest(
                request_id=report_id,
                report_base=enums.ReportBaseEnumType.FULL_INVENTORY,
            )
        )
        if report.status == enums.GenericDeviceModelStatusEnumType.ACCEPTED:
            wait = min(10.0, self.stations.configure_timeout / 2)
            try:
                await asyncio.wait_for(self.report_complete.wait(), wait)
                self.log(f"its device model has {len(self.report)} variables")
            except asyncio.TimeoutError:
                self.log(f"no complete NotifyReport within {wait:g} s; going on")

        comm = dt.ComponentType(name="OCPPCommCtrlr")
        current = await self.call(
            m.GetVariablesRequest(
                get_variable_data=[
                    dt.GetVariableDataType(
                        component=comm,
                        variable=dt.VariableType(name="HeartbeatInterval"),
                    )
                ]
            )
        )
        result = current.get_variable_result[0]
        self.log(f"HeartbeatInterval is {result.attribute_value}")
        interval = self.stations.heartbeat_interval
        changed = await self.call(
            m.SetVariablesRequest(
                set_variable_data=[
                    dt.SetVariableDataType(
                        attribute_value=str(interval),
                        component=comm,
                        variable=dt.VariableType(name="HeartbeatInterval"),
                    )
                ]
            )
        )
        status = changed.set_variable_result[0].attribute_status
        self.log(f"set HeartbeatInterval to {interval}: {status.value}")

    @on(Action.NOTIFY_REPORT)
    def on_notify_report(
        self, request: m.NotifyReportRequest
    ) -> m.NotifyReportResponse:
        self.admit(Action.NOTIFY_REPORT)
        if request.request_id == self.report_id:
            self.report.extend(request.report_data or [])
            if not request.tbc:
                self.report_complete.set()
        return m.NotifyReportResponse()

    # ---------------------------------------------------------------- station reports

    @on(Action.HEARTBEAT)
    def on_heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        self.admit(Action.HEARTBEAT)
        self.log("Heartbeat")
        return m.HeartbeatResponse(current_time=now())

    @on(Action.STATUS_NOTIFICATION)
    def on_status_notification(
        self, request: m.StatusNotificationRequest
    ) -> m.StatusNotificationResponse:
        self.admit(Action.STATUS_NOTIFICATION)
        self.log(
            f"EVSE {request.evse_id} connector {request.connector_id} is "
            f"{request.connector_status.value}"
        )
        return m.StatusNotificationResponse()

    @on(Action.NOTIFY_EVENT)
    def on_notify_event(self, request: m.NotifyEventRequest) -> m.NotifyEventResponse:
        self.admit(Action.NOTIFY_EVENT)
        for event in request.event_data:
            self.log(
                f"event: {event.component.name}.{event.variable.name} = "
                f"{event.actual_value} ({event.trigger.value})"
            )
        return m.NotifyEventResponse()

    @on(Action.SECURITY_EVENT_NOTIFICATION)
    def on_security_event(
        self, request: m.SecurityEventNotificationRequest
    ) -> m.SecurityEventNotificationResponse:
        # Stations send these routinely (for example StartupOfTheDevice at boot).
        self.admit(Action.SECURITY_EVENT_NOTIFICATION)
        self.log(f"security event {request.type}")
        return m.SecurityEventNotificationResponse()

    @on(Action.FIRMWARE_STATUS_NOTIFICATION)
    def on_firmware_status(
        self, request: m.FirmwareStatusNotificationRequest
    ) -> m.FirmwareStatusNotificationResponse:
        self.admit(Action.FIRMWARE_STATUS_NOTIFICATION)
        self.log(f"firmware status {request.status.value}")
        return m.FirmwareStatusNotificationResponse()

    # ------------------------------------------- authorization, transactions (C, E, J)

    def token_info(self, token: dt.IdTokenType) -> dt.IdTokenInfoType:
        if token.id_token in self.stations.cards:
            return dt.IdTokenInfoType(status=enums.AuthorizationStatusEnumType.ACCEPTED)
        return dt.IdTokenInfoType(status=enums.AuthorizationStatusEnumType.UNKNOWN)

    @on(Action.AUTHORIZE)
    def on_authorize(self, request: m.AuthorizeRequest) -> m.AuthorizeResponse:
        self.admit(Action.AUTHORIZE)
        info = self.token_info(request.id_token)
        self.log(f"Authorize {request.id_token.id_token} -> {info.status.value}")
        return m.AuthorizeResponse(id_token_info=info)

    def record_energy(
        self, key: str, meter_values: Iterable[dt.MeterValueType]
    ) -> None:
        for meter_value in meter_values:
            for sample in meter_value.sampled_value:
                if sample.measurand in (
                    None,  # the default measurand
                    enums.MeasurandEnumType.ENERGY_ACTIVE_IMPORT_REGISTER,
                ):
                    self.stations.energy_wh[key] = sample.value

    @on(Action.TRANSACTION_EVENT)
    def on_transaction_event(
        self, request: m.TransactionEventRequest
    ) -> m.TransactionEventResponse:
        self.admit(Action.TRANSACTION_EVENT)
        tx = request.transaction_info.transaction_id
        self.record_energy(tx, request.meter_value or [])
        self.log(
            f"transaction {tx} {request.event_type.value} "
            f"({request.trigger_reason.value}), "
            f"meter {self.stations.energy_wh.get(tx, 0):.1f} Wh"
        )
        if request.id_token is None:
            return m.TransactionEventResponse()
        return m.TransactionEventResponse(
            id_token_info=self.token_info(request.id_token)
        )

    @on(Action.METER_VALUES)
    def on_meter_values(self, request: m.MeterValuesRequest) -> m.MeterValuesResponse:
        self.admit(Action.METER_VALUES)
        key = f"{self.identity} EVSE {request.evse_id}"
        self.record_energy(key, request.meter_value)
        self.log(f"meter values of EVSE {request.evse_id}")
        return m.MeterValuesResponse()

    @after(Action.TRANSACTION_EVENT)
    def after_transaction_event(self, request: m.TransactionEventRequest) -> None:
        """When a transaction has ended: operate the station (a job for work())."""
        if request.event_type == enums.TransactionEventEnumType.ENDED:
            self.schedule(self.operate)

    # ---------------------------------------------- operating the station (G, P, B11)

    async def operate(self) -> None:
        await asyncio.sleep(0.5)  # the "operator" takes a moment
        for status in (
            enums.OperationalStatusEnumType.INOPERATIVE,
            enums.OperationalStatusEnumType.OPERATIVE,
        ):
            response = await self.call(
                m.ChangeAvailabilityRequest(operational_status=status)
            )
            self.log(f"ChangeAvailability {status.value}: {response.status.value}")
            await asyncio.sleep(0.2)
        transfer = await self.call(
            m.DataTransferRequest(vendor_id="com.example.csms", message_id="Ping")
        )
        self.log(f"DataTransfer to the station: {transfer.status.value}")
        reset = await self.call(m.ResetRequest(type=enums.ResetEnumType.ON_IDLE))
        self.log(f"Reset OnIdle: {reset.status.value}")


def tls_context(
    cert: str | None, key: str | None, client_ca: str | None
) -> ssl.SSLContext | None:
    """The server's TLS context (``None`` without a certificate)."""
    if cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if client_ca is not None:  # security profile 3: client certificates
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0: any free port")
    parser.add_argument("--path", default="/ocpp", help="the OCPP-J endpoint path")
    parser.add_argument(
        "--known",
        nargs="*",
        default=["CS001", "CS002"],
        help="identities of the stations this CSMS knows (others are Rejected);"
        " '*' for any",
    )
    parser.add_argument(
        "--card",
        action="append",
        help="an idToken that is Accepted (repeat for more; default: the example's)",
    )
    parser.add_argument(
        "--heartbeat-interval", type=int, default=HEARTBEAT_INTERVAL, metavar="S"
    )
    parser.add_argument(
        "--configure-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="bound on the configuration step of a Pending station",
    )
    parser.add_argument(
        "--password",
        action="append",
        default=[],
        metavar="IDENTITY=PASSWORD",
        help="require HTTP Basic auth (security profile 1/2) with these passwords",
    )
    parser.add_argument("--tls-cert", help="serve wss:// with this certificate (PEM)")
    parser.add_argument("--tls-key", help="its private key (PEM)")
    parser.add_argument("--client-ca", help="require client certificates (profile 3)")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stations = Stations(
        known=None if "*" in args.known else args.known,
        cards=args.card or KNOWN_CARDS,
        heartbeat_interval=args.heartbeat_interval,
        configure_timeout=args.configure_timeout,
    )
    passwords = dict(item.split("=", 1) for item in args.password)

    def factory(identity: str, connection: WebSocketConnection) -> ExampleCSMS:
        return ExampleCSMS(identity, connection, stations)

    async with serve(
        factory,
        args.host,
        args.port,
        path=args.path,
        password_for=passwords.get if passwords else None,
        ssl=tls_context(args.tls_cert, args.tls_key, args.client_ca),
    ) as server:
        print(f"[CSMS] listening on {server.url}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
