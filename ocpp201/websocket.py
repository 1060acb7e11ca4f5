"""OCPP-J WebSocket transport (OCPP 2.0.1 Part 4), built on ``websockets``.

This module is optional: it needs the ``websockets`` package (``pip install
'ocpp201[websockets]'``) and it is the only module of ``ocpp201`` that imports it, so
``import ocpp201`` keeps working without it.

CSMS side::

    from ocpp201.websocket import serve

    async with serve(MyCSMS, "0.0.0.0", 9000, path="/ocpp") as server:
        await server.serve_forever()

``serve`` derives the station identity from the last path segment of the request
(percent-decoded), negotiates the ``ocpp2.0.1`` subprotocol, optionally checks HTTP
Basic credentials and the identity, then creates one endpoint per connection with
``factory(identity, connection)`` (an ``ocpp201.CSMS`` subclass is such a factory) and
runs ``endpoint.run()`` until the station disconnects.

Charging station side::

    from ocpp201.websocket import BackOff, ChargingStationClient

    client = ChargingStationClient(
        "ws://csms.example.com/ocpp", "CS001", MyChargePoint, session=boot
    )
    await client.run()  # connects, reconnects with the Part 4 section 5.3 back-off

``connect`` opens a single connection without reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import http
import inspect
import logging
import math
import random
import re
import ssl as ssl_module
import urllib.parse
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

try:
    from websockets.asyncio.client import ClientConnection
    from websockets.asyncio.client import connect as ws_connect
    from websockets.asyncio.server import Server, ServerConnection
    from websockets.asyncio.server import serve as ws_serve
    from websockets.datastructures import Headers
    from websockets.exceptions import (
        ConnectionClosed,
        InvalidHeader,
        InvalidStatus,
        InvalidURI,
        WebSocketException,
    )
    from websockets.headers import (
        build_authorization_basic,
        build_www_authenticate_basic,
        parse_authorization_basic,
    )
    from websockets.http11 import Request, Response
    from websockets.typing import Subprotocol
    from websockets.uri import parse_uri
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "ocpp201.websocket needs the 'websockets' package (version 13 or later): "
        "pip install 'ocpp201[websockets]'"
    ) from _exc

from ._errors import ConnectionClosedError, OCPPError

__all__ = [
    "MAX_IDENTITY_LENGTH",
    "OCPP_SUBPROTOCOL",
    "BackOff",
    "CSMSServer",
    "ChargingStationClient",
    "Endpoint",
    "HandshakeError",
    "InvalidIdentityError",
    "WebSocketConnection",
    "connect",
    "connection_url",
    "identity_from_path",
    "serve",
    "validate_identity",
]

logger = logging.getLogger("ocpp201.websocket")

OCPP_SUBPROTOCOL = "ocpp2.0.1"
"""The WebSocket subprotocol name of OCPP 2.0.1 (Part 4, section 3.1.2)."""

MAX_IDENTITY_LENGTH = 48
"""Maximum length of a charging station identity (Part 4, section 3.1.1)."""

_SUBPROTOCOL_REFUSED = 1002  # close code "protocol error" (RFC 6455, 7.4.1)
_INTERNAL_ERROR = 1011
_REPLACED = 1000
# Bounds on waits that could otherwise last forever (module constants so that tests
# can shorten them):
_RUN_EXIT_TIMEOUT = 15.0  # for endpoint.run() to return once the connection closed
_CANCEL_TIMEOUT = 5.0  # for a cancelled task (endpoint.run(), session) to finish
_CLOSE_TIMEOUT = 10.0  # for a closing handshake when close_timeout is None
_MAX_DOUBLINGS = 64  # BackOff: 2**64 s is longer than any wait that could matter
# Bytes read from a socket at a time.  websockets parses a whole read in one event
# loop callback; asyncio reads up to 256 KiB, which a flood of tiny frames turns
# into ~8,000 frames parsed while every other connection waits (p99 150 ms for the
# other stations in bench/load.py --flood heartbeat; 9 ms with 16 KiB reads).
_READ_SIZE = 16 * 1024


# --------------------------------------------------------------------------------------
# Identities and URLs


class InvalidIdentityError(ValueError):
    """A string cannot be a charging station identity."""


def validate_identity(identity: str) -> str:
    """Return ``identity`` if it can be a charging station identity, else raise.

    Part 4 section 3.1.1: at most 48 characters and no ``:`` (the identity is also
    the HTTP Basic user name).  Empty identities, non-printable characters and the
    dot-segments ``.`` and ``..`` (which URL normalisation removes from a path,
    RFC 3986 section 5.2.4) are refused as well.  The spec's own example
    ``"RDAM 123"`` shows that spaces occur, so the character set is not restricted
    further.

    Raises:
        InvalidIdentityError: with the reason in words.
    """
    if not identity:
        raise InvalidIdentityError("the charging station identity is empty")
    if len(identity) > MAX_IDENTITY_LENGTH:
        raise InvalidIdentityError(
            f"the charging station identity has {len(identity)} characters;"
            f" at most {MAX_IDENTITY_LENGTH} are allowed"
        )
    if ":" in identity:
        raise InvalidIdentityError("the charging station identity contains ':'")
    if "/" in identity:
        raise InvalidIdentityError("the charging station identity contains '/'")
    if identity in (".", ".."):
        raise InvalidIdentityError(
            f"the charging station identity cannot be {identity!r}"
            " (a dot-segment of a URL path)"
        )
    if not identity.isprintable():
        raise InvalidIdentityError(
            "the charging station identity contains a non-printable character"
        )
    return identity


_INVALID_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _decode_segment(segment: str, what: str) -> str:
    """Percent-decode one path segment strictly (UTF-8, well-formed escapes)."""
    if _INVALID_ESCAPE.search(segment):
        raise InvalidIdentityError(f"{what} contains an invalid percent-escape")
    try:
        return urllib.parse.unquote(segment, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidIdentityError(
            f"{what} is not valid UTF-8 once percent-decoded"
        ) from exc


def _endpoint_path(path: str) -> str:
    """The canonical form of an OCPP-J endpoint path: ``/ocpp``, or ``""`` for ``/``.

    A missing leading ``/`` is added and a trailing ``/`` removed (``"ocpp/"`` gives
    ``"/ocpp"``).  Raises ``ValueError`` for a query, a fragment, an empty segment
    (``"/a//b"``) or an invalid percent-escape.
    """
    if "?" in path or "#" in path:
        raise ValueError(f"the endpoint path must not contain '?' or '#': {path!r}")
    inner = path.removeprefix("/").removesuffix("/")
    if not inner:
        return ""
    for segment in inner.split("/"):
        if not segment:
            raise ValueError(f"the endpoint path has an empty segment: {path!r}")
        try:
            _decode_segment(segment, "the endpoint path")
        except InvalidIdentityError as exc:
            raise ValueError(f"{exc}: {path!r}") from None
    return "/" + inner


def identity_from_path(path: str, prefix: str | None = None) -> str:
    """The charging station identity in the path of a connection request.

    ``path`` is the request target (``/ocpp/RDAM%20123``, possibly with a query),
    read as a path -- never as a URL, so ``//host/...`` is just a path with an empty
    first segment.  The identity is its last segment, percent-decoded (``RDAM
    123``).  Empty segments before the identity (``/ocpp//CS1``), invalid
    percent-escapes (``%zz``) and targets that do not start with ``/`` are refused.
    When ``prefix`` is given (``/ocpp``; normalised as by :func:`serve`), the
    segments before the identity must be those of ``prefix`` (compared once
    percent-decoded).

    Raises:
        InvalidIdentityError: when the path holds no valid identity.
        ValueError: when ``prefix`` itself is not a valid endpoint path.
    """
    expected = None if prefix is None else _endpoint_path(prefix)
    target = path.partition("?")[0]
    if not target.startswith("/") or "#" in target:
        raise InvalidIdentityError("the request target is not an absolute path")
    *head, segment = target[1:].split("/")
    if "" in head:
        raise InvalidIdentityError("the path has an empty segment before the identity")
    decoded_head = [_decode_segment(part, "the path") for part in head]
    if expected is not None:
        wanted = [
            _decode_segment(part, "the endpoint path")
            for part in expected.split("/")[1:]
        ]
        if decoded_head != wanted:
            raise InvalidIdentityError(f"the path is not under {prefix!r}")
    identity = _decode_segment(segment, "the percent-encoded identity")
    return validate_identity(identity)


def connection_url(endpoint_url: str, identity: str) -> str:
    """The connection URL of a station: ``endpoint_url + "/" + identity``.

    The identity is percent-encoded as RFC 3986 requires for a path segment
    (``wss://csms.example.com/ocppj`` and ``RDAM 123`` give
    ``wss://csms.example.com/ocppj/RDAM%20123``).  A trailing ``/`` of the endpoint
    URL is not doubled.
    """
    validate_identity(identity)
    try:
        parts = urllib.parse.urlsplit(endpoint_url)
        scheme = parts.scheme
    except ValueError as exc:
        raise ValueError(f"invalid endpoint URL {endpoint_url!r}: {exc}") from None
    if scheme not in ("ws", "wss"):
        raise ValueError(f"the endpoint URL must be ws:// or wss://: {endpoint_url!r}")
    if any(c.isspace() or not c.isprintable() for c in endpoint_url):
        raise ValueError(
            f"the endpoint URL contains whitespace or a control character:"
            f" {endpoint_url!r}"
        )
    # Keep the sub-delimiters that are valid in a path segment; encode the rest.
    segment = urllib.parse.quote(identity, safe="*=@!$'(),;")
    path = parts.path.rstrip("/") + "/" + segment
    url = urllib.parse.urlunsplit(parts._replace(path=path))
    try:  # what websockets will check when connecting: host, port, no fragment
        parse_uri(url)
    except (InvalidURI, ValueError) as exc:
        raise ValueError(f"invalid endpoint URL {endpoint_url!r}: {exc}") from None
    return url


# --------------------------------------------------------------------------------------
# Back-off (Part 4 section 5.3, configuration variables of section 8)


@dataclass(frozen=True)
class BackOff:
    """The reconnection back-off of Part 4 section 5.3.

    The first reconnection attempt after a connection loss (or after a failed first
    connection) waits ``wait_minimum`` seconds plus a random value in
    ``[0, random_range]``; every failed attempt doubles the base wait, at most
    ``repeat_times`` times, then the wait stays the same.  A successful connection
    resets it to ``wait_minimum``.  (The number of doublings also stops at 64:
    ``2**64`` seconds is longer than any wait that could matter, and the float
    arithmetic cannot overflow.)

    Attributes:
        wait_minimum: ``OCPPCommCtrlr.RetryBackOffWaitMinimum`` in seconds.
        random_range: ``OCPPCommCtrlr.RetryBackOffRandomRange`` in seconds.
        repeat_times: ``OCPPCommCtrlr.RetryBackOffRepeatTimes``.

    Raises:
        ValueError: for a negative, infinite or NaN number of seconds, or a
            ``repeat_times`` that is not a non-negative integer.
    """

    wait_minimum: float = 3.0
    random_range: float = 10.0
    repeat_times: int = 5

    def __post_init__(self) -> None:
        _check_seconds("BackOff.wait_minimum", self.wait_minimum)
        _check_seconds("BackOff.random_range", self.random_range)
        repeat = self.repeat_times
        if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 0:
            raise ValueError(
                f"BackOff.repeat_times must be a non-negative integer, not {repeat!r}"
            )

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before reconnection attempt ``attempt`` (0 is the first).

        ``rand`` returns a float in ``[0, 1)``; it is a parameter for tests.
        """
        doublings = min(max(attempt, 0), self.repeat_times, _MAX_DOUBLINGS)
        return self.wait_minimum * 2.0**doublings + rand() * self.random_range


def _check_seconds(
    name: str, value: float | None, *, allow_none: bool = False, positive: bool = False
) -> float | None:
    """``value`` if it is a finite number of seconds (>= 0, or > 0), else raise."""
    if value is None and allow_none:
        return None
    bound = "positive" if positive else "non-negative"
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        also = " or None" if allow_none else ""
        raise ValueError(
            f"{name} must be a finite, {bound} number of seconds{also}, not {value!r}"
        )
    return value


def _ping_interval(value: float | None) -> float | None:
    """``WebSocketPingInterval`` for ``websockets``: 0 (or ``None``) means no pings.

    Part 4 section 8.4: 0 disables pings, negative values are not allowed.
    """
    return _check_seconds("ping_interval", value, allow_none=True) or None


# --------------------------------------------------------------------------------------
# Connection wrapper


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
    """Read at most ``_READ_SIZE`` bytes at a time (plain TCP transports only:
    asyncio's ``max_size`` attribute; a TLS transport keeps its own)."""
    transport = websocket.transport
    size = getattr(transport, "max_size", None)
    if isinstance(size, int) and size > _READ_SIZE:
        transport.max_size = _READ_SIZE  # type: ignore[attr-defined]


def _closed_text(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "the WebSocket connection was lost"
    reason = f" ({frame.reason})" if frame.reason else ""
    return f"the WebSocket connection closed with code {frame.code}{reason}"


# --------------------------------------------------------------------------------------
# Endpoints and sessions


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

T = TypeVar("T")


async def _maybe_await(value: T | Awaitable[T]) -> T:
    if inspect.isawaitable(value):
        return await value
    return value


def _log_session_result(identity: str) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, ConnectionClosedError):
            logger.error("%s: session failed", identity, exc_info=exc)

    return done


async def _close_bounded(
    connection: WebSocketConnection, code: int = 1000, reason: str = ""
) -> None:
    """Close ``connection``; never wait forever, even with ``close_timeout=None``."""
    ws = connection.websocket
    if ws.close_timeout is not None:  # websockets bounds the handshake itself
        await connection.close(code, reason)
        return
    try:
        await asyncio.wait_for(connection.close(code, reason), _CLOSE_TIMEOUT)
    except asyncio.TimeoutError:
        logger.warning(
            "%s: the closing handshake took more than %s s; dropping the connection",
            connection.identity,
            _CLOSE_TIMEOUT,
        )
        ws.transport.abort()


async def _finish(tasks: Sequence[asyncio.Future[Any]], identity: str) -> None:
    """Cancel the unfinished ``tasks`` and wait (bounded) for them to end."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        _, still = await asyncio.wait(pending, timeout=_CANCEL_TIMEOUT)
        if still:
            logger.error(
                "%s: %d task(s) did not end within %s s of being cancelled;"
                " abandoning them",
                identity,
                len(still),
                _CANCEL_TIMEOUT,
            )
    for task in tasks:  # retrieve the outcomes, so asyncio does not warn
        if task.done() and not task.cancelled():
            task.exception()


async def _run_endpoint(
    endpoint: Endpoint,
    connection: WebSocketConnection,
    session: Callable[[Any], Awaitable[None]] | None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run ``endpoint.run()`` (and the session) until the connection closes.

    Every wait is bounded: once the connection is closed (by the peer, or here
    because ``stop`` was set), ``endpoint.run()`` gets ``_RUN_EXIT_TIMEOUT``
    seconds to return before it is cancelled.
    """
    identity = connection.identity
    run_task = asyncio.ensure_future(endpoint.run())
    session_task: asyncio.Task[None] | None = None
    if session is not None:
        session_task = asyncio.ensure_future(session(endpoint))
        session_task.add_done_callback(_log_session_result(identity))
    closed_task = asyncio.ensure_future(connection.wait_closed())
    stop_task = asyncio.ensure_future(stop.wait()) if stop is not None else None
    tasks: list[asyncio.Future[Any]] = [run_task, closed_task]
    tasks += [task for task in (session_task, stop_task) if task is not None]
    try:
        waiting: set[asyncio.Future[Any]] = {run_task, closed_task}
        if stop_task is not None:
            waiting.add(stop_task)
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if not run_task.done():
            if not closed_task.done():  # asked to stop: close first
                await _close_bounded(connection)
            await asyncio.wait({run_task}, timeout=_RUN_EXIT_TIMEOUT)
            if not run_task.done():
                logger.error(
                    "%s: endpoint.run() did not return within %s s after the"
                    " connection closed; cancelling it",
                    identity,
                    _RUN_EXIT_TIMEOUT,
                )
                return
        if not run_task.cancelled() and (exc := run_task.exception()) is not None:
            logger.error("%s: endpoint failed", identity, exc_info=exc)
            await _close_bounded(connection, _INTERNAL_ERROR, "internal error")
    finally:
        await _finish(tasks, identity)
        await _close_bounded(connection)


# --------------------------------------------------------------------------------------
# CSMS side


class CSMSServer(Generic[E]):
    """A CSMS WebSocket server; create it with :func:`serve`.

    Use it as ``async with serve(...) as server:`` or ``server = await serve(...)``
    (then ``server.close()`` and ``await server.wait_closed()``).
    """

    def __init__(
        self,
        factory: EndpointFactory[E],
        host: str | None,
        port: int,
        *,
        path: str | None,
        accept_identity: IdentityCheck | None,
        password_for: PasswordLookup | None,
        realm: str,
        session: Session[E] | None,
        ssl: ssl_module.SSLContext | None,
        compression: bool,
        max_size: int | None,
        ping_interval: float | None,
        ping_timeout: float | None,
        open_timeout: float | None,
        close_timeout: float | None,
        serve_kwargs: Mapping[str, Any],
    ) -> None:
        self._factory = factory
        self._host = host
        self._port = port
        self._path = None if path is None else _endpoint_path(path)
        self._accept_identity = accept_identity
        self._password_for = password_for
        self._realm = realm
        self._session = session
        self._ssl = ssl
        self._compression = compression
        self._max_size = max_size
        self._ping_interval = _ping_interval(ping_interval)
        self._ping_timeout = _check_seconds(
            "ping_timeout", ping_timeout, allow_none=True, positive=True
        )
        self._open_timeout = _check_seconds(
            "open_timeout", open_timeout, allow_none=True
        )
        self._close_timeout = _check_seconds(
            "close_timeout", close_timeout, allow_none=True
        )
        self._serve_kwargs = dict(serve_kwargs)
        self._server: Server | None = None
        self._stations: dict[str, tuple[E, WebSocketConnection]] = {}
        self._changed: asyncio.Condition | None = None
        self._background: set[asyncio.Future[None]] = set()

    # -- lifecycle

    async def start(self) -> CSMSServer[E]:
        """Start listening (idempotent)."""
        if self._server is None:
            self._changed = asyncio.Condition()
            self._server = await ws_serve(
                self._handler,
                self._host,
                self._port,
                select_subprotocol=_select_subprotocol,
                process_request=self._process_request,
                compression="deflate" if self._compression else None,
                max_size=self._max_size,
                ping_interval=self._ping_interval,
                ping_timeout=self._ping_timeout,
                open_timeout=self._open_timeout,
                close_timeout=self._close_timeout,
                ssl=self._ssl,
                **self._serve_kwargs,
            )
        return self

    def __await__(self) -> Generator[Any, None, CSMSServer[E]]:
        return self.start().__await__()

    async def __aenter__(self) -> CSMSServer[E]:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
        await self.wait_closed()

    def close(self) -> None:
        """Stop accepting connections and close the open ones (code 1001)."""
        if self._server is not None:
            self._server.close()

    async def wait_closed(self) -> None:
        """Wait until the server is closed and every connection handler returned."""
        if self._server is not None:
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        """Serve until cancelled or closed."""
        await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    # -- information

    @property
    def port(self) -> int:
        """The TCP port of the first listening socket (useful with port 0)."""
        return int(self.sockets[0].getsockname()[1])

    @property
    def sockets(self) -> tuple[Any, ...]:
        """The listening sockets."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return tuple(self._server.sockets)

    @property
    def url(self) -> str:
        """The OCPP-J endpoint URL of the first socket (``ws://host:port/path``)."""
        host = self.sockets[0].getsockname()[0]
        if ":" in host:
            host = f"[{host}]"
        scheme = "wss" if self._ssl is not None else "ws"
        path = urllib.parse.quote(self._path or "", safe="/%!$&'()*+,;=:@")
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def stations(self) -> Mapping[str, E]:
        """The endpoints of the connected stations, by identity (a snapshot)."""
        return {identity: pair[0] for identity, pair in self._stations.items()}

    def connection(self, identity: str) -> WebSocketConnection | None:
        """The connection of a connected station, or ``None``."""
        pair = self._stations.get(identity)
        return pair[1] if pair is not None else None

    async def wait_for_station(self, identity: str, timeout: float | None = None) -> E:
        """Wait until station ``identity`` is connected and return its endpoint.

        Raises:
            asyncio.TimeoutError: when ``timeout`` seconds pass first.
        """
        if self._changed is None:
            raise RuntimeError("the server is not started")
        changed = self._changed

        async def wait() -> E:
            async with changed:
                await changed.wait_for(lambda: identity in self._stations)
                return self._stations[identity][0]

        return await asyncio.wait_for(wait(), timeout)

    # -- handshake

    async def _process_request(
        self, ws: ServerConnection, request: Request
    ) -> Response | None:
        try:
            identity = identity_from_path(request.path, self._path)
        except InvalidIdentityError as exc:
            logger.info("refused %r: %s", request.path, exc)
            return ws.respond(http.HTTPStatus.NOT_FOUND, f"{exc}\n")

        if self._password_for is not None:
            refusal = await self._check_basic_auth(ws, request, identity)
            if refusal is not None:
                return refusal

        if self._accept_identity is not None:
            try:
                known = await _maybe_await(self._accept_identity(identity))
            except Exception:
                logger.exception("%s: accept_identity() failed", identity)
                return _internal_error(ws)
            if not known:
                logger.info("refused unknown charging station %r", identity)
                return ws.respond(
                    http.HTTPStatus.NOT_FOUND, "unknown charging station identity\n"
                )
        return None

    async def _check_basic_auth(
        self, ws: ServerConnection, request: Request, identity: str
    ) -> Response | None:
        assert self._password_for is not None
        reason = ""
        headers = request.headers.get_all("Authorization")
        if not headers:
            reason = "missing credentials"
        elif len(headers) > 1:
            reason = "more than one Authorization header"
        else:
            try:
                username, password = parse_authorization_basic(headers[0])
            except (InvalidHeader, ValueError):
                reason = "unsupported credentials"
            else:
                try:
                    expected = await _maybe_await(self._password_for(identity))
                except Exception:
                    logger.exception("%s: password_for() failed", identity)
                    return _internal_error(ws)
                if expected is not None and not isinstance(expected, (str, bytes)):
                    logger.error(
                        "%s: password_for() returned %s; expected str, bytes or None",
                        identity,
                        type(expected).__name__,
                    )
                    return _internal_error(ws)
                # Compare even when the station is unknown or the user name is
                # wrong, so that the timing does not tell which part failed.
                if isinstance(expected, str):
                    expected_bytes = expected.encode("utf-8")
                elif expected is None:
                    expected_bytes = b"\x00" * max(len(password), 16)
                else:
                    expected_bytes = expected
                same_password = hmac.compare_digest(
                    expected_bytes, password.encode("utf-8", "surrogateescape")
                )
                same_user = hmac.compare_digest(
                    username.encode("utf-8", "surrogateescape"),
                    identity.encode("utf-8"),
                )
                if expected is None or not (same_password and same_user):
                    reason = "invalid credentials"
        if not reason:
            ws.username = identity
            return None
        logger.info("refused %r: %s", identity, reason)
        response = ws.respond(http.HTTPStatus.UNAUTHORIZED, f"{reason}\n")
        response.headers["WWW-Authenticate"] = build_www_authenticate_basic(self._realm)
        return response

    # -- connections

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        identity = identity_from_path(ws.request.path, self._path)
        if ws.subprotocol != OCPP_SUBPROTOCOL:
            # Part 4 section 3.2: complete the handshake without a subprotocol, then
            # close immediately.
            logger.info("%s: no common subprotocol; closing", identity)
            await ws.close(_SUBPROTOCOL_REFUSED, f"{OCPP_SUBPROTOCOL} is required")
            return
        username = getattr(ws, "username", None)
        connection = WebSocketConnection(ws, identity, username=username)
        try:
            endpoint = await _maybe_await(self._factory(identity, connection))
        except Exception:
            logger.exception("%s: the endpoint factory failed", identity)
            await ws.close(_INTERNAL_ERROR, "internal error")
            return
        await self._register(identity, endpoint, connection)
        logger.info("%s: connected from %s", identity, connection.remote_address)
        try:
            await _run_endpoint(endpoint, connection, self._session)
        finally:
            await self._unregister(identity, connection)
            logger.info("%s: disconnected", identity)

    async def _register(
        self, identity: str, endpoint: E, connection: WebSocketConnection
    ) -> None:
        assert self._changed is not None
        async with self._changed:
            previous = self._stations.get(identity)
            self._stations[identity] = (endpoint, connection)
            self._changed.notify_all()
        if previous is not None:
            # A station reconnecting while its old connection still looks open
            # (half-open TCP): the newest connection wins.
            logger.info("%s: replacing the previous connection", identity)
            task = asyncio.ensure_future(
                previous[1].close(_REPLACED, "replaced by a new connection")
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _unregister(self, identity: str, connection: WebSocketConnection) -> None:
        assert self._changed is not None
        async with self._changed:
            current = self._stations.get(identity)
            if current is not None and current[1] is connection:
                del self._stations[identity]
            self._changed.notify_all()


def _internal_error(ws: ServerConnection) -> Response:
    """HTTP 500: a callback of the application failed (logged by the caller)."""
    return ws.respond(http.HTTPStatus.INTERNAL_SERVER_ERROR, "internal error\n")


def _select_subprotocol(
    ws: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    # Part 4 section 3.2: without ocpp2.0.1 the handshake completes without a
    # Sec-WebSocket-Protocol header, and the handler closes the connection.
    if OCPP_SUBPROTOCOL in offered:
        return Subprotocol(OCPP_SUBPROTOCOL)
    return None


def serve(
    factory: EndpointFactory[E],
    host: str | None = "127.0.0.1",
    port: int = 0,
    *,
    path: str | None = None,
    accept_identity: IdentityCheck | None = None,
    password_for: PasswordLookup | None = None,
    realm: str = "OCPP",
    session: Session[E] | None = None,
    ssl: ssl_module.SSLContext | None = None,
    compression: bool = True,
    max_size: int | None = 2**20,
    ping_interval: float | None = 20,
    ping_timeout: float | None = 20,
    open_timeout: float | None = 10,
    close_timeout: float | None = 10,
    **serve_kwargs: Any,
) -> CSMSServer[E]:
    """Serve OCPP 2.0.1 over WebSocket (the CSMS side).

    For every connection the server:

    1. takes the station identity from the last path segment (percent-decoded) and
       answers HTTP 404 when it is malformed, when the path is not under ``path``,
       or when ``accept_identity(identity)`` is false;
    2. when ``password_for`` is given, requires HTTP Basic credentials (security
       profiles 1 and 2): the user name must be the identity and the password must
       equal ``password_for(identity)`` (compared in constant time; return ``None``
       for an unknown station); otherwise it answers 401;
    3. selects the ``ocpp2.0.1`` subprotocol; when the station did not offer it the
       handshake completes without a subprotocol and the connection is closed
       with code 1002 (Part 4 section 3.2);
    4. calls ``factory(identity, connection)`` -- an ``ocpp201.CSMS`` subclass is
       such a factory -- and runs ``endpoint.run()``, plus ``session(endpoint)``
       alongside when given, until the station disconnects.  The session is
       cancelled on disconnect.  A newer connection with the same identity
       replaces an older one.

    Args:
        factory: ``factory(identity, connection)`` -> endpoint (or awaitable).
        host: interface(s) to bind; ``"0.0.0.0"`` for all IPv4 interfaces.
        port: TCP port; 0 lets the OS pick one (see :attr:`CSMSServer.port`).
        path: the OCPP-J endpoint path (``"/ocpp"``; ``"ocpp"`` and ``"/ocpp/"``
            mean the same, ``"/"`` means no prefix); ``None`` accepts any prefix.
        accept_identity: decides whether an identity is known (sync or async).
        password_for: returns the station's BasicAuthPassword (sync or async).
        realm: the Basic realm in ``WWW-Authenticate``.
        session: ``session(endpoint)`` coroutine run for each connection.
        ssl: server ``ssl.SSLContext`` for ``wss://`` (profile 2); with
            ``verify_mode = ssl.CERT_REQUIRED`` and a CA loaded it also requires
            client certificates (profile 3).
        compression: offer RFC 7692 permessage-deflate (a CSMS SHALL support it,
            Part 4 section 3.3; switch it off only for debugging).
        max_size: maximum size in bytes of an incoming message; a larger one closes
            the connection with code 1009.  ``None`` disables the limit.
        ping_interval: seconds between server pings; 0 or ``None`` disables them.
        ping_timeout: seconds to wait for a pong before closing (``None``: no
            limit).
        open_timeout: seconds allowed for the opening handshake.
        close_timeout: seconds allowed for the closing handshake.
        serve_kwargs: passed to ``websockets.asyncio.server.serve``.

    Raises:
        ValueError: for an invalid ``path`` (a query, an empty segment, an invalid
            percent-escape) or a negative, infinite or NaN number of seconds.
    """
    return CSMSServer(
        factory,
        host,
        port,
        path=path,
        accept_identity=accept_identity,
        password_for=password_for,
        realm=realm,
        session=session,
        ssl=ssl,
        compression=compression,
        max_size=max_size,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        open_timeout=open_timeout,
        close_timeout=close_timeout,
        serve_kwargs=serve_kwargs,
    )


# --------------------------------------------------------------------------------------
# Charging station side


@dataclass(frozen=True)
class _ConnectPlan:
    """A validated connection request: the URL and the ``websockets`` arguments."""

    url: str
    identity: str
    options: dict[str, Any]


def _known_connect_kwargs() -> frozenset[str] | None:
    """Keyword names ``websockets.asyncio.client.connect`` accepts (``None``: unknown).

    That is its own parameters plus those of ``loop.create_connection``, to which
    it passes the rest.
    """
    names: set[str] = {"unix", "path"}  # websockets' unix_connect() options
    for function in (ws_connect, asyncio.BaseEventLoop.create_connection):
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):  # pragma: no cover - introspection failed
            return None
        names.update(
            p.name
            for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )
    return frozenset(names - {"self", "uri", "protocol_factory"})


def _plan_connection(
    endpoint_url: str,
    identity: str,
    *,
    password: str | None,
    ssl: ssl_module.SSLContext | None,
    compression: bool,
    ping_interval: float | None,
    ping_timeout: float | None,
    max_size: int | None,
    open_timeout: float | None,
    close_timeout: float | None,
    subprotocols: Sequence[str],
    connect_kwargs: Mapping[str, Any],
) -> _ConnectPlan:
    """Check everything the caller gave, before any network activity.

    Raises ``ValueError`` (``TypeError`` for an unknown keyword argument): these are
    mistakes of the program, never retried.
    """
    url = connection_url(endpoint_url, identity)
    parts = urllib.parse.urlsplit(url)
    if ssl is not None and parts.scheme != "wss":
        raise ValueError("an ssl context needs a wss:// endpoint URL")
    extra = dict(connect_kwargs)
    known = _known_connect_kwargs()
    unknown = sorted(set(extra) - known) if known is not None else []
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) for connect: {unknown}")
    headers = Headers(extra.pop("additional_headers", None) or ())
    # websockets sends the credentials of the URL (ws://user:pass@host) as an
    # Authorization header too: only one source of credentials may be given.
    sources = []
    if password is not None:
        sources.append("password")
    if "@" in parts.netloc:
        sources.append("credentials in the endpoint URL")
    count = len(headers.get_all("Authorization"))
    if count:
        sources.append(f"{count} Authorization header(s) in additional_headers")
    if len(sources) > 1 or count > 1:
        raise ValueError(
            "give HTTP Basic credentials only once, not: " + " and ".join(sources)
        )
    if password is not None:
        headers["Authorization"] = build_authorization_basic(identity, password)
    options: dict[str, Any] = dict(
        subprotocols=[Subprotocol(s) for s in subprotocols],
        additional_headers=headers or None,
        compression="deflate" if compression else None,
        ping_interval=_ping_interval(ping_interval),
        ping_timeout=_check_seconds(
            "ping_timeout", ping_timeout, allow_none=True, positive=True
        ),
        max_size=max_size,
        open_timeout=_check_seconds("open_timeout", open_timeout, allow_none=True),
        close_timeout=_check_seconds("close_timeout", close_timeout, allow_none=True),
    )
    options.update(extra)
    if ssl is not None:  # wss:// without a context uses the system's trusted CAs
        options["ssl"] = ssl
    return _ConnectPlan(url, identity, options)


async def _open(plan: _ConnectPlan) -> WebSocketConnection:
    """Open the connection of ``plan`` (see :func:`connect` for the errors)."""
    identity = plan.identity
    try:
        ws = await ws_connect(plan.url, **plan.options)
    except InvalidStatus as exc:
        status = exc.response.status_code
        raise HandshakeError(
            f"the CSMS refused the connection of {identity!r}: HTTP {status}",
            status=status,
        ) from exc
    except WebSocketException as exc:
        # InvalidHandshake, and also InvalidURI for a redirect to a non-WebSocket
        # URL: all of them are the server's answer, not our mistake.
        raise HandshakeError(
            f"the WebSocket handshake with the CSMS failed: {exc}"
        ) from exc
    if ws.subprotocol != OCPP_SUBPROTOCOL:
        await ws.close()
        raise HandshakeError(
            f"the CSMS did not select the {OCPP_SUBPROTOCOL} subprotocol",
            status=101,
        )
    return WebSocketConnection(ws, identity)


async def connect(
    endpoint_url: str,
    identity: str,
    *,
    password: str | None = None,
    ssl: ssl_module.SSLContext | None = None,
    compression: bool = True,
    ping_interval: float | None = 30,
    ping_timeout: float | None = 20,
    max_size: int | None = 2**20,
    open_timeout: float | None = 10,
    close_timeout: float | None = 10,
    subprotocols: Sequence[str] = (OCPP_SUBPROTOCOL,),
    **connect_kwargs: Any,
) -> WebSocketConnection:
    """Open one OCPP-J connection to ``endpoint_url + "/" + identity``.

    Args:
        endpoint_url: the CSMS's OCPP-J endpoint URL (``ws://`` or ``wss://``).
        identity: the charging station identity (percent-encoded in the URL).
        password: the BasicAuthPassword; sends HTTP Basic credentials with the
            identity as user name (security profiles 1 and 2).  Credentials in
            the URL or an ``Authorization`` entry in ``additional_headers`` are
            refused alongside it (``ValueError``), so only one header is sent.
        ssl: client ``ssl.SSLContext`` for ``wss://``: the CA that signed the CSMS
            certificate, plus a client certificate for security profile 3.  By
            default the system's trusted CAs are used.
        compression: offer RFC 7692 permessage-deflate.
        ping_interval: ``OCPPCommCtrlr.WebSocketPingInterval`` in seconds; 0 or
            ``None`` disables client pings (Part 4 section 8.4); negative values
            are refused.
        ping_timeout: seconds to wait for a pong before closing the connection
            (``None``: no limit).
        max_size: maximum size in bytes of an incoming message.
        open_timeout: seconds allowed for TCP, TLS and WebSocket handshakes.
        close_timeout: seconds allowed for the closing handshake.
        subprotocols: the subprotocols to offer (``ocpp2.0.1``; for tests).
        connect_kwargs: passed to ``websockets.asyncio.client.connect``.

    Raises:
        HandshakeError: the server refused (``status`` 401, 404, ...), did not
            select ``ocpp2.0.1`` (``status`` 101), or its answer was not a valid
            handshake response (``status`` ``None``; for example when a TLS server
            refused our client certificate, or a redirect to a non-WebSocket URL).
        OSError: the TCP or TLS connection failed.
        asyncio.TimeoutError: ``open_timeout`` passed.
        ValueError: an invalid argument (checked before connecting).
    """
    plan = _plan_connection(
        endpoint_url,
        identity,
        password=password,
        ssl=ssl,
        compression=compression,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        max_size=max_size,
        open_timeout=open_timeout,
        close_timeout=close_timeout,
        subprotocols=subprotocols,
        connect_kwargs=connect_kwargs,
    )
    return await _open(plan)


_NETWORK_ERRORS = (OSError, asyncio.TimeoutError, HandshakeError)
# What run() retries: every failure of a connection attempt (Part 4 section 5.3).
# The caller's arguments are checked in ChargingStationClient.__init__, so a
# failure here is never a mistake of the program that retrying could not fix.
_RETRYABLE: tuple[type[Exception], ...] = (Exception,)


async def _discard(attempt: asyncio.Task[WebSocketConnection], identity: str) -> None:
    """Cancel a connection attempt; close the connection if it opened anyway."""
    attempt.cancel()
    await asyncio.wait({attempt}, timeout=_CANCEL_TIMEOUT)
    if not attempt.done():
        logger.error("%s: a cancelled connection attempt did not end", identity)
    elif not attempt.cancelled() and attempt.exception() is None:
        await _close_bounded(attempt.result())


class ChargingStationClient(Generic[E]):
    """A charging station's connection that is kept open (Part 4 sections 3.1, 5.3).

    :meth:`run` connects to ``endpoint_url + "/" + identity``, creates the endpoint
    with ``factory(identity, connection)`` -- an ``ocpp201.ChargePoint`` subclass is
    such a factory -- and runs ``endpoint.run()`` plus ``session(endpoint)``
    alongside.  When the connection is lost or an attempt fails -- for whatever
    reason: network, TLS, timeout, HTTP refusal, a redirect to an unusable URL --
    it waits according to ``back_off`` and tries again, until :meth:`close` is
    called.  A new endpoint is created for every connection; the session is
    cancelled when its connection is lost.

    All arguments are checked here (``ValueError``, ``TypeError``), so that
    :meth:`run` only meets failures worth retrying.

    It can also be used as ``async with ChargingStationClient(...) as client:``,
    which runs it in the background and closes it on exit.

    Args:
        endpoint_url: the CSMS's OCPP-J endpoint URL.
        identity: the charging station identity.
        factory: ``factory(identity, connection)`` -> endpoint (or awaitable).
        session: coroutine function run with each new endpoint.
        back_off: the reconnection back-off (``RetryBackOff*`` variables).
        max_attempts: give up after this many consecutive failed attempts and
            raise the last error from :meth:`run` (``None``: never give up).
        password, ssl, compression, ping_interval, ping_timeout, max_size,
        open_timeout, close_timeout, connect_kwargs: as for :func:`connect`.
    """

    def __init__(
        self,
        endpoint_url: str,
        identity: str,
        factory: EndpointFactory[E],
        *,
        session: Session[E] | None = None,
        back_off: BackOff | None = None,
        max_attempts: int | None = None,
        password: str | None = None,
        ssl: ssl_module.SSLContext | None = None,
        compression: bool = True,
        ping_interval: float | None = 30,
        ping_timeout: float | None = 20,
        max_size: int | None = 2**20,
        open_timeout: float | None = 10,
        close_timeout: float | None = 10,
        **connect_kwargs: Any,
    ) -> None:
        self._plan = _plan_connection(
            endpoint_url,
            identity,
            password=password,
            ssl=ssl,
            compression=compression,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_size=max_size,
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            subprotocols=connect_kwargs.pop("subprotocols", (OCPP_SUBPROTOCOL,)),
            connect_kwargs=connect_kwargs,
        )
        if max_attempts is not None and (
            isinstance(max_attempts, bool)
            or not isinstance(max_attempts, int)
            or max_attempts < 1
        ):
            raise ValueError(
                f"max_attempts must be a positive integer or None, not {max_attempts!r}"
            )
        self.endpoint_url = endpoint_url
        self.identity = identity
        self.back_off = back_off if back_off is not None else BackOff()
        self.max_attempts = max_attempts
        self._factory = factory
        self._session = session
        self.failed_attempts = 0
        """Consecutive failed connection attempts (reset by a successful one)."""
        self.connections = 0
        """How many connections were established so far."""
        self.last_error: BaseException | None = None
        """The error of the last failed attempt."""
        self._endpoint: E | None = None
        self._connection: WebSocketConnection | None = None
        self._connected: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._ended: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def endpoint(self) -> E | None:
        """The endpoint of the current connection, or ``None`` while disconnected."""
        return self._endpoint

    @property
    def connection(self) -> WebSocketConnection | None:
        """The current connection, or ``None`` while disconnected."""
        return self._connection

    def _events(self) -> tuple[asyncio.Event, asyncio.Event, asyncio.Event]:
        if self._connected is None or self._stop is None or self._ended is None:
            self._connected = asyncio.Event()
            self._stop = asyncio.Event()
            self._ended = asyncio.Event()
        return self._connected, self._stop, self._ended

    async def wait_connected(self, timeout: float | None = None) -> E:
        """Wait until connected and return the current endpoint.

        It does not wait for a connection that cannot come: once :meth:`run` has
        ended it raises what :meth:`run` raised (the last connection error after
        ``max_attempts``, an error of the factory, ...), and after :meth:`close`
        it raises :class:`ocpp201.ConnectionClosedError`.

        Raises:
            asyncio.TimeoutError: when ``timeout`` seconds pass first.
            ConnectionClosedError: the client is closed, or :meth:`run` ended.
        """
        connected, stop, ended = self._events()

        async def wait() -> E:
            while True:
                if ended.is_set() and self._failure is not None:
                    raise self._failure
                if stop.is_set() or ended.is_set():
                    raise ConnectionClosedError(
                        f"{self.identity}: the client is closed"
                        if stop.is_set()
                        else f"{self.identity}: run() has ended"
                    )
                if connected.is_set() and self._endpoint is not None:
                    return self._endpoint
                await _first_of(connected.wait(), stop.wait(), ended.wait())

        return await asyncio.wait_for(wait(), timeout)

    async def run(self) -> None:
        """Connect and stay connected until :meth:`close` (see the class docs).

        Raises:
            Exception: the last connection error once ``max_attempts`` consecutive
                attempts failed; an error of the factory.
        """
        connected, stop, ended = self._events()
        ended.clear()
        self._failure = None
        try:
            await self._run(connected, stop)
        except Exception as exc:
            self._failure = exc
            raise
        finally:
            ended.set()

    async def _run(self, connected: asyncio.Event, stop: asyncio.Event) -> None:
        wait: float | None = None  # the very first attempt is immediate
        step = 0
        while not stop.is_set():
            if wait is not None:
                logger.info("%s: reconnecting in %.2f s", self.identity, wait)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                if stop.is_set():
                    break
            try:
                connection = await self._attempt(stop)
            except _RETRYABLE as exc:
                # Every failure is retried (section 5.3): the arguments were
                # checked in __init__, so none of them is a mistake of ours.
                self.failed_attempts += 1
                self.last_error = exc
                if isinstance(exc, _NETWORK_ERRORS):
                    logger.info("%s: connection attempt failed: %s", self.identity, exc)
                else:
                    logger.warning(
                        "%s: connection attempt failed: %r",
                        self.identity,
                        exc,
                        exc_info=exc,
                    )
                if (
                    self.max_attempts is not None
                    and self.failed_attempts >= self.max_attempts
                ):
                    raise
                wait = self.back_off.delay(step)
                step += 1
                continue
            if connection is None:  # close() was called during the attempt
                break
            self.failed_attempts = 0
            self.connections += 1
            step = 0  # reset after a successful connection (errata 4.12)
            await self._serve(connection, connected, stop)
            wait = self.back_off.delay(step)
            step += 1

    async def _attempt(self, stop: asyncio.Event) -> WebSocketConnection | None:
        """One connection attempt, abandoned (``None``) as soon as ``stop`` is set.

        So :meth:`close` never waits for an opening handshake, even with
        ``open_timeout=None``.
        """
        attempt = asyncio.ensure_future(_open(self._plan))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({attempt, stopped}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # cancelled
            stopped.cancel()
            await _discard(attempt, self.identity)
            raise
        stopped.cancel()
        if stop.is_set():
            await _discard(attempt, self.identity)
            return None
        return attempt.result()

    async def _serve(
        self,
        connection: WebSocketConnection,
        connected: asyncio.Event,
        stop: asyncio.Event,
    ) -> None:
        try:
            endpoint = await _maybe_await(self._factory(self.identity, connection))
        except BaseException:
            await _close_bounded(connection, _INTERNAL_ERROR, "internal error")
            raise
        self._endpoint, self._connection = endpoint, connection
        connected.set()
        logger.info("%s: connected", self.identity)
        try:
            await _run_endpoint(endpoint, connection, self._session, stop)
        finally:
            connected.clear()
            self._endpoint = self._connection = None
            logger.info("%s: disconnected", self.identity)

    def start(self) -> asyncio.Task[None]:
        """Run :meth:`run` in a background task (idempotent) and return the task."""
        if self._task is None:
            self._events()
            self._task = asyncio.ensure_future(self.run())
        return self._task

    async def close(self) -> None:
        """Stop reconnecting, close the current connection and wait for :meth:`run`.

        It does not wait for an opening handshake in progress (that attempt is
        abandoned), and the closing handshake is bounded even with
        ``close_timeout=None``.  Errors of the background task started by
        :meth:`start` are re-raised.
        """
        _, stop, _ = self._events()
        stop.set()
        if self._task is not None:
            await self._task

    async def __aenter__(self) -> ChargingStationClient[E]:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def _first_of(*awaitables: Awaitable[Any]) -> None:
    """Wait until one of ``awaitables`` is done; cancel the others."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
