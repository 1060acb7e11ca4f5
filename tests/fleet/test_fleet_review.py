"""Second review of the fleet: defects found, each pinned by a test against a real
redis-server (and real worker processes where the fault needs one)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_helpers import RedisServer, run

from ocpp201 import messages as m
from ocpp201.enums import ResetEnumType
from ocpp201.fleet import Fleet, RedisUnavailableError

RESET = m.ResetRequest(type=ResetEnumType.IMMEDIATE)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server: these tests stop it with SIGSTOP."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        assert server.process is not None
        server.process.send_signal(signal.SIGCONT)
        server.stop()


def _pause(server: RedisServer) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)


def _resume(server: RedisServer) -> None:
    assert server.process is not None
    server.process.send_signal(signal.SIGCONT)


def test_start_against_a_hung_redis_is_a_clear_error(own_redis: RedisServer) -> None:
    async def main() -> None:
        fleet = Fleet(own_redis.url, connect_timeout=1)
        _pause(own_redis)
        try:
            start = time.monotonic()
            with pytest.raises(RedisUnavailableError):
                await asyncio.wait_for(fleet.start(), 6)
            assert time.monotonic() - start < 2.5
        finally:
            _resume(own_redis)
            await fleet.close()

    run(main())
