"""The connection adapter: one ``websockets`` connection as the RPC layer sees it.

:class:`WebSocketConnection` gives the endpoints ``send``/``recv``/``close`` and
translates a closed WebSocket into :class:`ocpp201.ConnectionClosedError`; it also
tells who the peer is.  :class:`Endpoint` and the callback types say what the server
and the client need from the application.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Protocol, TypeVar

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from .._errors import ConnectionClosedError, OCPPError

__all__ = [
    "E",
    "Endpoint",
    "EndpointFactory",
    "HandshakeError",
    "IdentityCheck",
    "PasswordLookup",
    "Session",
    "WebSocketConnection",
]

# Bytes read from a socket at a time.  websockets parses a whole read in one event
# loop callback; asyncio reads up to 256 KiB, which a flood of tiny frames turns
# into ~8,000 frames parsed while every other connection waits (p99 150 ms for the
# other stations in bench/load.py --flood heartbeat; 9 ms with 16 KiB reads).
READ_SIZE = 16 * 1024


class HandshakeError(OCPPError, ConnectionError):
    """The opening handshake did not produce an OCPP 2.0.1 WebSocket connection.

    ``status`` is the HTTP status of the server's answer: 401 for refused
    credentials, 404 for an unknown identity, ...; 101 when the WebSocket opened but
    without the ``ocpp2.0.1`` subprotocol.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


_WebSocket = ServerConnection | ClientConnection


class WebSocketConnection:
    """One OCPP-J WebSocket connection, as given to an endpoint.

    It has the connection protocol the endpoints use (``send``, ``recv``, ``close``),
    with one translation: a closed WebSocket raises
    :class:`ocpp201.ConnectionClosedError` instead of the ``websockets`` exception.
    """

    def __init__(
        self, websocket: _WebSocket, identity: str, *, username: str | None = None
    ) -> None:
        self._ws = websocket
        _limit_read_size(websocket)
        self.identity = identity
        """The charging station identity."""
        self.username = username
        """The HTTP Basic user name the station authenticated with (CSMS side)."""

    @property
    def websocket(self) -> _WebSocket:
        """The underlying ``websockets`` connection (an escape hatch)."""
        return self._ws

    @property
    def subprotocol(self) -> str | None:
        """The negotiated subprotocol: ``"ocpp2.0.1"``."""
        return self._ws.subprotocol

    @property
    def compression(self) -> str | None:
        """``"permessage-deflate"`` when RFC 7692 compression was negotiated."""
        for extension in self._ws.protocol.extensions:
            if extension.name == "permessage-deflate":
                return "permessage-deflate"
        return None

    @property
    def remote_address(self) -> Any:
        """The peer's socket address, for example ``("127.0.0.1", 50312)``."""
        return self._ws.remote_address

    @property
    def peer_certificate(self) -> dict[str, Any] | None:
        """The peer's verified TLS certificate (``ssl.SSLSocket.getpeercert()``).

        ``None`` without TLS or when the peer sent no certificate.  On the CSMS side
        with a client-certificate context this is the station's certificate
        (security profile 3).
        """
        cert = self._ws.transport.get_extra_info("peercert")
        return dict(cert) if cert else None

    @property
    def close_code(self) -> int | None:
        """The WebSocket close code, once the connection is closed."""
        return self._ws.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """The WebSocket close reason, once the connection is closed."""
        return self._ws.protocol.close_reason

    async def send(self, message: str) -> None:
        """Send one text frame."""
        try:
            await self._ws.send(message)
        except ConnectionClosed as exc:
            raise ConnectionClosedError(_closed_text(exc)) from exc

    async def recv(self) -> str | bytes:
        """Receive one message (``str`` for a text frame, ``bytes`` for binary)."""
        try:
            return await self._ws.recv()
        except ConnectionClosed as exc:
            raise ConnectionClosedError(_closed_text(exc)) from exc

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (closing handshake bounded by ``close_timeout``)."""
        await self._ws.close(code, reason)

    async def wait_closed(self) -> None:
        """Wait until the connection is closed."""
        await self._ws.wait_closed()

    async def __aenter__(self) -> WebSocketConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"<WebSocketConnection {self.identity!r} {self.remote_address!r}>"


def _limit_read_size(websocket: _WebSocket) -> None:
    """Read at most ``READ_SIZE`` bytes at a time (plain TCP transports only:
    asyncio's ``max_size`` attribute; a TLS transport keeps its own)."""
    transport = websocket.transport
    size = getattr(transport, "max_size", None)
    if isinstance(size, int) and size > READ_SIZE:
        transport.max_size = READ_SIZE  # type: ignore[attr-defined]


def _closed_text(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "the WebSocket connection was lost"
    reason = f" ({frame.reason})" if frame.reason else ""
    return f"the WebSocket connection closed with code {frame.code}{reason}"


class Endpoint(Protocol):
    """What the transport needs from an endpoint: a receive loop.

    ``run()`` reads from the connection until it closes, then returns.
    """

    async def run(self) -> None: ...


E = TypeVar("E", bound=Endpoint)

EndpointFactory = Callable[[str, WebSocketConnection], E | Awaitable[E]]
"""``factory(identity, connection)`` returns the endpoint for one connection."""

Session = Callable[[E], Awaitable[None]]
"""``session(endpoint)`` runs alongside the endpoint's receive loop."""

IdentityCheck = Callable[[str], bool | Awaitable[bool]]
"""``accept_identity(identity)``: is this station known? (sync or async)"""

PasswordLookup = Callable[[str], str | bytes | Awaitable[str | bytes | None] | None]
"""``password_for(identity)``: the station's BasicAuthPassword, ``None`` if unknown."""
