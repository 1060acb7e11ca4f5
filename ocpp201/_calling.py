"""Our own CALLs, for the asyncio endpoint: ``call()``.

One job: carry one request of ours through the core -- checked and encoded by
:meth:`RpcConnection.prepare_call`, waiting its turn for the one outstanding CALL
(:class:`CallSlot`), sent bounded by ``send_timeout``, then waiting for the event
the core returns when the answer arrives.  :class:`Caller` is a base class of
:class:`ocpp201.RpcEndpoint`; it owns no protocol decision.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, Final, Literal, NoReturn, TypeVar, cast

from . import _eager
from ._base import Request, Response
from ._errors import (
    CallError,
    CallTimeoutError,
    ConnectionClosedError,
    LocalValidationError,
    Problem,
)
from ._events import CallFailed, CallSucceeded, ValidationFailure
from ._logs import LogLimiter
from ._protocol import RpcConnection, StartedCall
from ._slot import CallSlot
from ._tasks import TaskSupervisor

__all__ = ["Caller", "Lost", "is_closure"]

_R = TypeVar("_R", bound=Response)


class Lost:
    """The outcome of a pending call whose connection closed."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


Outcome = CallSucceeded | CallFailed | Lost

_CLOSURE_ERRORS: Final = (ConnectionClosedError, ConnectionError, EOFError)


def is_closure(exc: BaseException) -> bool:
    """Whether an exception from ``recv()`` means the connection closed.

    A raw ``websockets`` connection raises its own ``ConnectionClosed``; that module
    is only looked at when the application has imported it, so ``import ocpp201``
    never imports ``websockets``.
    """
    if isinstance(exc, _CLOSURE_ERRORS):
        return True
    ws_errors = sys.modules.get("websockets.exceptions")
    closed = getattr(ws_errors, "ConnectionClosed", None)
    return closed is not None and isinstance(exc, closed)


_timeout_at = getattr(asyncio, "timeout_at", None)  # Python 3.11+


async def _wait_until(future: asyncio.Future[Any], deadline: float) -> bool:
    """Wait for ``future`` until ``deadline`` (loop time); whether it is done."""
    if future.done():
        return True
    if _timeout_at is None:  # Python 3.10
        loop = asyncio.get_running_loop()
        done, _ = await asyncio.wait({future}, timeout=max(0.0, deadline - loop.time()))
        return bool(done)
    try:
        async with _timeout_at(deadline):
            await future  # cancelled (ours alone) when the deadline passes
    except TimeoutError:
        return False
    return True


def _send_failed(exc: BaseException) -> NoReturn:
    """Raise what ``call()`` raises when sending its CALL raised ``exc``."""
    if isinstance(exc, ConnectionClosedError):
        raise exc
    if is_closure(exc):
        raise ConnectionClosedError(str(exc)) from exc
    raise exc


class Caller:
    """Sends our CALLs for an endpoint (see the module docstring)."""

    protocol: RpcConnection
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger]
    call_timeout: float
    send_timeout: float
    close_timeout: float
    _waiting: dict[str, asyncio.Future[Outcome]] | None  # made by the first call
    _slot: CallSlot | None
    _tasks: TaskSupervisor
    _closed: str | None

    @property
    def _bad_frames(self) -> LogLimiter:
        raise NotImplementedError

    def _validation_failed(self, failure: ValidationFailure) -> None:
        raise NotImplementedError

    async def _send(self, frame: str) -> None:
        raise NotImplementedError

    async def _break(self, reason: str, *, wait_for_run: bool = True) -> None:
        raise NotImplementedError

    def _make_room(self) -> None:
        raise NotImplementedError

    async def _call(self, request: Request[_R], timeout: float | None) -> _R:
        """The body of :meth:`RpcEndpoint.call`."""
        try:
            prepared = self.protocol.prepare_call(request)
        except LocalValidationError as exc:
            action = str(getattr(type(request), "ACTION", ""))
            self._validation_failed(
                ValidationFailure(
                    direction="outgoing",
                    kind="request",
                    action=action,
                    message_id=None,
                    error=exc,
                )
            )
            raise
        if self._closed is not None:
            raise ConnectionClosedError(self._closed)
        if timeout is None:
            timeout = self.call_timeout
        elif not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        slot = self._slot
        if slot is None:  # made at the first call(): most endpoints never queue one
            slot = self._slot = CallSlot()
        try:
            await slot.acquire(deadline)
        except CallTimeoutError:
            raise CallTimeoutError(
                f"{prepared.action} not sent: our previous CALL was still outstanding "
                f"after {timeout:g} s"
            ) from None
        try:
            if self._closed is not None:
                raise ConnectionClosedError(self._closed)
            started = self.protocol.start_call(prepared)
            message_id = started.message_id
            future: asyncio.Future[Outcome] = loop.create_future()
            if self._waiting is None:
                self._waiting = {}
            self._waiting[message_id] = future
            try:
                self._make_room()  # its answer must be read, backlog or not
                await self._send_call(started, future, deadline)
                if not await _wait_until(future, deadline):
                    raise CallTimeoutError(
                        f"no response to {prepared.action} (message id {message_id}) "
                        f"within {timeout:g} s"
                    )
            finally:
                del self._waiting[message_id]
                self.protocol.abandon_call(message_id)
        finally:
            slot.release()
        outcome = future.result()
        if type(outcome) is CallSucceeded:
            return cast(_R, outcome.response)
        if type(outcome) is CallFailed:
            raise outcome.error from None
        raise ConnectionClosedError(cast(Lost, outcome).reason)

    async def _send_call(
        self, started: StartedCall, future: asyncio.Future[Outcome], deadline: float
    ) -> None:
        """Send our CALL frame, bounded by the call's deadline and ``send_timeout``.

        Returns early when the call is settled while sending (the connection was
        closed, which sets the outcome); raises CallTimeoutError when the call's
        deadline expires first; treats the connection as broken (closes it, raises
        ConnectionClosedError) when ``send_timeout`` expires first.
        """
        loop = asyncio.get_running_loop()
        send_deadline = loop.time() + self.send_timeout
        # The first step runs inline: a send that does not wait costs no task.
        try:
            _, suspended = _eager.start(self._send(started.frame))
        except Exception as exc:
            _send_failed(exc)
        if suspended is None:
            return
        send_task = self._tasks.spawn(_eager.unfinished(suspended))
        try:
            waiting: set[asyncio.Future[Any]] = {send_task, future}
            await asyncio.wait(
                waiting,
                timeout=max(0.0, min(deadline, send_deadline) - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            timed_out = not send_task.done()
        finally:
            if not send_task.done():
                self._tasks.cancel(send_task)
                await asyncio.wait({send_task}, timeout=self.close_timeout)
        if future.done():
            return  # closed (or, oddly, answered) meanwhile: the outcome tells
        name, message_id = started.action, started.message_id
        if timed_out:
            if send_deadline < deadline:
                reason = (
                    f"sending {name} (message id {message_id}) took longer than "
                    f"send_timeout ({self.send_timeout:g} s): the peer is not reading"
                )
                await self._break(reason)
                raise ConnectionClosedError(reason)
            timeout = deadline - (send_deadline - self.send_timeout)
            raise CallTimeoutError(
                f"{name} (message id {message_id}): sending took longer than "
                f"{timeout:g} s"
            )
        if send_task.cancelled():
            raise ConnectionClosedError(f"sending {name} was cancelled")
        failure = send_task.exception()
        if failure is not None:
            _send_failed(failure)

    def _settle(self, event: CallSucceeded | CallFailed) -> None:
        """Hand the answer to our CALL to the waiting ``call()``."""
        if isinstance(event, CallFailed):
            if event.validation is not None:
                self._validation_failed(event.validation)
            elif not isinstance(event.error, CallError):  # malformed
                self._bad_frames.warning("%s", event.error)
        elif event.tolerated:
            self._tolerated(
                "response",
                event.action,
                event.message_id,
                event.response,
                event.tolerated,
            )
        future = None if self._waiting is None else self._waiting.get(event.message_id)
        if future is not None and not future.done():
            future.set_result(event)

    def _tolerated(
        self,
        kind: Literal["request", "response"],
        action: str,
        message_id: str,
        obj: object,
        tolerated: tuple[Problem, ...],
    ) -> None:
        raise NotImplementedError  # EndpointLogs._tolerated
