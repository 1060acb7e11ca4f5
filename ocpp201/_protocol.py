"""The OCPP-J RPC state machine of one connection, without I/O (sans-I/O).

One job: every decision Part 4 asks of an RPC endpoint -- routing, roles, message
ids, limits, validation, building replies, the bad-input table of docs/rpc.md -- for
one connection, as plain method calls.  No asyncio, no sockets, no clock, no
logging: :class:`RpcConnection` takes messages and outcomes in and gives events and
frames out; whoever drives it (the asyncio endpoint, a test, another framework)
does the sending, the waiting and the logging.

Driving it::

    conn = RpcConnection(Sender.CSMS, handlers={"Heartbeat": "heartbeat"})
    event = conn.receive(text)            # one event per message; never raises
    if isinstance(event, CallReceived):   # run the handler, then
        reply = conn.respond(event, response)     # -> SendReply; send reply.frame
    elif isinstance(event, SendReply):
        ...                               # send event.frame

    prepared = conn.prepare_call(request)  # checks and encodes; nothing changes
    started = conn.start_call(prepared)    # our message id and frame: send it
    # receive() later returns CallSucceeded / CallFailed for started.message_id
    conn.connection_lost("reason")         # -> ids of our calls that failed
"""

from __future__ import annotations

import collections
import uuid
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, cast

import attrs

from . import _framing
from ._base import Sender
from ._codec import decode_payload, to_payload
from ._errors import (
    CallError,
    ConnectionClosedError,
    ErrorCode,
    LocalProtocolError,
    LocalValidationError,
    Problem,
    RemoteProtocolError,
    RemoteValidationError,
    ValidationError,
)
from ._events import (
    CallFailed,
    CallReceived,
    CloseConnection,
    Event,
    FrameDropped,
    PreparedCall,
    SendReply,
    StartedCall,
    UnmatchedResponse,
    ValidationFailure,
    new_call_received,
    new_call_succeeded,
    new_send_reply,
)
from ._framing import Call, CallErrorFrame, CallResult, Ignore, Reply
from ._registration import BOOT_NOTIFICATION, StationRegistration
from ._routing import CustomAction
from ._rules import (
    ITEM_LISTS,
    MAX_CALLERROR_BYTES,
    MAX_LISTED_PROBLEMS,
    ROLE_NAMES,
    STANDARD_ACTIONS,
    ActionInfo,
    MessageLimits,
    bounded_problem_details,
)

__all__ = [
    "ITEM_LISTS",
    "MAX_CALLERROR_BYTES",
    "MAX_LISTED_PROBLEMS",
    "MESSAGE_ID_MEMORY",
    "POLICY_VIOLATION",
    "PreparedCall",
    "RpcConnection",
    "StartedCall",
]

MESSAGE_ID_MEMORY: Final = 1000
"""How many of its most recent message ids a connection with a custom
``message_id_factory`` remembers in order to refuse a repeated one.  (The default
UUID4 factory draws 122 random bits per id; its ids are not stored.)"""

POLICY_VIOLATION: Final = 1008
"""The WebSocket close code for a peer that keeps breaking the rules (RFC 6455)."""


_NO_IDS: Final[set[str]] = frozenset()  # type: ignore[assignment]
"""Shared by every connection until its first CALL (never mutated: empty)."""
_NO_PENDING: Final[dict[str, ActionInfo]] = {}
"""Shared by every connection until its first CALL of ours (never added to)."""
_NO_ACTIONS: Final[frozenset[str]] = frozenset()
_NOTHING: Final[Mapping[str, Any]] = MappingProxyType({})
_NO_LIMITS: Final = MessageLimits(None, None)


_known: Final = dict.get  # the standard actions' table, without its lazy get()


def _new_uuid4() -> str:
    return str(uuid.uuid4())


class RpcConnection:
    """The OCPP-J RPC state of one connection, for one side (``role``).

    Args:
        role: ``Sender.CHARGING_STATION`` or ``Sender.CSMS``: which actions we may
            call and which we may handle.
        handlers: action name -> name of the method that handles it (the routes).
        custom_actions: vendor actions this side may call and handle.
        validate_incoming: strict (``True``) or tolerant (``False``) decoding of
            the peer's payloads.
        tolerant_actions: actions whose payloads (the peer's requests, and the
            responses to our CALLs) are decoded tolerantly even when
            ``validate_incoming`` is ``True``.
        validate_outgoing: check our requests and responses against their schema.
        bytes_per_message, items_per_message: limits on incoming CALLs.
        message_id_factory: makes our message ids (default: UUID4 strings).
        message_id_memory: how many recent ids of a custom factory are remembered.
        max_calls_in_progress: incoming CALLs that may be admitted (being handled
            or waiting) at once; ``None``: no limit.  Beyond it a CALL is answered
            RpcFrameworkError and counts as a violation.
        max_violations: after this many violations, :meth:`receive` returns
            :class:`CloseConnection` (1008); ``None``: never.
        registration: the registration gate (Part 2 B01.FR.10, B02.FR.09,
            B03.FR.07 for a CSMS; B03.FR.08 for a station): the station's state,
            which this connection updates from the BootNotification answers (and
            a CSMS from the requests it sends), and by which it answers the
            peer's CALLs SecurityError when they are not allowed.  ``None``: no
            gate.
        owner: a name for error messages (the endpoint class).
    """

    def __init__(
        self,
        role: Sender,
        *,
        handlers: Mapping[str, str] | None = None,
        custom_actions: Iterable[CustomAction] = (),
        validate_incoming: bool = True,
        tolerant_actions: Iterable[str] = (),
        validate_outgoing: bool = True,
        bytes_per_message: int | Mapping[str, int] | None = None,
        items_per_message: int | Mapping[str, int] | None = None,
        message_id_factory: Callable[[], str] | None = None,
        message_id_memory: int = MESSAGE_ID_MEMORY,
        max_calls_in_progress: int | None = None,
        max_violations: int | None = None,
        registration: StationRegistration | None = None,
        owner: str = "RpcConnection",
    ) -> None:
        if role not in (Sender.CHARGING_STATION, Sender.CSMS):
            raise ValueError("role must be Sender.CHARGING_STATION or Sender.CSMS")
        if max_calls_in_progress is not None and max_calls_in_progress < 1:
            raise ValueError("max_calls_in_progress must be at least 1")
        if max_violations is not None and max_violations < 1:
            raise ValueError("max_violations must be at least 1")
        self.registration = registration
        """The registration gate's state of the station (``None``: no gate)."""
        self.role = role
        self.validate_incoming = validate_incoming
        # An empty set is shared: a thousand connections need not hold their own.
        self.tolerant_actions = (
            frozenset(str(getattr(a, "value", a)) for a in tolerant_actions)
            or _NO_ACTIONS
        )
        """Actions decoded tolerantly whatever ``validate_incoming`` says."""
        self.validate_outgoing = validate_outgoing
        # An endpoint class's routes are immutable and shared; others are copied.
        self._handlers: Mapping[str, str] = (
            handlers if type(handlers) is MappingProxyType else dict(handlers or {})
        )
        custom = {
            c.name: ActionInfo(c.name, c.request, c.response, c.sender)
            for c in custom_actions
        }
        self._custom: Mapping[str, ActionInfo] = custom or _NOTHING
        self._limits = (
            MessageLimits(bytes_per_message, items_per_message)
            if bytes_per_message is not None or items_per_message is not None
            else _NO_LIMITS
        )
        self._message_id_factory = message_id_factory or _new_uuid4
        self._remember_ids = message_id_factory not in (None, _new_uuid4)
        self._id_memory = message_id_memory
        # Only a custom factory's ids are remembered (made here, only then).
        self._recent_ids: collections.deque[str] | None = None
        self._recent_id_set: set[str] | None = None
        if self._remember_ids:
            self._recent_ids, self._recent_id_set = collections.deque(), set()
        self._max_in_progress = max_calls_in_progress
        self._max_violations = max_violations
        self._violations = 0
        self._owner = owner
        # Our CALLs awaiting an answer: a dict made at our first CALL.
        self._pending: dict[str, ActionInfo] = _NO_PENDING
        # The peer's CALLs admitted, unanswered: a set made at the first CALL.
        self._in_progress: set[str] = _NO_IDS
        self._closed: str | None = None
        self._check_routes()
        unknown = sorted(a for a in self.tolerant_actions if self.lookup(a) is None)
        if unknown:
            raise ValueError(
                f"tolerant_actions names {', '.join(map(repr, unknown))}: neither an "
                "OCPP 2.0.1 action nor one of this endpoint's custom_actions"
            )

    def _check_routes(self) -> None:
        for action in self._handlers:
            info = self.lookup(action)
            if info is None:
                raise LocalProtocolError(
                    f"{self._owner} handles {action!r}, which is neither "
                    "an OCPP 2.0.1 action nor one of this endpoint's custom_actions"
                )
            if info.sender == self.role:
                raise LocalProtocolError(
                    f"{self._owner} handles {action!r}, but the "
                    f"{ROLE_NAMES[self.role]} is the side that sends it"
                )

    # ------------------------------------------------------------------ state

    @property
    def closed(self) -> str | None:
        """Why the connection is closed, or ``None`` while it is open."""
        return self._closed

    @property
    def awaiting_response(self) -> bool:
        """Whether a CALL of ours is outstanding (its answer must still be read)."""
        return bool(self._pending)

    @property
    def calls_in_progress(self) -> int:
        """The peer's CALLs admitted and not answered yet."""
        return len(self._in_progress)

    @property
    def backlog_full(self) -> bool:
        """Whether one more incoming CALL would exceed ``max_calls_in_progress``
        (and be refused, row R24)."""
        limit = self._max_in_progress
        return limit is not None and len(self._in_progress) >= limit

    @property
    def violations(self) -> int:
        """How many times the peer exceeded ``max_calls_in_progress``."""
        return self._violations

    def lookup(self, action: str) -> ActionInfo | None:
        """The standard or custom action named ``action``."""
        return (
            _known(STANDARD_ACTIONS, action)  # C speed once an action is in use
            or STANDARD_ACTIONS.get(action)
            or self._custom.get(action)
        )

    # ------------------------------------------------------------------ receiving

    def receive(self, message: str | bytes, received_at: float | None = None) -> Event:
        """Take one received WebSocket message; return what to do.  Never raises.

        ``received_at`` (the driver's clock, e.g. ``time.time()``) is carried by
        a :class:`CallReceived` for the handlers (:func:`ocpp201.current_call`).
        """
        if self._closed is not None:
            return FrameDropped("ignored a message received while closing")
        try:
            incoming = _framing.decode(message)
        except Exception:  # decode() never raises; a last resort all the same
            reply = _framing.UNREADABLE_REPLY
            return SendReply(
                reply.frame,
                reply.message_id,
                reply.code,
                "could not read a message (a bug on this side)",
                bad_frame=True,
                our_fault=True,
            )
        kind = type(incoming)
        if kind is Call:
            return self._receive_call(incoming, message, received_at)  # type: ignore[arg-type]
        if kind is CallResult or kind is CallErrorFrame:
            return self._resolve(cast("CallResult | CallErrorFrame", incoming), message)
        if kind is Reply:
            reply = cast(Reply, incoming)
            return SendReply(
                reply.frame, reply.message_id, reply.code, reply.reason, bad_frame=True
            )
        ignored = cast(Ignore, incoming)
        info = self._pending.pop(ignored.message_id or "", None)
        if info is not None:
            error = RemoteProtocolError(
                f"malformed response to {info.name} (message id "
                f"{ignored.message_id}): {ignored.reason}"
            )
            return CallFailed(ignored.message_id or "", info.name, error)
        return self._unmatched(ignored.message_id, ignored.reason, message)

    def _unmatched(
        self, message_id: str | None, reason: str, message: str | bytes
    ) -> FrameDropped:
        return FrameDropped(
            reason,
            UnmatchedResponse(message_id=message_id, reason=reason, frame=message),
        )

    def _resolve(
        self, frame: CallResult | CallErrorFrame, message: str | bytes
    ) -> Event:
        info = self._pending.pop(frame.message_id, None)
        if info is None:
            return self._unmatched(
                frame.message_id,
                "no CALL of ours is waiting for this message id (late or unknown)",
                message,
            )
        message_id = frame.message_id
        if type(frame) is CallErrorFrame:
            code: ErrorCode | str = ErrorCode._value2member_map_.get(
                frame.code, frame.code
            )  # type: ignore[assignment]
            error = CallError(
                code,
                frame.description,
                frame.details,
                message_id=message_id,
                action=info.name,
            )
            return CallFailed(message_id, info.name, error)
        result: CallResult = frame  # type: ignore[assignment]
        try:
            response, ignored = self._decode(
                info, info.response, result.payload, result.syntax_problems
            )
        except ValidationError as exc:
            failure = ValidationFailure(
                direction="incoming",
                kind="response",
                action=info.name,
                message_id=message_id,
                error=exc,
            )
            remote = RemoteValidationError(
                exc.problems,
                type_name=exc.type_name,
                message_id=message_id,
                action=info.name,
            )
            return CallFailed(message_id, info.name, remote, failure)
        if info.name == BOOT_NOTIFICATION and self.registration is not None:
            self.registration.booted(response.status)  # a station: our own boot
        return new_call_succeeded(message_id, info.name, response, ignored)

    def _receive_call(
        self, call: Call, message: str | bytes, received_at: float | None
    ) -> Event:
        message_id, action = call.message_id, call.action
        if message_id in self._in_progress:
            return self._error(
                message_id,
                ErrorCode.RPC_FRAMEWORK_ERROR,
                f"a CALL with message id {message_id!r} is already being handled",
                bad_frame=True,
            )
        info = self.lookup(action)
        if info is None:
            return self._error(
                message_id,
                ErrorCode.NOT_IMPLEMENTED,
                f"{_framing.truncate_description(action)!r} is not a known action",
            )
        if info.sender == self.role:
            return self._error(
                message_id,
                ErrorCode.NOT_SUPPORTED,
                f"{action} is sent by the {ROLE_NAMES[info.sender]}, "
                f"so a {ROLE_NAMES[self.role]} does not handle it",
            )
        registration = self.registration
        if registration is not None and registration.gated:
            refusal = registration.refuse(action, csms=self.role is Sender.CSMS)
            if refusal is not None:
                return self._error(message_id, ErrorCode.SECURITY_ERROR, refusal)
        handler = self._handlers.get(action)
        if handler is None:
            return self._error(
                message_id, ErrorCode.NOT_SUPPORTED, f"{action} is not supported"
            )
        if self.backlog_full:
            return self._refuse(message_id)
        if self._limits is not _NO_LIMITS:
            problem = self._limits.check(info, call, message)
            if problem is not None:
                return self._invalid_request(message_id, action, problem)
        try:
            request, ignored = self._decode(
                info, info.request, call.payload, call.syntax_problems
            )
        except ValidationError as exc:
            return self._invalid_request(message_id, action, exc)
        except Exception as exc:
            reply = self._internal_error(message_id, action)
            return attrs.evolve(
                reply,
                reason=f"could not decode {action} (message id {message_id}): {exc!r}",
                our_fault=True,
            )
        if self._in_progress is _NO_IDS:
            self._in_progress = set()
        self._in_progress.add(message_id)
        return new_call_received(
            message_id, action, request, handler, ignored, received_at
        )

    def _free(self, message_id: str) -> None:
        """The peer's CALL ``message_id`` is answered (or never will be)."""
        if message_id in self._in_progress:
            self._in_progress.remove(message_id)

    def _refuse(self, message_id: str) -> Event:
        self._violations += 1
        limit = self._max_in_progress
        if (
            self._max_violations is not None
            and self._violations >= self._max_violations
        ):
            return CloseConnection(
                POLICY_VIOLATION,
                f"more than {limit} CALLs in progress, {self._violations} times",
            )
        return self._error(
            message_id,
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"more than {limit} CALLs in progress; Part 4 section 4.1.1 allows one "
            "outstanding CALL",
            bad_frame=True,
        )

    def is_tolerant(self, action: str) -> bool:
        """Whether the payloads of ``action`` are decoded tolerantly."""
        return not self.validate_incoming or action in self.tolerant_actions

    def _decode(
        self,
        info: ActionInfo,
        cls: type[Any],
        payload: Any,
        syntax_problems: tuple[Problem, ...],
    ) -> tuple[Any, tuple[Problem, ...]]:
        """The one boundary to the codec for incoming payloads (strict or
        tolerant); returns the object and what tolerant decoding tolerated
        (duplicate keys and oversized numbers included)."""
        if not self.is_tolerant(info.name):
            if syntax_problems:
                raise ValidationError(syntax_problems, type_name=cls.__name__)
            return decode_payload(cls, payload)
        obj, tolerated = decode_payload(cls, payload, tolerant=True)
        if syntax_problems:
            tolerated = (*syntax_problems, *tolerated)
        return obj, tolerated

    # ------------------------------------------------------------------ answering

    def _error(
        self,
        message_id: str,
        code: ErrorCode,
        description: str,
        details: Mapping[str, Any] | None = None,
        *,
        bad_frame: bool = False,
        validation: ValidationFailure | None = None,
    ) -> SendReply:
        """A CALLERROR reply, never larger than :data:`MAX_CALLERROR_BYTES`."""
        reason = description
        our_fault = False
        try:
            frame = _framing.encode_call_error(message_id, code, description, details)
        except LocalProtocolError as exc:
            frame = _framing.encode_call_error(message_id, code, description)
            reason, our_fault = f"CALLERROR details dropped: {exc}", True
        if len(frame) > MAX_CALLERROR_BYTES // 4 and (
            len(frame.encode("utf-8")) > MAX_CALLERROR_BYTES
        ):
            frame = _framing.encode_call_error(
                message_id, code, description, {"omittedDetails": True}
            )
            reason = f"CALLERROR details over {MAX_CALLERROR_BYTES} bytes dropped"
            our_fault = validation is None
        return SendReply(
            frame,
            message_id,
            code,
            reason,
            bad_frame=bad_frame,
            validation=validation,
            our_fault=our_fault,
        )

    def _invalid_request(
        self, message_id: str, action: str, error: ValidationError
    ) -> SendReply:
        failure = ValidationFailure(
            direction="incoming",
            kind="request",
            action=action,
            message_id=message_id,
            error=error,
        )
        return self._error(
            message_id,
            error.code,
            error.description,
            bounded_problem_details(error),
            validation=failure,
        )

    def _internal_error(self, message_id: str, action: str) -> SendReply:
        return self._error(
            message_id,
            ErrorCode.INTERNAL_ERROR,
            f"An internal error occurred while handling {action}",
        )

    def respond(self, call: CallReceived, response: object) -> SendReply:
        """The reply to ``call`` given the object its handler returned.

        A CALLRESULT; InternalError (``our_fault``, or with ``validation`` set)
        when the handler returned the wrong type or an invalid response.  The
        CALL's message id is free again from now on.
        """
        self._free(call.message_id)
        info = self.lookup(call.action)
        assert info is not None  # admitted by receive()
        if response.__class__ is not info.response and not isinstance(
            response, info.response
        ):
            return attrs.evolve(
                self._internal_error(call.message_id, call.action),
                reason=f"handler {call.handler}() for {call.action} returned "
                f"{type(response).__qualname__} instead of a "
                f"{info.response.__name__} -- a bug on this side, not the peer's",
                our_fault=True,
            )
        try:
            # check: what the attrs validators cannot have seen (lists changed after
            # construction, untyped values, objects a tolerant decoding built).
            checked = self._checked()
            payload = to_payload(response, check=self.validate_outgoing)
            frame = _framing.encode_call_result(call.message_id, payload, checked)
        except ValidationError as exc:
            failure = ValidationFailure(
                direction="outgoing",
                kind="response",
                action=call.action,
                message_id=call.message_id,
                error=exc,
            )
            return attrs.evolve(
                self._internal_error(call.message_id, call.action), validation=failure
            )
        except Exception as exc:
            return attrs.evolve(
                self._internal_error(call.message_id, call.action),
                reason=f"could not encode the {call.action} response of handler "
                f"{call.handler}(): {exc!r}",
                our_fault=True,
            )
        if call.action == BOOT_NOTIFICATION and self.registration is not None:
            self.registration.booted(response.status)  # type: ignore[attr-defined]
        return new_send_reply(frame, call.message_id)

    def respond_error(
        self,
        call: CallReceived,
        code: ErrorCode,
        description: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> SendReply:
        """The CALLERROR answering ``call`` (a handler raised ``HandlerError``).
        The CALL's message id is free again from now on."""
        self._free(call.message_id)
        return self._error(call.message_id, code, description, details)

    def respond_internal_error(self, call: CallReceived) -> SendReply:
        """InternalError for ``call`` (its handler failed); the id is free again."""
        self._free(call.message_id)
        return self._internal_error(call.message_id, call.action)

    def forget_incoming(self, call: CallReceived) -> None:
        """``call`` will never be answered (its handler was cancelled)."""
        self._free(call.message_id)

    # ------------------------------------------------------------------ calling

    def _checked(self) -> bool:
        """Whether the payload we encode now may be written by orjson: outgoing
        validation on, and attrs' validators (which check every field when it is
        set) not switched off now (see ``_json.write_checked`` for what an object
        built while they were off, or set behind their back, may still hold)."""
        return self.validate_outgoing and not attrs.validators.get_disabled()

    def prepare_call(self, request: object) -> PreparedCall:
        """Check and encode ``request`` for a CALL; changes no state.

        Raises:
            LocalProtocolError: not a request of a known action, or one this
                role may not send.
            LocalValidationError: outgoing validation found it invalid (the
                ``validation_failed`` report is its ``failure`` attribute).
        """
        action = getattr(type(request), "ACTION", None)
        info = self.lookup(action) if isinstance(action, str) else None
        if info is None or not isinstance(request, info.request):
            raise LocalProtocolError(
                f"call() takes a request object of an OCPP 2.0.1 action or of one of "
                f"this endpoint's custom_actions, not {type(request).__qualname__}"
            )
        if info.sender not in (self.role, Sender.BOTH):
            raise LocalProtocolError(
                f"a {ROLE_NAMES[self.role]} cannot send {info.name}: only the "
                f"{ROLE_NAMES[info.sender]} sends it"
            )
        try:
            payload = to_payload(request, check=self.validate_outgoing)
        except ValidationError as exc:
            raise LocalValidationError(exc.problems, type_name=exc.type_name) from None
        except Exception as exc:
            raise LocalProtocolError(
                f"cannot encode the {info.name} request: {exc}"
            ) from exc
        return PreparedCall(info.name, payload, self._checked())

    def start_call(self, prepared: PreparedCall) -> StartedCall:
        """Give ``prepared`` its message id and make it our outstanding CALL.

        Raises:
            ConnectionClosedError: the connection is closed.
            LocalProtocolError: another CALL of ours is outstanding (Part 4
                section 4.1.1), or the id factory returned an invalid or a
                repeated id; nothing changes.
        """
        if self._closed is not None:
            raise ConnectionClosedError(self._closed)
        if self._pending:
            raise LocalProtocolError(
                "another CALL is outstanding; Part 4 section 4.1.1 allows one"
            )
        message_id = self._new_message_id()
        frame = _framing.encode_call(
            message_id, prepared.action, prepared.payload, prepared.checked
        )
        info = self.lookup(prepared.action)
        assert info is not None
        if self._pending is _NO_PENDING:
            self._pending = {}
        self._pending[message_id] = info
        registration = self.registration
        if registration is not None and registration.gated:
            registration.sent(prepared.action, prepared.payload.get("requestedMessage"))
        return StartedCall(message_id, prepared.action, frame)

    def _new_message_id(self) -> str:
        message_id = self._message_id_factory()
        if not _framing.is_valid_message_id(message_id):
            raise LocalProtocolError(
                f"message_id_factory returned {message_id!r}; a message id is a string "
                f"of 1 to {_framing.MAX_MESSAGE_ID_LENGTH} characters"
            )
        recent = self._recent_id_set
        if message_id in self._pending or (recent is not None and message_id in recent):
            raise LocalProtocolError(
                f"message_id_factory repeated {message_id!r}, an id this endpoint "
                "already used; message ids must be unique"
            )
        if self._recent_ids is not None and recent is not None:
            self._recent_ids.append(message_id)
            recent.add(message_id)
            if len(self._recent_ids) > self._id_memory:
                recent.discard(self._recent_ids.popleft())
        return message_id

    def abandon_call(self, message_id: str) -> None:
        """Stop waiting for the answer to our CALL ``message_id`` (it timed out,
        was cancelled or could not be sent); a late answer is then unmatched."""
        self._pending.pop(message_id, None)

    # ------------------------------------------------------------------ closing

    def connection_lost(self, reason: str) -> tuple[str, ...]:
        """The connection closed (or closing started): nothing is dispatched any
        more.  Returns the message ids of our CALLs that failed (each once)."""
        if self._closed is None:
            self._closed = reason
        failed = tuple(self._pending)
        self._pending.clear()
        if self._in_progress:
            self._in_progress.clear()
        return failed
