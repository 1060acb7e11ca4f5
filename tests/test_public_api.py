"""The public API of ``ocpp201`` is pinned: a name added or removed is a decision.

When this test fails, either the change was a mistake, or update the list below
together with the docs and the changelog.
"""

from __future__ import annotations

import ocpp201

PUBLIC = [
    "CSMS",
    "JSON_NULL",
    "Action",
    "CallError",
    "CallFailed",
    "CallReceived",
    "CallSucceeded",
    "CallTimeoutError",
    "ChargePoint",
    "ChargingStation",
    "CloseConnection",
    "Connection",
    "ConnectionClosedError",
    "CustomAction",
    "ErrorCode",
    "FrameDropped",
    "HandlerError",
    "Hooks",
    "JsonNull",
    "LocalProtocolError",
    "LocalValidationError",
    "MemoryConnection",
    "Message",
    "OCPPError",
    "PreparedCall",
    "Problem",
    "RemoteProtocolError",
    "RemoteValidationError",
    "Request",
    "Response",
    "RpcConnection",
    "RpcEndpoint",
    "SendReply",
    "Sender",
    "StartedCall",
    "UnknownEnumValue",
    "UnmatchedResponse",
    "ValidationError",
    "ValidationFailure",
    "__version__",
    "after",
    "datatypes",
    "decode_payload",
    "enums",
    "from_payload",
    "memory_pair",
    "messages",
    "on",
    "to_payload",
]


def test_all_is_pinned() -> None:
    assert sorted(ocpp201.__all__) == sorted(PUBLIC)
    assert len(set(ocpp201.__all__)) == len(ocpp201.__all__)


def test_every_public_name_exists() -> None:
    for name in ocpp201.__all__:
        assert hasattr(ocpp201, name), name


def test_charge_point_is_the_charging_station() -> None:
    assert ocpp201.ChargePoint is ocpp201.ChargingStation
    assert ocpp201.ChargingStation.role is ocpp201.Sender.CHARGING_STATION
