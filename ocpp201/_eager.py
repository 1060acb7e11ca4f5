"""Running a coroutine's first step inline: no task, no timer when it does not wait.

One job: most sends complete without suspending (a ``websockets`` send that fits
its write buffer, an in-memory send), so creating a task or arming a timer for each
of them is wasted work.  :func:`start` runs a coroutine up to its first suspension
in the current task (any other awaitable: in a coroutine of its own);
:func:`finish` continues one that suspended, with a timeout armed only then;
:func:`resume` continues a suspended coroutine (in the current task, or wrapped in
a new one by :func:`unfinished`), exactly as if it had been awaited from the start:
results, exceptions and cancellation pass through unchanged.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar

__all__ = ["Started", "finish", "resume", "start", "unfinished"]

T = TypeVar("T")

_timeout = getattr(asyncio, "timeout", None)  # Python 3.11+


class Started:
    """A coroutine that suspended in its first step, and what it yielded."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro = coro
        self.first = first


async def _awaiting(awaitable: Awaitable[T]) -> T:
    return await awaitable


def start(coro: Awaitable[T]) -> tuple[T | None, Started | None]:
    """Run ``coro`` until it first suspends.  ``(result, None)`` when it finished
    (an exception it raised propagates), ``(None, Started)`` when it suspended:
    then :func:`resume` (or :func:`unfinished` in a task) must continue it.  Any
    other awaitable (a future, say) is awaited by a coroutine of its own."""
    if type(coro) is not types.CoroutineType:
        coro = _awaiting(coro)
    try:
        first = coro.send(None)
    except StopIteration as stop:
        return stop.value, None
    return None, Started(coro, first)


@types.coroutine
def resume(started: Started) -> Generator[Any, Any, Any]:
    """Continue a coroutine :func:`start` left suspended, as ``await`` would."""
    coro, yielded = started.coro, started.first
    while True:
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation (or any error) thrown in
            try:
                yielded = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def unfinished(started: Started) -> Any:
    """A native coroutine continuing ``started`` (for ``create_task``)."""
    return await resume(started)


async def finish(started: Started, timeout: float) -> tuple[bool, Any]:
    """Continue ``started`` (see :func:`start`) in the current task, at most
    ``timeout`` seconds once it had suspended.  ``(True, result)``, or
    ``(False, None)`` when the timeout expired (the coroutine was then cancelled).
    A ``TimeoutError`` the coroutine raises on its own propagates: it is never
    mistaken for the expiry."""
    if _timeout is None:  # pragma: no cover - Python 3.10
        try:
            return True, await asyncio.wait_for(unfinished(started), timeout)
        except asyncio.TimeoutError:
            return False, None
    bound = _timeout(timeout)
    try:
        async with bound:
            result = await resume(started)
    except TimeoutError:
        if not bound.expired():
            raise
        return False, None
    return True, result
