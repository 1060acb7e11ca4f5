"""The implementations bench/compare.py races, each started on an in-memory connection.

Every contender is a server (a CSMS answering Heartbeat, BootNotification and
TransactionEvent with the fixed answers of :mod:`payloads`) and a client (a charging
station whose ``call`` does a full round trip).  ``start_server`` / ``start_client``
start one on the given connection(s) and return what the harness awaits; everything
they start is registered on an :class:`contextlib.AsyncExitStack` for teardown.

Contenders: ``ocpp201`` (a given import of the package, so that both JSON backends can
run in one process), the PyPI ``ocpp`` 2.1.0 package in three modes (``defaults``:
validation in the default thread pool; ``sync``: the same jsonschema validation, run
inline by setting ``ocpp.messages.ASYNC_VALIDATION = False``; ``off``: ``@on(...,
skip_schema_validation=True)`` and ``call(..., skip_schema_validation=True)``), the two
floors of :mod:`floors` and a bare echo server (the harness alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import floors
from payloads import BOOT, NOW, NOW_TEXT, REQUESTS, TRANSACTION_EVENT

Call = Callable[[str], Awaitable[Any]]
"""A client's round trip: the action name in, the decoded response out."""

OCPP_MODES = ("defaults", "sync", "off")


@functools.cache
def ocpp201_csms(package: ModuleType) -> type[Any]:
    """A CSMS subclass of this import of ocpp201 with the benchmark's handlers."""
    on, action, messages, enums = (
        package.on,
        package.Action,
        package.messages,
        package.enums,
    )
    base: Any = package.CSMS

    def heartbeat(self: Any, request: Any) -> Any:
        return messages.HeartbeatResponse(current_time=NOW)

    def boot(self: Any, request: Any) -> Any:
        return messages.BootNotificationResponse(
            current_time=NOW,
            interval=300,
            status=enums.RegistrationStatusEnumType.ACCEPTED,
        )

    def transaction(self: Any, request: Any) -> Any:
        assert request.event_type is enums.TransactionEventEnumType.UPDATED
        return messages.TransactionEventResponse(total_cost=1.25)

    class BenchCSMS(base):  # type: ignore[misc]
        on_heartbeat = on(action.HEARTBEAT)(heartbeat)
        on_boot = on(action.BOOT_NOTIFICATION)(boot)
        on_transaction = on(action.TRANSACTION_EVENT)(transaction)

    return BenchCSMS


async def start_ocpp201_server(
    package: ModuleType, connection: Any, stack: contextlib.AsyncExitStack
) -> Any:
    csms = ocpp201_csms(package)("CS001", connection)
    return await stack.enter_async_context(csms)


async def start_ocpp201_client(
    package: ModuleType, pair: tuple[Any, Any], stack: contextlib.AsyncExitStack
) -> Call:
    await start_ocpp201_server(package, pair[1], stack)
    # ChargingStation is the newer name of ChargePoint (which stays an alias).
    station_class = getattr(package, "ChargingStation", None) or package.ChargePoint
    station = await stack.enter_async_context(station_class("CS001", pair[0]))
    messages = package.messages
    requests = {
        "Heartbeat": messages.HeartbeatRequest(),
        "BootNotification": package.from_payload(
            messages.BootNotificationRequest, BOOT
        ),
        "TransactionEvent": package.from_payload(
            messages.TransactionEventRequest, TRANSACTION_EVENT
        ),
    }

    async def call(action: str) -> Any:
        return await station.call(requests[action])

    return call


@functools.cache
def _ocpp_csms(skip: bool) -> type[Any]:
    """The ``ocpp`` package's CSMS with the benchmark's handlers (one class each)."""
    from ocpp.routing import on  # type: ignore[import-untyped]
    from ocpp.v201 import ChargePoint, call_result  # type: ignore[import-untyped]

    def heartbeat(self: Any, **_: Any) -> Any:
        return call_result.Heartbeat(current_time=NOW_TEXT)

    def boot(self: Any, **_: Any) -> Any:
        return call_result.BootNotification(
            current_time=NOW_TEXT, interval=300, status="Accepted"
        )

    def transaction(self: Any, **kwargs: Any) -> Any:
        assert kwargs["event_type"] == "Updated"
        return call_result.TransactionEvent(total_cost=1.25)

    class TheirCSMS(ChargePoint):  # type: ignore[misc]
        """Its routes are found by the handler's ``__name__`` when it is created."""

    for action, handler in (
        ("Heartbeat", heartbeat),
        ("BootNotification", boot),
        ("TransactionEvent", transaction),
    ):
        routed = on(action, skip_schema_validation=skip)(handler)
        setattr(TheirCSMS, handler.__name__, routed)

    return TheirCSMS


def set_ocpp_mode(mode: str) -> None:
    """Switch the ``ocpp`` package's module-wide validation mode (before each run)."""
    import ocpp.messages  # type: ignore[import-untyped]

    ocpp.messages.ASYNC_VALIDATION = mode != "sync"


def _run_ocpp(endpoint: Any, connection: Any, stack: contextlib.AsyncExitStack) -> None:
    task = asyncio.ensure_future(endpoint.start())

    async def stop() -> None:
        await connection.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    stack.push_async_callback(stop)


async def start_ocpp_server(
    mode: str, connection: Any, stack: contextlib.AsyncExitStack
) -> Any:
    csms = _ocpp_csms(skip=mode == "off")("CS001", connection)
    _run_ocpp(csms, connection, stack)
    return csms


async def start_ocpp_client(
    mode: str, pair: tuple[Any, Any], stack: contextlib.AsyncExitStack
) -> Call:
    from ocpp.charge_point import (  # type: ignore[import-untyped]
        camel_to_snake_case,
    )
    from ocpp.v201 import ChargePoint
    from ocpp.v201 import call as their_call

    await start_ocpp_server(mode, pair[1], stack)
    station = ChargePoint("CS001", pair[0])
    _run_ocpp(station, pair[0], stack)
    requests = {
        name: getattr(their_call, name)(**camel_to_snake_case(payload))
        for name, payload in REQUESTS.items()
    }
    skip = mode == "off"

    async def call(action: str) -> Any:
        response = await station.call(requests[action], skip_schema_validation=skip)
        assert response is not None, "the ocpp CSMS answered with a CALLERROR"
        return response

    return call


async def _serve(
    serve: Callable[[Any], Awaitable[None]],
    connection: Any,
    stack: contextlib.AsyncExitStack,
) -> None:
    task = asyncio.ensure_future(serve(connection))

    async def stop() -> None:
        await connection.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    stack.push_async_callback(stop)


async def start_floor_server(
    kind: str, connection: Any, stack: contextlib.AsyncExitStack
) -> None:
    serve = floors.serve_msgspec if kind == "msgspec" else floors.serve_stdlib
    await _serve(serve, connection, stack)


async def start_floor_client(
    kind: str, pair: tuple[Any, Any], stack: contextlib.AsyncExitStack
) -> Call:
    await start_floor_server(kind, pair[1], stack)
    client = (
        floors.MsgspecClient(pair[0])
        if kind == "msgspec"
        else floors.StdlibClient(pair[0])
    )
    return client.call


async def _echo(connection: Any) -> None:
    """The harness alone: answer every frame with one constant CALLRESULT."""
    reply = '[3,"0",{}]'
    while True:
        try:
            await connection.recv()
        except Exception:
            return
        await connection.send(reply)


async def start_echo_server(connection: Any, stack: contextlib.AsyncExitStack) -> None:
    await _serve(_echo, connection, stack)
