"""The CALL a handler is running for: :class:`CallContext` and :func:`current_call`.

One job: tell handler code which incoming CALL it serves -- the message id, the
action, the station identity, when it arrived and what tolerant decoding let
through -- without changing handler signatures.  The endpoint sets a context
variable around each ``@on`` handler and the ``@after`` handlers of the same
CALL; asyncio copies context variables into every task, so each handler (also
with ``handler_concurrency`` > 1, and in tasks a handler starts) sees its own.
"""

from __future__ import annotations

import contextvars
import time
from datetime import datetime, timezone

import attrs

from ._errors import Problem
from ._events import CallReceived

__all__ = ["CallContext", "call_context", "current_call"]


@attrs.frozen(kw_only=True, slots=True)
class CallContext:
    """The incoming CALL being handled (see :func:`current_call`)."""

    message_id: str
    """The CALL's message id, as the peer sent it."""
    action: str
    """The action name (``"BootNotification"``, or a custom action's)."""
    identity: str
    """The charging station identity of the connection."""
    received_at: datetime
    """When the endpoint read the CALL (UTC)."""
    tolerated: tuple[Problem, ...] = ()
    """What tolerant decoding let through in the request, each with its path."""


_CURRENT: contextvars.ContextVar[tuple[CallReceived, str]] = contextvars.ContextVar(
    "ocpp201_current_call"
)
"""The CALL being handled and the station identity; the endpoint sets it (cheap:
the :class:`CallContext` is only built when a handler asks for it)."""


def current_call() -> CallContext:
    """The incoming CALL whose ``@on`` or ``@after`` handler is running.

    Raises:
        LookupError: called outside a handler (and outside the tasks it started).
    """
    try:
        call, identity = _CURRENT.get()
    except LookupError:
        raise LookupError(
            "current_call() is only available inside an @on or @after handler"
        ) from None
    return call_context(call, identity)


def call_context(call: CallReceived, identity: str) -> CallContext:
    """The context of ``call`` on the connection of station ``identity``."""
    stamp = call.received_at if call.received_at is not None else time.time()
    return CallContext(
        message_id=call.message_id,
        action=call.action,
        identity=identity,
        received_at=datetime.fromtimestamp(stamp, timezone.utc),
        tolerated=call.tolerated,
    )
