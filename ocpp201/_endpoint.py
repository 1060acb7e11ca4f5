"""The asyncio shell around the RPC core: :class:`ChargingStation` and :class:`CSMS`.

One job: run an :class:`ocpp201.RpcConnection` (the sans-I/O OCPP-J state machine)
on an asyncio connection -- the receive loop, ``call()``, handler tasks, timeouts
and shutdown.  Every protocol decision (routing, roles, message ids, limits,
validation, the answer to bad input) is the core's; this module only acts on the
events it returns and logs them.

Both sides share one implementation, :class:`RpcEndpoint`; the subclass fixes the
*role*.  An endpoint runs on any connection object with ``async send(str)`` and
``async recv() -> str | bytes`` (the shape of a ``websockets`` connection, or
:func:`ocpp201.memory_pair`), optionally ``async close(code, reason)``.

Concurrency (Part 4 section 4.1.1): at most one of *our* CALLs is outstanding;
further ``call()``\\ s wait their turn in order.  Incoming CALLs are handled in
arrival order, ``handler_concurrency`` at a time (1 by default); while every
handler slot is taken and one more CALL waits, the endpoint stops reading
(back-pressure), unless it awaits the answer to its own CALL: then it reads on, so
a handler may ``await self.call(...)``, and up to ``call_backlog`` CALLs wait,
decoded.  Every
send is bounded (``send_timeout``); a peer that stops reading makes the connection
count as broken, and it is closed.

Cancellation: a handler task propagates ``CancelledError`` only when the task
itself is being cancelled; a ``CancelledError`` a handler raises on its own is a
failure of that handler (answered InternalError and logged).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Final, TypeVar, cast

from . import _eager
from ._base import Request, Response, Sender
from ._calling import Caller, Lost, Outcome, is_closure
from ._decorators import on
from ._errors import (
    ConnectionClosedError,
    ErrorCode,
    LocalProtocolError,
)
from ._events import (
    CallFailed,
    CallReceived,
    CallSucceeded,
    CloseConnection,
    FrameDropped,
    SendReply,
    UnmatchedResponse,
    ValidationFailure,
)
from ._handling import HandlerRunner, SendTimeoutError
from ._hooks import Connection, Hooks
from ._logs import EndpointLogs, LogLimiter, cut_for_log
from ._protocol import ITEM_LISTS, MESSAGE_ID_MEMORY, RpcConnection
from ._registration import RegistrationGate, registration_for
from ._routing import CustomAction, Routes, collect_routes
from ._slot import CallSlot
from ._tasks import TaskSupervisor
from .actions import Action
from .enums import DataTransferStatusEnumType
from .messages import DataTransferRequest, DataTransferResponse

__all__ = [
    "CSMS",
    "DEFAULT_CALL_BACKLOG",
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_SEND_TIMEOUT",
    "ITEM_LISTS",
    "MAX_HANDLER_CONCURRENCY",
    "MESSAGE_ID_MEMORY",
    "ChargePoint",
    "ChargingStation",
    "Connection",
    "Hooks",
    "RpcEndpoint",
    "UnmatchedResponse",
    "ValidationFailure",
]

_R = TypeVar("_R", bound=Response)
_E = TypeVar("_E", bound="RpcEndpoint")

DEFAULT_CALL_TIMEOUT: Final = 30.0
"""Seconds ``call()`` waits by default (queue, send and response together)."""

DEFAULT_SEND_TIMEOUT: Final = 30.0
"""Seconds one send may take by default before the connection counts as broken."""

DEFAULT_CLOSE_TIMEOUT: Final = 10.0
"""Seconds ``close()`` waits by default for each stage of the shutdown."""

DEFAULT_CALL_BACKLOG: Final = 4
"""Incoming CALLs that may wait, by default, while others are being handled."""

MAX_HANDLER_CONCURRENCY: Final = 1000
"""The largest ``handler_concurrency`` an endpoint accepts."""

DEFAULT_MAX_VIOLATIONS: Final = 10
"""CALLs refused beyond the backlog before the connection is closed (1008)."""


_NO_HOOKS: Final = Hooks()  # shared (immutable) by the endpoints given none


class _PolicyCloseError(Exception):
    """The receive loop closed the connection for a policy violation (1008)."""


def _positive(name: str, value: float | None, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if value is None or not value > 0:
        what = "positive or None" if optional else "a positive number of seconds"
        raise ValueError(f"{name} must be {what}")


class RpcEndpoint(EndpointLogs, Caller, HandlerRunner):
    """The OCPP-J RPC endpoint shared by :class:`ChargingStation` and :class:`CSMS`.

    Subclass :class:`ChargingStation` or :class:`CSMS` (not this class) and decorate
    methods with ``@on(Action.X)`` / ``@after(Action.X)`` to handle requests.  The
    options are described in docs/rpc.md ("Constructor"); in short:

    ``call_timeout`` bounds a whole ``call()``; ``validate_incoming`` (strict, or
    tolerant when ``False``; ``tolerant_actions`` makes only some actions
    tolerant) and ``validate_outgoing`` switch schema checks;
    ``custom_actions`` adds vendor actions; ``bytes_per_message`` and
    ``items_per_message`` limit incoming CALLs (FormatViolation /
    OccurrenceConstraintViolation); ``message_id_factory`` makes our ids (UUID4 by
    default; a repeated one is refused); ``hooks`` and ``logger`` for tracing;
    ``handler_timeout`` bounds a handler (InternalError); ``send_timeout`` bounds
    every send (a peer that stops reading: the connection is closed as broken);
    ``close_timeout`` bounds each stage of :meth:`close`; ``handler_concurrency``
    incoming CALLs are handled at once (1: in arrival order) and reading stops while
    they run; only while we await the answer to our own CALL is reading on, then
    ``call_backlog`` more may wait, and beyond that a CALL is answered
    RpcFrameworkError and counts as a violation; after ``max_violations`` of them
    the connection is closed with 1008.  ``registration_gate`` (on by
    default for a CSMS): until a BootNotification was answered Accepted, the
    station's other CALLs are answered SecurityError (Part 2 B01.FR.10,
    B02.FR.09, B03.FR.07); a station may opt in to B03.FR.08.
    """

    role: ClassVar[Sender]
    """Who this endpoint is: ``Sender.CHARGING_STATION`` or ``Sender.CSMS``."""

    @on(Action.DATA_TRANSFER)
    def reject_data_transfer(
        self, request: DataTransferRequest
    ) -> DataTransferResponse:
        """The default DataTransfer handler: no vendor extension is known here.

        Part 2 P01.FR.05: a recipient with no implementation for the vendorId
        SHALL answer status UnknownVendorId (a CALLRESULT, not a CALLERROR).  A
        subclass that handles DataTransfer itself replaces this handler.
        """
        return DataTransferResponse(status=DataTransferStatusEnumType.UNKNOWN_VENDOR_ID)

    _routes: ClassVar[Routes] = Routes(on={}, after={})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._routes = collect_routes(cls, getattr(cls, "role", None))

    def __init__(
        self,
        identity: str,
        connection: Connection,
        *,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        validate_incoming: bool = True,
        tolerant_actions: Iterable[str] = (),
        validate_outgoing: bool = True,
        custom_actions: Iterable[CustomAction] = (),
        bytes_per_message: int | Mapping[str, int] | None = None,
        items_per_message: int | Mapping[str, int] | None = None,
        message_id_factory: Callable[[], str] | None = None,
        hooks: Hooks | None = None,
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
        handler_timeout: float | None = None,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
        handler_concurrency: int = 1,
        call_backlog: int = DEFAULT_CALL_BACKLOG,
        max_violations: int | None = DEFAULT_MAX_VIOLATIONS,
        registration_gate: bool | RegistrationGate | None = None,
    ) -> None:
        if not isinstance(getattr(type(self), "role", None), Sender):
            raise TypeError(
                "use ChargingStation or CSMS (or a subclass), not RpcEndpoint"
            )
        _positive("call_timeout", call_timeout)
        _positive("handler_timeout", handler_timeout, optional=True)
        _positive("send_timeout", send_timeout)
        _positive("close_timeout", close_timeout)
        if not 1 <= handler_concurrency <= MAX_HANDLER_CONCURRENCY:
            raise ValueError(
                f"handler_concurrency must be 1 to {MAX_HANDLER_CONCURRENCY}"
            )
        if call_backlog < 0:
            raise ValueError("call_backlog cannot be negative")
        self.identity = identity
        self.connection = connection
        self.call_timeout = float(call_timeout)
        self.handler_timeout = handler_timeout
        self.send_timeout = float(send_timeout)
        self.close_timeout = float(close_timeout)
        self.handler_concurrency = handler_concurrency
        self.call_backlog = call_backlog
        self.hooks = hooks or _NO_HOOKS
        # The per-station logger and its limiter are made on first use.
        self._logger = logger
        self._limiter: LogLimiter | None = None
        self.protocol = RpcConnection(
            self.role,
            handlers=self._routes.on,
            custom_actions=custom_actions,
            validate_incoming=validate_incoming,
            tolerant_actions=tolerant_actions,
            validate_outgoing=validate_outgoing,
            bytes_per_message=bytes_per_message,
            items_per_message=items_per_message,
            message_id_factory=message_id_factory,
            message_id_memory=MESSAGE_ID_MEMORY,
            max_calls_in_progress=handler_concurrency + call_backlog,
            max_violations=max_violations,
            registration=registration_for(
                registration_gate, identity, csms=self.role == Sender.CSMS
            ),
            owner=type(self).__qualname__,
        )
        """The sans-I/O core this endpoint drives."""
        self._waiting: dict[str, asyncio.Future[Outcome]] | None = None
        self._slot: CallSlot | None = None  # made at our first call()
        self._queue: collections.deque[CallReceived] | None = None  # first queued
        self._handling = 0  # handler tasks running (each takes calls from _queue)
        self._room: asyncio.Event | None = None  # set when a handler slot frees
        self._tasks = TaskSupervisor()
        self._closed: str | None = None
        self._broken = False
        self._dropped_logged = False  # "ignored ... while closing" logged once
        self._running = False
        self._run_task: asyncio.Task[Any] | None = None
        self._background: asyncio.Task[None] | None = None
        self._shutdown_done: asyncio.Event | None = None

    @property
    def validate_incoming(self) -> bool:
        """Strict (``True``) or tolerant decoding of incoming payloads."""
        return self.protocol.validate_incoming

    @validate_incoming.setter
    def validate_incoming(self, value: bool) -> None:
        self.protocol.validate_incoming = value

    @property
    def validate_outgoing(self) -> bool:
        """Whether our requests and responses are checked before sending."""
        return self.protocol.validate_outgoing

    @validate_outgoing.setter
    def validate_outgoing(self, value: bool) -> None:
        self.protocol.validate_outgoing = value

    def __repr__(self) -> str:
        state = "closed" if self._closed is not None else "open"
        return f"<{type(self).__name__} {self.identity!r} {state}>"

    @property
    def closed(self) -> bool:
        """Whether the endpoint has shut down (its connection closed)."""
        return self._closed is not None

    # ------------------------------------------------------------------ sending

    async def _send(self, frame: str) -> None:
        await self.connection.send(frame)
        self._sent(frame)

    def _sent(self, frame: str) -> None:
        """Log (at DEBUG) and hook a frame just sent."""
        logger = self._logger or self.logger
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("> %s", cut_for_log(frame))
        if self.hooks.frame_sent is not None:
            self._hook(self.hooks.frame_sent, frame)

    async def _send_reply(self, frame: str) -> None:
        """Send an answer to the peer's CALL; a failure is logged, never raised.

        Bounded by ``send_timeout``; when that expires, raises
        :class:`SendTimeoutError` (the caller treats the connection as broken).
        """
        try:
            # The connection's send runs inline up to its first wait: a send that
            # does not wait (the common case) costs no task and no timer; only one
            # that waits is bounded.
            _, started = _eager.start(self.connection.send(frame))
            sent = (
                started is None or (await _eager.finish(started, self.send_timeout))[0]
            )
        except Exception as exc:
            self.logger.info("could not send a reply (%s): %s", type(exc).__name__, exc)
            return
        if not sent:
            raise SendTimeoutError(
                f"sending a reply took longer than send_timeout ({self.send_timeout:g}"
                " s): the peer is not reading"
            )
        self._sent(frame)

    # ------------------------------------------------------------------ call

    async def call(self, request: Request[_R], *, timeout: float | None = None) -> _R:
        """Send ``request`` as a CALL and return the typed response.

        Waits (in order) while another of our CALLs is outstanding.  ``timeout``
        (default :attr:`call_timeout`) bounds the whole call: queueing, sending and
        waiting for the answer.

        Raises:
            LocalProtocolError: this endpoint's role may not send this action, or
                the object is not a request of a known action; nothing is sent.
            LocalValidationError: the request is invalid (outgoing validation);
                nothing is sent.
            CallError: the peer answered with a CALLERROR (code kept verbatim).
            RemoteValidationError: the peer's CALLRESULT payload is invalid.
            RemoteProtocolError: the peer answered with a malformed response.
            CallTimeoutError: no answer within the timeout.
            ConnectionClosedError: the connection is (or got) closed.
        """
        return await self._call(request, timeout)

    # ------------------------------------------------------------------ receiving

    async def run(self) -> None:
        """Receive and dispatch messages until the connection closes.

        Then every pending ``call()`` fails with :class:`ConnectionClosedError`,
        handler tasks are cancelled and awaited, and ``run()`` returns.  An
        unexpected exception from ``recv()`` is re-raised after that cleanup.
        """
        if self._running:
            raise LocalProtocolError("run() is already running")
        if self._closed is not None:
            raise ConnectionClosedError(self._closed)
        self._running = True
        self._run_task = asyncio.current_task()
        reason = "the connection closed"
        try:
            connection = self.connection  # not its bound recv: an idle loop's memory
            while True:
                # Busy needs an admitted CALL, hence a handler running (or queued).
                if self._handling and self._busy() and not await self._wait_for_room():
                    reason = "the connection closed while the endpoint paused reading"
                    self.logger.info("%s", reason)
                    return
                try:
                    message = await connection.recv()
                except Exception as exc:
                    if not is_closure(exc):
                        reason = f"recv() failed: {exc!r}"
                        raise
                    reason = str(exc) or reason
                    self.logger.info("connection closed: %s", reason)
                    return
                try:
                    answer = self._receive(message)
                    if answer is not None:
                        if type(answer) is str:  # SendTimeoutError: the loop breaks
                            await self._send_reply(answer)
                        else:
                            await self._close_for(cast(CloseConnection, answer))
                except SendTimeoutError as exc:
                    reason = str(exc)
                    await self._break(reason, wait_for_run=False)
                    return
                except _PolicyCloseError as exc:
                    reason = str(exc)
                    return
                except Exception:  # pragma: no cover - a bug; keep the loop alive
                    self.logger.exception("internal error; message dropped")
        except asyncio.CancelledError:
            reason = "the receive loop was cancelled"
            raise
        finally:
            self._running = False
            await self._shutdown(reason)

    def _busy(self) -> bool:
        """Whether to stop reading (back-pressure): every handler slot is taken and
        one more CALL already waits (with ``call_backlog=0``: every slot is taken),
        and no answer to a CALL of ours is awaited.

        The peer's next CALLs then wait, unread, in the transport's buffer (raw,
        bounded by its queue and message size), and TCP flow control pushes back
        on the peer.  A peer that follows Part 4 (one CALL at a time) never makes
        the endpoint pause.  While we await an answer we read on: the peer's CALLs
        then fill the core's backlog, beyond which the core refuses them (R24).
        """
        protocol = self.protocol
        ahead = protocol.calls_in_progress > self.handler_concurrency
        return (ahead or protocol.backlog_full) and not protocol.awaiting_response

    async def _wait_for_room(self) -> bool:
        """Wait until reading may go on; ``False`` if the connection closed
        meanwhile (noticed through the connection's optional ``wait_closed()``)."""
        room = self._room
        if room is None:
            room = self._room = asyncio.Event()
        wait_closed = getattr(self.connection, "wait_closed", None)
        closing: asyncio.Future[Any] | None = None
        try:
            while self._busy():
                room.clear()
                if wait_closed is None:
                    await room.wait()
                    continue
                if closing is None:
                    closing = asyncio.ensure_future(wait_closed())
                waiting = asyncio.ensure_future(room.wait())
                await asyncio.wait(
                    {waiting, closing}, return_when=asyncio.FIRST_COMPLETED
                )
                waiting.cancel()
                if closing.done():
                    return False
            return True
        finally:
            if closing is not None and not closing.done():
                closing.cancel()

    def _make_room(self) -> None:
        if self._room is not None:
            self._room.set()

    def _receive(self, message: str | bytes) -> str | CloseConnection | None:
        """Take one received message; return the frame to send (a reply), the
        :class:`CloseConnection` to carry out, or ``None`` (nothing to send)."""
        if self.hooks.frame_received is not None:
            self._hook(self.hooks.frame_received, message)
        logger = self._logger or self.logger
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("< %s", cut_for_log(message))
        event = self.protocol.receive(message, time.time())
        kind = type(event)
        if kind is CallReceived:
            call: CallReceived = event  # type: ignore[assignment]  # (no cast() call)
            if self._handling or self._queue:
                self._dispatch(call)
                return None
            reply = self._handle_now(call)
            return None if reply is None else reply.frame
        if kind is SendReply:
            reply = cast(SendReply, event)
            self._report(reply)
            if reply.code is ErrorCode.SECURITY_ERROR:  # the registration gate
                self._bad_frames.warning(
                    "refused: %s; answering SecurityError", reply.reason
                )
            return reply.frame
        if kind is CallSucceeded or kind is CallFailed:
            self._settle(cast("CallSucceeded | CallFailed", event))
        elif kind is FrameDropped:
            dropped = cast(FrameDropped, event)
            if dropped.unmatched is None:  # read while closing: logged once
                level = logging.DEBUG if self._dropped_logged else logging.INFO
                self._dropped_logged = True
                self.logger.log(level, "%s", dropped.reason)
            else:
                self._bad_frames.warning(
                    "dropped a response (message id %s): %s",
                    dropped.unmatched.message_id,
                    dropped.reason,
                )
                self._hook(self.hooks.unmatched_response, dropped.unmatched)
        else:
            return cast(CloseConnection, event)
        return None

    async def _close_for(self, closing: CloseConnection) -> None:
        """Close the connection as the core decided; raises _PolicyCloseError."""
        self.logger.error(
            "closing the connection (%d): the peer %s",
            closing.code,
            closing.reason,
        )
        # Closed first, so that nothing more (a reply racing) reaches the peer.
        await self._close_connection(closing.code, "policy violation")
        raise _PolicyCloseError(
            self._fail_calls(f"closed by this side: the peer {closing.reason}")
        )  # run() ends: without close(), nothing else would end its recv()

    # ------------------------------------------------------------------ shutdown

    def _fail_calls(self, reason: str) -> str:
        """Mark the endpoint closed; fail every pending and queued call at once.

        Returns the reason the endpoint closed (the first one given).
        """
        self.protocol.connection_lost(reason)
        if self._closed is None:
            self._closed = self.protocol.closed or reason
        lost = Lost(self._closed)
        for future in (self._waiting or {}).values():
            if not future.done():
                future.set_result(lost)
        if self._slot is not None:
            self._slot.close(self._closed)
        if self._queue:
            self._queue.clear()
        self._make_room()
        return self._closed

    async def _close_connection(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (if it has ``close()``), bounded by close_timeout."""
        close = getattr(self.connection, "close", None)
        if close is None:
            return
        try:
            closing = close() if code == 1000 and not reason else close(code, reason)
        except TypeError:  # a close() that takes no code
            closing = close()
        try:
            await asyncio.wait_for(closing, self.close_timeout)
        except asyncio.TimeoutError:
            self.logger.warning(
                "closing the connection took longer than %g s", self.close_timeout
            )
        except Exception as exc:
            self.logger.info("closing the connection failed: %r", exc)

    async def _break(self, reason: str, *, wait_for_run: bool = True) -> None:
        """A send timed out: the peer stopped reading.  Logged once; the calls
        fail, the pending work is dropped, the connection is closed (1011), and
        ``run()`` ends.

        Unlike :meth:`close`, this does not wait for ``run()``: ``run()`` ends once
        ``recv()`` fails on the closed connection, and its shutdown reaps every
        task, this one included.  Should ``recv()`` not fail, ``run()`` is
        cancelled after ``close_timeout`` by a timer.
        """
        if self._broken:
            return
        self._broken = True
        self.logger.error("%s; closing the connection as broken", reason)
        self._fail_calls(reason)
        await self._close_connection(1011, "the peer is not reading")
        if not wait_for_run:
            return
        run_task = self._run_task
        if run_task is not None and not run_task.done():
            asyncio.get_running_loop().call_later(
                self.close_timeout, self._cancel_if_running, run_task
            )
        else:
            await self._shutdown(reason)

    def _cancel_if_running(self, task: asyncio.Future[Any]) -> None:
        if not task.done():
            self.logger.warning(
                "the receive loop did not end %g s after the connection was closed; "
                "cancelling it",
                self.close_timeout,
            )
            self._tasks.cancel(task)

    async def _shutdown(self, reason: str) -> None:
        """Fail pending calls, cancel and await the tasks.  Idempotent."""
        if self._shutdown_done is not None:
            try:
                await asyncio.wait_for(self._shutdown_done.wait(), self.close_timeout)
            except asyncio.TimeoutError:
                self.logger.error(
                    "shutting down took longer than %g s", self.close_timeout
                )
            return
        self._shutdown_done = asyncio.Event()
        try:
            self._fail_calls(reason)
            left = await self._tasks.reap(
                self.close_timeout, spare=asyncio.current_task()
            )
            if left:
                self.logger.error(
                    "%d task(s) ignored cancellation for %g s and are left running: %s",
                    len(left),
                    self.close_timeout,
                    ", ".join(sorted(repr(t) for t in left)),
                )
        finally:
            self._shutdown_done.set()

    async def close(self) -> None:
        """Close the connection and shut the endpoint down.  Idempotent.

        At once, every pending or queued ``call()`` fails with
        :class:`ConnectionClosedError` and incoming CALLs stop being handled.  Then
        the connection is closed (if it has ``close()``; bounded by
        ``close_timeout``), the receive loop may end (it is cancelled after
        ``close_timeout``; at once when the connection has no ``close()``, since
        then nothing else can end it), and the handler tasks are cancelled and
        awaited (again at most ``close_timeout``).  May be called from a handler:
        that handler's own task is not cancelled.
        """
        await self._close("the endpoint was closed")

    async def _close(self, reason: str) -> None:
        reason = self._fail_calls(reason)
        current = asyncio.current_task()
        self._tasks.release(current)  # called from a handler: do not cancel it
        await self._close_connection()
        run_task = self._run_task
        if run_task is not None and run_task is not current and not run_task.done():
            if getattr(self.connection, "close", None) is None:
                self._tasks.cancel(run_task)  # nothing else can end its recv()
            done, _ = await asyncio.wait({run_task}, timeout=self.close_timeout)
            if not done:
                self._tasks.cancel(run_task)
                await asyncio.wait({run_task}, timeout=self.close_timeout)
        background = self._background
        if background is not None and background is not current:
            await asyncio.wait({background}, timeout=self.close_timeout)
        await self._shutdown(reason)

    async def __aenter__(self: _E) -> _E:
        """Start :meth:`run` in a background task; :meth:`close` on exit."""
        if self._background is None:
            self._background = asyncio.get_running_loop().create_task(self.run())
            self._background.add_done_callback(self._background_done)
        return self

    def _background_done(self, task: asyncio.Task[None]) -> None:
        exc = None if task.cancelled() else task.exception()
        early = self._run_task is None and isinstance(exc, ConnectionClosedError)
        if exc is not None and not early:  # early: closed before run() began
            self.logger.error("the receive loop failed", exc_info=exc)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class ChargingStation(RpcEndpoint):
    """The charging station's side of an OCPP-J connection.

    It may call the actions the charging station sends (``BootNotification``,
    ``Heartbeat``, ``TransactionEvent``, ...) and handle those the CSMS sends
    (``Reset``, ``GetVariables``, ...); ``DataTransfer`` both ways.
    ``ChargePoint`` is the same class under its OCPP 1.6 name.
    """

    role: ClassVar[Sender] = Sender.CHARGING_STATION


ChargePoint = ChargingStation
"""The OCPP 1.6 name of :class:`ChargingStation`, kept as an alias."""


class CSMS(RpcEndpoint):
    """The CSMS's side of the OCPP-J connection to one charging station.

    Create one per connected station.  It may call the actions the CSMS sends and
    handle those the charging station sends; ``DataTransfer`` both ways.
    """

    role: ClassVar[Sender] = Sender.CSMS
