"""Stopping the fleet's background loops for sure.

redis-py may turn the cancellation of a command in progress into a Redis error
(its read timeouts are built on ``asyncio.timeout``), which the loops catch and
retry.  So every loop also checks a stop flag, and :func:`stop_tasks` cancels,
then waits a bounded time: a loop that swallowed the cancellation still ends at its
next turn (a blocking read waits at most one second).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

__all__ = ["stop_tasks"]

logger = logging.getLogger("ocpp201.fleet")


async def stop_tasks(
    tasks: Iterable[asyncio.Future[Any]], timeout: float = 3.0
) -> None:
    """Cancel ``tasks`` and wait for them, at most ``timeout`` seconds."""
    tasks = list(tasks)
    waiting = [task for task in tasks if not task.done()]
    for task in waiting:
        task.cancel()
    if waiting:
        _, pending = await asyncio.wait(waiting, timeout=timeout)
        if pending:
            logger.error("%d fleet task(s) did not stop; abandoned", len(pending))
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved, so asyncio does not warn
