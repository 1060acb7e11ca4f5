"""OCPP-J endpoints: :class:`ChargePoint` (the station's side) and :class:`CSMS`.

Both sides share one implementation, :class:`RpcEndpoint`; the subclass fixes the
*role*, which decides the actions the endpoint may call and may handle.  An endpoint
runs on any connection object with ``async send(str)`` and ``async recv() -> str |
bytes`` (the shape of a ``websockets`` connection, or :func:`ocpp201.memory_pair`).

Concurrency (Part 4 section 4.1.1):

* at most one of *our* CALLs is outstanding; further ``call()``\\ s wait their turn in
  order; a call that times out (or is cancelled) frees the slot;
* incoming CALLs are handled concurrently with our own, each in its own task, so a
  handler may ``await self.call(...)``; replies never wait for the CALL slot;
* when the connection closes, or as soon as :meth:`RpcEndpoint.close` starts, every
  pending or queued ``call()`` fails at once with :class:`ConnectionClosedError`;
  handler tasks are then cancelled and awaited (bounded by ``close_timeout``);
* every send is bounded (``send_timeout``); a peer that stops reading makes the
  connection count as broken, and it is closed.

Cancellation: a handler task propagates ``CancelledError`` only when the task itself
is being cancelled (by this endpoint's shutdown, or -- on Python 3.11+, where
``Task.cancelling()`` tells -- by anyone).  A ``CancelledError`` a handler raises or
lets escape on its own (for example by awaiting a task someone else cancelled) is a
failure of that handler: answered InternalError and logged.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import sys
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Final, Literal, Protocol, TypeVar, cast

import attrs

from . import _framing
from ._base import Request, Response, Sender
from ._codec import from_payload, to_payload
from ._errors import (
    CallError,
    CallTimeoutError,
    ConnectionClosedError,
    ErrorCode,
    HandlerError,
    LocalProtocolError,
    LocalValidationError,
    Problem,
    RemoteProtocolError,
    RemoteValidationError,
    ValidationError,
)
from ._framing import Call, CallErrorFrame, CallResult, Ignore, Reply
from ._handlers import on
from ._routing import CustomAction, Routes, collect_routes
from ._schema import ArrayOf, ObjectOf, properties
from .actions import Action
from .enums import DataTransferStatusEnumType
from .messages import DataTransferRequest, DataTransferResponse

__all__ = [
    "CSMS",
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_CLOSE_TIMEOUT",
    "DEFAULT_SEND_TIMEOUT",
    "MESSAGE_ID_MEMORY",
    "ChargePoint",
    "Connection",
    "ITEM_LISTS",
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

MESSAGE_ID_MEMORY: Final = 1000
"""How many of its most recent message ids an endpoint with a custom
``message_id_factory`` remembers in order to refuse a repeated one.  (The default
UUID4 factory draws 122 random bits per id; its ids are not stored.)"""


class Connection(Protocol):
    """What an endpoint needs from a connection (a ``websockets`` connection fits).

    ``recv`` raises once the connection is closed; an optional ``async close()`` is
    used by :meth:`RpcEndpoint.close`.
    """

    async def send(self, message: str, /) -> None: ...

    async def recv(self) -> str | bytes: ...


# --------------------------------------------------------------------------- hooks


@attrs.frozen(kw_only=True)
class ValidationFailure:
    """A payload failed validation (given to :attr:`Hooks.validation_failed`).

    ``direction`` is ``"incoming"`` (the peer's fault) or ``"outgoing"`` (ours);
    ``kind`` is ``"request"`` or ``"response"``.
    """

    direction: Literal["incoming", "outgoing"]
    kind: Literal["request", "response"]
    action: str
    message_id: str | None
    error: ValidationError


@attrs.frozen(kw_only=True)
class UnmatchedResponse:
    """A CALLRESULT / CALLERROR that answers no pending CALL, or that is malformed
    (given to :attr:`Hooks.unmatched_response`).  It is dropped, never answered."""

    message_id: str | None
    reason: str
    frame: str | bytes


@attrs.frozen(kw_only=True)
class Hooks:
    """Optional callbacks for tracing; each receives the endpoint first.

    One ``Hooks`` object may be shared by all the endpoints of a CSMS.  A hook that
    raises is logged and otherwise ignored; hooks must not block.
    """

    frame_received: Callable[[RpcEndpoint, str | bytes], object] | None = None
    """Every message received, as received (before any checks)."""
    frame_sent: Callable[[RpcEndpoint, str], object] | None = None
    """Every frame sent, after the connection accepted it."""
    validation_failed: Callable[[RpcEndpoint, ValidationFailure], object] | None = None
    """Every payload that failed validation, incoming or outgoing."""
    unmatched_response: Callable[[RpcEndpoint, UnmatchedResponse], object] | None = None
    """Every response dropped: unknown message id (e.g. after a timeout) or
    malformed."""


# --------------------------------------------------------------------------- tables


@attrs.frozen(slots=True)
class _ActionInfo:
    name: str
    request: type[Request[Any]]
    response: type[Response]
    sender: Sender


class _StandardActions(dict[str, _ActionInfo]):
    """The standard actions' infos, each built when first used: an action's message
    classes are imported only then (``import ocpp201`` stays cheap)."""

    def get(self, action: str, default: Any = None) -> Any:
        info = dict.get(self, action)
        if info is None:
            member = Action._value2member_map_.get(action)
            if not isinstance(member, Action):
                return default
            info = self[action] = _ActionInfo(
                action, member.request, member.response, member.sender
            )
        return info


_STANDARD: Final[dict[str, _ActionInfo]] = _StandardActions()

ITEM_LISTS: Final[Mapping[str, str]] = {
    "GetVariables": "getVariableData",
    "SetVariables": "setVariableData",
    "GetReport": "componentVariable",
    "GetMonitoringReport": "componentVariable",
    "SendLocalList": "localAuthorizationList",
    "ClearVariableMonitoring": "id",
    "SetVariableMonitoring": "setMonitoringData",
}
"""The array an ``ItemsPerMessage<Action>`` limit counts (Part 2, appendix 2)."""

_ROLE_NAMES: Final = {
    Sender.CHARGING_STATION: "charging station",
    Sender.CSMS: "CSMS",
    Sender.BOTH: "either side",
}


class _HandlerTimeoutError(Exception):
    """A handler ran longer than ``handler_timeout``."""


class _SendTimeoutError(Exception):
    """A send took longer than ``send_timeout``: the connection counts as broken."""


class _Lost:
    """The result of a pending call whose connection closed."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


_Outcome = CallResult | CallErrorFrame | Ignore | _Lost


@attrs.define(slots=True)
class _Pending:
    info: _ActionInfo
    message_id: str
    future: asyncio.Future[_Outcome]


class _CallSlot:
    """The one outstanding CALL of Part 4 section 4.1.1, handed over in FIFO order.

    Built on futures and ``asyncio.wait`` (which never cancels what it waits for), so
    that a timed-out or cancelled waiter can never leak the slot.
    """

    def __init__(self) -> None:
        self._busy = False
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed: str | None = None

    async def acquire(self, deadline: float) -> None:
        if self._closed is not None:
            raise ConnectionClosedError(self._closed)
        if not self._busy and not self._waiters:
            self._busy = True
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
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
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)
        waiter.cancel()

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on; it stays busy
                return
        self._busy = False

    def close(self, reason: str) -> None:
        self._closed = reason
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionClosedError(reason))


_CLOSURE_ERRORS: Final = (ConnectionClosedError, ConnectionError, EOFError)


def _new_uuid4() -> str:
    return str(uuid.uuid4())


def _is_closure(exc: BaseException) -> bool:
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


# --------------------------------------------------------------------------- lenient


def _strip_unknown(cls: type, data: Any, path: str, removed: list[str]) -> Any:
    """``data`` without the properties ``cls``'s schema does not know (recursively)."""
    if type(data) is not dict:
        return data
    try:
        props, extra = properties(cls)
    except (TypeError, AttributeError):  # not a generated class: leave it alone
        return data
    if extra is not None:
        return data
    specs = {p.wire: p.spec for p in props}
    result: dict[str, Any] = {}
    for key, value in data.items():
        spec = specs.get(key)
        if spec is None:
            removed.append(f"{path}.{key}")
        else:
            result[key] = _strip_value(spec, value, f"{path}.{key}", removed)
    return result


def _strip_value(spec: Any, value: Any, path: str, removed: list[str]) -> Any:
    if isinstance(spec, ObjectOf):
        return _strip_unknown(spec.cls, value, path, removed)
    if isinstance(spec, ArrayOf) and type(value) is list:
        return [
            _strip_value(spec.item, item, f"{path}[{index}]", removed)
            for index, item in enumerate(value)
        ]
    return value


# --------------------------------------------------------------------------- endpoint


class RpcEndpoint:
    """The OCPP-J RPC endpoint shared by :class:`ChargePoint` and :class:`CSMS`.

    Subclass :class:`ChargePoint` or :class:`CSMS` (not this class) and decorate
    methods with ``@on(Action.X)`` / ``@after(Action.X)`` to handle requests.

    Args:
        identity: the charging station identity (on the CSMS side: the station this
            endpoint talks to).  Names the logger ``ocpp201.rpc.<identity>``.
        connection: the connection (``async send(str)``, ``async recv()``).
        call_timeout: default seconds ``call()`` may take in all: waiting for the
            CALL slot, sending, and waiting for the response.
        validate_incoming: ``True`` (default): every incoming payload must satisfy its
            schema exactly.  ``False``: *tolerant* -- properties the schema does not
            know are dropped (and logged) instead of answered with ProtocolError, and
            duplicate keys are not refused; everything a typed object cannot hold
            (wrong types, missing required fields, unknown enum values) is still
            refused, since handlers receive typed objects.
        validate_outgoing: ``True`` (default): requests and handler responses are
            checked against their schema before sending (an invalid request raises
            :class:`LocalValidationError`; an invalid response is answered with
            InternalError).  ``False`` skips that check (objects are still checked
            when they are built).
        custom_actions: vendor actions this endpoint may call and handle.
        bytes_per_message: a limit on the size in bytes of incoming CALLs, for every
            action (an ``int``) or per action (a mapping from the action's name, e.g.
            ``{Action.GET_VARIABLES: 4096}``); a larger CALL is answered with
            FormatViolation (Part 2 B06.FR.17, B08.FR.18, N06.FR.07).
        items_per_message: a limit on the number of items of incoming CALLs, counted
            in the array :data:`ITEM_LISTS` names for the action (for an action not
            in it: every top-level array); an ``int`` applies to the actions of
            :data:`ITEM_LISTS`.  More items are answered with
            OccurrenceConstraintViolation (Part 2 B06.FR.16, B08.FR.17, N06.FR.06).
        message_id_factory: makes the message id of each of our CALLs; UUID4 by
            default.  Ids must be strings of 1 to 36 characters, never repeated: an
            id equal to one of the :data:`MESSAGE_ID_MEMORY` most recent ids of this
            endpoint (or to that of a CALL still pending) is refused with
            :class:`LocalProtocolError` before anything is sent.
        hooks: tracing callbacks, see :class:`Hooks`.
        logger: replaces the ``ocpp201.rpc.<identity>`` logger.
        handler_timeout: seconds a handler may run before it is cancelled and the
            CALL answered with InternalError; ``None`` (default): no limit.  A
            handler that ignores the cancellation is logged and kept until
            :meth:`close`, which cancels it again.
        send_timeout: seconds one send to the connection may take (a reply, or the
            CALL frame of ``call()``); when it expires the peer has stopped reading:
            the send is logged, the connection counts as broken and is closed.
        close_timeout: seconds :meth:`close` waits for each stage: the connection
            to close, the receive loop to end, the handler tasks to end.
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
        validate_outgoing: bool = True,
        custom_actions: Iterable[CustomAction] = (),
        bytes_per_message: int | Mapping[str, int] | None = None,
        items_per_message: int | Mapping[str, int] | None = None,
        message_id_factory: Callable[[], str] = _new_uuid4,
        hooks: Hooks | None = None,
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
        handler_timeout: float | None = None,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT,
    ) -> None:
        if not isinstance(getattr(type(self), "role", None), Sender):
            raise TypeError("use ChargePoint or CSMS (or a subclass), not RpcEndpoint")
        if not call_timeout > 0:
            raise ValueError("call_timeout must be a positive number of seconds")
        if handler_timeout is not None and not handler_timeout > 0:
            raise ValueError("handler_timeout must be positive or None")
        if not send_timeout > 0:
            raise ValueError("send_timeout must be a positive number of seconds")
        if not close_timeout > 0:
            raise ValueError("close_timeout must be a positive number of seconds")
        self.identity = identity
        self.connection = connection
        self.call_timeout = float(call_timeout)
        self.validate_incoming = validate_incoming
        self.validate_outgoing = validate_outgoing
        self.handler_timeout = handler_timeout
        self.send_timeout = float(send_timeout)
        self.close_timeout = float(close_timeout)
        self.hooks = hooks or Hooks()
        self.logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = (
            logger or logging.getLogger(f"ocpp201.rpc.{identity}")
        )
        self._message_id_factory = message_id_factory
        # Ids of a custom factory are remembered (bounded) to refuse a repeated one.
        self._remember_ids = message_id_factory is not _new_uuid4
        self._recent_ids: collections.deque[str] = collections.deque()
        self._recent_id_set: set[str] = set()
        self._custom: dict[str, _ActionInfo] = {}
        for custom in custom_actions:
            self._custom[custom.name] = _ActionInfo(
                custom.name, custom.request, custom.response, custom.sender
            )
        self._bytes_default, self._bytes_limits = _limits(bytes_per_message)
        _, self._items_limits = _limits(items_per_message, ITEM_LISTS)
        self._check_routes()

        self._pending: dict[str, _Pending] = {}
        self._slot = _CallSlot()
        self._handling: set[str] = set()
        # Handler tasks, the inner tasks of handlers run with handler_timeout (and
        # those abandoned after it), the send tasks of call(): all reaped by
        # _shutdown.  _owners maps an inner handler task to its _handle_call task.
        self._tasks: set[asyncio.Future[Any]] = set()
        self._owners: dict[asyncio.Future[Any], asyncio.Future[Any]] = {}
        # Tasks this endpoint cancelled itself: their CancelledError propagates.
        self._cancelled_by_us: weakref.WeakSet[asyncio.Future[Any]] = weakref.WeakSet()
        self._closed: str | None = None
        self._running = False
        self._run_task: asyncio.Task[Any] | None = None
        self._background: asyncio.Task[None] | None = None
        self._shutdown_done: asyncio.Event | None = None

    def _check_routes(self) -> None:
        role = self.role
        for action in self._routes.on.keys() | self._routes.after.keys():
            info = _STANDARD.get(action) or self._custom.get(action)
            if info is None:
                raise LocalProtocolError(
                    f"{type(self).__qualname__} handles {action!r}, which is neither "
                    "an OCPP 2.0.1 action nor one of this endpoint's custom_actions"
                )
            if info.sender == role:
                raise LocalProtocolError(
                    f"{type(self).__qualname__} handles {action!r}, but the "
                    f"{_ROLE_NAMES[role]} is the side that sends it"
                )

    def __repr__(self) -> str:
        state = "closed" if self._closed is not None else "open"
        return f"<{type(self).__name__} {self.identity!r} {state}>"

    # ------------------------------------------------------------------ properties

    @property
    def closed(self) -> bool:
        """Whether the endpoint has shut down (its connection closed)."""
        return self._closed is not None

    def _lookup(self, action: str) -> _ActionInfo | None:
        return _STANDARD.get(action) or self._custom.get(action)

    # ------------------------------------------------------------------ hooks & logs

    def _hook(self, hook: Callable[..., object] | None, *args: Any) -> None:
        if hook is None:
            return
        try:
            hook(self, *args)
        except Exception:
            self.logger.exception("hook %r raised; ignored", hook)

    def _validation_failed(
        self,
        direction: Literal["incoming", "outgoing"],
        kind: Literal["request", "response"],
        action: str,
        message_id: str | None,
        error: ValidationError,
    ) -> None:
        if direction == "incoming":
            self.logger.warning(
                "invalid %s %s from the peer (message id %s): %s",
                action,
                kind,
                message_id,
                error.description,
            )
        else:
            self.logger.error(
                "our own %s %s is invalid (message id %s) -- a bug on this side, "
                "not the peer's: %s",
                action,
                kind,
                message_id,
                error.description,
            )
        self._hook(
            self.hooks.validation_failed,
            ValidationFailure(
                direction=direction,
                kind=kind,
                action=action,
                message_id=message_id,
                error=error,
            ),
        )

    def _unmatched(
        self, message_id: str | None, reason: str, frame: str | bytes
    ) -> None:
        self.logger.warning(
            "dropped a response (message id %s): %s", message_id, reason
        )
        self._hook(
            self.hooks.unmatched_response,
            UnmatchedResponse(message_id=message_id, reason=reason, frame=frame),
        )

    # ------------------------------------------------------------------ codec

    def _decode(self, cls: type[Any], payload: Any) -> Any:
        """Structure ``payload``; raise ValidationError (tolerant when switched off)."""
        try:
            return from_payload(cls, payload)
        except ValidationError:
            if self.validate_incoming:
                raise
            removed: list[str] = []
            stripped = _strip_unknown(cls, payload, "$", removed)
            if not removed:
                raise
        result = from_payload(cls, stripped)
        self.logger.warning(
            "ignored properties unknown to %s: %s", cls.__name__, ", ".join(removed)
        )
        return result

    def _encode(self, obj: Any) -> dict[str, Any]:
        """The payload of ``obj``; raise ValidationError if outgoing checks fail."""
        payload = to_payload(obj)
        if self.validate_outgoing:
            from_payload(type(obj), payload)
        return payload

    # ------------------------------------------------------------------ sending

    async def _send(self, frame: str) -> None:
        await self.connection.send(frame)
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("> %s", frame)
        if self.hooks.frame_sent is not None:
            self._hook(self.hooks.frame_sent, frame)

    async def _send_reply(self, frame: str) -> None:
        """Send an answer to the peer's CALL; a failure is logged, never raised.

        Bounded by ``send_timeout``; when that expires, raises
        :class:`_SendTimeoutError` (the caller treats the connection as broken).
        """
        try:
            await asyncio.wait_for(self._send(frame), self.send_timeout)
        except asyncio.TimeoutError:
            raise _SendTimeoutError(
                f"sending a reply took longer than send_timeout ({self.send_timeout:g}"
                " s): the peer is not reading"
            ) from None
        except Exception as exc:
            self.logger.info("could not send a reply (%s): %s", type(exc).__name__, exc)

    # ------------------------------------------------------------------ tasks

    def _track(
        self, task: asyncio.Future[Any], owner: asyncio.Future[Any] | None = None
    ) -> None:
        """Keep ``task`` until it ends, so that :meth:`_shutdown` reaps it."""
        self._tasks.add(task)
        if owner is not None:
            self._owners[task] = owner
        task.add_done_callback(self._untrack)

    def _untrack(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        self._owners.pop(task, None)

    def _cancel(self, task: asyncio.Future[Any]) -> None:
        """Cancel ``task``, remembering that this endpoint did it."""
        self._cancelled_by_us.add(task)
        task.cancel()

    def _cancel_requested(self) -> bool:
        """Whether the current task is being cancelled.

        True when this endpoint cancelled it, or (Python 3.11+) when anybody did and
        the request is still pending (``Task.cancelling()``).  False when a
        ``CancelledError`` merely escaped from a handler -- raised by it, or from a
        task somebody else cancelled that it awaited.
        """
        task = asyncio.current_task()
        if task is None or task in self._cancelled_by_us:
            return True
        cancelling = getattr(task, "cancelling", None)  # Python 3.11+
        return cancelling is not None and bool(cancelling() > 0)

    async def _reap(self, tasks: set[asyncio.Future[Any]]) -> None:
        """Cancel ``tasks`` and wait for them, at most ``close_timeout`` in all.

        A task still running after half the time (one that swallowed the
        cancellation) is cancelled once more.  Whatever still runs after that is
        logged: asyncio cannot end a task that refuses to end.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.close_timeout
        remaining = tasks
        for share in (2.0, 1.0):
            for task in remaining:
                self._cancel(task)
            budget = max(0.0, (deadline - loop.time()) / share)
            _, remaining = await asyncio.wait(remaining, timeout=budget)
            if not remaining:
                return
        self.logger.error(
            "%d task(s) ignored cancellation for %g s and are left running: %s",
            len(remaining),
            self.close_timeout,
            ", ".join(sorted(repr(t) for t in remaining)),
        )

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
        info = self._outgoing_info(request)
        try:
            payload = self._encode(request)
        except ValidationError as exc:
            self._validation_failed("outgoing", "request", info.name, None, exc)
            raise LocalValidationError(exc.problems, type_name=exc.type_name) from None
        except Exception as exc:
            raise LocalProtocolError(
                f"cannot encode the {info.name} request: {exc}"
            ) from exc
        if self._closed is not None:
            raise ConnectionClosedError(self._closed)
        if timeout is None:
            timeout = self.call_timeout
        elif not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await self._slot.acquire(deadline)
        except CallTimeoutError:
            raise CallTimeoutError(
                f"{info.name} not sent: our previous CALL was still outstanding "
                f"after {timeout:g} s"
            ) from None
        try:
            if self._closed is not None:
                raise ConnectionClosedError(self._closed)
            message_id = self._new_message_id()
            frame = _framing.encode_call(message_id, info.name, payload)
            pending = _Pending(info, message_id, loop.create_future())
            self._pending[message_id] = pending
            try:
                await self._send_call(frame, pending, deadline, timeout)
                done, _ = await asyncio.wait(
                    {pending.future}, timeout=max(0.0, deadline - loop.time())
                )
                if not done:
                    raise CallTimeoutError(
                        f"no response to {info.name} (message id {message_id}) "
                        f"within {timeout:g} s"
                    )
            finally:
                del self._pending[message_id]
        finally:
            self._slot.release()
        return cast(_R, self._outcome(pending, pending.future.result()))

    async def _send_call(
        self, frame: str, pending: _Pending, deadline: float, timeout: float
    ) -> None:
        """Send our CALL frame, bounded by the call's deadline and ``send_timeout``.

        Returns early when the call is settled while sending (the connection was
        closed, which sets the outcome); raises CallTimeoutError when the call's
        deadline expires first; treats the connection as broken (closes it, raises
        ConnectionClosedError) when ``send_timeout`` expires first.
        """
        loop = asyncio.get_running_loop()
        send_deadline = loop.time() + self.send_timeout
        send_task = loop.create_task(self._send(frame))
        self._track(send_task)
        waiting: set[asyncio.Future[Any]] = {send_task, pending.future}
        try:
            await asyncio.wait(
                waiting,
                timeout=max(0.0, min(deadline, send_deadline) - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            timed_out = not send_task.done()
        finally:
            if not send_task.done():
                self._cancel(send_task)
                await asyncio.wait({send_task}, timeout=self.close_timeout)
        name, message_id = pending.info.name, pending.message_id
        if pending.future.done():
            return  # closed (or, oddly, answered) meanwhile: the outcome tells
        if timed_out:
            if send_deadline < deadline:
                reason = (
                    f"sending {name} (message id {message_id}) took longer than "
                    f"send_timeout ({self.send_timeout:g} s): the peer is not reading"
                )
                await self._broken(reason)
                raise ConnectionClosedError(reason)
            raise CallTimeoutError(
                f"{name} (message id {message_id}): sending took longer than "
                f"{timeout:g} s"
            )
        if send_task.cancelled():
            raise ConnectionClosedError(f"sending {name} was cancelled")
        exc = send_task.exception()
        if exc is None:
            return
        if isinstance(exc, ConnectionClosedError):
            raise exc
        if _is_closure(exc):
            raise ConnectionClosedError(str(exc)) from exc
        raise exc

    def _outgoing_info(self, request: object) -> _ActionInfo:
        action = getattr(type(request), "ACTION", None)
        info = self._lookup(action) if isinstance(action, str) else None
        if info is None or not isinstance(request, info.request):
            raise LocalProtocolError(
                f"call() takes a request object of an OCPP 2.0.1 action or of one of "
                f"this endpoint's custom_actions, not {type(request).__qualname__}"
            )
        if info.sender not in (self.role, Sender.BOTH):
            raise LocalProtocolError(
                f"a {_ROLE_NAMES[self.role]} cannot send {info.name}: only the "
                f"{_ROLE_NAMES[info.sender]} sends it"
            )
        return info

    def _new_message_id(self) -> str:
        message_id = self._message_id_factory()
        if not _framing.is_valid_message_id(message_id):
            raise LocalProtocolError(
                f"message_id_factory returned {message_id!r}; a message id is a string "
                f"of 1 to {_framing.MAX_MESSAGE_ID_LENGTH} characters"
            )
        if message_id in self._pending or message_id in self._recent_id_set:
            raise LocalProtocolError(
                f"message_id_factory repeated {message_id!r}, an id this endpoint "
                "already used; message ids must be unique"
            )
        if self._remember_ids:
            self._recent_ids.append(message_id)
            self._recent_id_set.add(message_id)
            if len(self._recent_ids) > MESSAGE_ID_MEMORY:
                self._recent_id_set.discard(self._recent_ids.popleft())
        return message_id

    def _outcome(self, pending: _Pending, outcome: _Outcome) -> Any:
        info, message_id = pending.info, pending.message_id
        if isinstance(outcome, CallResult):
            try:
                if outcome.syntax_problems and self.validate_incoming:
                    raise ValidationError(
                        outcome.syntax_problems, type_name=info.response.__name__
                    )
                return self._decode(info.response, outcome.payload)
            except ValidationError as exc:
                self._validation_failed(
                    "incoming", "response", info.name, message_id, exc
                )
                raise RemoteValidationError(
                    exc.problems,
                    type_name=exc.type_name,
                    message_id=message_id,
                    action=info.name,
                ) from None
        if isinstance(outcome, CallErrorFrame):
            code: ErrorCode | str = ErrorCode._value2member_map_.get(
                outcome.code, outcome.code
            )  # type: ignore[assignment]
            raise CallError(
                code,
                outcome.description,
                outcome.details,
                message_id=message_id,
                action=info.name,
            )
        if isinstance(outcome, Ignore):
            raise RemoteProtocolError(
                f"malformed response to {info.name} (message id {message_id}): "
                f"{outcome.reason}"
            )
        raise ConnectionClosedError(outcome.reason)

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
            recv = self.connection.recv
            while True:
                try:
                    message = await recv()
                except Exception as exc:
                    if not _is_closure(exc):
                        reason = f"recv() failed: {exc!r}"
                        raise
                    reason = str(exc) or reason
                    self.logger.info("connection closed: %s", reason)
                    return
                try:
                    await self._receive(message)
                except _SendTimeoutError as exc:
                    reason = str(exc)
                    self.logger.error("%s; closing the connection as broken", reason)
                    self._fail_calls(reason)
                    await self._close_connection()
                    return
                except Exception:  # pragma: no cover - a bug; keep the loop alive
                    self.logger.exception(
                        "internal error; message dropped: %r", message
                    )
        except asyncio.CancelledError:
            reason = "the receive loop was cancelled"
            raise
        finally:
            self._running = False
            await self._shutdown(reason)

    async def _receive(self, message: str | bytes) -> None:
        if self.hooks.frame_received is not None:
            self._hook(self.hooks.frame_received, message)
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("< %s", message)
        if self._closed is not None:
            # close() has started: pending calls have failed, and no CALL may
            # reach a handler any more.
            self.logger.info("ignored a message received while closing")
            return
        try:
            incoming = _framing.decode(message)
        except Exception:  # decode() never raises; a last resort all the same
            self.logger.exception("could not read a message (a bug on this side)")
            incoming = _framing.UNREADABLE_REPLY
        kind = type(incoming)
        if kind is Call:
            await self._start_call(cast(Call, incoming), message)
        elif kind is CallResult or kind is CallErrorFrame:
            self._resolve(cast("CallResult | CallErrorFrame", incoming), message)
        elif kind is Reply:
            reply = cast(Reply, incoming)
            self.logger.warning(
                "bad message from the peer: %s; answering %s",
                reply.reason,
                reply.code.value,
            )
            await self._send_reply(reply.frame)
        else:
            ignored = cast(Ignore, incoming)
            pending = self._pending.get(ignored.message_id or "")
            if pending is not None and not pending.future.done():
                self.logger.warning(
                    "malformed response to %s (message id %s): %s",
                    pending.info.name,
                    ignored.message_id,
                    ignored.reason,
                )
                pending.future.set_result(ignored)
            else:
                self._unmatched(ignored.message_id, ignored.reason, message)

    def _resolve(
        self, frame: CallResult | CallErrorFrame, message: str | bytes
    ) -> None:
        pending = self._pending.get(frame.message_id)
        if pending is None or pending.future.done():
            self._unmatched(
                frame.message_id,
                "no CALL of ours is waiting for this message id (late or unknown)",
                message,
            )
            return
        pending.future.set_result(frame)

    async def _start_call(self, call: Call, message: str | bytes) -> None:
        if call.message_id in self._handling:
            reason = (
                f"a CALL with message id {call.message_id!r} is already being handled"
            )
            self.logger.warning("bad message from the peer: %s", reason)
            await self._send_reply(
                _framing.encode_call_error(
                    call.message_id, ErrorCode.RPC_FRAMEWORK_ERROR, reason
                )
            )
            return
        self._handling.add(call.message_id)
        task = asyncio.get_running_loop().create_task(self._handle_call(call, message))
        self._track(task)

    async def _handle_call(self, call: Call, message: str | bytes) -> None:
        try:
            try:
                try:
                    frame, after = await self._process(call, message)
                except asyncio.CancelledError:
                    raise  # _process lets it through only when we are cancelled
                except Exception:  # a bug: _process catches what handlers raise
                    self.logger.exception(
                        "error handling %s (message id %s)",
                        call.action,
                        call.message_id,
                    )
                    frame, after = self._internal_error(call)
                await self._send_reply(frame)
            finally:
                self._handling.discard(call.message_id)
            if after is not None:
                await self._run_after(*after)
        except _SendTimeoutError as exc:
            await self._broken(str(exc))

    def _error_frame(
        self,
        call: Call,
        code: ErrorCode | str,
        description: str,
        details: Mapping[str, Any] | None = None,
    ) -> tuple[str, None]:
        try:
            frame = _framing.encode_call_error(
                call.message_id, code, description, details
            )
        except LocalProtocolError as exc:
            self.logger.error("CALLERROR details dropped: %s", exc)
            frame = _framing.encode_call_error(call.message_id, code, description)
        return frame, None

    def _validation_error_frame(
        self, call: Call, error: ValidationError, kind: Literal["request", "response"]
    ) -> tuple[str, None]:
        self._validation_failed("incoming", kind, call.action, call.message_id, error)
        return self._error_frame(call, error.code, error.description, error.details())

    async def _process(
        self, call: Call, message: str | bytes
    ) -> tuple[str, tuple[_ActionInfo, Any, Any] | None]:
        """Handle one incoming CALL; return the frame to answer and after-work."""
        action = call.action
        info = self._lookup(action)
        if info is None:
            return self._error_frame(
                call,
                ErrorCode.NOT_IMPLEMENTED,
                f"{_framing.truncate_description(action)!r} is not a known action",
            )
        if info.sender == self.role:
            return self._error_frame(
                call,
                ErrorCode.NOT_SUPPORTED,
                f"{action} is sent by the {_ROLE_NAMES[info.sender]}, "
                f"so a {_ROLE_NAMES[self.role]} does not handle it",
            )
        method = self._routes.on.get(action)
        if method is None:
            return self._error_frame(
                call, ErrorCode.NOT_SUPPORTED, f"{action} is not supported"
            )
        problem = self._check_limits(info, call, message)
        if problem is not None:
            return self._validation_error_frame(call, problem, "request")
        try:
            if call.syntax_problems and self.validate_incoming:
                raise ValidationError(
                    call.syntax_problems, type_name=info.request.__name__
                )
            request = self._decode(info.request, call.payload)
        except ValidationError as exc:
            return self._validation_error_frame(call, exc, "request")
        except Exception:
            self.logger.exception(
                "could not decode %s (message id %s)", action, call.message_id
            )
            return self._internal_error(call)

        handler = getattr(self, method)
        try:
            result = handler(request)
            if inspect.isawaitable(result):
                if self.handler_timeout is None:
                    result = await result
                else:
                    result = await self._await_with_timeout(
                        result, self.handler_timeout, method
                    )
        except HandlerError as exc:
            self.logger.info(
                "handler %s() answered %s with %s: %s",
                method,
                action,
                exc.code.value if isinstance(exc.code, ErrorCode) else exc.code,
                exc.description,
            )
            return self._error_frame(call, exc.code, exc.description, exc.details)
        except asyncio.CancelledError:
            if self._cancel_requested():
                raise  # this task is being cancelled (close(), or the loop's end)
            self.logger.error(
                "handler %s() for %s (message id %s) ended with CancelledError "
                "although its task was not cancelled -- a bug on this side, "
                "answered InternalError",
                method,
                action,
                call.message_id,
                exc_info=True,
            )
            return self._internal_error(call)
        except _HandlerTimeoutError:
            self.logger.error(
                "handler %s() for %s (message id %s) took longer than %g s",
                method,
                action,
                call.message_id,
                self.handler_timeout,
            )
            return self._internal_error(call)
        except Exception:
            self.logger.exception(
                "handler %s() for %s (message id %s) raised",
                method,
                action,
                call.message_id,
            )
            return self._internal_error(call)

        if not isinstance(result, info.response):
            self.logger.error(
                "handler %s() for %s returned %s instead of a %s -- a bug on this "
                "side, not the peer's",
                method,
                action,
                type(result).__qualname__,
                info.response.__name__,
            )
            return self._internal_error(call)
        try:
            payload = self._encode(result)
            frame = _framing.encode_call_result(call.message_id, payload)
        except ValidationError as exc:
            self._validation_failed(
                "outgoing", "response", action, call.message_id, exc
            )
            return self._internal_error(call)
        except Exception:
            self.logger.exception(
                "could not encode the %s response of handler %s()", action, method
            )
            return self._internal_error(call)
        return frame, (info, request, result)

    async def _await_with_timeout(
        self, awaitable: Awaitable[Any], timeout: float, method: str
    ) -> Any:
        """Await ``awaitable`` in its own task; after ``timeout``, cancel it and
        raise our error.

        (Unlike ``asyncio.wait_for``, a TimeoutError the handler itself raises -- a
        CallTimeoutError of its own call, say -- is not mistaken for ours.)  The
        cancelled handler gets ``min(timeout, close_timeout)`` to end; one that
        ignores the cancellation is logged and left to :meth:`_shutdown`, which
        cancels it again.  A handler task that ends cancelled although we did not
        cancel it makes ``task.result()`` raise CancelledError here, in a task that
        is not being cancelled: the caller answers InternalError.
        """
        task = asyncio.ensure_future(awaitable)
        self._track(task, owner=asyncio.current_task())
        try:
            done, _ = await asyncio.wait({task}, timeout=timeout)
        except asyncio.CancelledError:
            self._cancel(task)  # we are being cancelled: so is the handler
            raise
        if done:
            return task.result()
        self._cancel(task)
        grace = min(timeout, self.close_timeout)
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            self.logger.error(
                "handler %s() ignored its cancellation for %g s after its timeout; "
                "it is left running until close() cancels it again",
                method,
                grace,
            )
        raise _HandlerTimeoutError

    def _internal_error(self, call: Call) -> tuple[str, None]:
        return self._error_frame(
            call,
            ErrorCode.INTERNAL_ERROR,
            f"An internal error occurred while handling {call.action}",
        )

    def _check_limits(
        self, info: _ActionInfo, call: Call, message: str | bytes
    ) -> ValidationError | None:
        limit = self._bytes_limits.get(info.name, self._bytes_default)
        if limit is not None:
            if isinstance(message, str):
                size = (
                    len(message)
                    if message.isascii()
                    # surrogatepass: a str connection may hand us a lone surrogate
                    else len(message.encode("utf-8", "surrogatepass"))
                )
            else:
                size = len(message)
            if size > limit:
                return ValidationError(
                    [
                        Problem(
                            "$",
                            ErrorCode.FORMAT_VIOLATION,
                            f"message of {size} bytes exceeds the BytesPerMessage "
                            f"limit of {limit} bytes",
                        )
                    ],
                    type_name=info.request.__name__,
                )
        limit = self._items_limits.get(info.name)
        if limit is not None and type(call.payload) is dict:
            field = ITEM_LISTS.get(info.name)
            names = [field] if field is not None else list(call.payload)
            problems = [
                Problem(
                    f"$.{name}",
                    ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
                    f"{len(value)} items exceed the ItemsPerMessage limit of {limit}",
                )
                for name in names
                if type(value := call.payload.get(name)) is list and len(value) > limit
            ]
            if problems:
                return ValidationError(problems, type_name=info.request.__name__)
        return None

    async def _run_after(self, info: _ActionInfo, request: Any, response: Any) -> None:
        for route in self._routes.after.get(info.name, ()):
            try:
                method = getattr(self, route.method)
                result = (
                    method(request, response)
                    if route.with_response
                    else method(request)
                )
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                if self._cancel_requested():
                    raise
                self.logger.error(
                    "after-handler %s() for %s ended with CancelledError although its "
                    "task was not cancelled",
                    route.method,
                    info.name,
                    exc_info=True,
                )
            except Exception:
                self.logger.exception(
                    "after-handler %s() for %s raised", route.method, info.name
                )

    # ------------------------------------------------------------------ shutdown

    def _fail_calls(self, reason: str) -> str:
        """Mark the endpoint closed; fail every pending and queued call at once.

        Returns the reason the endpoint closed (the first one given).
        """
        if self._closed is None:
            self._closed = reason
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_result(_Lost(self._closed))
        self._slot.close(self._closed)
        return self._closed

    async def _close_connection(self) -> None:
        """Close the connection (if it has ``close()``), bounded by close_timeout."""
        close = getattr(self.connection, "close", None)
        if close is None:
            return
        try:
            await asyncio.wait_for(close(), self.close_timeout)
        except asyncio.TimeoutError:
            self.logger.warning(
                "closing the connection took longer than %g s", self.close_timeout
            )
        except Exception as exc:
            self.logger.info("closing the connection failed: %r", exc)

    async def _broken(self, reason: str) -> None:
        """A send timed out (in a handler task or a ``call()``): the peer stopped
        reading.  Fail the calls, close the connection, let ``run()`` end.

        Unlike :meth:`close`, this neither untracks the current task nor waits for
        ``run()``: ``run()`` ends once ``recv()`` fails on the closed connection,
        and its shutdown reaps every task, this one included (waiting for ``run()``
        from a task it reaps could only end in a timeout).  Should ``recv()`` not
        fail, ``run()`` is cancelled after ``close_timeout`` by a timer.
        """
        self.logger.error("%s; closing the connection as broken", reason)
        self._fail_calls(reason)
        await self._close_connection()
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
            self._cancel(task)

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
            current = asyncio.current_task()
            tasks = {t for t in self._tasks if t is not current}
            if tasks:
                await self._reap(tasks)
        finally:
            self._shutdown_done.set()

    async def close(self) -> None:
        """Close the connection and shut the endpoint down.  Idempotent.

        At once, every pending or queued ``call()`` fails with
        :class:`ConnectionClosedError` and incoming CALLs stop being handled.  Then
        the connection is closed (if it has ``close()``; bounded by
        ``close_timeout``), the receive loop may end (it is cancelled after
        ``close_timeout``), and the handler tasks are cancelled and awaited (again
        at most ``close_timeout``).  May be called from a handler: that handler's
        own task is not cancelled.
        """
        await self._close("the endpoint was closed")

    async def _close(self, reason: str) -> None:
        reason = self._fail_calls(reason)
        current = asyncio.current_task()
        if current is not None:
            # Called from a handler (or a send of one): do not cancel ourselves.
            self._tasks.discard(current)
            owner = self._owners.get(current)
            if owner is not None:
                self._tasks.discard(owner)
        await self._close_connection()
        run_task = self._run_task
        if run_task is not None and run_task is not current and not run_task.done():
            done, _ = await asyncio.wait({run_task}, timeout=self.close_timeout)
            if not done:
                self._cancel(run_task)
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
        if not task.cancelled() and task.exception() is not None:
            self.logger.error("the receive loop failed", exc_info=task.exception())

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class ChargePoint(RpcEndpoint):
    """The charging station's side of an OCPP-J connection.

    It may call the actions the charging station sends (``BootNotification``,
    ``Heartbeat``, ``TransactionEvent``, ...) and handle those the CSMS sends
    (``Reset``, ``GetVariables``, ...); ``DataTransfer`` both ways.
    """

    role: ClassVar[Sender] = Sender.CHARGING_STATION


class CSMS(RpcEndpoint):
    """The CSMS's side of the OCPP-J connection to one charging station.

    Create one per connected station.  It may call the actions the CSMS sends and
    handle those the charging station sends; ``DataTransfer`` both ways.
    """

    role: ClassVar[Sender] = Sender.CSMS


def _limits(
    value: int | Mapping[str, int] | None,
    int_applies_to: Mapping[str, str] | None = None,
) -> tuple[int | None, dict[str, int]]:
    """``(limit for every action, limits per action)`` from an option's value."""
    if value is None:
        return None, {}
    if isinstance(value, int):
        if isinstance(value, bool) or value < 0:
            raise ValueError("a message limit cannot be negative")
        if int_applies_to is None:
            return value, {}
        return None, dict.fromkeys(int_applies_to, value)
    result: dict[str, int] = {}
    for action, limit in value.items():
        name = action.value if isinstance(action, Action) else str(action)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise ValueError(f"the limit for {name} must be a non-negative int")
        result[name] = limit
    return None, result
