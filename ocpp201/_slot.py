"""The one outstanding CALL of Part 4 section 4.1.1, handed over in FIFO order.

One job: queue ``call()``\\ s for their turn.  Built on futures and ``asyncio.wait``
(which never cancels what it waits for), so a timed-out or cancelled waiter can
never leak the slot.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib

from ._errors import CallTimeoutError, ConnectionClosedError

__all__ = ["CallSlot"]


class CallSlot:
    """A FIFO lock with a deadline and a ``close()`` that fails every waiter."""

    __slots__ = ("_busy", "_closed", "_waiters")

    def __init__(self) -> None:
        self._busy = False
        # Made on first wait: most endpoints never queue a call.
        self._waiters: collections.deque[asyncio.Future[None]] | None = None
        self._closed: str | None = None

    async def acquire(self, deadline: float) -> None:
        """Take the slot by ``deadline`` (loop time) or raise CallTimeoutError;
        raise ConnectionClosedError once closed."""
        if self._closed is not None:
            raise ConnectionClosedError(self._closed)
        if not self._busy and not self._waiters:
            self._busy = True
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        if self._waiters is None:
            self._waiters = collections.deque()
        self._waiters.append(waiter)
        try:
            done, _ = await asyncio.wait(
                {waiter}, timeout=max(0.0, deadline - loop.time())
            )
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self.release()  # the slot was handed to us just as we were cancelled
            else:
                self._discard(waiter)
            raise
        if not done:
            self._discard(waiter)
            raise CallTimeoutError("timed out waiting for the previous CALL to finish")
        waiter.result()  # raises ConnectionClosedError when the slot was closed

    def _discard(self, waiter: asyncio.Future[None]) -> None:
        if self._waiters is not None:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
        waiter.cancel()

    def release(self) -> None:
        """Hand the slot to the next waiter, or free it."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on; it stays busy
                return
        self._busy = False

    def close(self, reason: str) -> None:
        """Fail every waiter (and every later ``acquire``) with ``reason``."""
        self._closed = reason
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionClosedError(reason))
