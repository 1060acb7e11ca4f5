"""The example CSMS, ``ocpp201 serve`` and ``ocpp201 simulate`` with independent peers.

* 20 charging stations built on the PyPI ``ocpp`` package, each booting, running a
  transaction with MeterValues and being reset, against the example CSMS and
  against ``ocpp201 serve`` (a subprocess): 0 CALLERRORs either way;
* ``simulate`` against the example CSMS and against a CSMS built on ``ocpp``: 0
  errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import websockets
from ocpp.routing import after as their_after
from ocpp.routing import on as their_on
from ocpp.v201 import ChargePoint as TheirChargePoint
from ocpp.v201 import call as their_call
from ocpp.v201 import call_result as their_result
from websockets.asyncio.server import serve as raw_serve
from ws_helpers import HOST, Recorder, bounded, run

import ocpp201
from ocpp201.examples import csms as example_csms
from ocpp201.tools.simulator import SimulationConfig, simulate
from ocpp201.websocket import WebSocketConnection, serve

STATIONS = 20
ROOT = Path(__file__).resolve().parents[2]
PACKAGE_ENV = {
    **os.environ,
    "PYTHONPATH": str(Path(ocpp201.__file__).resolve().parents[1]),
    "PYTHONUNBUFFERED": "1",
}


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Tap:
    """The station's WebSocket, counting CALLERRORs in both directions."""

    def __init__(self, ws: Any, callerrors: list[str]) -> None:
        self.ws = ws
        self.callerrors = callerrors

    async def send(self, frame: str) -> None:
        if frame.startswith("[4"):
            self.callerrors.append("sent " + frame)
        await self.ws.send(frame)

    async def recv(self) -> Any:
        frame = await self.ws.recv()
        if isinstance(frame, str) and frame.startswith("[4"):
            self.callerrors.append("received " + frame)
        return frame


class FieldStation(TheirChargePoint):  # type: ignore[misc]
    """A station on the ``ocpp`` package, answering what a CSMS may ask."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_transaction = False
        self.reset_requested = asyncio.Event()
        self.reset_scheduled = False
        self.handled: list[str] = []

    @their_on("GetBaseReport")  # type: ignore[misc]
    def on_get_base_report(self, request_id: int, report_base: str) -> Any:
        self.handled.append("GetBaseReport")
        return their_result.GetBaseReport(status="Accepted")

    @their_after("GetBaseReport")  # type: ignore[misc]
    async def send_report(self, request_id: int, report_base: str) -> None:
        await self.call(
            their_call.NotifyReport(
                request_id=request_id,
                generated_at=iso_now(),
                seq_no=0,
                report_data=[
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "variable_attribute": [{"value": "300"}],
                    }
                ],
            ),
            suppress=False,
        )

    @their_on("GetVariables")  # type: ignore[misc]
    def on_get_variables(self, get_variable_data: list[Any], **kwargs: Any) -> Any:
        self.handled.append("GetVariables")
        results = [
            {
                "attribute_status": "Accepted",
                "attribute_value": "300",
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in get_variable_data
        ]
        return their_result.GetVariables(get_variable_result=results)

    @their_on("SetVariables")  # type: ignore[misc]
    def on_set_variables(self, set_variable_data: list[Any], **kwargs: Any) -> Any:
        self.handled.append("SetVariables")
        results = [
            {
                "attribute_status": "Accepted",
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in set_variable_data
        ]
        return their_result.SetVariables(set_variable_result=results)

    @their_on("ChangeAvailability")  # type: ignore[misc]
    def on_change_availability(self, operational_status: str, **kwargs: Any) -> Any:
        self.handled.append("ChangeAvailability")
        busy = self.in_transaction and operational_status == "Inoperative"
        return their_result.ChangeAvailability(
            status="Scheduled" if busy else "Accepted"
        )

    @their_on("DataTransfer")  # type: ignore[misc]
    def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> Any:
        self.handled.append("DataTransfer")
        return their_result.DataTransfer(status="UnknownVendorId")

    @their_on("Reset")  # type: ignore[misc]
    def on_reset(self, type: str, **kwargs: Any) -> Any:
        self.handled.append("Reset")
        if self.in_transaction and type == "OnIdle":
            self.reset_scheduled = True
            return their_result.Reset(status="Scheduled")
        self.reset_requested.set()
        return their_result.Reset(status="Accepted")


async def connect_station(
    url: str, identity: str, callerrors: list[str]
) -> tuple[Any, FieldStation, asyncio.Task[None]]:
    ws = await bounded(
        websockets.connect(f"{url}/{identity}", subprotocols=["ocpp2.0.1"])
    )
    station = FieldStation(identity, Tap(ws, callerrors), response_timeout=15)
    receiving = asyncio.ensure_future(station.start())
    return ws, station, receiving


async def boot(station: FieldStation, reason: str) -> None:
    for _ in range(30):
        response = await station.call(
            their_call.BootNotification(
                charging_station={"model": "Field-1", "vendor_name": "mobilityhouse"},
                reason=reason,
            ),
            suppress=False,
        )
        if response.status == "Accepted":
            return
        await asyncio.sleep(response.interval or 1)
    raise AssertionError(f"{station.id} was not accepted")


def meter(wh: float) -> list[dict[str, Any]]:
    return [{"timestamp": iso_now(), "sampled_value": [{"value": wh}]}]


async def transaction(station: FieldStation) -> None:
    token = {"id_token": "04A2C3D4E5F601", "type": "ISO14443"}
    authorized = await station.call(
        their_call.Authorize(id_token=token), suppress=False
    )
    assert authorized.id_token_info["status"] == "Accepted"
    tx = f"TX-{station.id}"
    station.in_transaction = True
    events = [
        ("Started", "Authorized", {"charging_state": "Charging"}, 0.0),
        ("Updated", "MeterValuePeriodic", {"charging_state": "Charging"}, 1200.0),
        ("Ended", "StopAuthorized", {"stopped_reason": "Local"}, 2400.0),
    ]
    for seq_no, (event, trigger, info, wh) in enumerate(events):
        extra: dict[str, Any] = {}
        if event == "Started":
            extra = {"evse": {"id": 1, "connector_id": 1}, "id_token": token}
        if event == "Ended":
            await station.call(
                their_call.MeterValues(evse_id=1, meter_value=meter(wh)),
                suppress=False,
            )
            station.in_transaction = False
        await station.call(
            their_call.TransactionEvent(
                event_type=event,
                timestamp=iso_now(),
                trigger_reason=trigger,
                seq_no=seq_no,
                transaction_info={"transaction_id": tx, **info},
                meter_value=meter(wh),
                **extra,
            ),
            suppress=False,
        )
    if station.reset_scheduled:
        station.reset_requested.set()


async def close(ws: Any, receiving: asyncio.Task[None]) -> None:
    receiving.cancel()
    await asyncio.gather(receiving, return_exceptions=True)
    await ws.close()


async def station_life(
    url: str, identity: str, callerrors: list[str], *, second_reset: bool
) -> list[str]:
    """Boot, charge with meter values, get reset, reboot; what the station handled."""
    ws, station, receiving = await connect_station(url, identity, callerrors)
    try:
        await boot(station, "PowerUp")
        await station.call(
            their_call.StatusNotification(
                timestamp=iso_now(),
                connector_status="Available",
                evse_id=1,
                connector_id=1,
            ),
            suppress=False,
        )
        await transaction(station)
        await bounded(station.reset_requested.wait(), 20)
        handled = list(station.handled)
    finally:
        await close(ws, receiving)
    ws, station, receiving = await connect_station(url, identity, callerrors)
    try:
        await boot(station, "RemoteReset")
        if second_reset:  # serve sends its script after every Accepted boot
            await bounded(station.reset_requested.wait(), 20)
    finally:
        await close(ws, receiving)
    return handled


def test_ocpp_stations_against_the_example_csms() -> None:
    async def main() -> None:
        lines: list[str] = []
        stations = example_csms.Stations(known=None, output=lines.append)

        def factory(
            identity: str, connection: WebSocketConnection
        ) -> example_csms.ExampleCSMS:
            return example_csms.ExampleCSMS(identity, connection, stations)

        callerrors: list[str] = []
        async with serve(factory, HOST, 0, path="/ocpp") as server:
            handled = await asyncio.gather(
                *(
                    station_life(
                        server.url, f"FIELD{n:02d}", callerrors, second_reset=False
                    )
                    for n in range(STATIONS)
                )
            )
        assert callerrors == []
        for actions in handled:
            assert actions[:3] == ["GetBaseReport", "GetVariables", "SetVariables"]
            assert actions[-1] == "Reset"
            assert "DataTransfer" in actions
        assert sum("meter values of EVSE 1" in line for line in lines) == STATIONS
        assert sum("(RemoteReset) -> Accepted" in line for line in lines) == STATIONS

    run(main(), timeout=90)


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "no output in time"
    return process.stdout.readline()


def test_ocpp_stations_against_serve(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([["Reset", {"type": "OnIdle"}, 0.3]]))
    trace = tmp_path / "trace.jsonl"
    serve_process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocpp201",
            "serve",
            "--port",
            "0",
            "--quiet",
            "--script",
            str(script),
            "--trace",
            str(trace),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=PACKAGE_ENV,
        cwd=tmp_path,
    )
    try:
        first = read_line(serve_process, 30)
        assert first.startswith("ocpp201 serve: listening on ws://127.0.0.1:"), first
        url = first.split()[-1].removesuffix("/<identity>")
        callerrors: list[str] = []

        async def main() -> list[list[str]]:
            return await asyncio.gather(
                *(
                    station_life(url, f"FIELD{n:02d}", callerrors, second_reset=True)
                    for n in range(STATIONS)
                )
            )

        handled = run(main(), timeout=90)
        assert callerrors == []
        assert all(actions == ["Reset"] for actions in handled), handled
    finally:
        serve_process.send_signal(signal.SIGINT)
        try:
            output, _ = serve_process.communicate(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            serve_process.kill()
            output, _ = serve_process.communicate(timeout=10)
    assert serve_process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "refused" not in output, output
    received = json.loads(
        output.split("ocpp201 serve: received ", 1)[1].splitlines()[0]
    )
    assert received["BootNotification"] == 2 * STATIONS
    assert received["MeterValues"] == STATIONS
    assert received["TransactionEvent"] == 3 * STATIONS
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert {r["direction"] for r in records} == {"in", "out"}
    assert all(set(r) >= {"time", "identity", "direction", "frame"} for r in records)
    frames = [json.loads(r["frame"]) for r in records]
    assert not [f for f in frames if f[0] == 4]
    assert sum(1 for f in frames if f[0] == 2 and f[2] == "Reset") == 2 * STATIONS
    # ocpp201 validate reads the trace: every frame valid
    checked = subprocess.run(
        [sys.executable, "-m", "ocpp201", "validate", str(trace)],
        capture_output=True,
        text=True,
        timeout=120,
        env=PACKAGE_ENV,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr
    assert f"{len(records)} valid, 0 invalid" in checked.stdout


FAST = SimulationConfig(
    heartbeat_interval=1.0,
    meter_interval=0.3,
    transaction_duration=1.0,
    idle=0.5,
    card=next(iter(example_csms.KNOWN_CARDS)),
)


def test_simulate_against_the_example_csms() -> None:
    async def main() -> None:
        lines: list[str] = []
        stations = example_csms.Stations(known=None, output=lines.append)

        def factory(
            identity: str, connection: WebSocketConnection
        ) -> example_csms.ExampleCSMS:
            return example_csms.ExampleCSMS(identity, connection, stations)

        async with serve(factory, HOST, 0, path="/ocpp") as server:
            stats = await simulate(server.url, 5, 8.0, config=FAST, ramp=0.2)
        summary = stats.summary()
        assert summary["errors"] == 0, summary
        assert summary["callerrors_sent"] == 0, summary
        assert summary["boots"]["Pending"] >= 5, summary
        assert summary["boots"]["Accepted"] >= 5, summary
        assert summary["transactions"] >= 5, summary
        assert summary["sent"]["MeterValues"] >= 5, summary
        assert summary["answered"]["Reset"] >= 1, summary
        # one configuration step per station, however often it booted while Pending
        assert summary["answered"]["GetBaseReport"] == 5, summary
        assert summary["latency_ms"]["p50"] > 0, summary

    run(main(), timeout=60)


class TheirCSMS(TheirChargePoint):  # type: ignore[misc]
    """A CSMS built on the ``ocpp`` package."""

    @their_on("BootNotification")  # type: ignore[misc]
    def on_boot(self, charging_station: Any, reason: str, **kwargs: Any) -> Any:
        return their_result.BootNotification(
            current_time=iso_now(), interval=60, status="Accepted"
        )

    @their_on("Heartbeat")  # type: ignore[misc]
    def on_heartbeat(self, **kwargs: Any) -> Any:
        return their_result.Heartbeat(current_time=iso_now())

    @their_on("StatusNotification")  # type: ignore[misc]
    def on_status(self, **kwargs: Any) -> Any:
        return their_result.StatusNotification()

    @their_on("Authorize")  # type: ignore[misc]
    def on_authorize(self, id_token: Any, **kwargs: Any) -> Any:
        return their_result.Authorize(id_token_info={"status": "Accepted"})

    @their_on("TransactionEvent")  # type: ignore[misc]
    def on_transaction_event(self, **kwargs: Any) -> Any:
        if "id_token" in kwargs:
            return their_result.TransactionEvent(id_token_info={"status": "Accepted"})
        return their_result.TransactionEvent()

    @their_on("MeterValues")  # type: ignore[misc]
    def on_meter_values(self, **kwargs: Any) -> Any:
        return their_result.MeterValues()


def test_simulate_against_a_csms_on_the_ocpp_package() -> None:
    async def handler(ws: Any) -> None:
        identity = ws.request.path.rsplit("/", 1)[-1]
        csms = TheirCSMS(identity, ws, response_timeout=10)
        with contextlib.suppress(websockets.exceptions.ConnectionClosed):
            await csms.start()

    async def main() -> None:
        async with raw_serve(
            handler, HOST, 0, subprotocols=[websockets.Subprotocol("ocpp2.0.1")]
        ) as server:
            port = server.sockets[0].getsockname()[1]
            stats = await simulate(f"ws://{HOST}:{port}/ocpp", 5, 5.0, config=FAST)
        summary = stats.summary()
        assert summary["errors"] == 0, summary
        assert summary["boots"] == {"Accepted": 5}, summary
        assert summary["transactions"] >= 5, summary
        assert summary["sent"]["MeterValues"] >= 5, summary
        assert summary["sent"]["Heartbeat"] >= 5, summary

    run(main(), timeout=60)


def test_simulate_command_against_serve_command(tmp_path: Path) -> None:
    serve_process = subprocess.Popen(
        [sys.executable, "-m", "ocpp201", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=PACKAGE_ENV,
        cwd=tmp_path,
    )
    try:
        url = read_line(serve_process, 30).split()[-1].removesuffix("/<identity>")
        root_url = url.removesuffix("/ocpp")  # stations configured without a path
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ocpp201",
                "simulate",
                root_url,
                "--stations",
                "3",
                "--duration",
                "4",
                "--heartbeat",
                "1",
                "--meter-interval",
                "0.3",
                "--transaction",
                "1",
                "--idle",
                "0.5",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=PACKAGE_ENV,
            cwd=tmp_path,
            check=False,
        )
    finally:
        serve_process.send_signal(signal.SIGTERM)
        output, _ = serve_process.communicate(timeout=20)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["errors"] == 0
    assert summary["boots"] == {"Accepted": 3}
    assert summary["transactions"] >= 3
    assert set(summary["latency_ms"]) == {"p50", "p90", "p99", "max"}
    assert serve_process.returncode == 0, output
    assert '"MeterValues"' in output


def test_simulate_says_why_stations_never_connected() -> None:
    async def main() -> None:
        passwords = {"SIM00001": "right-password", "SIM00002": "right-password"}
        async with serve(Recorder(), HOST, 0, password_for=passwords.get) as server:
            stats = await simulate(
                server.url, 2, 1.0, config=FAST, password="wrong-password"
            )
        summary = stats.summary()
        assert summary["connections"] == 0
        assert summary["error_kinds"] == {"never connected: HTTP 401": 2}

    run(main(), timeout=30)
