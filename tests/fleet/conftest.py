"""Fixtures of the fleet tests: a real redis-server per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fleet_helpers import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
