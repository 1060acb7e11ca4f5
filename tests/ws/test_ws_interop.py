"""Interoperability with an independent implementation: the PyPI package ``ocpp``.

Both directions run over real WebSockets on 127.0.0.1:

* its v201 charging station against our CSMS (``ocpp201.websocket.serve``);
* our charging station (``ChargingStationClient``) against its v201 CSMS.

They exchange BootNotification, Heartbeat, StatusNotification, Authorize, a
TransactionEvent Started/Updated/Ended with meter values, and the CSMS-initiated
GetVariables, RequestStartTransaction and Reset.  Both libraries validate every
payload they send and receive (ours strictly, ``ocpp`` with jsonschema), and every
frame on the wire is also checked against the official schemas by the test oracle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime, timezone
from typing import Any

import oracle
from ocpp.routing import on as their_on
from ocpp.v201 import ChargePoint as TheirChargePoint
from ocpp.v201 import call as their_call
from ocpp.v201 import call_result as their_result
from websockets.asyncio.server import serve as raw_serve
from websockets.exceptions import ConnectionClosed
from ws_helpers import CSMS, HOST, ChargePoint, Hooks, bounded, on, run

from ocpp201 import Action, datatypes, enums
from ocpp201 import messages as m
from ocpp201.websocket import ChargingStationClient, serve


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso_now() -> str:
    return now().isoformat()


# -- a wire tap checked against the official schemas


class Wire:
    """Every frame one of our endpoints sent or received, in order."""

    def __init__(self) -> None:
        self.frames: list[tuple[str, str]] = []  # (direction, frame)

    def hooks(self) -> Any:
        return Hooks(
            frame_sent=lambda endpoint, frame: self.frames.append(("out", frame)),
            frame_received=lambda endpoint, frame: self.frames.append(
                ("in", frame if isinstance(frame, str) else frame.decode())
            ),
        )

    def actions(self, direction: str) -> list[str]:
        return [
            msg[2]
            for d, frame in self.frames
            if d == direction and (msg := json.loads(frame))[0] == 2
        ]

    def check(self) -> None:
        """Every CALL and CALLRESULT is valid; there is no CALLERROR."""
        actions: dict[str, str] = {}
        problems: list[str] = []
        for direction, frame in self.frames:
            message = json.loads(frame)
            if message[0] == 2:
                _, message_id, action, payload = message
                actions[message_id] = action
                schema = f"{action}Request"
            elif message[0] == 3:
                _, message_id, payload = message
                schema = f"{actions[message_id]}Response"
            else:
                problems.append(f"{direction} CALLERROR: {frame}")
                continue
            errors = oracle.errors(schema, payload)
            if errors:
                problems.append(f"{direction} {schema}:\n{oracle.describe(errors)}")
        assert not problems, "\n".join(problems)


# -- what the charging station sends, as ``ocpp`` calls and as ours


def meter_value(energy_wh: float, context: str, power_w: float | None = None) -> Any:
    sampled = [
        {
            "value": energy_wh,
            "measurand": "Energy.Active.Import.Register",
            "context": context,
            "unitOfMeasure": {"unit": "Wh"},
        }
    ]
    if power_w is not None:
        sampled.append(
            {"value": power_w, "measurand": "Power.Active.Import", "context": context}
        )
    return {"timestamp": iso_now(), "sampledValue": sampled}


def our_meter_value(
    energy_wh: float,
    context: enums.ReadingContextEnumType,
    power_w: float | None = None,
) -> datatypes.MeterValueType:
    sampled = [
        datatypes.SampledValueType(
            value=energy_wh,
            measurand=enums.MeasurandEnumType.ENERGY_ACTIVE_IMPORT_REGISTER,
            context=context,
            unit_of_measure=datatypes.UnitOfMeasureType(unit="Wh"),
        )
    ]
    if power_w is not None:
        sampled.append(
            datatypes.SampledValueType(
                value=power_w,
                measurand=enums.MeasurandEnumType.POWER_ACTIVE_IMPORT,
                context=context,
            )
        )
    return datatypes.MeterValueType(timestamp=now(), sampled_value=sampled)


ID_TOKEN = {"idToken": "04A2C3D4E5F601", "type": "ISO14443"}


# ======================================================================================
# Their charging station -> our CSMS


class OurCSMS(CSMS):
    received: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received = []

    @on(Action.BOOT_NOTIFICATION)
    async def boot(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        self.received.append(request)
        return m.BootNotificationResponse(
            current_time=now(),
            interval=300,
            status=enums.RegistrationStatusEnumType.ACCEPTED,
        )

    @on(Action.HEARTBEAT)
    async def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        self.received.append(request)
        return m.HeartbeatResponse(current_time=now())

    @on(Action.STATUS_NOTIFICATION)
    async def status(
        self, request: m.StatusNotificationRequest
    ) -> m.StatusNotificationResponse:
        self.received.append(request)
        return m.StatusNotificationResponse()

    @on(Action.AUTHORIZE)
    async def authorize(self, request: m.AuthorizeRequest) -> m.AuthorizeResponse:
        self.received.append(request)
        return m.AuthorizeResponse(
            id_token_info=datatypes.IdTokenInfoType(
                status=enums.AuthorizationStatusEnumType.ACCEPTED
            )
        )

    @on(Action.TRANSACTION_EVENT)
    async def transaction_event(
        self, request: m.TransactionEventRequest
    ) -> m.TransactionEventResponse:
        self.received.append(request)
        if request.id_token is None:
            return m.TransactionEventResponse()
        return m.TransactionEventResponse(
            id_token_info=datatypes.IdTokenInfoType(
                status=enums.AuthorizationStatusEnumType.ACCEPTED
            )
        )


class TheirStation(TheirChargePoint):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handled: list[tuple[str, dict[str, Any]]] = []

    @their_on("GetVariables")  # type: ignore[misc]
    def on_get_variables(self, get_variable_data: list[Any], **kwargs: Any) -> Any:
        self.handled.append(("GetVariables", {"get_variable_data": get_variable_data}))
        results = []
        for item in get_variable_data:
            known = item["variable"]["name"] == "HeartbeatInterval"
            result: dict[str, Any] = {
                "attribute_status": "Accepted" if known else "UnknownVariable",
                "component": item["component"],
                "variable": item["variable"],
            }
            if known:
                result["attribute_value"] = "300"
            results.append(result)
        return their_result.GetVariables(get_variable_result=results)

    @their_on("RequestStartTransaction")  # type: ignore[misc]
    def on_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, **kwargs: Any
    ) -> Any:
        self.handled.append(
            (
                "RequestStartTransaction",
                {"id_token": id_token, "remote_start_id": remote_start_id, **kwargs},
            )
        )
        return their_result.RequestStartTransaction(
            status="Accepted", transaction_id="remote-tx-1"
        )

    @their_on("Reset")  # type: ignore[misc]
    def on_reset(self, type: str, **kwargs: Any) -> Any:
        self.handled.append(("Reset", {"type": type}))
        return their_result.Reset(status="Accepted")


async def their_station_script(cp: Any) -> None:
    boot = await cp.call(
        their_call.BootNotification(
            charging_station={"model": "Interop-1", "vendor_name": "mobilityhouse"},
            reason="PowerUp",
        ),
        suppress=False,
    )
    assert boot.status == "Accepted"
    assert boot.interval == 300
    datetime.fromisoformat(boot.current_time.replace("Z", "+00:00"))

    heartbeat = await cp.call(their_call.Heartbeat(), suppress=False)
    assert heartbeat.current_time

    await cp.call(
        their_call.StatusNotification(
            timestamp=iso_now(), connector_status="Available", evse_id=1, connector_id=1
        ),
        suppress=False,
    )
    authorized = await cp.call(
        their_call.Authorize(
            id_token={"id_token": "04A2C3D4E5F601", "type": "ISO14443"}
        ),
        suppress=False,
    )
    assert authorized.id_token_info["status"] == "Accepted"

    started = await cp.call(
        their_call.TransactionEvent(
            event_type="Started",
            timestamp=iso_now(),
            trigger_reason="Authorized",
            seq_no=0,
            transaction_info={"transaction_id": "tx-1", "charging_state": "Charging"},
            evse={"id": 1, "connector_id": 1},
            id_token={"id_token": "04A2C3D4E5F601", "type": "ISO14443"},
            meter_value=[meter_value(1000.0, "Transaction.Begin")],
        ),
        suppress=False,
    )
    assert started.id_token_info["status"] == "Accepted"
    await cp.call(
        their_call.TransactionEvent(
            event_type="Updated",
            timestamp=iso_now(),
            trigger_reason="MeterValuePeriodic",
            seq_no=1,
            transaction_info={"transaction_id": "tx-1", "charging_state": "Charging"},
            meter_value=[meter_value(1500.5, "Sample.Periodic", power_w=7200)],
        ),
        suppress=False,
    )
    await cp.call(
        their_call.TransactionEvent(
            event_type="Ended",
            timestamp=iso_now(),
            trigger_reason="StopAuthorized",
            seq_no=2,
            transaction_info={"transaction_id": "tx-1", "stopped_reason": "Local"},
            meter_value=[meter_value(2100, "Transaction.End")],
        ),
        suppress=False,
    )


def test_their_charging_station_against_our_csms() -> None:
    async def main() -> None:
        wire = Wire()
        hooks = wire.hooks()

        def factory(identity: str, connection: Any) -> OurCSMS:
            return OurCSMS(identity, connection, hooks=hooks)

        async with serve(factory, HOST, 0, path="/ocpp") as server:
            import websockets

            ws = await bounded(
                websockets.connect(
                    f"{server.url}/CS%20ocpp", subprotocols=["ocpp2.0.1"]
                )
            )
            assert ws.subprotocol == "ocpp2.0.1"
            station = TheirStation("CS ocpp", ws, response_timeout=5)
            receive = asyncio.ensure_future(station.start())
            try:
                await bounded(their_station_script(station), 15)
                csms = await bounded(server.wait_for_station("CS ocpp"))

                # CSMS-initiated: GetVariables, RequestStartTransaction, Reset.
                variables = await csms.call(
                    m.GetVariablesRequest(
                        get_variable_data=[
                            datatypes.GetVariableDataType(
                                component=datatypes.ComponentType(name="OCPPCommCtrlr"),
                                variable=datatypes.VariableType(
                                    name="HeartbeatInterval"
                                ),
                            ),
                            datatypes.GetVariableDataType(
                                component=datatypes.ComponentType(name="OCPPCommCtrlr"),
                                variable=datatypes.VariableType(name="NoSuchThing"),
                            ),
                        ]
                    )
                )
                first, second = variables.get_variable_result
                assert (
                    first.attribute_status == enums.GetVariableStatusEnumType.ACCEPTED
                )
                assert first.attribute_value == "300"
                assert second.attribute_status == (
                    enums.GetVariableStatusEnumType.UNKNOWN_VARIABLE
                )

                started = await csms.call(
                    m.RequestStartTransactionRequest(
                        id_token=datatypes.IdTokenType(
                            id_token="04A2C3D4E5F601",
                            type=enums.IdTokenEnumType.ISO14443,
                        ),
                        remote_start_id=42,
                        evse_id=1,
                    )
                )
                assert started.status == enums.RequestStartStopStatusEnumType.ACCEPTED
                assert started.transaction_id == "remote-tx-1"

                reset = await csms.call(
                    m.ResetRequest(type=enums.ResetEnumType.ON_IDLE)
                )
                assert reset.status == enums.ResetStatusEnumType.ACCEPTED
            finally:
                receive.cancel()
                await asyncio.gather(receive, return_exceptions=True)
                await ws.close()

            # What our CSMS received, as typed objects.
            kinds = [type(r).__name__ for r in csms.received]
            assert kinds == [
                "BootNotificationRequest",
                "HeartbeatRequest",
                "StatusNotificationRequest",
                "AuthorizeRequest",
                "TransactionEventRequest",
                "TransactionEventRequest",
                "TransactionEventRequest",
            ]
            boot, _, status, authorize, *events = csms.received
            assert boot.charging_station.vendor_name == "mobilityhouse"
            assert boot.reason == enums.BootReasonEnumType.POWER_UP
            assert status.connector_status == enums.ConnectorStatusEnumType.AVAILABLE
            assert authorize.id_token.type == enums.IdTokenEnumType.ISO14443
            assert [e.event_type.value for e in events] == [
                "Started",
                "Updated",
                "Ended",
            ]
            assert [e.seq_no for e in events] == [0, 1, 2]
            values = [[s.value for s in e.meter_value[0].sampled_value] for e in events]
            assert values == [[1000.0], [1500.5, 7200], [2100]]
            assert events[1].meter_value[0].sampled_value[1].measurand == (
                enums.MeasurandEnumType.POWER_ACTIVE_IMPORT
            )
            assert (
                events[2].transaction_info.stopped_reason == enums.ReasonEnumType.LOCAL
            )

            # What their station handled.
            assert [name for name, _ in station.handled] == [
                "GetVariables",
                "RequestStartTransaction",
                "Reset",
            ]
            assert station.handled[1][1] == {
                "id_token": {"id_token": "04A2C3D4E5F601", "type": "ISO14443"},
                "remote_start_id": 42,
                "evse_id": 1,
            }
            assert station.handled[2][1] == {"type": "OnIdle"}

        assert wire.actions("in") == [
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "Authorize",
            "TransactionEvent",
            "TransactionEvent",
            "TransactionEvent",
        ]
        assert wire.actions("out") == [
            "GetVariables",
            "RequestStartTransaction",
            "Reset",
        ]
        assert len(wire.frames) == 20
        wire.check()

    run(main(), timeout=30)


# ======================================================================================
# Our charging station -> their CSMS


class TheirCSMS(TheirChargePoint):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handled: list[tuple[str, dict[str, Any]]] = []

    @their_on("BootNotification")  # type: ignore[misc]
    def on_boot(self, charging_station: Any, reason: str, **kwargs: Any) -> Any:
        self.handled.append(("BootNotification", {"cs": charging_station, "r": reason}))
        return their_result.BootNotification(
            current_time=iso_now(), interval=300, status="Accepted"
        )

    @their_on("Heartbeat")  # type: ignore[misc]
    def on_heartbeat(self, **kwargs: Any) -> Any:
        self.handled.append(("Heartbeat", kwargs))
        return their_result.Heartbeat(current_time=iso_now())

    @their_on("StatusNotification")  # type: ignore[misc]
    def on_status(self, **kwargs: Any) -> Any:
        self.handled.append(("StatusNotification", kwargs))
        return their_result.StatusNotification()

    @their_on("Authorize")  # type: ignore[misc]
    def on_authorize(self, id_token: Any, **kwargs: Any) -> Any:
        self.handled.append(("Authorize", {"id_token": id_token}))
        return their_result.Authorize(id_token_info={"status": "Accepted"})

    @their_on("TransactionEvent")  # type: ignore[misc]
    def on_transaction_event(self, **kwargs: Any) -> Any:
        self.handled.append(("TransactionEvent", kwargs))
        if kwargs["event_type"] == "Started":
            return their_result.TransactionEvent(id_token_info={"status": "Accepted"})
        return their_result.TransactionEvent()


class OurStation(ChargePoint):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handled: list[Any] = []

    @on(Action.GET_VARIABLES)
    async def get_variables(
        self, request: m.GetVariablesRequest
    ) -> m.GetVariablesResponse:
        self.handled.append(request)
        results = []
        for item in request.get_variable_data:
            if item.variable.name == "HeartbeatInterval":
                results.append(
                    datatypes.GetVariableResultType(
                        attribute_status=enums.GetVariableStatusEnumType.ACCEPTED,
                        attribute_value="300",
                        component=item.component,
                        variable=item.variable,
                    )
                )
            else:
                results.append(
                    datatypes.GetVariableResultType(
                        attribute_status=enums.GetVariableStatusEnumType.UNKNOWN_COMPONENT,
                        component=item.component,
                        variable=item.variable,
                    )
                )
        return m.GetVariablesResponse(get_variable_result=results)

    @on(Action.REQUEST_START_TRANSACTION)
    async def request_start(
        self, request: m.RequestStartTransactionRequest
    ) -> m.RequestStartTransactionResponse:
        self.handled.append(request)
        return m.RequestStartTransactionResponse(
            status=enums.RequestStartStopStatusEnumType.ACCEPTED,
            transaction_id="our-remote-tx",
        )

    @on(Action.RESET)
    async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        self.handled.append(request)
        return m.ResetResponse(status=enums.ResetStatusEnumType.SCHEDULED)


async def our_station_script(cp: OurStation) -> None:
    id_token = datatypes.IdTokenType(
        id_token="04A2C3D4E5F601", type=enums.IdTokenEnumType.ISO14443
    )
    boot = await cp.call(
        m.BootNotificationRequest(
            charging_station=datatypes.ChargingStationType(
                model="ocpp201-station", vendor_name="ocpp201", firmware_version="1.0"
            ),
            reason=enums.BootReasonEnumType.POWER_UP,
        )
    )
    assert boot.status == enums.RegistrationStatusEnumType.ACCEPTED
    assert boot.current_time.tzinfo is not None
    await cp.call(m.HeartbeatRequest())
    await cp.call(
        m.StatusNotificationRequest(
            timestamp=now(),
            connector_status=enums.ConnectorStatusEnumType.OCCUPIED,
            evse_id=1,
            connector_id=1,
        )
    )
    authorized = await cp.call(m.AuthorizeRequest(id_token=id_token))
    assert authorized.id_token_info.status == enums.AuthorizationStatusEnumType.ACCEPTED
    context = enums.ReadingContextEnumType
    events = [
        (enums.TransactionEventEnumType.STARTED, enums.TriggerReasonEnumType.AUTHORIZED,
         our_meter_value(0, context.TRANSACTION_BEGIN)),
        (enums.TransactionEventEnumType.UPDATED,
         enums.TriggerReasonEnumType.METER_VALUE_PERIODIC,
         our_meter_value(250.25, context.SAMPLE_PERIODIC, power_w=11000)),
        (enums.TransactionEventEnumType.ENDED, enums.TriggerReasonEnumType.EV_DEPARTED,
         our_meter_value(480, context.TRANSACTION_END)),
    ]  # fmt: skip
    for seq_no, (event_type, trigger, value) in enumerate(events):
        ended = event_type == enums.TransactionEventEnumType.ENDED
        response = await cp.call(
            m.TransactionEventRequest(
                event_type=event_type,
                timestamp=now(),
                trigger_reason=trigger,
                seq_no=seq_no,
                transaction_info=datatypes.TransactionType(
                    transaction_id="our-tx-1",
                    charging_state=None
                    if ended
                    else enums.ChargingStateEnumType.CHARGING,
                    stopped_reason=enums.ReasonEnumType.EV_DISCONNECTED
                    if ended
                    else None,
                ),
                evse=datatypes.EVSEType(id=1, connector_id=1) if seq_no == 0 else None,
                id_token=id_token if seq_no == 0 else None,
                meter_value=[value],
            )
        )
        if seq_no == 0:
            assert response.id_token_info is not None
            assert response.id_token_info.status == (
                enums.AuthorizationStatusEnumType.ACCEPTED
            )


def test_our_charging_station_against_their_csms() -> None:
    async def main() -> None:
        csms_ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def handler(ws: Any) -> None:
            assert ws.subprotocol == "ocpp2.0.1"
            identity = ws.request.path.rsplit("/", 1)[-1]
            csms = TheirCSMS(identity, ws, response_timeout=5)
            if not csms_ready.done():
                csms_ready.set_result(csms)
            with contextlib.suppress(ConnectionClosed):
                await csms.start()

        script_done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def session(cp: OurStation) -> None:
            try:
                await our_station_script(cp)
            except BaseException as exc:
                script_done.set_exception(exc)
                raise
            script_done.set_result(None)

        wire = Wire()
        hooks = wire.hooks()

        def factory(identity: str, connection: Any) -> OurStation:
            return OurStation(identity, connection, hooks=hooks)

        async with raw_serve(handler, HOST, 0, subprotocols=["ocpp2.0.1"]) as server:  # type: ignore[list-item]
            port = server.sockets[0].getsockname()[1]
            client = ChargingStationClient(
                f"ws://{HOST}:{port}/steve/ocpp", "CS-ours", factory, session=session
            )
            async with client:
                station = await bounded(client.wait_connected())
                await bounded(script_done, 15)
                csms = await bounded(csms_ready)
                assert csms.id == "CS-ours"

                variables = await bounded(
                    csms.call(
                        their_call.GetVariables(
                            get_variable_data=[
                                {
                                    "component": {"name": "OCPPCommCtrlr"},
                                    "variable": {"name": "HeartbeatInterval"},
                                },
                                {
                                    "component": {"name": "Nope"},
                                    "variable": {"name": "Nothing"},
                                },
                            ]
                        ),
                        suppress=False,
                    )
                )
                first, second = variables.get_variable_result
                assert first["attribute_status"] == "Accepted"
                assert first["attribute_value"] == "300"
                assert second["attribute_status"] == "UnknownComponent"

                started = await bounded(
                    csms.call(
                        their_call.RequestStartTransaction(
                            id_token={"id_token": "04A2C3D4E5F601", "type": "ISO14443"},
                            remote_start_id=7,
                            evse_id=1,
                        ),
                        suppress=False,
                    )
                )
                assert started.status == "Accepted"
                assert started.transaction_id == "our-remote-tx"

                reset = await bounded(
                    csms.call(their_call.Reset(type="Immediate"), suppress=False)
                )
                assert reset.status == "Scheduled"

                # Our station received typed objects.
                get_vars, start, reset_request = station.handled
                assert get_vars.get_variable_data[1].component.name == "Nope"
                assert start.remote_start_id == 7
                assert start.id_token.type == enums.IdTokenEnumType.ISO14443
                assert reset_request.type == enums.ResetEnumType.IMMEDIATE

        # What their CSMS handled (as dicts, its style).
        names = [name for name, _ in csms.handled]
        assert names == [
            "BootNotification",
            "Heartbeat",
            "StatusNotification",
            "Authorize",
            "TransactionEvent",
            "TransactionEvent",
            "TransactionEvent",
        ]
        boot = csms.handled[0][1]
        assert boot["cs"]["vendor_name"] == "ocpp201"
        events = [kwargs for name, kwargs in csms.handled if name == "TransactionEvent"]
        assert [e["event_type"] for e in events] == ["Started", "Updated", "Ended"]
        assert [
            [s["value"] for s in e["meter_value"][0]["sampled_value"]] for e in events
        ] == [[0], [250.25, 11000], [480]]
        assert events[2]["transaction_info"]["stopped_reason"] == "EVDisconnected"

        assert wire.actions("out") == names
        assert wire.actions("in") == [
            "GetVariables",
            "RequestStartTransaction",
            "Reset",
        ]
        wire.check()

    run(main(), timeout=30)
