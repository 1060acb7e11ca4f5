"""Codec benchmark: ocpp201 against json, jsonschema and the ``ocpp`` package.

Run from the repository root (``pip install -e ".[test]"`` first)::

    python bench/bench_codec.py

For one realistic TransactionEvent request with meter values it reports median
microseconds per operation, measured in the same run, and the ratios that matter:

* ``ocpp201 decode+encode``  ``from_payload`` + ``to_payload``
* ``ocpp201 full``           ``json.loads`` + ``from_payload`` + ``to_payload`` +
  ``json.dumps``
* ``json round trip``        ``json.loads`` + ``json.dumps``
* ``jsonschema validate``    ``Draft6Validator.validate`` with the official schema
  and a date-time format checker
* ``ocpp (PyPI) decode+encode``  what the ``ocpp`` package does to receive and answer
  with the same data: jsonschema validation, camelCase -> snake_case, its
  dataclass, and back (serialize, remove Nones, snake_case -> camelCase, validate).

It also reports the import time of ``ocpp201`` and of ``ocpp.v201`` (fresh
interpreters, best of several).  Nothing here asserts a speed: machines differ, and
only ratios taken in one run are meaningful.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocpp201 import from_payload, to_payload
from ocpp201.messages import TransactionEventRequest


def sampled(measurand: str, value: float, phase: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "value": value,
        "measurand": measurand,
        "context": "Sample.Periodic",
        "location": "Outlet",
        "unitOfMeasure": {
            "unit": "Wh" if "Energy" in measurand else "A",
            "multiplier": 0,
        },
    }
    if phase:
        item["phase"] = phase
    return item


def transaction_event() -> dict[str, Any]:
    """A TransactionEvent(Updated) as a 3-phase AC station sends it periodically."""
    values = [
        sampled("Energy.Active.Import.Register", 12345.6),
        sampled("Power.Active.Import", 11040.0),
        *(sampled("Current.Import", 16.0 - i / 10, f"L{i + 1}") for i in range(3)),
        *(sampled("Voltage", 230.0 + i, f"L{i + 1}-N") for i in range(3)),
        sampled("SoC", 57),
    ]
    return {
        "eventType": "Updated",
        "timestamp": "2024-05-01T12:00:00.123Z",
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 12,
        "transactionInfo": {
            "transactionId": "a1b2c3d4-0001",
            "chargingState": "Charging",
            "timeSpentCharging": 3600,
        },
        "evse": {"id": 1, "connectorId": 1},
        "idToken": {"idToken": "04A1B2C3D4E5F6", "type": "ISO14443"},
        "meterValue": [
            {"timestamp": "2024-05-01T11:59:00Z", "sampledValue": values},
            {"timestamp": "2024-05-01T12:00:00Z", "sampledValue": values},
        ],
    }


def measure(func: Callable[[], Any], seconds: float) -> float:
    """Median microseconds per call over batches filling about ``seconds``."""
    func()
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < 0.05:
        func()
        calls += 1
    batch = max(1, calls // 5)
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        t0 = time.perf_counter()
        for _ in range(batch):
            func()
        samples.append((time.perf_counter() - t0) / batch * 1e6)
        if len(samples) >= 200:
            break
    return statistics.median(samples)


def import_time(module: str, runs: int = 5) -> float | None:
    """Best wall time (ms) of ``import module`` in a fresh interpreter."""
    best = None
    code = (
        "import time; t = time.perf_counter(); import "
        + module
        + "; print((time.perf_counter() - t) * 1000)"
    )
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            return None
        value = float(result.stdout.strip())
        best = value if best is None else min(best, value)
    return best


def incumbent(payload: dict[str, Any]) -> Callable[[], Any] | None:
    """The ``ocpp`` package's receive-and-answer path for the same data."""
    try:
        from ocpp.charge_point import (
            camel_to_snake_case,
            remove_nones,
            serialize_as_dict,
            snake_to_camel_case,
        )
        from ocpp.messages import Call, _validate_payload
        from ocpp.v201 import call
    except ImportError:
        return None

    def run() -> Any:
        message = Call(unique_id="1", action="TransactionEvent", payload=payload)
        _validate_payload(message, "2.0.1")
        obj = call.TransactionEvent(**camel_to_snake_case(payload))
        out = snake_to_camel_case(remove_nones(serialize_as_dict(obj)))
        _validate_payload(
            Call(unique_id="1", action="TransactionEvent", payload=out), "2.0.1"
        )
        return out

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    args = parser.parse_args()

    payload = transaction_event()
    text = json.dumps(payload)
    obj = from_payload(TransactionEventRequest, payload)
    assert to_payload(obj) == payload

    results: dict[str, float] = {}
    results["json round trip"] = measure(
        lambda: json.dumps(json.loads(text)), args.seconds
    )
    results["ocpp201 decode+encode"] = measure(
        lambda: to_payload(from_payload(TransactionEventRequest, payload)), args.seconds
    )
    results["ocpp201 full"] = measure(
        lambda: json.dumps(
            to_payload(from_payload(TransactionEventRequest, json.loads(text)))
        ),
        args.seconds,
    )
    try:
        import jsonschema

        schema = json.loads(
            (ROOT / "schemas" / "TransactionEventRequest.json").read_text()
        )
        validator = jsonschema.Draft6Validator(
            schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER
        )
        results["jsonschema validate"] = measure(
            lambda: validator.validate(payload), args.seconds
        )
    except ImportError:
        pass
    run_incumbent = incumbent(payload)
    if run_incumbent is not None:
        results["ocpp (PyPI) decode+encode"] = measure(run_incumbent, args.seconds)

    print(f"TransactionEvent payload: {len(text)} bytes, 18 sampled values")
    print(f"{'operation':30} {'median us':>10}")
    for name, value in results.items():
        print(f"{name:30} {value:10.1f}")
    base = results["json round trip"]
    ours = results["ocpp201 decode+encode"]
    print("\nratios")
    full = results["ocpp201 full"] / base
    print(f"  ocpp201 full / json round trip          {full:6.2f}x  (target <= 4)")
    if "jsonschema validate" in results:
        ratio = ours / results["jsonschema validate"]
        print(f"  ocpp201 decode+encode / jsonschema      {ratio:6.3f}x  (target < 1)")
    if "ocpp (PyPI) decode+encode" in results:
        ratio = results["ocpp (PyPI) decode+encode"] / ours
        print(f"  ocpp (PyPI) / ocpp201 decode+encode     {ratio:6.1f}x faster")

    ours_import = import_time("ocpp201")
    theirs_import = import_time("ocpp.v201")
    print("\nimport time (best of 5 fresh interpreters)")
    print(
        f"  import ocpp201     {ours_import:8.1f} ms"
        if ours_import
        else "  ocpp201: failed"
    )
    if theirs_import is not None:
        print(f"  import ocpp.v201   {theirs_import:8.1f} ms")


if __name__ == "__main__":
    main()
