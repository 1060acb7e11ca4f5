"""What a node reports about ``endpoint.call()`` is raised again by the caller as the
same exception, with the same fields (through the JSON that travels in Redis)."""

from __future__ import annotations

import json

import pytest

from ocpp201 import (
    CallError,
    CallTimeoutError,
    ConnectionClosedError,
    ErrorCode,
    LocalProtocolError,
    LocalValidationError,
    Problem,
    RemoteProtocolError,
    RemoteValidationError,
)
from ocpp201.fleet import FleetError
from ocpp201.fleet._wire import error_reply, parse_command, raise_reply

PROBLEMS = [
    Problem("$.type", ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, "not one of ..."),
    Problem("$.evseId", ErrorCode.TYPE_CONSTRAINT_VIOLATION, "expected an integer"),
]


def round_trip(exc: BaseException) -> BaseException:
    reply = json.loads(json.dumps(error_reply("r1", exc)))
    assert reply["r"] == "r1"
    with pytest.raises(Exception) as info:
        raise_reply("CS1", "node-a", reply)
    return info.value


def test_call_error_keeps_code_description_details() -> None:
    for code in (ErrorCode.SECURITY_ERROR, "VendorSpecificCode"):
        again = round_trip(
            CallError(code, "no", {"a": [1]}, message_id="m1", action="Reset")
        )
        assert isinstance(again, CallError)
        assert again.code == code
        assert type(again.code) is type(code)
        assert (again.description, again.details) == ("no", {"a": [1]})
        assert (again.message_id, again.action) == ("m1", "Reset")


def test_validation_errors_keep_their_side_and_problems() -> None:
    remote = round_trip(
        RemoteValidationError(
            PROBLEMS, type_name="ResetResponse", message_id="m2", action="Reset"
        )
    )
    assert isinstance(remote, RemoteValidationError)
    assert list(remote.problems) == PROBLEMS
    assert (remote.message_id, remote.action) == ("m2", "Reset")
    local = round_trip(LocalValidationError(PROBLEMS, type_name="ResetRequest"))
    assert isinstance(local, LocalValidationError)
    assert list(local.problems) == PROBLEMS
    assert local.type_name == "ResetRequest"


@pytest.mark.parametrize(
    "exc",
    [
        LocalProtocolError("may not send"),
        RemoteProtocolError("malformed"),
        CallTimeoutError("late"),
        ConnectionClosedError("closed 1006"),
    ],
)
def test_other_errors_keep_their_type_and_say_where(exc: Exception) -> None:
    again = round_trip(exc)
    assert type(again) is type(exc)
    assert str(exc) in str(again)
    assert "'CS1'" in str(again)
    assert "'node-a'" in str(again)


def test_anything_else_is_a_fleet_error_without_internals() -> None:
    again = round_trip(KeyError("secret internal detail"))
    assert type(again) is FleetError
    assert "secret" not in str(again)


def test_malformed_commands_are_refused() -> None:
    assert parse_command(b"no newline") is None
    assert parse_command(b"3\nnot json") is None
    assert parse_command(b"3\n[1, 2]") is None
    assert parse_command(b'3\n{"k": "call"}') is None  # no identity
    command = parse_command(b'12\n{"k": "call", "i": "CS1"}')
    assert command is not None
    assert (command.epoch, command.body["i"]) == ("12", "CS1")
