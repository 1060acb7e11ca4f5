"""The node side of a fleet: the stations this process holds, and their commands.

A node registers each station connected to it (presence ``P:st:<identity>`` =
``"<node> <epoch>"``, with a time to live it refreshes while connected), takes the
commands other processes queue for it, and delivers each call to the station's
endpoint with ``endpoint.call()`` -- so the endpoint's one-outstanding-CALL rule and
its validation apply -- after checking, atomically in Redis, that the call is still
wanted and that the connection it was routed to is still the station's current one.
When another node takes a station over, this node closes its connection (which
fails the calls pending on it).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from .._codec import from_payload, to_payload
from .._errors import LocalProtocolError, LocalValidationError, ValidationError
from ._batch import Batcher
from ._events import EventPublisher, TappedConnection
from ._scripts import CLAIM, REFRESH, REGISTER, UNREGISTER, Keys, queue_ttl_ms
from ._tasks import stop_tasks
from ._wire import MOVED, OK, Command, dumps, error_reply, parse_command

__all__ = ["Node"]

logger = logging.getLogger("ocpp201.fleet")

_REFRESH_CHUNK = 500  # stations per REFRESH script run (keeps Redis responsive)
_REPLY_TTL_MS = 60_000  # a reply list whose caller went away disappears after this
_POP_BATCH = 256


class _Held:
    """One station connection held by this node."""

    __slots__ = ("endpoint", "epoch", "identity", "registering", "released")

    def __init__(self, identity: str, endpoint: Any) -> None:
        self.identity = identity
        self.endpoint = endpoint
        self.epoch: str | None = None
        self.registering: asyncio.Future[Any] | None = None
        self.released: str | None = None  # a release that came before our epoch


class Node:
    """Holds stations for the fleet; created and driven by :class:`Fleet`."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        node_id: str,
        batcher: Batcher,
        *,
        ttl: float,
        info: Mapping[str, Any],
        max_inflight: int,
        request_class: Callable[[str], type[Any] | None],
        publisher: EventPublisher | None,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self.node_id = node_id
        self._batcher = batcher
        self._ttl_ms = max(1, int(ttl * 1000))
        self._interval = ttl / 3
        self._info = dumps(dict(info))
        self._max_inflight = max_inflight
        self._request_class = request_class
        self._publisher = publisher
        self.held: dict[str, _Held] = {}
        self._inflight = 0
        self._slot_free = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._deliveries: set[asyncio.Task[None]] = set()
        self._others: set[asyncio.Future[Any]] = set()
        self._last_warning = 0.0

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start the background tasks, then announce the node (raises Redis errors).

        The tasks keep trying when Redis is down: the node announces itself and
        registers its stations as soon as Redis answers.
        """
        if not self._tasks:
            self._tasks = [
                asyncio.ensure_future(self._refresh_loop()),
                asyncio.ensure_future(self._consume()),
            ]
        await self._refresh_once()

    async def close(self) -> None:
        """Stop; withdraw the node and the presence of the stations it still holds."""
        self._stopping = True
        await stop_tasks(self._tasks)
        for held in list(self.held.values()):
            self._unregister(held)
        self.held.clear()
        self._batcher.fire(
            lambda pipe: _count(pipe.delete(self._keys.node(self.node_id)))
        )
        self._batcher.fire(
            lambda pipe: _count(pipe.srem(self._keys.nodes, self.node_id))
        )
        await stop_tasks([*self._deliveries, *self._others])

    # ---------------------------------------------------------------- wiring

    def factory(self, factory: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
        """Wrap an endpoint factory so that the connection reports events."""
        publisher = self._publisher
        if publisher is None:
            return factory

        def tapped(identity: str, connection: Any) -> Any:
            return factory(
                identity,
                TappedConnection(connection, identity, self.node_id, publisher),
            )

        return tapped

    async def attend(
        self,
        endpoint: Any,
        inner: Callable[[Any], Awaitable[None]] | None,
    ) -> None:
        """The session of one connection: hold the station until cancelled."""
        identity: str = endpoint.identity
        held = _Held(identity, endpoint)
        self.held[identity] = held
        try:
            await self._register(held, only_if_absent=False)
            if inner is not None:
                try:
                    await inner(endpoint)
                except Exception:
                    logger.exception("%s: the session failed", identity)
            await asyncio.Event().wait()  # until the connection ends
        finally:
            if self.held.get(identity) is held:
                del self.held[identity]
            self._unregister(held)  # when registered; else when it lands

    # ---------------------------------------------------------------- presence

    async def _register(self, held: _Held, *, only_if_absent: bool) -> None:
        keys = self._keys
        release = dumps({"k": "release", "i": held.identity})

        def op(pipe: Pipeline) -> int:
            return REGISTER.queue(
                pipe,
                keys=[
                    keys.station(held.identity),
                    keys.node_stations(self.node_id),
                    keys.epoch,
                ],
                args=[
                    keys.prefix,
                    self.node_id,
                    held.identity,
                    self._ttl_ms,
                    "1" if only_if_absent else "0",
                    release,
                    queue_ttl_ms(self._ttl_ms),
                ],
            )

        future = self._batcher.submit(op)
        held.registering = future
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            # The connection ended meanwhile: withdraw once the registration lands.
            future.add_done_callback(lambda done: self._landed_late(held, done))
            raise
        except (RedisError, OSError) as exc:
            held.registering = None
            self._warn("%s: could not register (retrying): %s", held.identity, exc)
            return
        held.registering = None
        epoch = int(result[0])
        if epoch == 0:  # re-registering, but a newer connection holds it
            self._superseded(held, "held by another connection")
            return
        held.epoch = str(epoch)
        if self.held.get(held.identity) is not held:  # disconnected meanwhile
            self._unregister(held)
        elif held.released == held.epoch:  # taken over before we knew our epoch
            self._superseded(held, "the station connected to another node")

    def _landed_late(self, held: _Held, done: asyncio.Future[Any]) -> None:
        held.registering = None
        if not done.cancelled() and done.exception() is None:
            epoch = int(done.result()[0])
            if epoch:
                held.epoch = str(epoch)
                self._unregister(held)

    def _unregister(self, held: _Held) -> None:
        if held.epoch is None:
            return
        keys = self._keys
        value = f"{self.node_id} {held.epoch}"

        def op(pipe: Pipeline) -> int:
            return UNREGISTER.queue(
                pipe,
                keys=[keys.station(held.identity), keys.node_stations(self.node_id)],
                args=[value, held.identity],
            )

        self._batcher.fire(op)

    def _superseded(self, held: _Held, why: str) -> None:
        """A newer connection elsewhere holds the station: close ours."""
        if self.held.get(held.identity) is held:
            del self.held[held.identity]
        logger.info("%s: %s; closing this connection", held.identity, why)
        self._background(held.endpoint.close())

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._others.add(task)
        task.add_done_callback(self._others.discard)

    async def _refresh_once(self) -> None:
        keys = self._keys
        current = [h for h in self.held.values() if h.epoch is not None]
        chunks = [
            current[i : i + _REFRESH_CHUNK]
            for i in range(0, len(current), _REFRESH_CHUNK)
        ] or [[]]
        for chunk in chunks:
            args: list[Any] = [keys.prefix, self.node_id, self._ttl_ms, self._info]
            for held in chunk:
                args += [held.identity, held.epoch]
            refresh_keys = [
                keys.node(self.node_id),
                keys.node_stations(self.node_id),
                keys.nodes,
            ]
            statuses = await self._batcher.submit(
                functools.partial(REFRESH.queue, keys=refresh_keys, args=args)
            )
            if isinstance(statuses, Exception):
                raise statuses
            for held, status in zip(chunk, statuses, strict=True):
                if self.held.get(held.identity) is not held:
                    continue
                if status == 2:
                    self._superseded(held, "another connection took the station over")
                elif status == 1:  # lapsed, or Redis lost its data: register again
                    held.epoch = None
        for held in list(self.held.values()):
            if held.epoch is None and held.registering is None:
                self._background(self._register(held, only_if_absent=True))

    async def _refresh_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self._interval)
            try:
                await self._refresh_once()
            except (RedisError, OSError) as exc:
                self._warn(
                    "could not refresh the presence of node %s: %s", self.node_id, exc
                )

    def _warn(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 5:
            self._last_warning = now
            logger.warning(message, *args)

    # ---------------------------------------------------------------- commands

    async def _consume(self) -> None:
        key = self._keys.commands(self.node_id)
        failures = 0
        while not self._stopping:
            while self._inflight >= self._max_inflight:
                self._slot_free.clear()
                await self._slot_free.wait()
            try:
                item = await self._redis.blpop([key], timeout=1)
                failures = 0
            except (RedisError, OSError) as exc:
                failures += 1
                self._warn("node %s cannot read its commands: %s", self.node_id, exc)
                await asyncio.sleep(min(2.0, 0.1 * 2**failures))
                continue
            if item is None:
                continue
            self._dispatch(item[1])
            # Then take what else is queued, without blocking: the first command
            # is already on its way meanwhile.
            while (room := min(_POP_BATCH, self._max_inflight - self._inflight)) > 0:
                try:
                    more = cast(
                        list[bytes | str], await self._redis.lpop(key, room) or []
                    )
                except (RedisError, OSError):
                    break
                for raw in more:
                    self._dispatch(raw)
                if len(more) < room:
                    break

    def _dispatch(self, raw: bytes | str) -> None:
        command = parse_command(raw)
        if command is None:
            self._warn("node %s: ignored a malformed command", self.node_id)
        elif command.body.get("k") == "release":
            self._release(command)
        elif command.body.get("k") == "call":
            self._inflight += 1
            task = asyncio.ensure_future(self._deliver(command))
            self._deliveries.add(task)
            task.add_done_callback(self._delivered)

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        self._inflight -= 1
        self._slot_free.set()
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("a fleet delivery failed", exc_info=exc)

    def _release(self, command: Command) -> None:
        held = self.held.get(command.body["i"])
        if held is None:
            return
        if held.epoch == command.epoch:
            self._superseded(held, "the station connected to another node")
        elif held.epoch is None and held.registering is not None:
            held.released = command.epoch  # our registration's answer is on its way

    def _reply(self, client: str, reply: dict[str, Any]) -> None:
        key = self._keys.replies(client)
        text = dumps(reply)

        def op(pipe: Pipeline) -> int:
            pipe.rpush(key, text)
            pipe.pexpire(key, _REPLY_TTL_MS)
            return 2

        self._batcher.fire(op)

    async def _deliver(self, command: Command) -> None:
        body = command.body
        identity: str = body["i"]
        request_id = str(body.get("r", ""))
        client = str(body.get("c", ""))
        held = self.held.get(identity)
        epoch = None if held is None else held.epoch
        if held is not None and epoch is None and held.registering is not None:
            # Routed by a registration whose answer has not reached us yet.
            registering = held.registering
            await asyncio.wait([registering])
            if not registering.cancelled() and registering.exception() is None:
                epoch = str(int(registering.result()[0]))
        if (
            held is None
            or epoch != command.epoch
            or getattr(held.endpoint, "closed", False)
        ):
            self._reply(client, {"r": request_id, "s": MOVED})
            return
        value = f"{self.node_id} {command.epoch}"
        keys = self._keys

        def claim(pipe: Pipeline) -> int:
            return CLAIM.queue(
                pipe,
                keys=[keys.wanted(request_id), keys.station(identity)],
                args=[value],
            )

        try:
            left = int(await self._batcher.submit(claim))
        except (RedisError, OSError) as exc:
            self._warn("node %s cannot claim a call: %s", self.node_id, exc)
            return  # not delivered; the caller times out
        if left == -1:
            return  # the caller gave up
        if left < 0:
            self._reply(client, {"r": request_id, "s": MOVED})
            return
        try:
            cls = self._request_class(str(body.get("a")))
            if cls is None:
                raise LocalProtocolError(f"unknown action {body.get('a')!r}")
            try:
                request = from_payload(cls, body.get("p"))
            except ValidationError as exc:
                raise LocalValidationError(
                    exc.problems, type_name=exc.type_name
                ) from None
            response = await held.endpoint.call(request, timeout=left / 1000)
        except Exception as exc:
            self._reply(client, error_reply(request_id, exc))
        else:
            self._reply(client, {"r": request_id, "s": OK, "p": to_payload(response)})


def _count(_: Any) -> int:
    return 1
