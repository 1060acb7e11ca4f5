"""Helpers for the RPC tests: bounded async runs, a raw peer, ready-made messages.

No pytest-asyncio: each test is a plain function calling :func:`run`, and every await
in a test is bounded by ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import datetime, timezone
from typing import Any, TypeVar

from ocpp201 import (
    CSMS,
    Action,
    CallReceived,
    ChargePoint,
    MemoryConnection,
    RpcConnection,
    RpcEndpoint,
    SendReply,
    memory_pair,
    on,
)
from ocpp201 import datatypes as d
from ocpp201 import enums as e
from ocpp201 import messages as m

T = TypeVar("T")
E = TypeVar("E", bound=RpcEndpoint)

TEST_TIMEOUT = 10.0
"""Upper bound of any single test's event loop."""

RECV_TIMEOUT = 2.0
"""How long a raw peer waits for a frame that must come."""

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def run(coro: Coroutine[Any, Any, T], timeout: float = TEST_TIMEOUT) -> T:
    """Run ``coro`` in a fresh event loop, bounded by ``timeout`` seconds.

    Also checks that the coroutine left no task behind.
    """

    async def main() -> T:
        result = await asyncio.wait_for(coro, timeout)
        current = asyncio.current_task()
        leftover = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        assert not leftover, f"tasks left behind: {leftover}"
        return result

    return asyncio.run(main())


async def bounded(awaitable: Awaitable[T], timeout: float = RECV_TIMEOUT) -> T:
    """``await`` with a timeout (every wait in a test is bounded)."""
    return await asyncio.wait_for(awaitable, timeout)


class Peer:
    """The raw other end of an endpoint's connection: sends and reads JSON text."""

    def __init__(self, connection: MemoryConnection) -> None:
        self.connection = connection
        self._probes = 0

    async def send(self, message: str | bytes) -> None:
        await self.connection.send(message)

    async def send_json(self, value: Any) -> None:
        await self.connection.send(json.dumps(value))

    async def recv_text(self, timeout: float = RECV_TIMEOUT) -> str | bytes:
        return await bounded(self.connection.recv(), timeout)

    async def recv(self, timeout: float = RECV_TIMEOUT) -> Any:
        return json.loads(await self.recv_text(timeout))

    async def exchange(self, message: str | bytes) -> Any:
        """Send ``message`` and return the decoded frame sent back."""
        await self.send(message)
        return await self.recv()

    async def expect_nothing(self) -> None:
        """Check that nothing was sent back for what we sent so far.

        Sends a probe CALL of an unknown action; the endpoint handles messages in
        order, so the next frame must be the probe's NotImplemented answer.
        """
        self._probes += 1
        probe_id = f"probe-{self._probes}"
        await self.send_json([2, probe_id, "NoSuchProbeAction", {}])
        frame = await self.recv()
        assert frame[:3] == [4, probe_id, "NotImplemented"], frame

    async def answer_next_call(self, payload: Any) -> list[Any]:
        """Read our endpoint's next CALL and answer it with a CALLRESULT."""
        frame = await self.recv()
        assert frame[0] == 2, frame
        await self.send_json([3, frame[1], payload])
        return frame  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def connected(
    endpoint_cls: Callable[..., E] = ChargePoint,  # type: ignore[assignment]
    identity: str = "CS001",
    **options: Any,
) -> AsyncIterator[tuple[E, Peer]]:
    """A running endpoint on one end of a memory pair, a raw :class:`Peer` on the
    other."""
    a, b = memory_pair()
    endpoint = endpoint_cls(identity, a, **options)
    async with endpoint:
        yield endpoint, Peer(b)


@contextlib.asynccontextmanager
async def endpoints(
    cp_cls: Callable[..., ChargePoint] = ChargePoint,
    csms_cls: Callable[..., CSMS] = CSMS,
    identity: str = "CS001",
    **options: Any,
) -> AsyncIterator[tuple[Any, Any]]:
    """A running ChargePoint and CSMS connected to each other."""
    a, b = memory_pair()
    cp = cp_cls(identity, a, **options)
    csms = csms_cls(identity, b, **options)
    async with cp, csms:
        yield cp, csms


def error_frame(frame: Any) -> tuple[str, str]:
    """``(message id, error code)`` of a CALLERROR, checking its shape."""
    assert isinstance(frame, list) and len(frame) == 5, frame
    assert frame[0] == 4, frame
    assert isinstance(frame[1], str)
    assert isinstance(frame[2], str)
    assert isinstance(frame[3], str) and len(frame[3]) <= 255
    assert isinstance(frame[4], dict)
    return frame[1], frame[2]


# ------------------------------------------------------------------ messages


def boot_request() -> m.BootNotificationRequest:
    return m.BootNotificationRequest(
        charging_station=d.ChargingStationType(model="Model", vendor_name="Vendor"),
        reason=e.BootReasonEnumType.POWER_UP,
    )


BOOT_PAYLOAD = {
    "chargingStation": {"model": "Model", "vendorName": "Vendor"},
    "reason": "PowerUp",
}


def boot_response() -> m.BootNotificationResponse:
    return m.BootNotificationResponse(
        current_time=NOW, interval=300, status=e.RegistrationStatusEnumType.ACCEPTED
    )


def boot_answer(status: e.RegistrationStatusEnumType) -> m.BootNotificationResponse:
    return m.BootNotificationResponse(current_time=NOW, interval=10, status=status)


# ------------------------------------------------------------------ the sans-I/O core


def call(conn: RpcConnection, action: str, payload: Any, mid: str = "1") -> Any:
    """Feed one CALL; the event."""
    return conn.receive(json.dumps([2, mid, action, payload]))


def boot(conn: RpcConnection, status: e.RegistrationStatusEnumType) -> None:
    event = call(conn, "BootNotification", BOOT_PAYLOAD, "boot")
    assert isinstance(event, CallReceived)
    assert conn.respond(event, boot_answer(status)).code is None


def refused(event: Any) -> str:
    """The SecurityError description of a refusal."""
    assert isinstance(event, SendReply), event
    frame = json.loads(event.frame)
    assert frame[2] == "SecurityError", frame
    return str(frame[3])


BOOT_RESPONSE_PAYLOAD = {
    "currentTime": "2025-01-02T03:04:05Z",
    "interval": 300,
    "status": "Accepted",
}


def heartbeat_response() -> m.HeartbeatResponse:
    return m.HeartbeatResponse(current_time=NOW)


HEARTBEAT_RESPONSE_PAYLOAD = {"currentTime": "2025-01-02T03:04:05Z"}


def reset_request() -> m.ResetRequest:
    return m.ResetRequest(type=e.ResetEnumType.IMMEDIATE)


def reset_response() -> m.ResetResponse:
    return m.ResetResponse(status=e.ResetStatusEnumType.ACCEPTED)


def data_transfer_response() -> m.DataTransferResponse:
    return m.DataTransferResponse(status=e.DataTransferStatusEnumType.ACCEPTED)


class RecordingHandler(logging.Handler):
    """Collects log records (attach to a logger for the test's duration)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int = logging.DEBUG) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


@contextlib.contextmanager
def capture_logs(name: str = "ocpp201") -> Any:
    handler = RecordingHandler()
    logger = logging.getLogger(name)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


# ------------------------------------------------------------------ connections


class SlowCloseConnection:
    """A memory connection whose ``close()`` takes ``delay`` seconds before the
    connection really closes -- like a WebSocket closing handshake with a peer that
    does not answer.  Until then messages still flow both ways."""

    def __init__(self, inner: MemoryConnection, delay: float) -> None:
        self.inner = inner
        self.delay = delay
        self.close_started = asyncio.Event()

    async def send(self, message: str) -> None:
        await self.inner.send(message)

    async def recv(self) -> str | bytes:
        return await self.inner.recv()

    async def close(self) -> None:
        self.close_started.set()
        await asyncio.sleep(self.delay)
        await self.inner.close()


class StallingConnection:
    """A memory connection whose ``send()`` never completes once ``stalled`` is
    set: a peer that stopped reading (its TCP window is full)."""

    def __init__(self, inner: MemoryConnection) -> None:
        self.inner = inner
        self.stalled = False
        self.close_calls = 0

    async def send(self, message: str) -> None:
        if self.stalled:
            await asyncio.sleep(3600)
        await self.inner.send(message)

    async def recv(self) -> str | bytes:
        return await self.inner.recv()

    async def close(self) -> None:
        self.close_calls += 1
        await self.inner.close()


class BootCsms(CSMS):
    """A CSMS that handles BootNotification only (a Heartbeat gets NotSupported)."""

    @on(Action.BOOT_NOTIFICATION)
    async def boot(
        self, request: m.BootNotificationRequest
    ) -> m.BootNotificationResponse:
        return boot_response()


class BootHeartbeatCsms(BootCsms):
    """A CSMS that handles BootNotification (async) and Heartbeat (sync)."""

    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return heartbeat_response()
