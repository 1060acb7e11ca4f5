"""Tolerant decoding (issue 10): what real, imperfect equipment sends is kept and
reported; strict decoding, the default, is unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from ocpp201 import (
    UnknownEnumValue,
    ValidationError,
    decode_payload,
    from_payload,
    to_payload,
)
from ocpp201.datatypes import ChargingStationType
from ocpp201.enums import BootReasonEnumType, MeasurandEnumType
from ocpp201.messages import BootNotificationRequest, MeterValuesRequest

SLOPPY: dict[str, Any] = {
    "chargingStation": {"model": "M" * 23, "vendorName": "ACME"},
    "reason": "VendorBoot",
    "firmwareBuild": "7",
}


def paths(problems: Any) -> list[tuple[str, str]]:
    return [(p.path, p.code.value) for p in problems]


def test_strict_decoding_refuses_all_three_deviations() -> None:
    with pytest.raises(ValidationError) as info:
        from_payload(BootNotificationRequest, SLOPPY)
    assert paths(info.value.problems) == [
        ("$.chargingStation.model", "TypeConstraintViolation"),
        ("$.reason", "PropertyConstraintViolation"),
        ("$.firmwareBuild", "ProtocolError"),
    ]


def test_tolerant_decoding_keeps_reports_and_drops() -> None:
    request, tolerated = decode_payload(BootNotificationRequest, SLOPPY, tolerant=True)
    assert paths(tolerated) == [
        ("$.chargingStation.model", "TypeConstraintViolation"),
        ("$.reason", "PropertyConstraintViolation"),
        ("$.firmwareBuild", "ProtocolError"),
    ]
    assert request.charging_station.model == "M" * 23  # kept
    assert request.charging_station.vendor_name == "ACME"
    reason = request.reason
    assert isinstance(reason, UnknownEnumValue)  # what a handler tests for
    assert not isinstance(reason, BootReasonEnumType)
    assert reason == "VendorBoot"
    assert reason.enum is BootReasonEnumType
    assert to_payload(request) == {  # unknown property dropped
        "chargingStation": {"model": "M" * 23, "vendorName": "ACME"},
        "reason": "VendorBoot",
    }


def test_tolerant_decoding_of_a_valid_payload_reports_nothing() -> None:
    payload = {
        "chargingStation": {"model": "M", "vendorName": "V"},
        "reason": "PowerUp",
    }
    request, tolerated = decode_payload(BootNotificationRequest, payload, tolerant=True)
    assert tolerated == ()
    assert request.reason is BootReasonEnumType.POWER_UP


def test_deviations_inside_arrays_have_their_index() -> None:
    payload = {
        "evseId": 1,
        "meterValue": [
            {
                "timestamp": "2024-01-01T00:00:00Z",
                "sampledValue": [{"value": 1.5, "measurand": "Vendor.Thing", "x": 1}],
            }
        ],
    }
    request, tolerated = decode_payload(MeterValuesRequest, payload, tolerant=True)
    assert paths(tolerated) == [
        ("$.meterValue[0].sampledValue[0].measurand", "PropertyConstraintViolation"),
        ("$.meterValue[0].sampledValue[0].x", "ProtocolError"),
    ]
    measurand = request.meter_value[0].sampled_value[0].measurand
    assert isinstance(measurand, UnknownEnumValue)
    assert measurand.enum is MeasurandEnumType


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"reason": 5}, "$.reason"),  # wrong type
        ({"chargingStation": {"model": "M"}}, "$.chargingStation.vendorName"),
        (
            {"chargingStation": {"model": None, "vendorName": "V"}},
            "$.chargingStation.model",
        ),
    ],
)
def test_tolerance_stops_at_other_problems(change: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as info:
        decode_payload(BootNotificationRequest, {**SLOPPY, **change}, tolerant=True)
    assert path in [p.path for p in info.value.problems]


def test_our_own_messages_stay_strict() -> None:
    request = from_payload(BootNotificationRequest, SLOPPY, tolerant=True)
    with pytest.raises(ValidationError) as info:
        to_payload(request, check=True)  # what the endpoint sends is checked in full
    assert paths(info.value.problems) == [
        ("$.chargingStation.model", "TypeConstraintViolation"),
        ("$.reason", "PropertyConstraintViolation"),
    ]
    with pytest.raises(ValidationError):
        BootNotificationRequest(
            charging_station=ChargingStationType(model="M", vendor_name="V"),
            reason=request.reason,  # an UnknownEnumValue is never a valid field
        )


def test_outgoing_check_sees_what_changed_after_building() -> None:
    request = from_payload(
        MeterValuesRequest,
        {
            "evseId": 1,
            "meterValue": [
                {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [{"value": 1}]}
            ],
        },
    )
    to_payload(request, check=True)
    request.meter_value[0].sampled_value.clear()  # no validator sees this
    with pytest.raises(ValidationError) as info:
        to_payload(request, check=True)
    assert paths(info.value.problems) == [
        ("$.meterValue[0].sampledValue", "OccurrenceConstraintViolation")
    ]
