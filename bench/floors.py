"""The two floors of bench/compare.py: what plain Python does with the same frames.

* ``stdlib``: ``json.loads`` the frame, hand the payload dict to a dict handler,
  ``json.dumps`` the CALLRESULT.  No validation at all: the cost of JSON + framing.
* ``msgspec``: ``msgspec.Struct`` types for the three actions with the schema's
  constraints (required fields, maxLength, minItems, enums, date-times, no unknown
  properties; only customData is not checked for its vendorId), decoded with
  validation and encoded back.  What typed, validated Python can do at best.

Both run a server loop (receive a CALL, answer it) and a client (send a CALL, wait
for the CALLRESULT, match its id, decode it) over any connection with ``send`` and
``recv``.  Message ids come from a counter (the libraries under test make UUIDs).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from payloads import NOW, REQUESTS, RESPONSES

from ocpp201.enums import (
    BootReasonEnumType,
    ChargingStateEnumType,
    IdTokenEnumType,
    LocationEnumType,
    MeasurandEnumType,
    PhaseEnumType,
    ReadingContextEnumType,
    ReasonEnumType,
    RegistrationStatusEnumType,
    TransactionEventEnumType,
    TriggerReasonEnumType,
)

Str20 = Annotated[str, msgspec.Meta(max_length=20)]
Str25 = Annotated[str, msgspec.Meta(max_length=25)]
Str36 = Annotated[str, msgspec.Meta(max_length=36)]
Str50 = Annotated[str, msgspec.Meta(max_length=50)]
Str255 = Annotated[str, msgspec.Meta(max_length=255)]
Str512 = Annotated[str, msgspec.Meta(max_length=512)]
Str2500 = Annotated[str, msgspec.Meta(max_length=2500)]


class _Object(
    msgspec.Struct,
    kw_only=True,
    forbid_unknown_fields=True,
    omit_defaults=True,
    rename="camel",
):
    """additionalProperties: false, camelCase wire names, absent fields omitted."""


class CustomData(msgspec.Struct, kw_only=True, rename="camel"):
    vendor_id: Str255


class Modem(_Object, kw_only=True):
    custom_data: CustomData | None = None
    iccid: Str20 | None = None
    imsi: Str20 | None = None


class ChargingStation(_Object, kw_only=True):
    custom_data: CustomData | None = None
    serial_number: Str25 | None = None
    model: Str20
    modem: Modem | None = None
    vendor_name: Str50
    firmware_version: Str50 | None = None


class BootNotificationRequest(_Object, kw_only=True):
    custom_data: CustomData | None = None
    charging_station: ChargingStation
    reason: BootReasonEnumType


class StatusInfo(_Object, kw_only=True):
    custom_data: CustomData | None = None
    reason_code: Str20
    additional_info: Str512 | None = None


class BootNotificationResponse(_Object, kw_only=True):
    custom_data: CustomData | None = None
    current_time: datetime
    interval: int
    status: RegistrationStatusEnumType
    status_info: StatusInfo | None = None


class HeartbeatRequest(_Object, kw_only=True):
    custom_data: CustomData | None = None


class HeartbeatResponse(_Object, kw_only=True):
    custom_data: CustomData | None = None
    current_time: datetime


class UnitOfMeasure(_Object, kw_only=True):
    custom_data: CustomData | None = None
    unit: Str20 | None = None
    multiplier: int | None = None


class SignedMeterValue(_Object, kw_only=True):
    custom_data: CustomData | None = None
    signed_meter_data: Str2500
    signing_method: Str50
    encoding_method: Str50
    public_key: Str2500


class SampledValue(_Object, kw_only=True):
    custom_data: CustomData | None = None
    value: float
    context: ReadingContextEnumType | None = None
    measurand: MeasurandEnumType | None = None
    phase: PhaseEnumType | None = None
    location: LocationEnumType | None = None
    signed_meter_value: SignedMeterValue | None = None
    unit_of_measure: UnitOfMeasure | None = None


class MeterValue(_Object, kw_only=True):
    custom_data: CustomData | None = None
    sampled_value: Annotated[list[SampledValue], msgspec.Meta(min_length=1)]
    timestamp: datetime


class Transaction(_Object, kw_only=True):
    custom_data: CustomData | None = None
    transaction_id: Str36
    charging_state: ChargingStateEnumType | None = None
    time_spent_charging: int | None = None
    stopped_reason: ReasonEnumType | None = None
    remote_start_id: int | None = None


class AdditionalInfo(_Object, kw_only=True):
    custom_data: CustomData | None = None
    additional_id_token: Str36
    type: Str50


class IdToken(_Object, kw_only=True):
    custom_data: CustomData | None = None
    additional_info: (
        Annotated[list[AdditionalInfo], msgspec.Meta(min_length=1)] | None
    ) = None
    id_token: Str36
    type: IdTokenEnumType


class EVSE(_Object, kw_only=True):
    custom_data: CustomData | None = None
    id: int
    connector_id: int | None = None


class TransactionEventRequest(_Object, kw_only=True):
    custom_data: CustomData | None = None
    event_type: TransactionEventEnumType
    meter_value: Annotated[list[MeterValue], msgspec.Meta(min_length=1)] | None = None
    timestamp: datetime
    trigger_reason: TriggerReasonEnumType
    seq_no: int
    offline: bool | None = None
    number_of_phases_used: int | None = None
    cable_max_current: int | None = None
    reservation_id: int | None = None
    transaction_info: Transaction
    evse: EVSE | None = None
    id_token: IdToken | None = None


class TransactionEventResponse(_Object, kw_only=True):
    """Only the fields this benchmark answers with (the others stay absent)."""

    custom_data: CustomData | None = None
    total_cost: float | None = None
    charging_priority: int | None = None


_REQUEST_TYPES: dict[str, type[msgspec.Struct]] = {
    "Heartbeat": HeartbeatRequest,
    "BootNotification": BootNotificationRequest,
    "TransactionEvent": TransactionEventRequest,
}
_RESPONSE_TYPES: dict[str, type[msgspec.Struct]] = {
    "Heartbeat": HeartbeatResponse,
    "BootNotification": BootNotificationResponse,
    "TransactionEvent": TransactionEventResponse,
}


def _heartbeat(request: HeartbeatRequest) -> HeartbeatResponse:
    return HeartbeatResponse(current_time=NOW)


def _boot(request: BootNotificationRequest) -> BootNotificationResponse:
    return BootNotificationResponse(
        current_time=NOW, interval=300, status=RegistrationStatusEnumType.ACCEPTED
    )


def _transaction(request: TransactionEventRequest) -> TransactionEventResponse:
    assert request.event_type is TransactionEventEnumType.UPDATED
    return TransactionEventResponse(total_cost=1.25)


_HANDLERS: dict[str, Callable[[Any], msgspec.Struct]] = {
    "Heartbeat": _heartbeat,
    "BootNotification": _boot,
    "TransactionEvent": _transaction,
}


async def serve_msgspec(connection: Any) -> None:
    """Answer CALLs with typed, validated msgspec structs until the connection ends."""
    frame = msgspec.json.Decoder(tuple[int, str, str, msgspec.Raw])
    decoders = {name: msgspec.json.Decoder(cls) for name, cls in _REQUEST_TYPES.items()}
    encode = msgspec.json.Encoder().encode
    while True:
        try:
            message = await connection.recv()
        except Exception:
            return
        _, message_id, action, raw = frame.decode(message)
        response = _HANDLERS[action](decoders[action].decode(raw))
        await connection.send(encode((3, message_id, response)).decode())


class MsgspecClient:
    """Sends typed requests and decodes the typed, validated responses."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.requests = {
            name: msgspec.convert(REQUESTS[name], cls)
            for name, cls in _REQUEST_TYPES.items()
        }
        self._frame = msgspec.json.Decoder(tuple[int, str, msgspec.Raw])
        self._decoders = {
            name: msgspec.json.Decoder(cls) for name, cls in _RESPONSE_TYPES.items()
        }
        self._encode = msgspec.json.Encoder().encode
        self._ids = itertools.count()

    async def call(self, action: str) -> Any:
        message_id = str(next(self._ids))
        request = self.requests[action]
        await self.connection.send(
            self._encode((2, message_id, action, request)).decode()
        )
        _, answered, raw = self._frame.decode(await self.connection.recv())
        assert answered == message_id
        return self._decoders[action].decode(raw)


async def serve_stdlib(connection: Any) -> None:
    """Answer CALLs with dict handlers and the stdlib json module, no validation."""

    def answer(name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return RESPONSES[name]

    handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        name: functools.partial(answer, name) for name in RESPONSES
    }
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    while True:
        try:
            message = await connection.recv()
        except Exception:
            return
        frame = json.loads(message)
        if type(frame) is not list or len(frame) != 4 or frame[0] != 2:
            continue
        await connection.send(dumps([3, frame[1], handlers[frame[2]](frame[3])]))


class StdlibClient:
    """Sends payload dicts with the stdlib json module and returns the answer dict."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._dumps = json.JSONEncoder(separators=(",", ":")).encode
        self._ids = itertools.count()

    async def call(self, action: str) -> Any:
        message_id = str(next(self._ids))
        await self.connection.send(
            self._dumps([2, message_id, action, REQUESTS[action]])
        )
        frame = json.loads(await self.connection.recv())
        assert frame[1] == message_id
        return frame[2]
