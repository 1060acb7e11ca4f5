"""Codec behaviours a user relies on, one test per behaviour."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
from attrs import define, field
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpp201 import (
    JSON_NULL,
    Action,
    ErrorCode,
    Response,
    Sender,
    ValidationError,
    from_payload,
    to_payload,
)
from ocpp201.datatypes import (
    ChargingStationType,
    CustomDataType,
    MeterValueType,
    SampledValueType,
    UnitOfMeasureType,
)
from ocpp201.enums import (
    BootReasonEnumType,
    MeasurandEnumType,
    PhaseEnumType,
    RegistrationStatusEnumType,
)
from ocpp201.messages import (
    BootNotificationRequest,
    BootNotificationResponse,
    DataTransferRequest,
    GetVariablesRequest,
    HeartbeatRequest,
    HeartbeatResponse,
    MeterValuesRequest,
    NotifyEVChargingNeedsRequest,
    SetVariablesRequest,
)
from ocpp201.schema import WIRE, AnyJson, ArrayOf, Boolean, DateTime, Number, Opt

BOOT = {
    "reason": "PowerUp",
    "chargingStation": {"model": "SingleSocketCharger", "vendorName": "VendorX"},
}


def codes(exc: ValidationError) -> list[str]:
    return [p.code.value for p in exc.problems]


# -- typed objects ------------------------------------------------------------------


def test_nested_objects_are_typed() -> None:
    boot = from_payload(BootNotificationRequest, BOOT)
    assert boot.reason is BootReasonEnumType.POWER_UP
    assert isinstance(boot.charging_station, ChargingStationType)
    assert boot.charging_station.vendor_name == "VendorX"
    assert boot.charging_station.serial_number is None


def test_wire_form_uses_schema_names_and_enum_values() -> None:
    boot = BootNotificationRequest(
        reason=BootReasonEnumType.POWER_UP,
        charging_station=ChargingStationType(model="M", vendor_name="V"),
    )
    payload = to_payload(boot)
    assert payload == {
        "chargingStation": {"model": "M", "vendorName": "V"},
        "reason": "PowerUp",
    }
    assert type(payload["reason"]) is str
    assert json.loads(json.dumps(payload)) == payload


def test_optional_fields_are_omitted_never_null() -> None:
    payload = to_payload(HeartbeatRequest())
    assert payload == {}


def test_names_map_both_ways_without_regex() -> None:
    payload = {
        "getVariableData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "OfflineThreshold"},
            }
        ]
    }
    obj = from_payload(GetVariablesRequest, payload)
    assert obj.get_variable_data[0].component.name == "OCPPCommCtrlr"
    assert to_payload(obj) == payload


def test_action_registry() -> None:
    assert len(Action) == 64
    assert Action.BOOT_NOTIFICATION.value == "BootNotification"
    assert Action.BOOT_NOTIFICATION.request is BootNotificationRequest
    assert Action.BOOT_NOTIFICATION.response is BootNotificationResponse
    assert Action.BOOT_NOTIFICATION.sender is Sender.CHARGING_STATION
    assert Action("Reset").sender is Sender.CSMS
    assert Action.DATA_TRANSFER.sender is Sender.BOTH
    assert BootNotificationRequest.ACTION == "BootNotification"
    for action in Action:
        assert action.request.ACTION == action.value == action.response.ACTION


# -- numbers ------------------------------------------------------------------------


def test_number_fields_accept_json_integers_and_keep_them() -> None:
    payload = {"evseId": 1, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z",
               "sampledValue": [{"value": 12}]}]}  # fmt: skip
    obj = from_payload(MeterValuesRequest, payload)
    assert obj.meter_value[0].sampled_value[0].value == 12
    assert to_payload(obj) == payload


def test_integral_float_is_an_integer() -> None:
    obj = from_payload(
        BootNotificationResponse,
        {
            "currentTime": "2024-01-01T00:00:00Z",
            "interval": 300.0,
            "status": "Accepted",
        },
    )
    assert obj.interval == 300
    assert type(obj.interval) is int


@pytest.mark.parametrize("bad", [True, False, 1.5, "300", None])
def test_not_integers(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        from_payload(
            BootNotificationResponse,
            {
                "currentTime": "2024-01-01T00:00:00Z",
                "interval": bad,
                "status": "Accepted",
            },
        )
    assert info.value.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION
    assert info.value.problems[0].path == "$.interval"


def test_boolean_is_not_a_number() -> None:
    payload = {"evseId": 1, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z",
               "sampledValue": [{"value": True}]}]}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        from_payload(MeterValuesRequest, payload)
    assert info.value.problems[0].path == "$.meterValue[0].sampledValue[0].value"
    assert info.value.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION


# -- date-times ---------------------------------------------------------------------


def test_date_times_are_timezone_aware() -> None:
    obj = from_payload(
        BootNotificationResponse,
        {
            "currentTime": "2013-02-01T20:53:32.486Z",
            "interval": 300,
            "status": "Accepted",
        },
    )
    assert obj.current_time == datetime(2013, 2, 1, 20, 53, 32, 486000, timezone.utc)
    assert to_payload(obj)["currentTime"] == "2013-02-01T20:53:32.486Z"


@pytest.mark.parametrize(
    ("wire", "back"),
    [
        ("2019-12-19T16:39:57+01:00", "2019-12-19T16:39:57+01:00"),
        ("2019-04-12T23:20:50.52Z", "2019-04-12T23:20:50.520Z"),
        ("2019-04-12t23:20:50z", "2019-04-12T23:20:50Z"),
        ("2019-04-12T23:20:50+00:00", "2019-04-12T23:20:50Z"),
        ("2019-04-12T23:20:50.123456789-05:30", "2019-04-12T23:20:50.123-05:30"),
    ],
)
def test_date_time_encoding(wire: str, back: str) -> None:
    obj = from_payload(
        BootNotificationResponse,
        {"currentTime": wire, "interval": 1, "status": "Accepted"},
    )
    assert to_payload(obj)["currentTime"] == back


def _formatted_by_hand(value: datetime) -> str:
    """Part 2's form, built from the fields (an oracle independent of isoformat)."""
    v = value.astimezone(timezone.utc)
    millis = f".{v.microsecond // 1000:03d}" if v.microsecond >= 1000 else ""
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T"
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}{millis}Z"
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@settings(max_examples=2000)
@given(
    # Any second from 0001-01-02 to 9999-12-30 (far from 1970 a float timestamp
    # is coarser than a microsecond), with the microseconds at a second's edges.
    st.integers(-62135510400, 253402041600),
    st.sampled_from([0, 1, 999, 1000, 999_998, 999_999]) | st.integers(0, 999_999),
    st.sampled_from([0, 1, -1, 1000, -1000]),
)
def test_utc_date_times_are_formatted_exactly(
    second: int, micro: int, nudge: int
) -> None:
    """The formatter caches the last UTC second it wrote: consecutive values in
    the same second, the next or the previous one, any year, all come out right."""
    value = _EPOCH + timedelta(seconds=second, microseconds=micro)
    for each in (value, value + timedelta(microseconds=nudge), value):
        payload = to_payload(HeartbeatResponse(current_time=each))
        assert payload["currentTime"] == _formatted_by_hand(each)


@pytest.mark.parametrize(
    "bad",
    [
        "2024-02-30T00:00:00Z",
        "2024-01-01 00:00:00Z",
        "2024-01-01T00:00:00",
        "2024-01-01T24:00:00Z",
        "2024-01-01T23:59:60Z",
        "0000-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z\n",
        "2024-01-01",
        "20240101T000000Z",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00+0100",
    ],
)
def test_malformed_date_times(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        from_payload(
            BootNotificationResponse,
            {"currentTime": bad, "interval": 1, "status": "Accepted"},
        )
    assert info.value.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION
    assert info.value.problems[0].path == "$.currentTime"


def test_naive_datetime_is_refused_at_construction() -> None:
    with pytest.raises(ValidationError, match="no timezone"):
        BootNotificationResponse(
            current_time=datetime(2024, 1, 1),
            interval=1,
            status=RegistrationStatusEnumType.ACCEPTED,
        )


def test_offsets_are_kept() -> None:
    tz = timezone(timedelta(hours=-5))
    obj = BootNotificationResponse(
        current_time=datetime(2024, 1, 1, 12, tzinfo=tz),
        interval=1,
        status=RegistrationStatusEnumType.ACCEPTED,
    )
    assert to_payload(obj)["currentTime"] == "2024-01-01T12:00:00-05:00"


# -- customData and untyped data ----------------------------------------------------


def test_custom_data_keeps_vendor_keys_exactly() -> None:
    payload = {
        "customData": {
            "vendorId": "com.mycompany.customheartbeat",
            "mainMeterValue": 12345,
            "sessionsToDate": 342,
            "nested_Key": {"someCamelCase": [1, None, {"x": True}]},
        }
    }
    obj = from_payload(HeartbeatRequest, payload)
    assert obj.custom_data is not None
    assert obj.custom_data.vendor_id == "com.mycompany.customheartbeat"
    assert obj.custom_data.extra["mainMeterValue"] == 12345
    assert to_payload(obj) == payload
    assert list(to_payload(obj)["customData"]) == list(payload["customData"])


def test_custom_data_still_needs_a_vendor_id() -> None:
    with pytest.raises(ValidationError) as info:
        from_payload(HeartbeatRequest, {"customData": {"x": 1}})
    assert info.value.code is ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
    assert info.value.problems[0].path == "$.customData.vendorId"


def test_custom_data_built_in_python() -> None:
    obj = HeartbeatRequest(custom_data=CustomDataType(vendor_id="v", extra={"a": [1]}))
    assert to_payload(obj) == {"customData": {"vendorId": "v", "a": [1]}}
    with pytest.raises(ValidationError):
        CustomDataType(vendor_id="v", extra={"a": {1, 2}})


@pytest.mark.parametrize("data", ["text", 5, 2.5, True, [1, "a"], {"k": [None]}])
def test_data_transfer_data_is_any_json(data: object) -> None:
    payload = {"vendorId": "org.example", "data": data}
    obj = from_payload(DataTransferRequest, payload)
    assert obj.data == data
    assert to_payload(obj) == payload


def test_data_transfer_null_is_not_absent() -> None:
    with_null = from_payload(DataTransferRequest, {"vendorId": "v", "data": None})
    without = from_payload(DataTransferRequest, {"vendorId": "v"})
    assert with_null.data is JSON_NULL
    assert without.data is None
    assert to_payload(with_null) == {"vendorId": "v", "data": None}
    assert to_payload(without) == {"vendorId": "v"}


# -- defaults -----------------------------------------------------------------------


def test_schema_defaults_are_not_added() -> None:
    payload = {"evseId": 1, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z",
               "sampledValue": [{"value": 1.5, "unitOfMeasure": {}}]}]}  # fmt: skip
    obj = from_payload(MeterValuesRequest, payload)
    unit = obj.meter_value[0].sampled_value[0].unit_of_measure
    assert unit is not None
    assert unit.unit is None  # the schema's default "Wh" is documentation
    assert to_payload(obj) == payload


# -- errors -------------------------------------------------------------------------


def test_every_problem_is_listed_with_its_path_in_document_order() -> None:
    payload = {
        "reason": "Rebooted",
        "chargingStation": {"model": "M" * 21, "vendorName": 5, "firmware": "1.0"},
        "extra": 1,
    }
    with pytest.raises(ValidationError) as info:
        from_payload(BootNotificationRequest, payload)
    problems = [(p.path, p.code.value) for p in info.value.problems]
    assert problems == [
        ("$.reason", "PropertyConstraintViolation"),
        ("$.chargingStation.model", "TypeConstraintViolation"),
        ("$.chargingStation.vendorName", "TypeConstraintViolation"),
        ("$.chargingStation.firmware", "ProtocolError"),
        ("$.extra", "ProtocolError"),
    ]
    assert info.value.code is ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
    assert info.value.details()["problems"][0]["path"] == "$.reason"


@pytest.mark.parametrize("payload", [[], "x", 1, None, True])
def test_payload_not_an_object_is_a_format_violation(payload: object) -> None:
    with pytest.raises(ValidationError) as info:
        from_payload(HeartbeatRequest, payload)
    assert info.value.code is ErrorCode.FORMAT_VIOLATION


def test_item_counts() -> None:
    with pytest.raises(ValidationError) as info:
        from_payload(SetVariablesRequest, {"setVariableData": []})
    assert info.value.code is ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
    assert info.value.problems[0].path == "$.setVariableData"


def test_ranges() -> None:
    needs = {"requestedEnergyTransfer": "DC", "dcChargingParameters": {
        "evMaxCurrent": 1, "evMaxVoltage": 1, "stateOfCharge": 100}}  # fmt: skip
    payload = {"evseId": 1, "chargingNeeds": needs}
    assert to_payload(from_payload(NotifyEVChargingNeedsRequest, payload)) == payload
    for bad in (101, -1):
        needs["dcChargingParameters"]["stateOfCharge"] = bad  # type: ignore[index]
        with pytest.raises(ValidationError) as info:
            from_payload(NotifyEVChargingNeedsRequest, payload)
        assert info.value.code is ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
        path = "$.chargingNeeds.dcChargingParameters.stateOfCharge"
        assert info.value.problems[0].path == path


# -- building objects directly ------------------------------------------------------


def test_direct_construction_checks_values_at_once() -> None:
    with pytest.raises(ValidationError, match="longer than maxLength 20") as info:
        ChargingStationType(model="M" * 21, vendor_name="V")
    assert info.value.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION
    with pytest.raises(ValidationError, match=r"use BootReasonEnumType\('PowerUp'\)"):
        BootNotificationRequest(
            reason="PowerUp",  # type: ignore[arg-type]
            charging_station=ChargingStationType(model="M", vendor_name="V"),
        )
    with pytest.raises(ValidationError, match="expected a number"):
        SampledValueType(value=True)
    with pytest.raises(ValidationError, match="fewer than minItems 1"):
        MeterValueType(timestamp=datetime.now(timezone.utc), sampled_value=[])
    with pytest.raises(ValidationError, match=r"\[1\]"):
        MeterValueType(
            timestamp=datetime.now(timezone.utc),
            sampled_value=[SampledValueType(value=1), "x"],  # type: ignore[list-item]
        )


def test_assignment_is_checked_too() -> None:
    unit = UnitOfMeasureType(unit="kWh", multiplier=3)
    with pytest.raises(ValidationError):
        unit.multiplier = "3"  # type: ignore[assignment]
    sampled = SampledValueType(value=1.0, measurand=MeasurandEnumType.VOLTAGE)
    with pytest.raises(ValidationError):
        sampled.phase = "L1"  # type: ignore[assignment]
    sampled.phase = PhaseEnumType.L1
    assert to_payload(sampled) == {"value": 1.0, "measurand": "Voltage", "phase": "L1"}


def test_to_payload_refuses_other_objects() -> None:
    with pytest.raises(TypeError):
        to_payload({"a": 1})


# -- non-finite numbers -------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_not_json(bad: float) -> None:
    payload = {"evseId": 1, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z",
               "sampledValue": [{"value": bad}]}]}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        from_payload(MeterValuesRequest, payload)
    assert info.value.code is ErrorCode.TYPE_CONSTRAINT_VIOLATION
    with pytest.raises(ValidationError):
        SampledValueType(value=bad)
    needs = {"requestedEnergyTransfer": "DC", "dcChargingParameters": {
        "evMaxCurrent": 1, "evMaxVoltage": 1, "evEnergyCapacity": bad}}  # fmt: skip
    with pytest.raises(ValidationError):
        from_payload(
            NotifyEVChargingNeedsRequest, {"evseId": 1, "chargingNeeds": needs}
        )


# -- payload classes of one's own ---------------------------------------------------


@define(kw_only=True)
class _Probe(Response):
    ACTION: ClassVar[str] = "com.example.Probe"
    when: list[datetime] = field(
        validator=ArrayOf(DateTime(), min_items=1), metadata={WIRE: "when"}
    )
    readings: list[float] | None = field(
        default=None,
        validator=Opt(ArrayOf(Number(minimum=0), max_items=3)),
        metadata={WIRE: "readings"},
    )
    flags: list[bool] | None = field(
        default=None, validator=Opt(ArrayOf(Boolean())), metadata={WIRE: "flags"}
    )
    blobs: list[Any] | None = field(
        default=None, validator=Opt(ArrayOf(AnyJson())), metadata={WIRE: "blobs"}
    )


def test_own_payload_classes_use_the_same_codec() -> None:
    payload = {
        "when": ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00.250+02:00"],
        "readings": [0, 1.5],
        "flags": [True, False],
        "blobs": [None, {"a": [1]}, "x"],
    }
    obj = from_payload(_Probe, payload)
    assert obj.when[1].utcoffset() == timedelta(hours=2)
    assert obj.blobs == [JSON_NULL, {"a": [1]}, "x"]
    assert to_payload(obj) == payload
    one = ["2024-01-01T00:00:00Z"]
    type_error = ErrorCode.TYPE_CONSTRAINT_VIOLATION
    count_error = ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
    bad_cases = [
        ({"when": []}, "$.when", count_error),
        ({"when": ["2024-13-01T00:00:00Z"]}, "$.when[0]", type_error),
        ({"when": one, "readings": [-1]}, "$.readings[0]",
         ErrorCode.PROPERTY_CONSTRAINT_VIOLATION),
        ({"when": one, "readings": [1, 2, 3, 4]}, "$.readings", count_error),
        ({"when": one, "flags": [1]}, "$.flags[0]", type_error),
    ]  # fmt: skip
    for bad, path, code in bad_cases:
        with pytest.raises(ValidationError) as info:
            from_payload(_Probe, bad)
        assert (info.value.problems[0].path, info.value.code) == (path, code)


class _RoundingDatetime(datetime):
    """Like pandas.Timestamp: a datetime whose timestamp() rounds to microseconds
    of a nanosecond clock (here: rounds up the last microsecond)."""

    def timestamp(self) -> float:
        return round(super().timestamp() + 1e-6, 6)


def test_a_datetime_subclass_does_not_poison_the_formatting_cache() -> None:
    """The formatter's cache of the last UTC second is keyed by timestamp(); a
    subclass's own timestamp() must neither be trusted nor leave a wrong entry."""
    odd = _RoundingDatetime(2024, 1, 1, 0, 0, 0, 999_999, tzinfo=timezone.utc)
    after = datetime(2024, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    assert to_payload(HeartbeatResponse(current_time=odd))["currentTime"] == (
        "2024-01-01T00:00:00.999Z"
    )
    assert to_payload(HeartbeatResponse(current_time=after))["currentTime"] == (
        "2024-01-01T00:00:01Z"
    )


def test_extra_keys_forced_to_none_are_refused_as_invalid() -> None:
    """check=True looks at a CustomDataType's extra keys even when nothing else
    could have changed."""
    data = CustomDataType(vendor_id="v")
    object.__setattr__(data, "extra", None)
    with pytest.raises(ValidationError):
        to_payload(data, check=True)
    with pytest.raises(ValidationError):
        to_payload(
            HeartbeatResponse(
                current_time=datetime.now(timezone.utc), custom_data=data
            ),
            check=True,
        )
