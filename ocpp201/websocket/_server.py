"""The CSMS side: :func:`serve` and :class:`CSMSServer`.

For each opening handshake the server reads the station identity from the path,
runs the Basic auth check and ``accept_identity``, negotiates ``ocpp2.0.1``; then it
creates one endpoint per connection and supervises it until the station leaves.  It
keeps the map of connected stations (the newest connection of an identity wins).
Every refusal is logged at WARNING with its reason.
"""

from __future__ import annotations

import asyncio
import http
import logging
import ssl as ssl_module
import urllib.parse
from collections.abc import Generator, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic

from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from .._logs import LogLimiter
from ._auth import BasicAuth, Refusal, basic_auth, internal_error
from ._connection import (
    E,
    EndpointFactory,
    IdentityCheck,
    PasswordLookup,
    Session,
    WebSocketConnection,
)
from ._identity import (
    OCPP_SUBPROTOCOL,
    InvalidIdentityError,
    decode_identity,
    endpoint_path,
    prefix_segments,
    split_target,
)
from ._options import SERVER_DEFAULTS, ConnectionOptions, resolve_options
from ._supervise import INTERNAL_ERROR, maybe_await, run_endpoint

__all__ = ["CSMSServer", "serve"]

logger = logging.getLogger("ocpp201.websocket")

_SUBPROTOCOL_REFUSED = 1002  # close code "protocol error" (RFC 6455, 7.4.1)
_REPLACED = 1000

# Refused connections are logged at WARNING, but a flood of bad handshakes must not
# flood the log: at most REFUSAL_LOG_BURST lines per REFUSAL_LOG_WINDOW seconds per
# server (TLS refusals: per process), then one line with the count suppressed.
REFUSAL_LOG_BURST = 20
REFUSAL_LOG_WINDOW = 60.0
_tls_refusals = LogLimiter(
    logger,
    burst=REFUSAL_LOG_BURST,
    window=REFUSAL_LOG_WINDOW,
    subject="refused TLS connections",
)


class _LoggedSSLObject(ssl_module.SSLObject):
    """A TLS connection whose failed handshake is logged at WARNING.

    asyncio logs a failed TLS handshake only in debug mode, so a station refused
    for its client certificate (security profile 3) would leave no trace.
    """

    def do_handshake(self) -> None:
        try:
            super().do_handshake()
        except (ssl_module.SSLWantReadError, ssl_module.SSLWantWriteError):
            raise
        except ssl_module.SSLError as exc:
            _tls_refusals.warning("refused a TLS connection: %s", exc)
            raise


def _log_tls_failures(context: ssl_module.SSLContext | None) -> None:
    """Make ``context`` log failed handshakes, unless its SSLObject class is custom."""
    if context is not None and context.sslobject_class is ssl_module.SSLObject:
        context.sslobject_class = _LoggedSSLObject


def _paths(path: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if path is None:
        return None
    paths = (path,) if isinstance(path, str) else tuple(path)
    if not paths:
        raise ValueError("path must name at least one endpoint path (or be None)")
    return tuple(dict.fromkeys(endpoint_path(p) for p in paths))


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
        path: str | Sequence[str] | None,
        accept_identity: IdentityCheck | None,
        auth: BasicAuth | None,
        session: Session[E] | None,
        ssl: ssl_module.SSLContext | None,
        options: ConnectionOptions,
    ) -> None:
        self._factory = factory
        self._host = host
        self._port = port
        self._paths = _paths(path)
        # The decoded segments of each path, once (none when any path is accepted).
        self._prefixes = frozenset(prefix_segments(p) for p in self._paths or ())
        self._accept_identity = accept_identity
        self._auth = auth
        self._session = session
        self._ssl = ssl
        self.options = options
        """The checked connection options."""
        self._server: Server | None = None
        self._stations: dict[str, tuple[E, WebSocketConnection]] = {}
        self._changed: asyncio.Condition | None = None
        self._background: set[asyncio.Future[None]] = set()
        self._refusals = LogLimiter(
            logger,
            burst=REFUSAL_LOG_BURST,
            window=REFUSAL_LOG_WINDOW,
            subject="refused connections",
        )

    # -- lifecycle

    async def start(self) -> CSMSServer[E]:
        """Start listening (idempotent)."""
        if self._server is None:
            self._changed = asyncio.Condition()
            _log_tls_failures(self._ssl)
            self._server = await ws_serve(
                self._handler,
                self._host,
                self._port,
                select_subprotocol=_select_subprotocol,
                process_request=self._process_request,
                ssl=self._ssl,
                **self.options.websockets_options(),
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
        """The OCPP-J endpoint URL of the first socket (``ws://host:port/path``).

        With several paths, the first one's.
        """
        host = self.sockets[0].getsockname()[0]
        if ":" in host:
            host = f"[{host}]"
        scheme = "wss" if self._ssl is not None else "ws"
        first = self._paths[0] if self._paths else ""
        path = urllib.parse.quote(first, safe="/%!$&'()*+,;=:@")
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

    def identity_of(self, request_path: str) -> str:
        """The station identity in a request path, under one of the server's paths.

        Raises:
            InvalidIdentityError: with the reason.
        """
        head, segment = split_target(request_path)
        paths = self._paths
        if paths is not None and head not in self._prefixes:
            names = (
                repr(paths[0])
                if len(paths) == 1
                else " or ".join(repr(p or "/") for p in paths)
            )
            raise InvalidIdentityError(f"the path is not under {names}")
        return decode_identity(segment)

    def _refuse(
        self, ws: ServerConnection, request: Request, refusal: Refusal
    ) -> Response:
        detail = f" ({refusal.detail})" if refusal.detail else ""
        self._refusals.warning(
            "refused %r from %s: HTTP %d %s%s",
            request.path,
            _address(ws),
            refusal.status,
            refusal.reason,
            detail,
        )
        response = ws.respond(refusal.status, f"{refusal.reason}\n")
        for name, value in refusal.headers:
            response.headers[name] = value
        return response

    async def _process_request(
        self, ws: ServerConnection, request: Request
    ) -> Response | None:
        try:
            identity = self.identity_of(request.path)
        except InvalidIdentityError as exc:
            refusal = Refusal(status=http.HTTPStatus.NOT_FOUND, reason=str(exc))
            return self._refuse(ws, request, refusal)

        if self._auth is not None:
            auth_refusal = await self._auth.check(
                identity, request.headers.get_all("Authorization")
            )
            if auth_refusal is not None:
                return self._refuse(ws, request, auth_refusal)
            ws.username = identity

        if self._accept_identity is not None:
            try:
                known = await maybe_await(self._accept_identity(identity))
            except Exception:
                logger.exception("%s: accept_identity() failed", identity)
                return self._refuse(
                    ws, request, internal_error("accept_identity() failed")
                )
            if not known:
                refusal = Refusal(
                    status=http.HTTPStatus.NOT_FOUND,
                    reason="unknown charging station identity",
                    detail=f"accept_identity({identity!r}) is false",
                )
                return self._refuse(ws, request, refusal)
        return None

    # -- connections

    async def _handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        identity = self.identity_of(ws.request.path)
        if ws.subprotocol != OCPP_SUBPROTOCOL:
            # Part 4 section 3.2: complete the handshake without a subprotocol, then
            # close immediately.
            offered = ws.request.headers.get_all("Sec-WebSocket-Protocol")
            self._refusals.warning(
                "refused %r from %s: the station did not offer the %s subprotocol"
                " (offered: %s); closing with 1002",
                identity,
                _address(ws),
                OCPP_SUBPROTOCOL,
                ", ".join(offered) or "none",
            )
            await ws.close(_SUBPROTOCOL_REFUSED, f"{OCPP_SUBPROTOCOL} is required")
            return
        username = getattr(ws, "username", None)
        connection = WebSocketConnection(ws, identity, username=username)
        try:
            endpoint = await maybe_await(self._factory(identity, connection))
        except Exception:
            logger.exception("%s: the endpoint factory failed", identity)
            await ws.close(INTERNAL_ERROR, "internal error")
            return
        await self._register(identity, endpoint, connection)
        logger.info("%s: connected from %s", identity, connection.remote_address)
        try:
            await run_endpoint(endpoint, connection, self._session, self.options)
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


def _address(ws: ServerConnection) -> str:
    try:
        host, port = ws.remote_address[:2]
    except (TypeError, ValueError):
        return repr(ws.remote_address)
    return f"{host}:{port}"


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
    path: str | Sequence[str] | None = None,
    accept_identity: IdentityCheck | None = None,
    auth: BasicAuth | None = None,
    password_for: PasswordLookup | None = None,
    realm: str = "OCPP",
    session: Session[E] | None = None,
    ssl: ssl_module.SSLContext | None = None,
    options: ConnectionOptions | None = None,
    **keywords: Any,
) -> CSMSServer[E]:
    """Serve OCPP 2.0.1 over WebSocket (the CSMS side).

    For every connection the server:

    1. takes the station identity from the last path segment (percent-decoded) and
       answers HTTP 404 when it is malformed, when the path is not under ``path``,
       or when ``accept_identity(identity)`` is false;
    2. when ``auth`` (or ``password_for``) is given, requires HTTP Basic
       credentials (security profiles 1 and 2): the user name must be the identity
       and the password must equal ``password_for(identity)`` (compared in
       constant time; return ``None`` for an unknown station); otherwise it
       answers 401;
    3. selects the ``ocpp2.0.1`` subprotocol; when the station did not offer it the
       handshake completes without a subprotocol and the connection is closed
       with code 1002 (Part 4 section 3.2);
    4. calls ``factory(identity, connection)`` -- an ``ocpp201.CSMS`` subclass is
       such a factory -- and runs ``endpoint.run()``, plus ``session(endpoint)``
       alongside when given, until the station disconnects.  The session is
       cancelled on disconnect.  A newer connection with the same identity
       replaces an older one.

    Every refusal is logged at WARNING (logger ``ocpp201.websocket``) with its
    reason.

    Args:
        factory: ``factory(identity, connection)`` -> endpoint (or awaitable).
        host: interface(s) to bind; ``"0.0.0.0"`` for all IPv4 interfaces.
        port: TCP port; 0 lets the OS pick one (see :attr:`CSMSServer.port`).
        path: the OCPP-J endpoint path (``"/ocpp"``; ``"ocpp"`` and ``"/ocpp/"``
            mean the same, ``"/"`` means no prefix), or several of them
            (``["/ocpp", "/"]``); ``None`` accepts any prefix.
        accept_identity: decides whether an identity is known (sync or async).
        auth: the Basic auth check, from :func:`basic_auth`.
        password_for, realm: shorthand for ``auth=basic_auth(password_for,
            realm=realm)``.
        session: ``session(endpoint)`` coroutine run for each connection.
        ssl: server ``ssl.SSLContext`` for ``wss://`` (profile 2); with
            ``verify_mode = ssl.CERT_REQUIRED`` and a CA loaded it also requires
            client certificates (profile 3).
        options: the connection options (:class:`ConnectionOptions`).
        keywords: a field of :class:`ConnectionOptions` (``compression``,
            ``max_size``, ``ping_interval``, ``ping_timeout``, ``open_timeout``,
            ``close_timeout``, ...) overrides that of ``options``; any other is
            passed to ``websockets.asyncio.server.serve``.

    Raises:
        ValueError: for an invalid ``path`` (a query, an empty segment, an invalid
            percent-escape), a negative, infinite or NaN number of seconds, or
            ``auth`` given together with ``password_for``.
    """
    if password_for is not None:
        if auth is not None:
            raise ValueError("give either auth or password_for, not both")
        auth = basic_auth(password_for, realm=realm)
    return CSMSServer(
        factory,
        host,
        port,
        path=path,
        accept_identity=accept_identity,
        auth=auth,
        session=session,
        ssl=ssl,
        options=resolve_options(options, SERVER_DEFAULTS, keywords),
    )
