"""Tracing hooks and logging: frames in and out, validation failures, unmatched
responses, one logger per station."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from rpc_helpers import (
    BOOT_PAYLOAD,
    HEARTBEAT_RESPONSE_PAYLOAD,
    BootCsms,
    boot_response,
    bounded,
    capture_logs,
    connected,
    run,
)

from ocpp201 import (
    CallTimeoutError,
    ChargePoint,
    Hooks,
    LocalValidationError,
    RemoteValidationError,
    RpcEndpoint,
    UnmatchedResponse,
    ValidationFailure,
)
from ocpp201 import messages as m


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def hooks(self) -> Hooks:
        return Hooks(
            frame_received=lambda ep, f: self.events.append(("in", f)),
            frame_sent=lambda ep, f: self.events.append(("out", f)),
            validation_failed=lambda ep, v: self.events.append(("invalid", v)),
            unmatched_response=lambda ep, u: self.events.append(("unmatched", u)),
        )


def test_every_frame_in_and_out_is_traced() -> None:
    recorder = Recorder()
    boot = json.dumps([2, "b", "BootNotification", BOOT_PAYLOAD])

    async def scenario() -> None:
        async with connected(BootCsms, hooks=recorder.hooks()) as (_, peer):
            await peer.exchange(boot)
            await peer.exchange(b"\xff")
            await peer.exchange('[2,"h","Heartbeat",{}]')

    run(scenario())
    kinds = [
        (kind, value if kind == "in" else json.loads(value)[:3])
        for kind, value in recorder.events
    ]
    assert kinds == [
        ("in", boot),
        (
            "out",
            [
                3,
                "b",
                {
                    "currentTime": "2025-01-02T03:04:05Z",
                    "interval": 300,
                    "status": "Accepted",
                },
            ],
        ),
        ("in", b"\xff"),
        ("out", [4, "-1", "RpcFrameworkError"]),
        ("in", '[2,"h","Heartbeat",{}]'),
        ("out", [4, "h", "NotSupported"]),
    ]


def test_validation_failures_are_reported_in_both_directions() -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with connected(BootCsms, hooks=recorder.hooks()) as (_, peer):
            await peer.exchange('[2,"b","BootNotification",{"reason":"PowerUp"}]')
        async with connected(ChargePoint, hooks=recorder.hooks()) as (cp, peer):
            task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            await peer.answer_next_call({"currentTime": 5})
            with pytest.raises(RemoteValidationError):
                await bounded(task)
            request = m.SecurityEventNotificationRequest(
                type="t", timestamp=boot_response().current_time
            )
            object.__setattr__(request, "type", "x" * 100)
            with pytest.raises(LocalValidationError):
                await cp.call(request)

    run(scenario())
    failures = [v for kind, v in recorder.events if kind == "invalid"]
    assert all(isinstance(f, ValidationFailure) for f in failures)
    assert [(f.direction, f.kind, f.action, f.error.code.value) for f in failures] == [
        ("incoming", "request", "BootNotification", "OccurrenceConstraintViolation"),
        ("incoming", "response", "Heartbeat", "TypeConstraintViolation"),
        ("outgoing", "request", "SecurityEventNotification", "TypeConstraintViolation"),
    ]
    assert failures[0].message_id == "b"
    assert failures[2].message_id is None  # never sent, so no id


def test_unmatched_and_malformed_responses_are_reported() -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with connected(ChargePoint, hooks=recorder.hooks()) as (cp, peer):
            await peer.send('[3,"ghost",{}]')
            await peer.send("[4,17]")
            with pytest.raises(CallTimeoutError):
                await cp.call(m.HeartbeatRequest(), timeout=0.05)
            frame = await peer.recv()
            await peer.send_json([3, frame[1], HEARTBEAT_RESPONSE_PAYLOAD])
            await peer.expect_nothing()

    run(scenario())
    unmatched = [u for kind, u in recorder.events if kind == "unmatched"]
    assert all(isinstance(u, UnmatchedResponse) for u in unmatched)
    assert [u.message_id for u in unmatched] == ["ghost", None, unmatched[2].message_id]
    assert unmatched[1].frame == "[4,17]"
    assert "message id" in unmatched[1].reason


def test_a_failing_hook_is_logged_and_ignored() -> None:
    def explode(endpoint: RpcEndpoint, frame: Any) -> None:
        raise RuntimeError("hook bug")

    async def scenario() -> None:
        async with connected(
            BootCsms, hooks=Hooks(frame_received=explode, frame_sent=explode)
        ) as (_, peer):
            frame = await peer.exchange(
                json.dumps([2, "b", "BootNotification", BOOT_PAYLOAD])
            )
            assert frame[:2] == [3, "b"]

    with capture_logs() as logs:
        run(scenario())
    assert sum("hook" in text for text in logs.messages(logging.ERROR)) == 2


def test_one_logger_per_station_and_frames_at_debug() -> None:
    async def scenario() -> None:
        async with connected(BootCsms, identity="CS-42") as (csms, peer):
            assert csms.logger.name == "ocpp201.rpc.CS-42"
            await peer.exchange(json.dumps([2, "b", "BootNotification", BOOT_PAYLOAD]))

    with capture_logs("ocpp201.rpc.CS-42") as logs:
        run(scenario())
    debug = [r.getMessage() for r in logs.records if r.levelno == logging.DEBUG]
    assert debug[0].startswith('< [2, "b", "BootNotification"')
    assert debug[1].startswith('> [3,"b",')
    assert all(r.name == "ocpp201.rpc.CS-42" for r in logs.records)


def test_bad_input_is_logged_as_the_peers_fault() -> None:
    async def scenario() -> None:
        async with connected(BootCsms) as (_, peer):
            await peer.exchange("garbage")
            await peer.exchange('[2,"b","BootNotification",{}]')

    with capture_logs() as logs:
        run(scenario())
    warnings = logs.messages(logging.WARNING)
    assert any(
        "bad message from the peer" in w and "RpcFrameworkError" in w for w in warnings
    )
    assert any("invalid BootNotification request from the peer" in w for w in warnings)


def test_a_custom_logger_can_be_given() -> None:
    custom = logging.getLogger("myapp.station")

    async def scenario() -> None:
        async with connected(BootCsms, logger=custom) as (csms, peer):
            assert csms.logger is custom
            await peer.exchange("[]")

    with capture_logs("myapp") as logs:
        run(scenario())
    assert any("bad message" in text for text in logs.messages(logging.WARNING))
