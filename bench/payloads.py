"""The three messages every comparison in bench/compare.py sends, as wire payloads.

Heartbeat (empty), a BootNotification with a modem, and a periodic
TransactionEvent(Updated) carrying one meter value with 4 sampled values (energy
register, power, current on L1, state of charge), plus the fixed answers the CSMS
handlers give.  Every implementation under test receives exactly these payloads.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
NOW_TEXT = "2024-05-01T12:00:00Z"

HEARTBEAT: dict[str, Any] = {}

BOOT: dict[str, Any] = {
    "reason": "PowerUp",
    "chargingStation": {
        "model": "SingleSocketCharger",
        "vendorName": "VendorX",
        "serialNumber": "SN-0001",
        "firmwareVersion": "1.2.3",
        "modem": {"iccid": "89310410106543789301", "imsi": "310150123456789"},
    },
}


def _sampled(
    value: float, measurand: str, unit: str, phase: str | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "value": value,
        "context": "Sample.Periodic",
        "measurand": measurand,
        "unitOfMeasure": {"unit": unit},
    }
    if phase is not None:
        item["phase"] = phase
    return item


TRANSACTION_EVENT: dict[str, Any] = {
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
        {
            "timestamp": "2024-05-01T12:00:00Z",
            "sampledValue": [
                _sampled(12345.6, "Energy.Active.Import.Register", "Wh"),
                _sampled(11040.0, "Power.Active.Import", "W"),
                _sampled(16.0, "Current.Import", "A", "L1"),
                _sampled(57, "SoC", "Percent"),
            ],
        }
    ],
}

REQUESTS: dict[str, dict[str, Any]] = {
    "Heartbeat": HEARTBEAT,
    "BootNotification": BOOT,
    "TransactionEvent": TRANSACTION_EVENT,
}
"""Action name -> request payload, in the order the tables show them."""

RESPONSES: dict[str, dict[str, Any]] = {
    "Heartbeat": {"currentTime": NOW_TEXT},
    "BootNotification": {
        "currentTime": NOW_TEXT,
        "interval": 300,
        "status": "Accepted",
    },
    "TransactionEvent": {"totalCost": 1.25},
}
"""Action name -> the response payload every CSMS under test answers with."""
