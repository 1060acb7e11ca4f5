"""An in-memory connected pair of connections, for tests and examples.

``a, b = memory_pair()``: what is sent on ``a`` is received on ``b`` and vice versa,
in order, with no size limit and no network.  It has the connection protocol the
endpoints use (``send``, ``recv``, ``close(code, reason)``, ``wait_closed``); ``send``
takes ``bytes`` too, so a test can feed an endpoint binary frames.

Closing either end closes both.  The closing end's own ``recv`` fails at once; the
other end still receives what was sent before the close, then fails.  A closed
connection raises :class:`ocpp201.ConnectionClosedError`.
"""

from __future__ import annotations

import asyncio
import collections

from ._errors import ConnectionClosedError

__all__ = ["MemoryConnection", "memory_pair"]


class _Closed:
    """Marks the end of the stream in a receive buffer."""


_CLOSED = _Closed()


class MemoryConnection:
    """One end of an in-memory connection.  Create them with :func:`memory_pair`."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._buffer: collections.deque[str | bytes | _Closed] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._peer: MemoryConnection | None = None
        self._closed = False
        self._close_reason = ""
        self._closed_event: asyncio.Event | None = None

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by either end)."""
        return self._closed

    def _deliver(self, item: str | bytes | _Closed) -> None:
        self._buffer.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def send(self, message: str | bytes) -> None:
        """Send one message to the other end."""
        if self._closed or self._peer is None:
            raise ConnectionClosedError(self._close_reason or "connection is closed")
        if not isinstance(message, str | bytes):
            raise TypeError(f"send() takes str or bytes, not {type(message).__name__}")
        self._peer._deliver(message)

    async def recv(self) -> str | bytes:
        """Receive the next message; raise ConnectionClosedError once closed."""
        while True:
            if self._buffer:
                item = self._buffer[0]
                if isinstance(item, _Closed):
                    raise ConnectionClosedError(
                        self._close_reason or "connection is closed"
                    )
                self._buffer.popleft()
                return item
            if self._waiter is not None:
                raise RuntimeError("recv() is already being awaited")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close both ends.  Idempotent."""
        suffix = f"(code {code}) {reason}".strip()
        self._shut(f"connection closed by this end {suffix}", local=True)
        if self._peer is not None:
            self._peer._shut(f"connection closed by the peer {suffix}", local=False)

    async def wait_closed(self) -> None:
        """Wait until the connection is closed (by either end)."""
        if self._closed_event is None:
            self._closed_event = asyncio.Event()
            if self._closed:
                self._closed_event.set()
        await self._closed_event.wait()

    def _shut(self, reason: str, *, local: bool) -> None:
        if self._closed:
            return
        self._closed = True
        self._close_reason = reason
        if local:
            self._buffer.clear()  # our own recv fails at once
        self._deliver(_CLOSED)
        if self._closed_event is not None:
            self._closed_event.set()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<MemoryConnection {self.name!r} {state}>"


def memory_pair(
    names: tuple[str, str] = ("a", "b"),
) -> tuple[MemoryConnection, MemoryConnection]:
    """Two connected in-memory connections."""
    a = MemoryConnection(names[0])
    b = MemoryConnection(names[1])
    a._peer = b
    b._peer = a
    return a, b
