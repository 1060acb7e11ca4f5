"""RPC benchmark: a CALL and its answer, ocpp201 against the ``ocpp`` package.

Run from the repository root (``pip install -e ".[test]"`` first)::

    python bench/bench_rpc.py

Both libraries run a charging station and a CSMS in one process, connected by the
same in-memory connection pair (``ocpp201.memory_pair``), with their default
validation.  For Heartbeat, BootNotification and a realistic TransactionEvent it
reports the median time of ``await station.call(request)`` (encode, send, route to
the CSMS's handler, answer, match the response, decode) and the ratio.  The
``ocpp`` package's round trip is measured on the same payloads, built as it expects
them (snake_case keyword arguments, nested dicts).  Nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from bench_codec import transaction_event

import ocpp201
from ocpp201 import Action, from_payload, memory_pair, on
from ocpp201.enums import RegistrationStatusEnumType, TransactionEventEnumType
from ocpp201.messages import (
    BootNotificationRequest,
    BootNotificationResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    TransactionEventRequest,
    TransactionEventResponse,
)

BOOT = {
    "reason": "PowerUp",
    "chargingStation": {
        "model": "SingleSocketCharger",
        "vendorName": "VendorX",
        "serialNumber": "SN-0001",
        "firmwareVersion": "1.2.3",
        "modem": {"iccid": "89310410106543789301", "imsi": "310150123456789"},
    },
}
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


class BenchCSMS(ocpp201.CSMS):
    @on(Action.HEARTBEAT)
    def heartbeat(self, request: HeartbeatRequest) -> HeartbeatResponse:
        return HeartbeatResponse(current_time=NOW)

    @on(Action.BOOT_NOTIFICATION)
    def boot(self, request: BootNotificationRequest) -> BootNotificationResponse:
        return BootNotificationResponse(
            current_time=NOW, interval=300, status=RegistrationStatusEnumType.ACCEPTED
        )

    @on(Action.TRANSACTION_EVENT)
    def transaction(self, request: TransactionEventRequest) -> TransactionEventResponse:
        assert request.event_type is TransactionEventEnumType.UPDATED
        return TransactionEventResponse(total_cost=1.25)


async def measure(call: Callable[[], Awaitable[Any]], seconds: float) -> float:
    """Median microseconds of one awaited call."""
    for _ in range(20):
        await call()
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and len(samples) < 20000:
        t0 = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(samples)


async def ours(seconds: float) -> dict[str, float]:
    a, b = memory_pair()
    requests = {
        "Heartbeat": HeartbeatRequest(),
        "BootNotification": from_payload(BootNotificationRequest, BOOT),
        "TransactionEvent": from_payload(TransactionEventRequest, transaction_event()),
    }
    results = {}
    async with ocpp201.ChargePoint("CS001", a) as station, BenchCSMS("CS001", b):
        for name, request in requests.items():
            results[name] = await measure(
                lambda r=request: station.call(r, timeout=10), seconds
            )
    return results


def snake(data: Any) -> Any:
    from ocpp.charge_point import camel_to_snake_case

    return camel_to_snake_case(data)


async def incumbent(seconds: float) -> dict[str, float] | None:
    try:
        from ocpp.routing import on as their_on
        from ocpp.v201 import ChargePoint, call, call_result
    except ImportError:
        return None

    class TheirCSMS(ChargePoint):  # type: ignore[misc]
        @their_on("Heartbeat")
        def heartbeat(self, **_: Any) -> Any:
            return call_result.Heartbeat(current_time=NOW.isoformat())

        @their_on("BootNotification")
        def boot(self, **_: Any) -> Any:
            return call_result.BootNotification(
                current_time=NOW.isoformat(), interval=300, status="Accepted"
            )

        @their_on("TransactionEvent")
        def transaction(self, **_: Any) -> Any:
            return call_result.TransactionEvent(total_cost=1.25)

    a, b = memory_pair()
    station, csms = ChargePoint("CS001", a), TheirCSMS("CS001", b)
    tasks = [
        asyncio.ensure_future(station.start()),
        asyncio.ensure_future(csms.start()),
    ]
    requests = {
        "Heartbeat": call.Heartbeat(),
        "BootNotification": call.BootNotification(**snake(BOOT)),
        "TransactionEvent": call.TransactionEvent(**snake(transaction_event())),
    }
    results = {}
    try:
        for name, request in requests.items():
            results[name] = await measure(lambda r=request: station.call(r), seconds)
    finally:
        await a.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the ocpp package logs every frame at INFO

    mine = asyncio.run(ours(args.seconds))
    theirs = asyncio.run(incumbent(args.seconds))
    print("call() round trip over an in-memory pair, median microseconds")
    print(f"{'action':18} {'ocpp201':>10} {'ocpp (PyPI)':>12} {'ratio':>8}")
    for name, value in mine.items():
        other = theirs.get(name) if theirs else None
        if other is None:
            print(f"{name:18} {value:10.1f}")
        else:
            print(f"{name:18} {value:10.1f} {other:12.1f} {other / value:7.1f}x")


if __name__ == "__main__":
    main()
