"""``Fleet``: the one object an application uses to run or reach a fleet of CSMSs."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .._base import Request, Response, Sender
from .._routing import CustomAction
from ..actions import Action
from ._batch import Batcher
from ._client import Caller
from ._errors import RedisUnavailableError
from ._events import Event, EventPublisher
from ._node import Node
from ._scripts import Keys

if TYPE_CHECKING:
    from ..websocket import CSMSServer, Endpoint

_SOCKET_TIMEOUT = 5.0  # seconds a Redis read may take

__all__ = ["Fleet", "StationLocation"]

R = TypeVar("R", bound=Response)
E = TypeVar("E", bound="Endpoint")

logger = logging.getLogger("ocpp201.fleet")

_NODE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@attrs.frozen
class StationLocation:
    """Where a station is connected: the node's id and the connection's epoch."""

    node: str
    epoch: int


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Fleet:
    """A fleet of CSMS processes sharing one Redis.

    Use it as ``async with Fleet("redis://host:6379/0") as fleet:``.  In a process
    that serves stations, serve them with :meth:`serve` (or wire :meth:`factory` and
    :meth:`session` into :func:`ocpp201.websocket.serve`); in any process, reach
    them with :meth:`call`, :meth:`broadcast`, :meth:`stations` and :meth:`locate`.

    Args:
        url: the Redis URL (``redis://``, ``rediss://``, ``unix://``).
        redis: an existing ``redis.asyncio.Redis`` client to use instead of ``url``
            (not closed by the fleet; configure it without retries).
        prefix: prefix of every Redis key, so several fleets can share a Redis.
        node_id: this process's node id (letters, digits, ``.``, ``_``, ``-``);
            default: ``<host>-<pid>-<random>``.
        presence_ttl: seconds a node's and its stations' presence lives without
            being refreshed (refreshed every third of it).  A killed node is
            noticed after at most this long.
        call_timeout: default timeout of :meth:`call`, in seconds.
        events_stream: name of the Redis stream the stations' CALLs and the
            answers are published to (``None``: no events).
        events_maxlen: approximate length the events stream is trimmed to.
        custom_actions: vendor actions that may be called through the fleet.
        max_inflight: calls this node delivers at the same time; more wait in Redis.
        queue_limit: commands queued for one node beyond which calls to its
            stations fail at once with :class:`NodeBusyError` (checked by the
            calling process: give every process the same value).
        connect_timeout: seconds to connect to Redis (and for :meth:`start`'s
            ``PING`` to be answered), or to wait for a free connection of the pool.
        max_connections: the most Redis connections this process opens (commands
            are pipelined, so a few suffice; more wait for a free one).
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        redis: Redis | None = None,
        prefix: str = "ocpp201:",
        node_id: str | None = None,
        presence_ttl: float = 10.0,
        call_timeout: float = 30.0,
        events_stream: str | None = None,
        events_maxlen: int = 100_000,
        custom_actions: Iterable[CustomAction] = (),
        max_inflight: int = 1000,
        queue_limit: int = 10_000,
        connect_timeout: float = 5.0,
        max_connections: int = 32,
    ) -> None:
        if node_id is None:
            host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:32]
            node_id = f"{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        if not _NODE_ID.fullmatch(node_id):
            raise ValueError(
                f"invalid node id {node_id!r}: 1 to 64 letters, digits, '.', '_', '-'"
            )
        if not (presence_ttl > 0.1 and math.isfinite(presence_ttl)):
            raise ValueError("presence_ttl must be more than 0.1 s")
        if not (call_timeout > 0 and math.isfinite(call_timeout)):
            raise ValueError("call_timeout must be positive")
        if min(max_inflight, queue_limit, events_maxlen) < 1 or max_connections < 4:
            raise ValueError(
                "max_inflight, queue_limit and events_maxlen must be >= 1,"
                " max_connections >= 4"
            )
        self.url = url
        self.node_id = node_id
        self.presence_ttl = presence_ttl
        self.call_timeout = call_timeout
        self.events_stream = events_stream
        self._connect_timeout = connect_timeout
        self._events_maxlen = events_maxlen
        self._keys = Keys(prefix)
        self._own_redis = redis is None
        self._redis = redis or Redis.from_pool(
            BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=connect_timeout,  # waiting for a free connection
                socket_connect_timeout=connect_timeout,
                # A read never waits forever on a silently dropped connection
                # (redis-py 5.x has no default); the blocking reads here wait
                # at most 1 s, well inside it.
                socket_timeout=_SOCKET_TIMEOUT,
                # No retries: a command that may have run must not run twice.
                retry=Retry(NoBackoff(), 0),
            )
        )
        self._custom = {c.name: c for c in custom_actions}
        self._max_inflight = max_inflight
        self._queue_limit = queue_limit
        self._batcher = Batcher(self._redis)
        self._caller = Caller(
            self._redis,
            self._keys,
            self._batcher,
            ttl=presence_ttl,
            queue_limit=queue_limit,
            classes=self._classes,
        )
        self._node: Node | None = None
        self._node_started: asyncio.Future[None] | None = None
        self._publisher: EventPublisher | None = None
        self._started = False

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> Fleet:
        """Check that Redis answers (idempotent).

        Raises:
            RedisUnavailableError: Redis cannot be reached or refuses us.
        """
        if not self._started:
            try:
                # Bounded here: a Redis that accepts connections but does not
                # answer would otherwise hang (redis-py 5 has no read timeout).
                await asyncio.wait_for(self._redis.ping(), self._connect_timeout)
            except (RedisError, OSError, asyncio.TimeoutError) as exc:
                why = str(exc) or f"no answer within {self._connect_timeout:g} s"
                raise RedisUnavailableError(
                    f"cannot reach Redis at {self.url}: {why}"
                ) from exc
            self._started = True
        return self

    async def close(self) -> None:
        """Withdraw this node (if it served) and stop the background tasks."""
        if self._node_started is not None:
            await asyncio.gather(self._node_started, return_exceptions=True)
        if self._node is not None:
            await self._node.close()
        if self._publisher is not None:
            await self._publisher.close()
        await self._caller.close()
        await self._batcher.close()
        if self._own_redis:
            await self._redis.aclose()

    async def __aenter__(self) -> Fleet:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---------------------------------------------------------------- serving

    def _ensure_node(self) -> Node:
        if self._node is None:
            if self.events_stream is not None:
                self._publisher = EventPublisher(
                    self._redis, self.events_stream, self._events_maxlen
                )
            self._node = Node(
                self._redis,
                self._keys,
                self.node_id,
                self._batcher,
                ttl=self.presence_ttl,
                info={
                    "node": self.node_id,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                },
                max_inflight=self._max_inflight,
                request_class=self._request_class,
                publisher=self._publisher,
            )
        return self._node

    async def start_node(self) -> None:
        """Announce this process as a node (done by the first connection anyway).

        Raises:
            RedisUnavailableError: Redis cannot be reached; the node keeps trying
                in the background (and so does the next call).
        """
        node = self._ensure_node()
        started = self._node_started
        if started is None or (
            started.done() and not started.cancelled() and started.exception()
        ):
            started = self._node_started = asyncio.ensure_future(node.start())
            if self._publisher is not None:
                self._publisher.start()
        try:
            await asyncio.shield(started)
        except (RedisError, OSError) as exc:
            raise RedisUnavailableError(
                f"node {self.node_id} cannot announce itself to Redis at {self.url}:"
                f" {exc}"
            ) from exc

    def factory(self, factory: Callable[[str, Any], E]) -> Callable[[str, Any], E]:
        """Wrap an endpoint factory for :func:`ocpp201.websocket.serve`.

        Needed only for events: the connection given to ``factory`` then reports
        each CALL and its answer.  Without ``events_stream`` it returns ``factory``.
        """
        return self._ensure_node().factory(factory)

    def session(
        self, inner: Callable[[Any], Awaitable[None]] | None = None
    ) -> Callable[[Any], Awaitable[None]]:
        """A ``session`` for :func:`ocpp201.websocket.serve` that registers stations.

        The station is registered with this node while connected; ``inner``, your
        own session, if any, runs inside it (its exceptions are logged).
        """

        async def session(endpoint: Any) -> None:
            try:
                await self.start_node()
            except RedisUnavailableError as exc:  # registered once Redis answers
                logger.warning("%s", exc)
            await self._ensure_node().attend(endpoint, inner)

        return session

    def serve(
        self,
        factory: Callable[[str, Any], E],
        host: str | None = "127.0.0.1",
        port: int = 0,
        *,
        session: Callable[[Any], Awaitable[None]] | None = None,
        **options: Any,
    ) -> CSMSServer[E]:
        """:func:`ocpp201.websocket.serve` with this process as a node of the fleet.

        Takes the same arguments; pass ``reuse_port=True`` to let several worker
        processes on one host listen on the same port.
        """
        from ..websocket import serve  # noqa: PLC0415 -- websockets is optional

        return serve(
            self.factory(factory),
            host,
            port,
            session=self.session(session),
            **options,
        )

    # ---------------------------------------------------------------- calling

    def _classes(self, action: str) -> tuple[type[Any], type[Any], Sender] | None:
        custom = self._custom.get(action)
        if custom is not None:
            return custom.request, custom.response, custom.sender
        member = Action._value2member_map_.get(action)
        if member is None:
            return None
        known = Action(member)
        return known.request, known.response, known.sender

    def _request_class(self, action: str) -> type[Any] | None:
        info = self._classes(action)
        return None if info is None else info[0]

    async def call(
        self, identity: str, request: Request[R], *, timeout: float | None = None
    ) -> R:
        """Send ``request`` to station ``identity``, wherever it is connected.

        The node holding the station sends it with ``endpoint.call()`` (one
        outstanding CALL per station; queued behind others) and the typed response
        comes back.  ``timeout`` (default ``call_timeout``) bounds everything.

        Raises:
            StationOfflineError: no node holds the station (at once; nothing sent).
            NodeGoneError: the node holding it stopped refreshing its presence.
            NodeBusyError: that node's command queue is full (nothing sent).
            CallError: the station answered CALLERROR.
            CallTimeoutError: no answer in time.
            ConnectionClosedError: the connection closed during the call
                (a takeover by another node included).
            LocalProtocolError, LocalValidationError: the request is not one the
                CSMS may send, or invalid (nothing sent).
            RemoteValidationError, RemoteProtocolError: the station's answer was
                invalid or malformed.
            RedisUnavailableError: Redis cannot be reached.
        """
        timeout = self.call_timeout if timeout is None else timeout
        if not (timeout > 0 and math.isfinite(timeout)):
            raise ValueError(f"timeout must be a positive number of seconds: {timeout}")
        await self.start()
        result: R = await self._caller.call(identity, request, timeout)
        return result

    async def broadcast(
        self,
        request: Request[R] | Callable[[str], Request[R]],
        identities: Iterable[str] | None = None,
        *,
        timeout: float | None = None,
        concurrency: int = 256,
    ) -> dict[str, R | Exception]:
        """Call many stations (all connected ones by default); one result each.

        ``request`` is a request, or a function making the request for an identity.
        Each result is the response or the exception :meth:`call` raised.
        """
        targets = (
            list(identities)
            if identities is not None
            else sorted(await self.stations())
        )
        limit = asyncio.Semaphore(max(1, concurrency))

        async def one(identity: str) -> R | Exception:
            async with limit:
                try:
                    req = request(identity) if callable(request) else request
                    return await self.call(identity, req, timeout=timeout)
                except Exception as exc:
                    return exc

        results = await asyncio.gather(*(one(i) for i in targets))
        return dict(zip(targets, results, strict=True))

    # ---------------------------------------------------------------- listing

    async def locate(self, identity: str) -> StationLocation | None:
        """Where station ``identity`` is connected, or ``None``."""
        await self.start()
        try:
            value = await self._redis.get(self._keys.station(identity))
        except (RedisError, OSError) as exc:
            raise RedisUnavailableError(f"cannot reach Redis: {exc}") from exc
        if value is None:
            return None
        node, _, epoch = _text(value).partition(" ")
        return StationLocation(node=node, epoch=int(epoch))

    async def nodes(self) -> dict[str, Mapping[str, Any]]:
        """The live nodes, with what each says about itself (host, pid)."""
        await self.start()
        try:
            members = sorted(
                _text(m) for m in await self._redis.smembers(self._keys.nodes)
            )
            infos = (
                await self._redis.mget([self._keys.node(n) for n in members])
                if members
                else []
            )
            dead = [n for n, info in zip(members, infos, strict=True) if info is None]
            if dead:
                await self._redis.srem(self._keys.nodes, *dead)
        except (RedisError, OSError) as exc:
            raise RedisUnavailableError(f"cannot reach Redis: {exc}") from exc
        return {
            n: json.loads(info)
            for n, info in zip(members, infos, strict=True)
            if info is not None
        }

    async def stations(self) -> dict[str, StationLocation]:
        """Every connected station and where it is connected."""
        nodes = await self.nodes()
        found: dict[str, StationLocation] = {}
        try:
            for node in nodes:
                held = await self._redis.hgetall(self._keys.node_stations(node))
                pairs = [(_text(k), _text(v)) for k, v in held.items()]
                for i in range(0, len(pairs), 1000):
                    chunk = pairs[i : i + 1000]
                    values = await self._redis.mget(
                        [self._keys.station(identity) for identity, _ in chunk]
                    )
                    for (identity, epoch), value in zip(chunk, values, strict=True):
                        if value is not None and _text(value) == f"{node} {epoch}":
                            found[identity] = StationLocation(
                                node=node, epoch=int(epoch)
                            )
        except (RedisError, OSError) as exc:
            raise RedisUnavailableError(f"cannot reach Redis: {exc}") from exc
        return found

    # ---------------------------------------------------------------- events

    async def read_events(
        self, after: str = "0", *, count: int = 100, block: float | None = None
    ) -> list[tuple[str, Event]]:
        """Events of the stream after entry id ``after`` (``"$"``: only new ones).

        ``block`` waits up to that many seconds for the first one.  Returns
        ``(entry id, Event)`` pairs; pass the last id as ``after`` to continue.
        """
        if self.events_stream is None:
            raise ValueError("this fleet has no events_stream")
        await self.start()
        stream = self.events_stream
        loop = asyncio.get_running_loop()
        deadline = None
        if block is not None:
            deadline = math.inf if block == 0 else loop.time() + block
        try:
            # A blocking read waits in slices of at most 1 s: one longer than
            # redis-py's read timeout would fail.  So "$" is pinned to the
            # stream's last entry first.
            if deadline is not None and after == "$":
                last = await self._redis.xrevrange(stream, count=1)
                after = _text(last[0][0]) if last else "0-0"
            while True:
                wait = None
                if deadline is not None:
                    wait = max(1, int(min(1.0, deadline - loop.time()) * 1000))
                answer = await self._redis.xread(
                    {stream: after}, count=count, block=wait
                )
                if answer or deadline is None or loop.time() >= deadline:
                    break
        except (RedisError, OSError) as exc:
            raise RedisUnavailableError(f"cannot reach Redis: {exc}") from exc
        out: list[tuple[str, Event]] = []
        streams = cast(list[tuple[Any, list[tuple[Any, dict[bytes, bytes]]]]], answer)
        for _, entries in streams or []:
            for entry_id, fields in entries:
                out.append((_text(entry_id), Event.from_fields(fields)))
        return out
