"""Helpers for the fleet tests: a real redis-server, worker processes, stations.

Nothing here is a fake: :class:`RedisServer` runs ``redis-server`` on a free port
of 127.0.0.1 in a temporary directory (no persistence), :class:`Worker` runs
``fleet_worker.py`` as a real process serving real WebSockets, and the stations are
``ChargingStationClient``\\ s with a :class:`Station` endpoint.
"""

from __future__ import annotations

import asyncio
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import redis

from ocpp201 import ChargePoint, ErrorCode, HandlerError, on
from ocpp201 import messages as m
from ocpp201.actions import Action
from ocpp201.enums import ChangeAvailabilityStatusEnumType, ResetStatusEnumType
from ocpp201.websocket import BackOff, ChargingStationClient

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("fleet_worker.py")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
TTL = 1.5  # presence TTL of the test fleets, seconds
FAST = BackOff(wait_minimum=0.05, random_range=0.05, repeat_times=1)


def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run ``coro`` in a fresh event loop, bounded by ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A real redis-server on a free port, without persistence."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
                *("--loglevel", "warning"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


class Worker:
    """A fleet worker process (``fleet_worker.py``) serving on 127.0.0.1."""

    def __init__(
        self,
        redis_url: str,
        node: str,
        *,
        port: int = 0,
        reuse_port: bool = False,
        events: str | None = None,
        ttl: float = TTL,
        log: Path | None = None,
    ) -> None:
        args = [sys.executable, str(WORKER), redis_url, node, "--port", str(port)]
        args += ["--ttl", str(ttl)]
        if reuse_port:
            args.append("--reuse-port")
        if events:
            args += ["--events", events]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.node = node
        self._log = open(log, "wb") if log else None  # noqa: SIM115
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log or subprocess.DEVNULL,
        )
        self.port = self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> int:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline().decode() if ready else ""
        if not line.startswith("READY "):
            self.kill()
            raise RuntimeError(f"worker {self.node} did not start: {line!r}")
        return int(line.split()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    def kill(self) -> None:
        """SIGKILL: no clean-up at all."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._close_log()

    def stop(self) -> None:
        """SIGTERM: a clean stop."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._close_log()

    def _close_log(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None


class Station(ChargePoint):
    """A charging station endpoint that records the CSMS's calls.

    Reset: Accepted (after ``hold`` seconds, or never while ``block`` is set).
    ChangeAvailability: refused with a CALLERROR (GenericError).
    """

    calls: ClassVar[list[tuple[str, str]]] = []  # (identity, action) of each call
    hold = 0.0
    active = 0
    max_active = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.calls = []  # each subclass records its own calls

    @on(Action.RESET)
    async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        type(self).calls.append((self.identity, "Reset"))
        type(self).active += 1
        type(self).max_active = max(type(self).max_active, type(self).active)
        try:
            await asyncio.sleep(type(self).hold)
        finally:
            type(self).active -= 1
        return m.ResetResponse(status=ResetStatusEnumType.ACCEPTED)

    @on(Action.CHANGE_AVAILABILITY)
    async def change_availability(
        self, request: m.ChangeAvailabilityRequest
    ) -> m.ChangeAvailabilityResponse:
        type(self).calls.append((self.identity, "ChangeAvailability"))
        if request.operational_status.value == "Inoperative":
            raise HandlerError(ErrorCode.GENERIC_ERROR, "not today", {"why": "test"})
        return m.ChangeAvailabilityResponse(
            status=ChangeAvailabilityStatusEnumType.ACCEPTED
        )


def station(
    url: str, identity: str, cls: type[Station] = Station
) -> ChargingStationClient[Station]:
    return ChargingStationClient(url, identity, cls, back_off=FAST, ping_interval=None)


async def wait_until(predicate: Any, timeout: float = 10.0, step: float = 0.05) -> None:
    """Wait until ``await predicate()`` is true."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)
