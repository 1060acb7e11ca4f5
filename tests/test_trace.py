"""ocpp201.trace: one-line summaries and JSON-lines traces (no network needed)."""

from __future__ import annotations

import io
import json

import pytest

from ocpp201.trace import JsonLinesTrace, Trace, summarize

BOOT = (
    '[2,"1","BootNotification",'
    '{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"}}]'
)
BOOT_RESULT = (
    '[3,"1",{"currentTime":"2025-01-01T10:02:11Z","interval":300,"status":"Accepted"}]'
)


def test_summaries_for_people() -> None:
    assert summarize({}) == "{}"
    assert summarize({"status": "Accepted", "interval": 300}) == (
        "status=Accepted interval=300"
    )
    meter = {"meterValue": [{"timestamp": "x", "sampledValue": [{"value": 1.5}]}]}
    assert summarize(meter) == "meter: 1.5 Wh"
    hostile = {"sampledValue": "not a list", "component": 1, "variable": 2}
    assert summarize(hostile)  # never raises on odd payloads


@pytest.mark.parametrize(("side", "arrows"), [("station", "->"), ("csms", "<-")])
def test_trace_lines_per_side(side: str, arrows: str) -> None:
    lines: list[str] = []
    trace = Trace(lines.append, side=side)  # type: ignore[arg-type]
    trace.sent("CS1", BOOT)
    trace.received("CS1", BOOT_RESULT.encode())
    assert f"CS1   {arrows} CSMS  BootNotificationRequest" in lines[0]
    assert "BootNotificationResponse" in lines[1]
    assert "currentTime=10:02:11" in lines[1]
    trace.received("CS1", "not json")
    assert "(not OCPP)" in lines[2]
    with pytest.raises(ValueError, match="side"):
        Trace(lines.append, side="both")  # type: ignore[arg-type]


def test_json_lines_trace() -> None:
    stream = io.StringIO()
    trace = JsonLinesTrace(stream)
    trace.received("CS1", BOOT)
    trace.sent("CS1", BOOT_RESULT)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["direction"] for r in records] == ["in", "out"]
    assert records[0]["frame"] == BOOT
    assert records[0]["identity"] == "CS1"
    assert records[0]["side"] == "csms"
    assert records[0]["time"].endswith("+00:00")
