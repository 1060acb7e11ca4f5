"""Task supervision for the asyncio shells: start, cancel and reap tasks, bounded.

One job: make sure every task the library starts ends, and that no wait on a task
(or on a connection closing) is ever unbounded.  Used by the RPC endpoint and the
WebSocket transport alike.  Every timeout is a parameter; nothing here reads a
module global, so tests pass small timeouts instead of patching.

* :class:`TaskSupervisor` owns a set of tasks: :meth:`~TaskSupervisor.spawn` /
  :meth:`~TaskSupervisor.track` add one, :meth:`~TaskSupervisor.cancel` cancels one
  and remembers that *we* did it (:meth:`~TaskSupervisor.cancel_requested` tells a
  task whether its ``CancelledError`` is a real cancellation), and
  :meth:`~TaskSupervisor.reap` cancels and awaits them all within one timeout.
* :func:`cancel_and_wait` cancels some tasks and waits for them, bounded, in two
  rounds (a task that swallowed the first cancellation gets a second one).
* :func:`run_bounded` awaits a coroutine at most ``timeout`` seconds and, unlike
  ``asyncio.wait_for``, never confuses a ``TimeoutError`` the coroutine raised
  itself with its own expiry.
* :func:`first_completed` waits for the first of several awaitables and cancels the
  rest.
* :func:`retrieve` reads a finished task's outcome so asyncio does not warn
  "exception was never retrieved".
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable
from typing import Any, TypeVar

__all__ = [
    "TaskSupervisor",
    "cancel_and_wait",
    "first_completed",
    "retrieve",
    "run_bounded",
]

T = TypeVar("T")


def retrieve(task: asyncio.Future[Any]) -> BaseException | None:
    """The exception a *finished* task ended with (``None`` if it returned or was
    cancelled), marking it retrieved so asyncio does not log it again."""
    if task.cancelled():
        return None
    return task.exception()


async def cancel_and_wait(
    tasks: Iterable[asyncio.Future[Any]],
    timeout: float,
    *,
    cancel: Callable[[asyncio.Future[Any]], object] | None = None,
) -> set[asyncio.Future[Any]]:
    """Cancel ``tasks`` and wait for them, at most ``timeout`` seconds in all.

    A task still running after half the time (one that swallowed the cancellation)
    is cancelled once more.  Returns the tasks still running after that -- asyncio
    cannot end a task that refuses to end; the caller logs them.  ``cancel`` (default
    ``task.cancel``) is how each task is cancelled, so a :class:`TaskSupervisor` can
    remember it did it.  Outcomes of the tasks that ended are retrieved.
    """
    remaining = {task for task in tasks if not task.done()}
    cancel_one = cancel or (lambda task: task.cancel())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for share in (2.0, 1.0):
        if not remaining:
            break
        for task in remaining:
            cancel_one(task)
        budget = max(0.0, (deadline - loop.time()) / share)
        _, remaining = await asyncio.wait(remaining, timeout=budget)
    for task in tasks:
        if task.done():
            retrieve(task)
    return remaining


async def run_bounded(
    awaitable: Awaitable[T],
    timeout: float | None,
    *,
    grace: float = 0.0,
    spawn: Callable[[Awaitable[T]], asyncio.Future[T]] | None = None,
    cancel: Callable[[asyncio.Future[Any]], object] | None = None,
) -> tuple[bool, asyncio.Future[T]]:
    """Await ``awaitable`` in a task of its own for at most ``timeout`` seconds.

    Returns ``(finished, task)``: when ``finished`` is true, ``task.result()`` is
    the outcome (it re-raises what the awaitable raised -- a ``TimeoutError`` of its
    own included, which is never mistaken for ours).  Otherwise the task was
    cancelled and given ``grace`` more seconds to end; it may still be running (it
    ignored the cancellation), which the caller can see with ``task.done()``.  If
    the caller itself is cancelled while waiting, the task is cancelled too.
    ``timeout=None`` waits without limit.  ``spawn`` (default
    ``asyncio.ensure_future``) and ``cancel`` let a :class:`TaskSupervisor` track it.
    """
    task = spawn(awaitable) if spawn is not None else asyncio.ensure_future(awaitable)
    cancel_one = cancel or (lambda t: t.cancel())
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        cancel_one(task)
        raise
    if done:
        return True, task
    cancel_one(task)
    if grace > 0:
        await asyncio.wait({task}, timeout=grace)
    if task.done():
        retrieve(task)
    return False, task


async def first_completed(*awaitables: Awaitable[Any]) -> None:
    """Wait until one of ``awaitables`` is done; cancel the others (not awaited)."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if task.done():
                retrieve(task)
            else:
                task.cancel()


_NO_TASKS: set[Any] = frozenset()  # type: ignore[assignment] # shared, empty


class TaskSupervisor:
    """The tasks of one owner (an endpoint, a server session), reaped together.

    A task is kept from :meth:`spawn` / :meth:`track` until it ends.  ``owner``
    links a helper task to the task it works for (a handler's inner task to its
    dispatching task), so that :meth:`release` of the owner releases both.
    """

    __slots__ = ("_cancelled", "_owners", "_tasks")

    def __init__(self) -> None:
        # Made on first use, like the weak set below.
        self._tasks: set[asyncio.Future[Any]] = _NO_TASKS
        self._owners: dict[asyncio.Future[Any], asyncio.Future[Any]] | None = None
        # Tasks we cancelled ourselves: their CancelledError is a real cancellation.
        # Made on first use: most supervisors never cancel anything, and a
        # thousand idle connections need not hold a thousand weak sets.
        self._cancelled: weakref.WeakSet[asyncio.Future[Any]] | None = None

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def tasks(self) -> Collection[asyncio.Future[Any]]:
        """The tasks still kept (a live view; copy it before awaiting)."""
        return self._tasks

    def spawn(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        owner: asyncio.Future[Any] | None = None,
    ) -> asyncio.Task[T]:
        """Start ``coro`` as a task and keep it until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self.track(task, owner=owner)
        return task

    def track(
        self, task: asyncio.Future[Any], *, owner: asyncio.Future[Any] | None = None
    ) -> None:
        """Keep ``task`` until it ends."""
        if self._tasks is _NO_TASKS:
            self._tasks = set()
        self._tasks.add(task)
        if owner is not None:
            if self._owners is None:
                self._owners = {}
            self._owners[task] = owner
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if self._owners is not None:
            self._owners.pop(task, None)

    def release(self, task: asyncio.Future[Any] | None) -> None:
        """Stop keeping ``task`` and its owner (so :meth:`reap` spares them): used
        when a task shuts its owner down and must not cancel itself."""
        if task is None or self._tasks is _NO_TASKS:
            return
        self._tasks.discard(task)
        owner = None if self._owners is None else self._owners.get(task)
        if owner is not None:
            self._tasks.discard(owner)

    def cancel(self, task: asyncio.Future[Any]) -> None:
        """Cancel ``task``, remembering that we did."""
        if self._cancelled is None:
            self._cancelled = weakref.WeakSet()
        self._cancelled.add(task)
        task.cancel()

    def cancel_requested(self) -> bool:
        """Whether the current task is being cancelled.

        True when this supervisor cancelled it, or (Python 3.11+) when anybody did
        and the request is still pending (``Task.cancelling()``).  False when a
        ``CancelledError`` merely escaped from code the task ran.
        """
        task = asyncio.current_task()
        if task is None or (self._cancelled is not None and task in self._cancelled):
            return True
        cancelling = getattr(task, "cancelling", None)  # Python 3.11+
        return cancelling is not None and bool(cancelling() > 0)

    async def run_bounded(
        self, awaitable: Awaitable[T], timeout: float | None, *, grace: float = 0.0
    ) -> tuple[bool, asyncio.Future[T]]:
        """:func:`run_bounded`, with the task kept (owned by the current task)."""
        owner = asyncio.current_task()

        def spawn(aw: Awaitable[T]) -> asyncio.Future[T]:
            task = asyncio.ensure_future(aw)
            self.track(task, owner=owner)
            return task

        return await run_bounded(
            awaitable, timeout, grace=grace, spawn=spawn, cancel=self.cancel
        )

    async def reap(
        self, timeout: float, *, spare: asyncio.Future[Any] | None = None
    ) -> set[asyncio.Future[Any]]:
        """Cancel every kept task (but ``spare``) and wait, at most ``timeout`` s.

        Returns the tasks that refused to end (see :func:`cancel_and_wait`).
        """
        tasks = {task for task in self._tasks if task is not spare}
        if not tasks:
            return set()
        return await cancel_and_wait(tasks, timeout, cancel=self.cancel)
