"""``ocpp201 demo``: the example CSMS and two example stations over a real WebSocket.

It runs the two example programs of :mod:`ocpp201.examples` in one process, over a
real WebSocket on 127.0.0.1, and prints every frame the stations send and receive,
between the log lines of the programs.  Together they cover the basic
implementation of OCPP 2.0.1 (Part 0, table 4):

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

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..examples.charging_station import Station

from . import missing_websockets

__all__ = ["add_parser", "run", "run_demo"]

Write = Callable[[str], object]


def add_parser(subparsers: Any) -> None:
    """Register ``demo`` with the command line's sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run the example CSMS and two example charging stations",
        description=(
            "Run the example CSMS and two example charging stations over a WebSocket"
            " on 127.0.0.1 and print the OCPP 2.0.1 exchange (a few seconds)."
        ),
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="print every payload as sent instead of a summary",
    )
    parser.set_defaults(func=run)


async def run_demo(write: Write = print, *, full: bool = False) -> None:
    """Run the whole scenario (a few seconds) and print the exchange."""
    from ..examples import charging_station, csms  # noqa: PLC0415 - optional extra
    from ..trace import Trace  # noqa: PLC0415
    from ..websocket import WebSocketConnection, serve  # noqa: PLC0415

    trace = Trace(write, full=full)
    stations = csms.Stations(known={"CS001"}, output=write)

    def factory(identity: str, connection: WebSocketConnection) -> csms.ExampleCSMS:
        return csms.ExampleCSMS(identity, connection, stations)

    async with serve(factory, "127.0.0.1", 0, path="/ocpp") as server:
        write(f"ocpp201 demo: the example CSMS is listening on {server.url}")
        write("Indented: the frames on the wire.  [CSMS] ..., [CS001] ...: what the")
        write("example programs (ocpp201/examples/csms.py, charging_station.py) print.")
        write("")
        write("== CS999 connects; the CSMS does not know it")
        rejected = charging_station.Station("CS999", output=write)
        run = charging_station.run(server.url, rejected, once=True, hooks=trace.hooks())
        await asyncio.wait_for(run, 30)

        write("")
        write("== CS001 connects (power up)")
        station = charging_station.Station("CS001", output=write)
        run = charging_station.run(server.url, station, once=True, hooks=trace.hooks())
        await asyncio.wait_for(run, 30)

    write("")
    write(
        f"Done: CS001 booted {station.boots} times "
        f"(last reason {station.boot_reason.value}, {_status(station)}); "
        f"CS999 was {_status(rejected)}."
    )


def _status(station: Station) -> str:
    return station.registration.value if station.registration else "not registered"


def _print(line: str) -> None:
    """print() that stops quietly when stdout is closed (``demo | head``)."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def run(args: argparse.Namespace) -> int:
    """Run the demo; 2 when the ``websockets`` extra is missing."""
    if missing_websockets("the demo"):
        return 2
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(asyncio.wait_for(run_demo(_print, full=args.full), 60))
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    return 0
