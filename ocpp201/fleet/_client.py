"""The calling side of a fleet: route a call to the node that holds the station.

:meth:`Caller.call` runs the ``SEND`` script, which in one atomic step reads the
station's presence, checks that its node is alive and its queue not full, marks the
request as wanted until its deadline and queues it on that node.  The reply comes
back on this process's reply list, read by one background task.  A second task
watches the nodes that hold calls in flight and fails those calls with
:class:`NodeGoneError` as soon as such a node's presence lapses.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from .._base import Request, Sender
from .._codec import from_payload, to_payload
from .._errors import (
    CallTimeoutError,
    LocalProtocolError,
    RemoteValidationError,
    ValidationError,
)
from ._batch import Batcher
from ._errors import (
    FleetError,
    NodeBusyError,
    NodeGoneError,
    RedisUnavailableError,
    StationOfflineError,
)
from ._scripts import SEND, Keys, queue_ttl_ms
from ._tasks import stop_tasks
from ._wire import MOVED, OK, dumps, raise_reply

__all__ = ["Caller"]

logger = logging.getLogger("ocpp201.fleet")

_GRACE = 1.0  # seconds a caller waits beyond the deadline for the owner's answer
_MAX_ROUTES = 4  # times a call is routed again when the station's connection changed


class _InFlight:
    __slots__ = ("future", "identity", "node")

    def __init__(self, identity: str, future: asyncio.Future[dict[str, Any]]) -> None:
        self.identity = identity
        self.future = future
        self.node = ""


class Caller:
    """Sends calls to stations held anywhere in the fleet; driven by ``Fleet``."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        batcher: Batcher,
        *,
        ttl: float,
        queue_limit: int,
        classes: Callable[[str], tuple[type[Any], type[Any], Sender] | None],
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._batcher = batcher
        self._ttl = ttl
        self._queue_limit = queue_limit
        self._classes = classes
        self.client_id = uuid.uuid4().hex
        self._pending: dict[str, _InFlight] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._last_warning = 0.0

    def _start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.ensure_future(self._read_replies()),
                asyncio.ensure_future(self._watch_nodes()),
            ]

    def _withdraw(self, request_id: str) -> None:
        """Delete the call's "wanted" marker, so no node delivers it any more."""
        self._batcher.fire(
            functools.partial(_delete, key=self._keys.wanted(request_id))
        )

    async def close(self) -> None:
        self._stopping = True
        await stop_tasks(self._tasks)
        self._tasks = []
        for request_id, flight in self._pending.items():
            if not flight.future.done():  # an error, not a cancellation: not theirs
                self._withdraw(request_id)
                flight.future.set_exception(
                    FleetError(
                        f"the fleet was closed during a call to {flight.identity!r}"
                    )
                )
        self._pending.clear()

    async def call(self, identity: str, request: Request[Any], timeout: float) -> Any:
        action = getattr(type(request), "ACTION", None)
        info = self._classes(action) if isinstance(action, str) else None
        if info is None or not isinstance(request, info[0]):
            raise LocalProtocolError(
                f"{request!r} is not the request of a known action"
            )
        if info[2] is Sender.CHARGING_STATION:
            raise LocalProtocolError(
                f"{action} is sent by the charging station; the CSMS cannot call it"
            )
        payload = to_payload(request)
        self._start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        request_id = uuid.uuid4().hex
        keys = self._keys
        body = dumps(
            {
                "k": "call",
                "r": request_id,
                "i": identity,
                "a": action,
                "p": payload,
                "c": self.client_id,
            }
        )
        routes: set[tuple[str, str]] = set()
        queue_ttl = queue_ttl_ms(int(self._ttl * 1000))
        for _ in range(_MAX_ROUTES):
            left = deadline - loop.time()
            if left <= 0:
                break
            left_ms = max(1, int(left * 1000))

            def send(pipe: Pipeline, left_ms: int = left_ms) -> int:
                return SEND.queue(
                    pipe,
                    [keys.station(identity), keys.wanted(request_id)],
                    [keys.prefix, left_ms, body, self._queue_limit, queue_ttl],
                )

            flight = _InFlight(identity, loop.create_future())
            self._pending[request_id] = flight
            try:
                try:  # bounded: a hung Redis must not outlast the timeout
                    result = await asyncio.wait_for(self._batcher.submit(send), left)
                except asyncio.TimeoutError:
                    # Unsent, it is dropped; sent, this runs after it.
                    self._withdraw(request_id)
                    raise CallTimeoutError(
                        f"Redis did not answer within {timeout:g} s (a call to"
                        f" station {identity!r})"
                    ) from None
                except (RedisError, OSError) as exc:
                    raise RedisUnavailableError(f"cannot reach Redis: {exc}") from exc
                status = int(result[0])
                if status == 0:
                    raise StationOfflineError(identity)
                node = _text(result[1])
                if status == 1:
                    raise NodeGoneError(identity, node)
                if status == 3:
                    raise NodeBusyError(identity, node)
                route = (node, _text(result[2]))
                if route in routes:  # the same connection again: it is closing
                    raise StationOfflineError(identity, "its connection is closing")
                routes.add(route)
                flight.node = node
                try:
                    reply = await asyncio.wait_for(flight.future, left + _GRACE)
                except NodeGoneError:  # a hung node that wakes up must not deliver it
                    self._withdraw(request_id)
                    raise
                except asyncio.TimeoutError:
                    self._withdraw(request_id)
                    raise CallTimeoutError(
                        f"no answer from station {identity!r} (node {node!r}) within"
                        f" {timeout:g} s"
                    ) from None
            except asyncio.CancelledError:  # withdrawn, unless already delivered
                self._withdraw(request_id)
                raise
            finally:
                self._pending.pop(request_id, None)
            status_text = reply.get("s")
            if status_text == OK:
                try:
                    return from_payload(info[1], reply.get("p"))
                except ValidationError as exc:  # checked by the node: not ours
                    raise RemoteValidationError(
                        exc.problems, type_name=exc.type_name, action=str(action)
                    ) from None
            if status_text != MOVED:
                raise_reply(identity, node, reply)
        if deadline - loop.time() > 0:
            raise StationOfflineError(identity, "its connection kept changing")
        raise CallTimeoutError(
            f"no answer from station {identity!r} within {timeout:g} s"
        )

    # ---------------------------------------------------------------- background

    def _warn(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 5:
            self._last_warning = now
            logger.warning(message, *args)

    async def _read_replies(self) -> None:
        key = self._keys.replies(self.client_id)
        failures = 0
        while not self._stopping:
            try:
                item = await self._redis.blpop([key], timeout=1)
                failures = 0
            except (RedisError, OSError) as exc:
                failures += 1
                self._warn("cannot read fleet replies: %s", exc)
                await asyncio.sleep(min(2.0, 0.1 * 2**failures))
                continue
            if item is None:
                continue
            self._dispatch(item[1])
            while True:  # then what else arrived, without blocking
                try:
                    more = cast(
                        list[bytes | str], await self._redis.lpop(key, 500) or []
                    )
                except (RedisError, OSError):
                    break
                for raw in more:
                    self._dispatch(raw)
                if len(more) < 500:
                    break

    def _dispatch(self, raw: bytes | str) -> None:
        try:
            reply = json.loads(raw)
            flight = self._pending.get(reply["r"])
        except (ValueError, TypeError, KeyError):
            self._warn("ignored a malformed fleet reply")
            return
        if flight is not None and not flight.future.done():
            flight.future.set_result(reply)

    async def _watch_nodes(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self._ttl / 3)
            nodes = sorted({f.node for f in self._pending.values() if f.node})
            if not nodes:
                continue
            try:
                pipe = self._redis.pipeline(transaction=False)
                for node in nodes:
                    pipe.exists(self._keys.node(node))
                alive = await pipe.execute()
            except (RedisError, OSError) as exc:
                self._warn("cannot check the fleet's nodes: %s", exc)
                continue
            gone = {node for node, ok in zip(nodes, alive, strict=True) if not ok}
            for flight in list(self._pending.values()):
                if flight.node in gone and not flight.future.done():
                    flight.future.set_exception(
                        NodeGoneError(flight.identity, flight.node)
                    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _delete(pipe: Pipeline, key: str) -> int:
    pipe.delete(key)
    return 1
