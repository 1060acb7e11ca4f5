"""Per-endpoint switches: tolerant incoming validation, outgoing validation, custom
actions, limits configuration."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import pytest
from attrs import define, field
from rpc_helpers import (
    BOOT_PAYLOAD,
    BOOT_RESPONSE_PAYLOAD,
    NOW,
    BootCsms,
    boot_request,
    boot_response,
    bounded,
    connected,
    endpoints,
    error_frame,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    CallError,
    ChargePoint,
    CustomAction,
    ErrorCode,
    LocalProtocolError,
    RemoteValidationError,
    Request,
    Response,
    Sender,
    memory_pair,
    on,
)
from ocpp201 import datatypes as d
from ocpp201 import messages as m
from ocpp201.schema import WIRE, Integer, Opt, String

SLOPPY_BOOT = {
    **BOOT_PAYLOAD,
    "chargingStation": {"model": "Model", "vendorName": "Vendor", "colour": "red"},
    "firmwareBuild": 17,
}


# ------------------------------------------------------------------ validate_incoming


def test_strict_by_default_unknown_properties_are_protocol_errors() -> None:
    async def scenario() -> None:
        async with connected(BootCsms) as (_, peer):
            frame = await peer.exchange(
                json.dumps([2, "1", "BootNotification", SLOPPY_BOOT])
            )
            assert error_frame(frame) == ("1", "ProtocolError")
            assert len(frame[4]["problems"]) == 2

    run(scenario())


def test_tolerant_mode_drops_unknown_properties() -> None:
    async def scenario() -> None:
        async with connected(BootCsms, validate_incoming=False) as (_, peer):
            frame = await peer.exchange(
                json.dumps([2, "1", "BootNotification", SLOPPY_BOOT])
            )
            assert frame == [3, "1", BOOT_RESPONSE_PAYLOAD]
            # Duplicate keys are not refused either (the last value wins).
            dup = '[2,"2","BootNotification",{"reason":"X","reason":"PowerUp",' + (
                '"chargingStation":{"model":"M","vendorName":"V"}}]'
            )
            assert (await peer.exchange(dup))[0] == 3

    run(scenario())


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({**SLOPPY_BOOT, "reason": "Nope"}, "PropertyConstraintViolation"),
        ({"reason": "PowerUp", "junk": 1}, "OccurrenceConstraintViolation"),
        ({**BOOT_PAYLOAD, "reason": 1}, "TypeConstraintViolation"),
    ],
)
def test_tolerant_mode_still_refuses_what_a_typed_object_cannot_hold(
    payload: Any, code: str
) -> None:
    async def scenario() -> None:
        async with connected(BootCsms, validate_incoming=False) as (_, peer):
            frame = await peer.exchange(
                json.dumps([2, "1", "BootNotification", payload])
            )
            assert error_frame(frame) == ("1", code)
            # The unknown property is not reported any more.
            assert all(p["code"] != "ProtocolError" for p in frame[4]["problems"])

    run(scenario())


def test_tolerant_mode_applies_to_responses_too() -> None:
    async def scenario() -> None:
        for strict in (True, False):
            async with connected(ChargePoint, validate_incoming=strict) as (
                cp,
                peer,
            ):
                task = asyncio.ensure_future(cp.call(boot_request(), timeout=2))
                await peer.answer_next_call({**BOOT_RESPONSE_PAYLOAD, "extra": True})
                if strict:
                    with pytest.raises(RemoteValidationError):
                        await bounded(task)
                else:
                    assert await bounded(task) == boot_response()

    run(scenario())


# ------------------------------------------------------------------ validate_outgoing


class BadCsms(CSMS):
    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        custom = d.CustomDataType(vendor_id="v", extra={})
        object.__setattr__(custom, "vendor_id", "x" * 300)  # behind attrs' back
        return m.HeartbeatResponse(current_time=NOW, custom_data=custom)


def test_outgoing_validation_can_be_switched_off() -> None:
    async def scenario() -> None:
        async with connected(BadCsms) as (_, peer):
            frame = await peer.exchange('[2,"1","Heartbeat",{}]')
            assert error_frame(frame) == ("1", "InternalError")
        async with connected(BadCsms, validate_outgoing=False) as (_, peer):
            frame = await peer.exchange('[2,"1","Heartbeat",{}]')
            assert frame[:2] == [3, "1"]
            assert frame[2]["customData"] == {"vendorId": "x" * 300}

    run(scenario())


def test_outgoing_requests_unchecked_when_switched_off() -> None:
    async def scenario() -> None:
        request = boot_request()
        object.__setattr__(request.charging_station, "model", "x" * 30)
        async with connected(ChargePoint, validate_outgoing=False) as (cp, peer):
            task = asyncio.ensure_future(cp.call(request, timeout=2))
            frame = await peer.recv()
            assert frame[3]["chargingStation"]["model"] == "x" * 30
            await peer.send_json([3, frame[1], BOOT_RESPONSE_PAYLOAD])
            await bounded(task)

    run(scenario())


# ------------------------------------------------------------------ custom actions


@define(kw_only=True)
class PingResponse(Response):
    ACTION: ClassVar[str] = "com.example.Ping"
    echo: str = field(validator=String(50), metadata={WIRE: "echo"})


@define(kw_only=True)
class PingRequest(Request[PingResponse]):
    ACTION: ClassVar[str] = "com.example.Ping"
    text: str = field(validator=String(50), metadata={WIRE: "text"})
    count: int | None = field(
        default=None, validator=Opt(Integer(minimum=0)), metadata={WIRE: "count"}
    )


PING = CustomAction(name="com.example.Ping", request=PingRequest, response=PingResponse)


class PingStation(ChargePoint):
    @on("com.example.Ping")
    async def ping(self, request: PingRequest) -> PingResponse:
        return PingResponse(echo=request.text * (request.count or 1))


def test_custom_actions_can_be_called_and_handled() -> None:
    async def scenario() -> None:
        async with endpoints(PingStation, CSMS, custom_actions=[PING]) as (cp, csms):
            response = await csms.call(PingRequest(text="ab", count=2), timeout=2)
            assert response == PingResponse(echo="abab")
            # Sender.BOTH: the station may call it too (the CSMS has no handler).
            with pytest.raises(CallError) as info:
                await cp.call(PingRequest(text="x"), timeout=2)
            assert info.value.code is ErrorCode.NOT_SUPPORTED
            assert info.value.action == "com.example.Ping"
            assert info.value.details == {}

    run(scenario())


def test_custom_action_payloads_are_validated() -> None:
    async def scenario() -> None:
        async with connected(PingStation, custom_actions=[PING]) as (_, peer):
            frame = await peer.exchange(
                '[2,"1","com.example.Ping",{"text":"a","count":-1}]'
            )
            assert error_frame(frame) == ("1", "PropertyConstraintViolation")
            frame = await peer.exchange('[2,"2","com.example.Ping",{"text":"a","x":1}]')
            assert error_frame(frame) == ("2", "ProtocolError")

    run(scenario())


def test_unregistered_custom_action_is_not_implemented() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            frame = await peer.exchange('[2,"1","com.example.Ping",{"text":"a"}]')
            assert error_frame(frame) == ("1", "NotImplemented")
            with pytest.raises(LocalProtocolError):
                await cp.call(PingRequest(text="x"))

    run(scenario())


def test_registered_custom_action_without_handler_is_not_supported() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint, custom_actions=[PING]) as (_, peer):
            frame = await peer.exchange('[2,"1","com.example.Ping",{"text":"a"}]')
            assert error_frame(frame) == ("1", "NotSupported")

    run(scenario())


def test_custom_action_direction_is_enforced() -> None:
    csms_only = CustomAction(
        name="com.example.Ping",
        request=PingRequest,
        response=PingResponse,
        sender=Sender.CSMS,
    )

    async def scenario() -> None:
        async with connected(CSMS, custom_actions=[csms_only]) as (csms, peer):
            frame = await peer.exchange('[2,"1","com.example.Ping",{"text":"a"}]')
            assert error_frame(frame) == ("1", "NotSupported")
            task = asyncio.ensure_future(csms.call(PingRequest(text="a"), timeout=2))
            await peer.answer_next_call({"echo": "a"})
            assert (await bounded(task)).echo == "a"
        async with connected(ChargePoint, custom_actions=[csms_only]) as (cp, _):
            with pytest.raises(LocalProtocolError, match="cannot send"):
                await cp.call(PingRequest(text="a"))

    run(scenario())


def test_custom_action_definition_errors() -> None:
    with pytest.raises(ValueError, match="standard"):
        CustomAction(
            name="Heartbeat", request=m.HeartbeatRequest, response=m.HeartbeatResponse
        )
    with pytest.raises(ValueError, match="ACTION"):
        CustomAction(
            name="com.example.Other", request=PingRequest, response=PingResponse
        )


# ------------------------------------------------------------------ limits config


@pytest.mark.parametrize(
    "options",
    [
        {"bytes_per_message": -1},
        {"items_per_message": True},
        {"bytes_per_message": {"GetVariables": -5}},
        {"items_per_message": {"GetVariables": "3"}},
        {"handler_timeout": 0},
    ],
)
def test_invalid_limits_are_refused(options: dict[str, Any]) -> None:
    a, _ = memory_pair()
    with pytest.raises(ValueError):
        ChargePoint("x", a, **options)


def test_limits_accept_action_members_as_keys() -> None:
    class Station(ChargePoint):
        @on(Action.CLEAR_VARIABLE_MONITORING)
        def clear(
            self, request: m.ClearVariableMonitoringRequest
        ) -> m.ClearVariableMonitoringResponse:
            raise AssertionError("limit not applied")

    async def scenario() -> None:
        async with connected(
            Station, items_per_message={Action.CLEAR_VARIABLE_MONITORING: 2}
        ) as (_, peer):
            frame = await peer.exchange(
                '[2,"1","ClearVariableMonitoring",{"id":[1,2,3]}]'
            )
            assert error_frame(frame) == ("1", "OccurrenceConstraintViolation")
            assert frame[4]["problems"][0]["path"] == "$.id"

    run(scenario())


def test_item_limit_on_an_action_without_a_listed_array_counts_every_array() -> None:
    class MeterCsms(CSMS):
        @on(Action.METER_VALUES)
        def meter(self, request: m.MeterValuesRequest) -> m.MeterValuesResponse:
            return m.MeterValuesResponse()

    value = {"timestamp": "2025-01-01T00:00:00Z", "sampledValue": [{"value": 1.5}]}
    message = json.dumps(
        [2, "1", "MeterValues", {"evseId": 1, "meterValue": [value, value]}]
    )

    async def scenario() -> None:
        async with connected(MeterCsms, items_per_message={"MeterValues": 1}) as (
            _,
            peer,
        ):
            frame = await peer.exchange(message)
            assert error_frame(frame) == ("1", "OccurrenceConstraintViolation")
            assert frame[4]["problems"][0]["path"] == "$.meterValue"
        async with connected(MeterCsms, items_per_message={"MeterValues": 2}) as (
            _,
            peer,
        ):
            assert (await peer.exchange(message))[0] == 3
        # An int applies to the actions with an ItemsPerMessage variable only.
        async with connected(MeterCsms, items_per_message=1) as (_, peer):
            assert (await peer.exchange(message))[0] == 3

    run(scenario())
