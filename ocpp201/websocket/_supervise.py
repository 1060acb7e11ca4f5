"""Running an endpoint on a WebSocket connection, every wait bounded.

The transport's use of the shared task supervision (:mod:`ocpp201._tasks`): every
wait has a bound from :class:`ConnectionOptions` -- a closing handshake, a
cancelled task, an ``endpoint.run()`` that does not return once its connection is
closed.  Nothing is left running and no outcome is left unretrieved.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from .._errors import ConnectionClosedError
from .._tasks import cancel_and_wait, run_bounded
from ._connection import Endpoint, WebSocketConnection
from ._options import ConnectionOptions

__all__ = [
    "INTERNAL_ERROR",
    "close_bounded",
    "discard_attempt",
    "finish",
    "maybe_await",
    "run_endpoint",
]

logger = logging.getLogger("ocpp201.websocket")

INTERNAL_ERROR = 1011  # close code "internal error" (RFC 6455, 7.4.1)

T = TypeVar("T")


async def maybe_await(value: T | Awaitable[T]) -> T:
    """``value``, awaited if it is awaitable (callbacks may be sync or async)."""
    if inspect.isawaitable(value):
        return await value
    return value


def _log_session_result(identity: str) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, ConnectionClosedError):
            logger.error("%s: session failed", identity, exc_info=exc)

    return done


async def close_bounded(
    connection: WebSocketConnection,
    bound: float,
    code: int = 1000,
    reason: str = "",
) -> None:
    """Close ``connection``; never wait forever, even with ``close_timeout=None``.

    When ``websockets`` has no ``close_timeout``, the closing handshake is cut off
    after ``bound`` seconds and the TCP connection dropped.
    """
    ws = connection.websocket
    if ws.close_timeout is not None:  # websockets bounds the handshake itself
        await connection.close(code, reason)
        return
    finished, closing = await run_bounded(connection.close(code, reason), bound)
    if finished:
        closing.result()  # what close() raised, as if awaited directly
    else:
        logger.warning(
            "%s: the closing handshake took more than %s s; dropping the connection",
            connection.identity,
            bound,
        )
        ws.transport.abort()


async def finish(
    tasks: Sequence[asyncio.Future[Any]], identity: str, cancel_timeout: float
) -> None:
    """Cancel the unfinished ``tasks`` and wait (bounded) for them to end."""
    still = await cancel_and_wait(tasks, cancel_timeout)
    if still:
        logger.error(
            "%s: %d task(s) did not end within %s s of being cancelled;"
            " abandoning them",
            identity,
            len(still),
            cancel_timeout,
        )


async def discard_attempt(
    attempt: asyncio.Task[WebSocketConnection],
    identity: str,
    options: ConnectionOptions,
) -> None:
    """Cancel a connection attempt; close the connection if it opened anyway."""
    await cancel_and_wait([attempt], options.cancel_timeout)
    if not attempt.done():
        logger.error("%s: a cancelled connection attempt did not end", identity)
    elif not attempt.cancelled() and attempt.exception() is None:
        await close_bounded(attempt.result(), options.close_bound)


async def run_endpoint(
    endpoint: Endpoint,
    connection: WebSocketConnection,
    session: Callable[[Any], Awaitable[None]] | None,
    options: ConnectionOptions,
    stop: asyncio.Event | None = None,
) -> None:
    """Run ``endpoint.run()`` (and the session) until the connection closes.

    Every wait is bounded: once the connection is closed (by the peer, or here
    because ``stop`` was set), ``endpoint.run()`` gets ``options.run_exit_timeout``
    seconds to return before it is cancelled.
    """
    identity = connection.identity
    bound = options.close_bound
    run_task = asyncio.ensure_future(endpoint.run())
    session_task: asyncio.Task[None] | None = None
    if session is not None:
        session_task = asyncio.ensure_future(session(endpoint))
        session_task.add_done_callback(_log_session_result(identity))
    closed_task = asyncio.ensure_future(connection.wait_closed())
    stop_task = asyncio.ensure_future(stop.wait()) if stop is not None else None
    tasks: list[asyncio.Future[Any]] = [run_task, closed_task]
    tasks += [task for task in (session_task, stop_task) if task is not None]
    try:
        waiting: set[asyncio.Future[Any]] = {run_task, closed_task}
        if stop_task is not None:
            waiting.add(stop_task)
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if not run_task.done():
            if not closed_task.done():  # asked to stop: close first
                await close_bounded(connection, bound)
            await asyncio.wait({run_task}, timeout=options.run_exit_timeout)
            if not run_task.done():
                logger.error(
                    "%s: endpoint.run() did not return within %s s after the"
                    " connection closed; cancelling it",
                    identity,
                    options.run_exit_timeout,
                )
                return
        if not run_task.cancelled() and (exc := run_task.exception()) is not None:
            logger.error("%s: endpoint failed", identity, exc_info=exc)
            await close_bounded(connection, bound, INTERNAL_ERROR, "internal error")
    finally:
        await finish(tasks, identity, options.cancel_timeout)
        await close_bounded(connection, bound)
