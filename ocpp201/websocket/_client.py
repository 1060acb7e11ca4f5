"""The charging station side: :func:`connect` and :class:`ChargingStationClient`.

:func:`connect` opens one OCPP-J connection; :class:`ChargingStationClient` keeps
one open, creating an endpoint per connection and reconnecting with the back-off of
Part 4 section 5.3.  Every argument is checked before any network activity, so that
reconnecting only meets failures worth retrying; every failed attempt is logged with
its reason (a refused handshake at WARNING, with the HTTP status).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import ssl as ssl_module
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic

import attrs
from websockets.asyncio.client import connect as ws_connect
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.headers import build_authorization_basic
from websockets.typing import Subprotocol

from .._errors import ConnectionClosedError
from .._tasks import first_completed
from ._backoff import BackOff, backoff_delays
from ._connection import (
    E,
    EndpointFactory,
    HandshakeError,
    Session,
    WebSocketConnection,
)
from ._identity import OCPP_SUBPROTOCOL, connection_url
from ._options import CLIENT_DEFAULTS, ConnectionOptions, resolve_options
from ._supervise import (
    INTERNAL_ERROR,
    close_bounded,
    discard_attempt,
    maybe_await,
    run_endpoint,
)

__all__ = ["ChargingStationClient", "connect"]

logger = logging.getLogger("ocpp201.websocket")


@attrs.frozen(kw_only=True)
class _ConnectPlan:
    """A validated connection request: the URL and the ``websockets`` arguments."""

    url: str
    identity: str
    options: ConnectionOptions
    arguments: Mapping[str, Any]


@functools.cache
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
    options: ConnectionOptions,
) -> _ConnectPlan:
    """Check everything the caller gave, before any network activity.

    Raises ``ValueError`` (``TypeError`` for an unknown keyword argument): these are
    mistakes of the program, never retried.
    """
    url = connection_url(endpoint_url, identity)
    parts = urllib.parse.urlsplit(url)
    if ssl is not None and parts.scheme != "wss":
        raise ValueError("an ssl context needs a wss:// endpoint URL")
    extra = dict(options.websockets)
    subprotocols: Sequence[str] = extra.pop("subprotocols", (OCPP_SUBPROTOCOL,))
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
    arguments: dict[str, Any] = {
        **options.websockets_options(),  # options.websockets (extra) included
        "subprotocols": [Subprotocol(s) for s in subprotocols],
        "additional_headers": headers or None,
    }
    if ssl is not None:  # wss:// without a context uses the system's trusted CAs
        arguments["ssl"] = ssl
    return _ConnectPlan(
        url=url, identity=identity, options=options, arguments=arguments
    )


async def _open(plan: _ConnectPlan) -> WebSocketConnection:
    """Open the connection of ``plan`` (see :func:`connect` for the errors)."""
    identity = plan.identity
    try:
        ws = await ws_connect(plan.url, **plan.arguments)
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = exc.response.body.decode("utf-8", "replace").strip()[:200]
        because = f" ({body})" if body else ""
        raise HandshakeError(
            f"the CSMS refused the connection of {identity!r}: HTTP {status}{because}",
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
    options: ConnectionOptions | None = None,
    **keywords: Any,
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
        options: the connection options (:class:`ConnectionOptions`; by default
            its defaults with ``ping_interval=30``).
        keywords: a field of :class:`ConnectionOptions` (``compression``,
            ``ping_interval``, ``ping_timeout``, ``max_size``, ``open_timeout``,
            ``close_timeout``, ...) overrides that of ``options``;
            ``subprotocols`` (the subprotocols to offer, for tests) and any
            keyword argument of ``websockets.asyncio.client.connect`` are passed
            on.

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
        options=resolve_options(options, CLIENT_DEFAULTS, keywords),
    )
    return await _open(plan)


_NETWORK_ERRORS = (OSError, asyncio.TimeoutError)
# What run() retries: every failure of a connection attempt (Part 4 section 5.3).
# The caller's arguments are checked in ChargingStationClient.__init__, so a
# failure here is never a mistake of the program that retrying could not fix.
_RETRYABLE: tuple[type[Exception], ...] = (Exception,)


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
        password, ssl, options, keywords: as for :func:`connect`.
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
        options: ConnectionOptions | None = None,
        **keywords: Any,
    ) -> None:
        self._plan = _plan_connection(
            endpoint_url,
            identity,
            password=password,
            ssl=ssl,
            options=resolve_options(options, CLIENT_DEFAULTS, keywords),
        )
        if back_off is not None and not isinstance(back_off, BackOff):
            raise TypeError(
                f"back_off must be a BackOff, not {type(back_off).__name__}"
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

    def _delays(self) -> Iterator[float]:
        return backoff_delays(self.back_off)

    @property
    def options(self) -> ConnectionOptions:
        """The checked connection options."""
        return self._plan.options

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
                await first_completed(connected.wait(), stop.wait(), ended.wait())

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
        delays = self._delays()
        said = ""  # the reason last logged at WARNING
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
                if isinstance(exc, (*_NETWORK_ERRORS, HandshakeError)):
                    # Say why at WARNING, once per distinct reason: a station that
                    # retries a 401 forever without a word cannot be debugged.
                    reason = _reason(exc)
                    level = logging.INFO if reason == said else logging.WARNING
                    said = reason
                    logger.log(
                        level,
                        "%s: cannot connect to %s: %s",
                        self.identity,
                        self.endpoint_url,
                        reason,
                    )
                else:
                    said = ""
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
                wait = next(delays)
                continue
            if connection is None:  # close() was called during the attempt
                break
            self.failed_attempts = 0
            self.connections += 1
            said = ""
            delays = self._delays()  # reset after a connection (errata 4.12)
            await self._serve(connection, connected, stop)
            wait = next(delays)

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
            await discard_attempt(attempt, self.identity, self._plan.options)
            raise
        stopped.cancel()
        if stop.is_set():
            await discard_attempt(attempt, self.identity, self._plan.options)
            return None
        return attempt.result()

    async def _serve(
        self,
        connection: WebSocketConnection,
        connected: asyncio.Event,
        stop: asyncio.Event,
    ) -> None:
        try:
            endpoint = await maybe_await(self._factory(self.identity, connection))
        except BaseException:
            await close_bounded(
                connection,
                self._plan.options.close_bound,
                INTERNAL_ERROR,
                "internal error",
            )
            raise
        self._endpoint, self._connection = endpoint, connection
        connected.set()
        logger.info("%s: connected", self.identity)
        try:
            await run_endpoint(
                endpoint, connection, self._session, self._plan.options, stop
            )
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


def _reason(exc: BaseException) -> str:
    """Why a connection attempt failed, in words."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and not isinstance(exc, HandshakeError):
        return f"{type(exc).__name__}: {text}"
    return text
