"""``call()``: results, errors, timeouts, the one-CALL-at-a-time queue, ids."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid

import pytest
from rpc_helpers import (
    BOOT_PAYLOAD,
    BOOT_RESPONSE_PAYLOAD,
    HEARTBEAT_RESPONSE_PAYLOAD,
    boot_request,
    boot_response,
    bounded,
    connected,
    endpoints,
    reset_request,
    run,
)

from ocpp201 import (
    CSMS,
    Action,
    CallError,
    CallTimeoutError,
    ChargePoint,
    ConnectionClosedError,
    ErrorCode,
    Hooks,
    LocalProtocolError,
    LocalValidationError,
    UnmatchedResponse,
    ValidationError,
    _endpoint,
    on,
)
from ocpp201 import datatypes as d
from ocpp201 import messages as m


class Csms(CSMS):
    @on(Action.BOOT_NOTIFICATION)
    async def boot(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        assert request.charging_station.vendor_name == "Vendor"
        return boot_response()


# ------------------------------------------------------------------ results


def test_call_returns_the_typed_response() -> None:
    async def scenario() -> None:
        async with endpoints(csms_cls=Csms) as (cp, _):
            response = await cp.call(boot_request(), timeout=2)
            assert response == boot_response()
            assert type(response) is m.BootNotificationResponse

    run(scenario())


def test_call_sends_a_compact_call_frame_with_a_uuid4_id() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            task = asyncio.ensure_future(cp.call(boot_request(), timeout=2))
            text = await peer.recv_text()
            assert isinstance(text, str)
            frame = json.loads(text)
            assert frame[0] == 2 and frame[2] == "BootNotification"
            assert frame[3] == BOOT_PAYLOAD
            assert uuid.UUID(frame[1]).version == 4
            assert " " not in text
            await peer.send_json([3, frame[1], BOOT_RESPONSE_PAYLOAD])
            assert await bounded(task) == boot_response()

    run(scenario())


# ------------------------------------------------------------------ CALLERROR


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NotSupported", ErrorCode.NOT_SUPPORTED),
        ("SecurityError", ErrorCode.SECURITY_ERROR),
        ("SomeVendorCode", "SomeVendorCode"),
    ],
)
def test_callerror_raises_call_error_with_code_description_details(
    code: str, expected: object
) -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            task = asyncio.ensure_future(cp.call(boot_request(), timeout=2))
            frame = await peer.recv()
            await peer.send_json([4, frame[1], code, "nope", {"why": [1, 2]}])
            with pytest.raises(CallError) as info:
                await bounded(task)
            error = info.value
            assert error.code == expected
            assert type(error.code) is type(expected)
            assert error.description == "nope"
            assert error.details == {"why": [1, 2]}
            assert error.message_id == frame[1]
            assert error.action == "BootNotification"
            await peer.expect_nothing()

    run(scenario())


# ------------------------------------------------------------------ local errors


def test_calling_an_action_of_the_other_role_is_a_local_error() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            with pytest.raises(LocalProtocolError, match="cannot send Reset"):
                await cp.call(reset_request())
            await peer.expect_nothing()
        async with connected(CSMS) as (csms, peer):
            with pytest.raises(
                LocalProtocolError, match="cannot send BootNotification"
            ):
                await csms.call(boot_request())
            await peer.expect_nothing()

    run(scenario())


def test_calling_with_something_that_is_not_a_request_is_a_local_error() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, _):
            with pytest.raises(LocalProtocolError):
                await cp.call(boot_response())  # type: ignore[arg-type]
            with pytest.raises(LocalProtocolError):
                await cp.call("BootNotification")  # type: ignore[arg-type]

    run(scenario())


def test_an_invalid_request_is_refused_before_anything_is_sent() -> None:
    async def scenario() -> None:
        async with connected(CSMS) as (csms, peer):
            request = m.GetVariablesRequest(
                get_variable_data=[
                    d.GetVariableDataType(
                        component=d.ComponentType(name="C"),
                        variable=d.VariableType(name="V"),
                    )
                ]
            )
            request.get_variable_data.clear()  # minItems 1, behind attrs' back
            with pytest.raises(LocalValidationError) as info:
                await csms.call(request)
            assert isinstance(info.value, ValidationError)
            assert isinstance(info.value, LocalProtocolError)
            assert info.value.code is ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
            await peer.expect_nothing()

    run(scenario())


def test_an_invalid_timeout_is_refused() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, _):
            with pytest.raises(ValueError):
                await cp.call(m.HeartbeatRequest(), timeout=0)

    run(scenario())
    with pytest.raises(ValueError):
        ChargePoint("x", None, call_timeout=-1)  # type: ignore[arg-type]


# ------------------------------------------------------------------ timeouts


def test_call_times_out() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            loop = asyncio.get_running_loop()
            start = loop.time()
            with pytest.raises(CallTimeoutError, match="no response to Heartbeat"):
                await cp.call(m.HeartbeatRequest(), timeout=0.1)
            assert 0.09 <= loop.time() - start < 1
            assert (await peer.recv())[2] == "Heartbeat"

    run(scenario())


def test_call_timeout_default_is_30_seconds_and_configurable() -> None:
    from ocpp201 import memory_pair

    a, _ = memory_pair()
    assert ChargePoint("x", a).call_timeout == 30.0

    async def scenario() -> None:
        async with connected(ChargePoint, call_timeout=0.05) as (cp, _):
            with pytest.raises(CallTimeoutError):
                await cp.call(m.HeartbeatRequest())

    run(scenario())


def test_a_timeout_is_a_timeout_error() -> None:
    assert issubclass(CallTimeoutError, TimeoutError)


def test_a_late_response_is_logged_and_dropped_never_answered() -> None:
    unmatched: list[UnmatchedResponse] = []
    hooks = Hooks(unmatched_response=lambda _, event: unmatched.append(event))

    async def scenario() -> None:
        async with connected(ChargePoint, hooks=hooks) as (cp, peer):
            with pytest.raises(CallTimeoutError):
                await cp.call(m.HeartbeatRequest(), timeout=0.05)
            frame = await peer.recv()
            await peer.send_json([3, frame[1], HEARTBEAT_RESPONSE_PAYLOAD])
            await peer.expect_nothing()
            assert [u.message_id for u in unmatched] == [frame[1]]
            assert "late or unknown" in unmatched[0].reason
            # The slot is free: the next call goes out and succeeds.
            task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            await peer.answer_next_call(HEARTBEAT_RESPONSE_PAYLOAD)
            assert (await bounded(task)).current_time.year == 2025

    run(scenario())


# ------------------------------------------------------------------ the queue


def test_one_outstanding_call_at_a_time_and_queued_calls_go_in_order() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            tasks = [
                asyncio.ensure_future(
                    cp.call(m.DataTransferRequest(vendor_id=f"v{i}"), timeout=5)
                )
                for i in range(4)
            ]
            for i in range(4):
                frame = await peer.recv()
                assert frame[3] == {"vendorId": f"v{i}"}
                # Nothing else is sent while this CALL is outstanding.
                with pytest.raises(asyncio.TimeoutError):
                    await peer.recv(timeout=0.02)
                await peer.send_json([3, frame[1], {"status": "Accepted", "data": i}])
            results = await bounded(asyncio.gather(*tasks))
            assert [r.data for r in results] == [0, 1, 2, 3]

    run(scenario())


def test_a_timed_out_call_frees_the_slot_for_the_next() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            first = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=0.1))
            second = asyncio.ensure_future(
                cp.call(m.DataTransferRequest(vendor_id="second"), timeout=2)
            )
            assert (await peer.recv())[2] == "Heartbeat"
            with pytest.raises(CallTimeoutError):
                await bounded(first)
            frame = await peer.recv()
            assert frame[2] == "DataTransfer"
            await peer.send_json([3, frame[1], {"status": "Accepted"}])
            assert (await bounded(second)).status.value == "Accepted"

    run(scenario())


def test_a_queued_call_whose_timeout_expires_is_never_sent() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            first = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            frame = await peer.recv()
            with pytest.raises(CallTimeoutError, match="not sent"):
                await cp.call(m.DataTransferRequest(vendor_id="x"), timeout=0.05)
            await peer.send_json([3, frame[1], HEARTBEAT_RESPONSE_PAYLOAD])
            await bounded(first)
            await peer.expect_nothing()

    run(scenario())


def test_a_cancelled_call_frees_the_slot() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, peer):
            first = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=5))
            waiting = asyncio.ensure_future(
                cp.call(m.DataTransferRequest(vendor_id="cancelled"), timeout=5)
            )
            third = asyncio.ensure_future(
                cp.call(m.DataTransferRequest(vendor_id="third"), timeout=5)
            )
            await peer.recv()
            waiting.cancel()
            first.cancel()
            frame = await peer.recv()
            assert frame[3] == {"vendorId": "third"}
            await peer.send_json([3, frame[1], {"status": "Rejected"}])
            assert (await bounded(third)).status.value == "Rejected"
            for task in (first, waiting):
                with pytest.raises(asyncio.CancelledError):
                    await task

    run(scenario())


# ------------------------------------------------------------------ message ids


def test_message_ids_are_never_reused() -> None:
    # Default ids: canonical UUID4 strings, distinct across answered, failed,
    # timed-out and queued calls, and across endpoints.
    async def scenario() -> list[str]:
        ids: list[str] = []
        for _ in range(2):
            async with connected(ChargePoint) as (cp, peer):
                for _ in range(25):
                    calls = [
                        asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
                        for _ in range(4)
                    ]
                    for index, call in enumerate(calls):
                        frame = await peer.recv()
                        ids.append(frame[1])
                        if index == 0:
                            await peer.send_json(
                                [3, frame[1], HEARTBEAT_RESPONSE_PAYLOAD]
                            )
                        elif index == 1:
                            await peer.send_json([4, frame[1], "GenericError", "", {}])
                        else:
                            call.cancel()  # given up on: the id must still not return
                        with contextlib.suppress(CallError, asyncio.CancelledError):
                            await bounded(call)
                with pytest.raises(CallTimeoutError):
                    await cp.call(m.HeartbeatRequest(), timeout=0.01)
                ids.append((await peer.recv())[1])
        return ids

    ids = run(scenario())
    assert len(ids) == 2 * (25 * 4 + 1)
    assert len(set(ids)) == len(ids)
    for message_id in ids:
        assert str(uuid.UUID(message_id)) == message_id
        assert uuid.UUID(message_id).version == 4


def test_a_factory_repeating_an_id_this_endpoint_used_is_refused() -> None:
    ids = iter(["a", "a", "b", "a"])

    async def scenario() -> None:
        async with connected(ChargePoint, message_id_factory=lambda: next(ids)) as (
            cp,
            peer,
        ):
            task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            await peer.answer_next_call(HEARTBEAT_RESPONSE_PAYLOAD)
            await bounded(task)
            # "a" is answered and no longer pending, but it was used: refused.
            with pytest.raises(LocalProtocolError, match="repeated 'a'"):
                await cp.call(m.HeartbeatRequest(), timeout=2)
            await peer.expect_nothing()
            task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            assert (await peer.answer_next_call(HEARTBEAT_RESPONSE_PAYLOAD))[1] == "b"
            await bounded(task)
            with pytest.raises(LocalProtocolError, match="repeated 'a'"):
                await cp.call(m.HeartbeatRequest(), timeout=2)

    run(scenario())


def test_the_memory_of_used_ids_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_endpoint, "MESSAGE_ID_MEMORY", 3)
    ids = iter(["1", "2", "3", "4", "4", "1"])

    async def scenario() -> None:
        async with connected(ChargePoint, message_id_factory=lambda: next(ids)) as (
            cp,
            peer,
        ):
            for expected in ("1", "2", "3", "4"):
                task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
                frame = await peer.answer_next_call(HEARTBEAT_RESPONSE_PAYLOAD)
                assert frame[1] == expected
                await bounded(task)
            with pytest.raises(LocalProtocolError, match="repeated '4'"):
                await cp.call(m.HeartbeatRequest(), timeout=2)
            # "1" is no longer among the 3 most recent ids: it may come back.
            task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            assert (await peer.answer_next_call(HEARTBEAT_RESPONSE_PAYLOAD))[1] == "1"
            await bounded(task)

    run(scenario())


def test_message_id_factory_is_injectable() -> None:
    counter = itertools.count(1)

    async def scenario() -> None:
        async with connected(
            ChargePoint, message_id_factory=lambda: f"cp-{next(counter)}"
        ) as (cp, peer):
            task = asyncio.ensure_future(cp.call(m.HeartbeatRequest(), timeout=2))
            assert (await peer.answer_next_call(HEARTBEAT_RESPONSE_PAYLOAD))[
                1
            ] == "cp-1"
            await bounded(task)

    run(scenario())


@pytest.mark.parametrize("bad", ["", "x" * 37, 17])
def test_an_invalid_factory_id_is_a_local_error(bad: object) -> None:
    async def scenario() -> None:
        async with connected(ChargePoint, message_id_factory=lambda: bad) as (cp, peer):
            with pytest.raises(LocalProtocolError, match="message_id_factory"):
                await cp.call(m.HeartbeatRequest(), timeout=1)
            await peer.expect_nothing()
            # The slot was released.
            with pytest.raises(LocalProtocolError):
                await cp.call(m.HeartbeatRequest(), timeout=1)

    run(scenario())


# ------------------------------------------------------------------ closed


def test_call_on_a_closed_endpoint_fails_at_once() -> None:
    async def scenario() -> None:
        async with connected(ChargePoint) as (cp, _):
            pass
        assert cp.closed
        with pytest.raises(ConnectionClosedError):
            await cp.call(m.HeartbeatRequest())

    run(scenario())
