"""Running the handlers of incoming CALLs, for the asyncio endpoint.

One job: take the :class:`~ocpp201._events.CallReceived` events the core admits,
run their handlers in arrival order (``handler_concurrency`` at a time), bound them
by ``handler_timeout``, hand each outcome back to the core for the reply, send it,
then start the ``@after`` handlers (in a task of their own, one at a time) -- with
:func:`ocpp201.current_call` telling each handler which CALL it serves.
:class:`HandlerRunner` is a base class of :class:`ocpp201.RpcEndpoint`; it owns no
protocol decision.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
from typing import Any, ClassVar, Literal, cast

from ._base import Message
from ._context import _CURRENT
from ._errors import ErrorCode, HandlerError, Problem
from ._events import CallReceived, SendReply
from ._protocol import RpcConnection
from ._routing import AfterRoute, Routes
from ._tasks import TaskSupervisor

__all__ = ["HandlerRunner", "HandlerTimeoutError", "SendTimeoutError"]


class HandlerTimeoutError(Exception):
    """A handler ran longer than ``handler_timeout``."""


class SendTimeoutError(Exception):
    """A send took longer than ``send_timeout``: the connection counts as broken."""


class HandlerRunner:
    """Runs handlers for an endpoint (see the module docstring)."""

    _routes: ClassVar[Routes]
    protocol: RpcConnection
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger]
    handler_concurrency: int
    handler_timeout: float | None
    close_timeout: float
    _tasks: TaskSupervisor
    identity: str
    _queue: collections.deque[CallReceived] | None
    _handling: int
    _closed: str | None
    _after_task: asyncio.Future[None] | None = None  # the @after handlers running

    def _report(self, reply: SendReply) -> None:
        raise NotImplementedError

    def _make_room(self) -> None:
        raise NotImplementedError

    async def _send_reply(self, frame: str) -> None:
        raise NotImplementedError

    async def _break(self, reason: str, *, wait_for_run: bool = True) -> None:
        raise NotImplementedError

    def _tolerated(
        self,
        kind: Literal["request", "response"],
        action: str,
        message_id: str,
        obj: object,
        tolerated: tuple[Problem, ...],
    ) -> None:
        raise NotImplementedError  # EndpointLogs._tolerated

    def _dispatch(self, call: CallReceived) -> None:
        """Queue ``call``; start a handler task if fewer than
        ``handler_concurrency`` run."""
        if self._queue is None:
            self._queue = collections.deque()
        self._queue.append(call)
        if self._handling < self.handler_concurrency:
            self._handling += 1
            self._tasks.spawn(self._handle_calls())

    def _handle_now(self, call: CallReceived) -> SendReply | None:
        """Handle ``call`` in the receive loop's own task when nothing else is being
        handled, and return the reply for the loop to send: a plain-function handler
        (or one returning a ready value) costs no task.  A handler returning an
        awaitable continues in a handler task, as :meth:`_dispatch` would have
        started it (then ``None``), and the receive loop reads on.

        Called only while no handler runs and none is queued, so arrival order
        holds; the loop sends the reply before it reads the next message
        (back-pressure as for one running handler).  An action with ``@after``
        handlers goes to a handler task at once (``None``): starting them may wait
        for the previous ones, which may await ``call()``, whose answer the receive
        loop must read.
        """
        if call.action in self._routes.after:
            self._dispatch(call)
            return None
        self._handling += 1
        try:
            started = self._start_handler(call)
        except BaseException:
            self._handling -= 1
            self.protocol.forget_incoming(call)
            raise  # the receive loop itself is being cancelled
        if type(started) is not tuple:
            self._tasks.spawn(self._handle_calls(call, started))
            return None
        self._handling -= 1
        reply: SendReply = started[0]
        if reply.code is not None:  # a CALLRESULT has nothing to report
            self._report(reply)
        self._make_room()
        return reply

    async def _handle_calls(
        self, call: CallReceived | None = None, started: Any = None
    ) -> None:
        """Handle queued calls in arrival order until the queue is empty (first
        ``call``, whose handler :meth:`_handle_now` already ``started``)."""
        try:
            while True:
                if call is None:
                    queue = self._queue
                    if not queue or self._closed is not None:
                        break
                    call = queue.popleft()
                token = _CURRENT.set((call, self.identity))
                try:  # the context of this task: each handler task sees its own
                    await self._handle_call(call, started)
                finally:
                    _CURRENT.reset(token)
                    self._make_room()
                call = started = None
        finally:
            self._handling -= 1

    async def _handle_call(self, call: CallReceived, started: Any = None) -> None:
        try:
            try:
                reply, response = await self._run_handler(call, started)
            except asyncio.CancelledError:
                self.protocol.forget_incoming(call)
                raise  # _run_handler lets it through only when we are cancelled
            except Exception:  # a bug: _run_handler catches what handlers raise
                self.logger.exception(
                    "error handling %s (message id %s)", call.action, call.message_id
                )
                reply, response = self.protocol.respond_internal_error(call), None
            self._report(reply)
            self._make_room()
            await self._send_reply(reply.frame)
            if reply.code is None:
                routes = self._routes.after.get(call.action)
                if routes:
                    await self._start_after(call, routes, response)
        except SendTimeoutError as exc:
            await self._break(str(exc))

    def _start_handler(self, call: CallReceived) -> Any:
        """Call the handler of ``call``.  Returns the awaitable it returned (to be
        passed to :meth:`_run_handler`), or, when it returned a value or raised,
        ``(reply, response)``: the reply the core builds from that outcome and the
        response object (``None`` when the reply is an error)."""
        if call.tolerated:
            self._tolerated(
                "request", call.action, call.message_id, call.request, call.tolerated
            )
        token = _CURRENT.set((call, self.identity))  # also in the receive loop
        try:
            result = getattr(self, call.handler)(call.request)
        except BaseException as exc:  # _failed re-raises what is not ours
            return self._failed(call, exc)
        finally:
            _CURRENT.reset(token)
        if not isinstance(result, Message) and inspect.isawaitable(result):
            return result
        return self._respond(call, result)

    async def _run_handler(
        self, call: CallReceived, started: Any = None
    ) -> tuple[SendReply, Any]:
        """Run the handler of ``call`` (or await what it ``started``); return the
        reply the core builds from its outcome, and the response object."""
        if started is None:
            started = self._start_handler(call)
        if type(started) is tuple:
            return cast("tuple[SendReply, Any]", started)
        try:
            if self.handler_timeout is None:
                result = await started
            else:
                result = await self._await_with_timeout(started, call.handler)
        except BaseException as exc:  # _failed re-raises what is not ours
            return self._failed(call, exc)
        return self._respond(call, result)

    def _respond(self, call: CallReceived, result: Any) -> tuple[SendReply, Any]:
        reply = self.protocol.respond(call, result)
        return reply, (result if reply.code is None else None)

    def _failed(self, call: CallReceived, exc: BaseException) -> tuple[SendReply, Any]:
        """The reply to a handler that raised ``exc``; re-raises a cancellation of
        the current task and what is not an ``Exception``."""
        method, action = call.handler, call.action
        if isinstance(exc, HandlerError):
            code = exc.code.value if isinstance(exc.code, ErrorCode) else exc.code
            self.logger.info(
                "handler %s() answered %s with %s: %s",
                method,
                action,
                code,
                exc.description,
            )
            reply = self.protocol.respond_error(
                call, exc.code, exc.description, exc.details
            )
            return reply, None
        if isinstance(exc, asyncio.CancelledError):
            if self._tasks.cancel_requested():
                raise exc  # this task is being cancelled (close(), or the loop's end)
            self.logger.error(
                "handler %s() for %s (message id %s) ended with CancelledError "
                "although its task was not cancelled -- a bug on this side, "
                "answered InternalError",
                method,
                action,
                call.message_id,
                exc_info=exc,
            )
        elif isinstance(exc, HandlerTimeoutError):
            self.logger.error(
                "handler %s() for %s (message id %s) took longer than %g s",
                method,
                action,
                call.message_id,
                self.handler_timeout,
            )
        elif isinstance(exc, Exception):
            self.logger.error(
                "handler %s() for %s (message id %s) raised",
                method,
                action,
                call.message_id,
                exc_info=exc,
            )
        else:
            raise exc
        return self.protocol.respond_internal_error(call), None

    async def _await_with_timeout(self, awaitable: Any, method: str) -> Any:
        """Await ``awaitable`` in its own task; after ``handler_timeout``, cancel
        it (it gets ``min(handler_timeout, close_timeout)`` to end) and raise
        :class:`HandlerTimeoutError`.  A handler that ignores the cancellation is
        logged and left to the shutdown, which cancels it again."""
        timeout = cast(float, self.handler_timeout)
        grace = min(timeout, self.close_timeout)
        finished, task = await self._tasks.run_bounded(awaitable, timeout, grace=grace)
        if finished:
            return task.result()
        if not task.done():
            self.logger.error(
                "handler %s() ignored its cancellation for %g s after its timeout; "
                "it is left running until close() cancels it again",
                method,
                grace,
            )
        raise HandlerTimeoutError

    async def _start_after(
        self, call: CallReceived, routes: tuple[AfterRoute, ...], response: Any
    ) -> None:
        """Run the ``@after`` handlers of ``call`` in a task of their own, so that
        the peer's next CALLs are handled meanwhile (an after-handler may ``call()``
        the peer, whose CALLs may cross ours).  One such task at a time: the next
        one waits for the previous."""
        previous = self._after_task
        if previous is not None and not previous.done():
            await asyncio.wait({previous})
        self._after_task = self._tasks.spawn(self._run_after(call, routes, response))

    async def _run_after(
        self, call: CallReceived, routes: tuple[AfterRoute, ...], response: Any
    ) -> None:
        _CURRENT.set((call, self.identity))  # a task of its own: no reset needed
        for route in routes:
            try:
                method = getattr(self, route.method)
                result = (
                    method(call.request, response)
                    if route.with_response
                    else method(call.request)
                )
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                if self._tasks.cancel_requested():
                    raise
                self.logger.error(
                    "after-handler %s() for %s ended with CancelledError although its "
                    "task was not cancelled",
                    route.method,
                    call.action,
                    exc_info=True,
                )
            except Exception:
                self.logger.exception(
                    "after-handler %s() for %s raised", route.method, call.action
                )
