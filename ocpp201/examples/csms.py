"""An OCPP 2.0.1 CSMS over WebSocket, covering the basic implementation (Part 0).

Run it, then start a charging station against it::

    python -m ocpp201.examples.csms --port 9000
    python -m ocpp201.examples.charging_station ws://127.0.0.1:9000/ocpp CS001

What it does with a station:

* BootNotification: an unknown station is **Rejected**; a known station is first
  answered **Pending** while the CSMS reads its device model (GetBaseReport ->
  NotifyReport), reads and sets variables (GetVariables, SetVariables); its next
  BootNotification is **Accepted**.
* It answers Heartbeat, StatusNotification, NotifyEvent, Authorize (one known card)
  and TransactionEvent (it prints the energy of each transaction from the meter
  values).  A DataTransfer gets the endpoint's default answer, UnknownVendorId (no
  vendor extensions here).
* When a transaction has ended, the "operator" makes the station Inoperative and
  Operative again (ChangeAvailability), sends it a DataTransfer, and resets it
  (Reset OnIdle).

Needs ``pip install 'ocpp201[websockets]'``.  This program is also installed as
``ocpp201.examples.csms``; ``python -m ocpp201 demo`` runs it with the example
charging station.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timezone

from ocpp201 import CSMS, Action, after, enums, on
from ocpp201 import datatypes as dt
from ocpp201 import messages as m
from ocpp201.websocket import WebSocketConnection, serve

KNOWN_CARDS = {"04A2C3D4E5F601"}
HEARTBEAT_INTERVAL = 300  # seconds


def now() -> datetime:
    return datetime.now(timezone.utc)


def show(line: str) -> None:
    print(line, flush=True)


class Stations:
    """What this CSMS knows about charging stations (shared by all connections)."""

    def __init__(self, known: set[str], output: Callable[[str], object] = show) -> None:
        self.known = known
        self.output = output  # where log lines go
        self.configured: set[str] = set()
        self.energy_wh: dict[str, float] = {}


class ExampleCSMS(CSMS):
    """The CSMS side of the connection to one charging station."""

    def __init__(
        self, identity: str, connection: WebSocketConnection, stations: Stations
    ) -> None:
        super().__init__(identity, connection)
        self.stations = stations
        self.report: list[dt.ReportDataType] = []
        self.report_complete = asyncio.Event()
        self.operator: asyncio.Task[None] | None = None

    def log(self, text: str) -> None:
        self.stations.output(f"[CSMS] {self.identity}: {text}")

    # ---------------------------------------------------------------- booting (B01-B04)

    @on(Action.BOOT_NOTIFICATION)
    def on_boot_notification(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        if self.identity not in self.stations.known:
            status, interval = enums.RegistrationStatusEnumType.REJECTED, 60
        elif self.identity not in self.stations.configured:
            status, interval = enums.RegistrationStatusEnumType.PENDING, 1
        else:
            status = enums.RegistrationStatusEnumType.ACCEPTED
            interval = HEARTBEAT_INTERVAL
        station = request.charging_station
        self.log(
            f"BootNotification from {station.vendor_name} {station.model} "
            f"({request.reason.value}) -> {status.value}"
        )
        return m.BootNotificationResponse(
            current_time=now(), interval=interval, status=status
        )

    @after(Action.BOOT_NOTIFICATION)
    async def configure(
        self, request: m.BootNotificationRequest, response: m.BootNotificationResponse
    ) -> None:
        """While the station is Pending: read its device model, then configure it."""
        if response.status != enums.RegistrationStatusEnumType.PENDING:
            return
        report = await self.call(
            m.GetBaseReportRequest(
                request_id=1, report_base=enums.ReportBaseEnumType.FULL_INVENTORY
            )
        )
        if report.status == enums.GenericDeviceModelStatusEnumType.ACCEPTED:
            await asyncio.wait_for(self.report_complete.wait(), 30)
            self.log(f"its device model has {len(self.report)} variables")

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
        changed = await self.call(
            m.SetVariablesRequest(
                set_variable_data=[
                    dt.SetVariableDataType(
                        attribute_value=str(HEARTBEAT_INTERVAL),
                        component=comm,
                        variable=dt.VariableType(name="HeartbeatInterval"),
                    )
                ]
            )
        )
        status = changed.set_variable_result[0].attribute_status
        self.log(f"set HeartbeatInterval to {HEARTBEAT_INTERVAL}: {status.value}")
        self.stations.configured.add(self.identity)

    @on(Action.NOTIFY_REPORT)
    def on_notify_report(
        self, request: m.NotifyReportRequest
    ) -> m.NotifyReportResponse:
        self.report.extend(request.report_data or [])
        if not request.tbc:
            self.report_complete.set()
        return m.NotifyReportResponse()

    # ---------------------------------------------------------------- station reports

    @on(Action.HEARTBEAT)
    def on_heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        self.log("Heartbeat")
        return m.HeartbeatResponse(current_time=now())

    @on(Action.STATUS_NOTIFICATION)
    def on_status_notification(
        self, request: m.StatusNotificationRequest
    ) -> m.StatusNotificationResponse:
        self.log(
            f"EVSE {request.evse_id} connector {request.connector_id} is "
            f"{request.connector_status.value}"
        )
        return m.StatusNotificationResponse()

    @on(Action.NOTIFY_EVENT)
    def on_notify_event(self, request: m.NotifyEventRequest) -> m.NotifyEventResponse:
        for event in request.event_data:
            self.log(
                f"event: {event.component.name}.{event.variable.name} = "
                f"{event.actual_value} ({event.trigger.value})"
            )
        return m.NotifyEventResponse()

    # ------------------------------------------- authorization, transactions (C, E, J)

    def token_info(self, token: dt.IdTokenType) -> dt.IdTokenInfoType:
        if token.id_token in KNOWN_CARDS:
            return dt.IdTokenInfoType(status=enums.AuthorizationStatusEnumType.ACCEPTED)
        return dt.IdTokenInfoType(status=enums.AuthorizationStatusEnumType.UNKNOWN)

    @on(Action.AUTHORIZE)
    def on_authorize(self, request: m.AuthorizeRequest) -> m.AuthorizeResponse:
        info = self.token_info(request.id_token)
        self.log(f"Authorize {request.id_token.id_token} -> {info.status.value}")
        return m.AuthorizeResponse(id_token_info=info)

    @on(Action.TRANSACTION_EVENT)
    def on_transaction_event(
        self, request: m.TransactionEventRequest
    ) -> m.TransactionEventResponse:
        tx = request.transaction_info.transaction_id
        for meter_value in request.meter_value or []:
            for sample in meter_value.sampled_value:
                if sample.measurand in (
                    None,  # the default measurand
                    enums.MeasurandEnumType.ENERGY_ACTIVE_IMPORT_REGISTER,
                ):
                    self.stations.energy_wh[tx] = sample.value
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

    @after(Action.TRANSACTION_EVENT)
    def after_transaction_event(self, request: m.TransactionEventRequest) -> None:
        if request.event_type == enums.TransactionEventEnumType.ENDED:
            self.operator = asyncio.ensure_future(self.operate())

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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0: any free port")
    parser.add_argument(
        "--known",
        nargs="*",
        default=["CS001", "CS002"],
        help="identities of the stations this CSMS knows (others are Rejected)",
    )
    parser.add_argument(
        "--password",
        action="append",
        default=[],
        metavar="IDENTITY=PASSWORD",
        help="require HTTP Basic auth (security profile 1/2) with these passwords",
    )
    args = parser.parse_args()
    stations = Stations(known=set(args.known))
    passwords = dict(item.split("=", 1) for item in args.password)

    def factory(identity: str, connection: WebSocketConnection) -> ExampleCSMS:
        return ExampleCSMS(identity, connection, stations)

    async with serve(
        factory,
        args.host,
        args.port,
        path="/ocpp",
        password_for=passwords.get if passwords else None,
    ) as server:
        print(f"[CSMS] listening on {server.url}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
