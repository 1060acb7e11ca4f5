"""``python -m ocpp201 demo``: the example CSMS and charging station, talking.

It runs the two example programs of ``examples/`` (installed as
``ocpp201.examples``) in one process, over a real WebSocket on 127.0.0.1, and prints
every frame the stations send and receive, between the log lines of the programs.
Together they cover the basic implementation of OCPP 2.0.1 (Part 0, table 4):

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

This module only runs and prints: the handlers and the scenario are the examples'.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._endpoint import Hooks, RpcEndpoint
from .websocket import WebSocketConnection, serve

if TYPE_CHECKING:
    # The same files: setuptools installs the checkout's examples/ directory as
    # ocpp201.examples (package-dir in pyproject.toml), which mypy cannot follow.
    from examples import charging_station, csms
else:
    from .examples import charging_station, csms

__all__ = ["Trace", "run_demo", "summarize"]

Write = Callable[[str], object]


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
# Running it


async def run_demo(write: Write = print, *, full: bool = False) -> None:
    """Run the whole scenario (a few seconds) and print the exchange."""
    trace = Trace(write, full=full)
    stations = csms.Stations(known={"CS001"}, output=write)

    def factory(identity: str, connection: WebSocketConnection) -> csms.ExampleCSMS:
        return csms.ExampleCSMS(identity, connection, stations)

    async with serve(factory, "127.0.0.1", 0, path="/ocpp") as server:
        write(f"ocpp201 demo: the example CSMS is listening on {server.url}")
        write("Indented: the frames on the wire.  [CSMS] ..., [CS001] ...: what the")
        write("example programs (examples/csms.py, charging_station.py) print.")
        write("")
        write("== CS999 connects; the CSMS does not know it")
        rejected = charging_station.Station("CS999", output=write)
        await _run_station(server.url, rejected, trace)

        write("")
        write("== CS001 connects (power up)")
        station = charging_station.Station("CS001", output=write)
        await _run_station(server.url, station, trace)

    write("")
    write(
        f"Done: CS001 booted {station.boots} times "
        f"(last reason {station.boot_reason.value}, {_status(station)}); "
        f"CS999 was {_status(rejected)}."
    )


async def _run_station(
    url: str, station: charging_station.Station, trace: Trace
) -> None:
    run = charging_station.run(url, station, once=True, hooks=trace.hooks())
    await asyncio.wait_for(run, 30)


def _status(station: charging_station.Station) -> str:
    return station.registration.value if station.registration else "not registered"


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
