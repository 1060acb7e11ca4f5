"""Publish each incoming CALL and its answer to a bounded Redis stream.

The owning node wraps each station's connection in a :class:`TappedConnection`,
which sees every frame on the wire: a CALL received from the station becomes a
``call`` event, the CALLRESULT or CALLERROR the CSMS sends back a ``result`` or
``error`` event.  Events are queued (bounded; beyond the bound they are dropped and
counted) and written with ``XADD ... MAXLEN ~ n`` in pipelines, so the stream stays
bounded and a slow Redis never slows the stations down.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from datetime import datetime, timezone
from typing import Any, cast

import attrs
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ._tasks import stop_tasks

__all__ = ["Event", "EventPublisher", "TappedConnection"]

logger = logging.getLogger("ocpp201.fleet")

_MAX_OPEN_CALLS = 64  # incoming CALLs remembered per connection, awaiting an answer
_QUEUE_BYTES = 64 * 2**20  # payload bytes of the unsent events (queued or in flight)


@attrs.define(kw_only=True, frozen=True)
class Event:
    """One event of the stream, as written (all fields are strings in Redis).

    ``kind`` is ``"call"`` (the station's CALL), ``"result"`` (our CALLRESULT) or
    ``"error"`` (our CALLERROR).  ``payload`` is JSON text: the CALL's or
    CALLRESULT's payload as on the wire, or ``[errorCode, errorDescription,
    errorDetails]`` for a CALLERROR.  ``time`` is RFC 3339 UTC.
    """

    identity: str
    node: str
    kind: str
    message_id: str
    action: str
    payload: str
    time: str

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes] | dict[str, str]) -> Event:
        """Build an event from the fields of a stream entry (``XRANGE``/``XREAD``)."""
        text = {
            (k.decode() if isinstance(k, bytes) else k): (
                v.decode() if isinstance(v, bytes) else v
            )
            for k, v in fields.items()
        }
        return cls(**{f.name: text.get(f.name, "") for f in attrs.fields(cls)})

    def parsed_payload(self) -> Any:
        """The payload as JSON values."""
        return json.loads(self.payload)


def _now() -> str:
    return (
        datetime.now(timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class EventPublisher:
    """Writes events to one stream, in the background, bounded."""

    def __init__(
        self, redis: Redis, stream: str, maxlen: int, *, queue_limit: int = 10_000
    ) -> None:
        self._redis = redis
        self.stream = stream
        self._maxlen = maxlen
        self._queue: collections.deque[dict[str, str]] = collections.deque()
        self._queue_limit = queue_limit
        self._bytes = 0  # payload characters queued or being written
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self._writing = False
        self._stopping = False
        self._last_warning = 0.0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def publish(self, event: Event) -> None:
        size = len(event.payload)
        if len(self._queue) >= self._queue_limit or self._bytes + size > _QUEUE_BYTES:
            self.dropped += 1
            self._warn("event queue full: %d event(s) dropped so far", self.dropped)
            return
        self._bytes += size
        self._queue.append(attrs.asdict(event))
        self._wakeup.set()

    async def _run(self) -> None:
        while not self._stopping:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = [
                    self._queue.popleft() for _ in range(min(500, len(self._queue)))
                ]
                pipe = self._redis.pipeline(transaction=False)
                for fields in batch:
                    pipe.xadd(
                        self.stream,
                        cast(dict[Any, Any], fields),
                        maxlen=self._maxlen,
                        approximate=True,
                    )
                self._writing = True
                try:
                    await pipe.execute()
                except (RedisError, OSError) as exc:
                    self.dropped += len(batch)
                    self._warn(
                        "could not publish events (%d dropped so far): %s",
                        self.dropped,
                        exc,
                    )
                    await asyncio.sleep(0.5)
                finally:
                    self._writing = False
                    self._bytes -= sum(len(fields["payload"]) for fields in batch)

    def _warn(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last_warning >= 10:
            self._last_warning = now
            logger.warning(message, *args)

    async def close(self) -> None:
        """Write what is queued (for at most a second), then stop."""
        if self._task is not None:
            deadline = time.monotonic() + 1.0
            while (self._queue or self._writing) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            self._stopping = True
            self._wakeup.set()
            await stop_tasks([self._task])


class TappedConnection:
    """A station's connection that reports CALLs and their answers as events.

    It forwards ``send``, ``recv`` and ``close`` to the real connection and every
    other attribute too (``identity``, ``remote_address``, ...).
    """

    def __init__(
        self, connection: Any, identity: str, node: str, publisher: EventPublisher
    ) -> None:
        self._connection = connection
        self._identity = identity
        self._node = node
        self._publisher = publisher
        self._open: collections.OrderedDict[str, str] = collections.OrderedDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def recv(self) -> str | bytes:
        frame: str | bytes = await self._connection.recv()
        try:
            message = json.loads(frame)
        except (ValueError, RecursionError):  # the endpoint answers it, not us
            return frame
        if (
            isinstance(message, list)
            and len(message) == 4
            and message[0] == 2
            and isinstance(message[1], str)
            and isinstance(message[2], str)
        ):
            message_id, action = message[1], message[2]
            self._open[message_id] = action
            if len(self._open) > _MAX_OPEN_CALLS:
                self._open.popitem(last=False)
            self._emit("call", message_id, action, message[3])
        return frame

    async def send(self, message: str, /) -> None:
        await self._connection.send(message)
        if not self._open or not message.startswith(("[3", "[4")):
            return
        try:
            frame = json.loads(message)
        except ValueError:  # pragma: no cover - we only send JSON
            return
        action = self._open.pop(frame[1], None) if len(frame) > 1 else None
        if action is None:
            return
        if frame[0] == 3:
            self._emit("result", frame[1], action, frame[2])
        else:
            self._emit("error", frame[1], action, frame[2:5])

    async def close(self, *args: Any, **kwargs: Any) -> None:
        await self._connection.close(*args, **kwargs)

    def _emit(self, kind: str, message_id: str, action: str, payload: Any) -> None:
        try:
            text = json.dumps(
                payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            )
        except (ValueError, RecursionError):
            return
        self._publisher.publish(
            Event(
                identity=self._identity,
                node=self._node,
                kind=kind,
                message_id=message_id,
                action=action,
                payload=text,
                time=_now(),
            )
        )
