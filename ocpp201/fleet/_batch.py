"""Send many small Redis commands as few pipelines.

Under load, the commands submitted while one pipeline is on its way are sent
together in the next one; at low load each goes alone, at once.  This keeps the
number of Redis connections and round trips small without adding latency.  Scripts
run by SHA1; when Redis does not know one (a restarted Redis), the batcher loads the
scripts and runs the refused commands again (a refused script did not run).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError, RedisError

from ._scripts import SCRIPTS

__all__ = ["Batcher"]

logger = logging.getLogger("ocpp201.fleet")

Op = Callable[[Pipeline], int]
"""Adds commands to a pipeline and says how many; the result is the last one's."""

_Item = tuple[Op, "asyncio.Future[Any] | None"]


class Batcher:
    """Queue commands; a single task flushes them as pipelines of up to ``limit``."""

    def __init__(self, redis: Redis, limit: int = 512) -> None:
        self._redis = redis
        self._limit = limit
        self._queue: collections.deque[_Item] = collections.deque()
        self._task: asyncio.Task[None] | None = None

    def submit(self, op: Op) -> asyncio.Future[Any]:
        """Queue ``op``; the result of the last command it adds."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((op, future))
        self._kick()
        return future

    def fire(self, op: Op) -> None:
        """Queue ``op`` without waiting for its result (a failure is logged)."""
        self._queue.append((op, None))
        self._kick()

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._flush())

    async def _run(self, batch: list[_Item]) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        ends: list[int] = []
        for op, _ in batch:
            ends.append(op(pipe) + (ends[-1] if ends else 0))
        try:
            raw = await pipe.execute(raise_on_error=False)
        except (RedisError, OSError) as exc:
            return [exc] * len(batch)
        return [raw[end - 1] for end in ends]

    async def _flush(self) -> None:
        while self._queue:
            count = min(self._limit, len(self._queue))
            # A cancelled submit is dropped before it is sent (a call cancelled
            # before its SEND left must not be queued for the node).
            batch = [
                item
                for item in (self._queue.popleft() for _ in range(count))
                if not _cancelled(item[1])
            ]
            if not batch:
                continue
            try:
                results = await self._run(batch)
                refused = [  # did not run; not run again when cancelled meanwhile
                    i
                    for i, r in enumerate(results)
                    if isinstance(r, NoScriptError) and not _cancelled(batch[i][1])
                ]
                if refused:
                    try:
                        for script in SCRIPTS:
                            await self._redis.script_load(script.source)
                    except (RedisError, OSError) as exc:
                        for i in refused:
                            results[i] = exc
                    else:
                        again = await self._run([batch[i] for i in refused])
                        for i, result in zip(refused, again, strict=True):
                            results[i] = result
            except asyncio.CancelledError:
                for _, future in batch:
                    if future is not None and not future.done():
                        future.cancel()
                raise
            failed = 0
            for (_, future), result in zip(batch, results, strict=True):
                if future is None:
                    failed += isinstance(result, Exception)
                elif future.done():
                    continue
                elif isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
            if failed:
                logger.warning("%d background Redis command(s) failed", failed)

    async def close(self) -> None:
        """Flush what is queued (at most 2 s more), then stop."""
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 2.0)
            except (asyncio.TimeoutError, RedisError, OSError):
                self._task.cancel()
        for _, future in self._queue:
            if future is not None and not future.done():
                future.cancel()
        self._queue.clear()


def _cancelled(future: asyncio.Future[Any] | None) -> bool:
    return future is not None and future.cancelled()
