"""What an endpoint is given: the connection it runs on and the hooks it reports to.

One job: the two small interfaces between :class:`ocpp201.RpcEndpoint` and the code
around it -- :class:`Connection`, the shape of a transport connection, and
:class:`Hooks`, the tracing callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import attrs

from ._events import UnmatchedResponse, ValidationFailure

if TYPE_CHECKING:
    from ._endpoint import RpcEndpoint

__all__ = ["Connection", "Hooks"]


class Connection(Protocol):
    """What an endpoint needs from a connection (a ``websockets`` connection fits).

    ``recv`` raises once the connection is closed.  Optional: ``async close()``,
    used by :meth:`RpcEndpoint.close` (if it takes ``(code, reason)`` the endpoint
    closes with 1008 a peer that keeps breaking the rules and with 1011 a peer that
    stopped reading), and ``async wait_closed()``, which lets an endpoint that
    paused reading (back-pressure) notice the connection closing.
    """

    async def send(self, message: str, /) -> None: ...

    async def recv(self) -> str | bytes: ...


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
