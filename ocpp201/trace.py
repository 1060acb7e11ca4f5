"""Readable traces of OCPP-J traffic: one-line summaries and JSON-lines files.

:func:`summarize` turns a payload into one line for people; :class:`Trace` prints
every frame an endpoint sends or receives with it (the demo's and ``ocpp201 serve``'s
output); :class:`JsonLinesTrace` writes every frame as one JSON object per line,
``{"time", "identity", "side", "direction", "frame"}``, which ``ocpp201 validate``
reads.
Both plug into an endpoint through :meth:`Trace.hooks` (or :func:`trace_hooks` for
several at once)::

    trace = Trace(logging.getLogger("ocpp").info, side="csms")
    MyCSMS(identity, connection, hooks=trace.hooks())

Nothing here needs ``websockets``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import IO, Any, Literal, Protocol

from . import Hooks, RpcEndpoint

__all__ = ["JsonLinesTrace", "Trace", "Tracer", "summarize", "trace_hooks"]

Write = Callable[[str], object]
Side = Literal["station", "csms"]

_MAX_PENDING = 10_000  # message ids remembered to name the action of a response


class Tracer(Protocol):
    """Something that records frames: what :func:`trace_hooks` combines."""

    def sent(self, identity: str, frame: str) -> None: ...

    def received(self, identity: str, frame: str | bytes) -> None: ...


def trace_hooks(*tracers: Tracer) -> Hooks:
    """One :class:`ocpp201.Hooks` that gives every frame to each of ``tracers``."""

    def sent(endpoint: RpcEndpoint, frame: str) -> None:
        for tracer in tracers:
            tracer.sent(endpoint.identity, frame)

    def received(endpoint: RpcEndpoint, frame: str | bytes) -> None:
        for tracer in tracers:
            tracer.received(endpoint.identity, frame)

    return Hooks(frame_sent=sent, frame_received=received)


def _text(frame: str | bytes) -> str:
    return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")


class Trace:
    """Writes every frame an endpoint sends or receives as one line.

    A line shows the station, the direction (``->`` towards the CSMS, ``<-``
    towards the station), the action and a summary of the payload (date-times left
    out, component/variable pairs and meter values condensed); with ``full=True``
    the payload as sent instead.  ``side`` is the side whose endpoints carry the
    hooks: ``"station"`` (the default) or ``"csms"``.  ``write`` is ``print``, a
    logger's ``info``, or any function taking a line.
    """

    def __init__(
        self,
        write: Write,
        *,
        full: bool = False,
        width: int = 120,
        side: Side = "station",
    ) -> None:
        if side not in ("station", "csms"):
            raise ValueError(f"side must be 'station' or 'csms', not {side!r}")
        self.write = write
        self.full = full
        self.width = width
        self.side = side
        self._actions: dict[tuple[str, str], str] = {}

    def hooks(self) -> Hooks:
        """Hooks for an endpoint (one object may serve every endpoint)."""
        return trace_hooks(self)

    def sent(self, identity: str, frame: str) -> None:
        """Record a frame the endpoint of ``identity`` sent."""
        self._line(identity, "->" if self.side == "station" else "<-", frame)

    def received(self, identity: str, frame: str | bytes) -> None:
        """Record a frame the endpoint of ``identity`` received."""
        self._line(identity, "<-" if self.side == "station" else "->", _text(frame))

    def describe(self, identity: str, frame: str) -> tuple[str, Any]:
        """The label (``BootNotificationRequest``, ...) and payload of a frame."""
        try:
            message = json.loads(frame)
            kind = message[0]
            if kind == 2:
                if len(self._actions) >= _MAX_PENDING:
                    self._actions.pop(next(iter(self._actions)))
                self._actions[identity, message[1]] = message[2]
                return f"{message[2]}Request", message[3]
            if kind == 3:
                action = self._actions.pop((identity, message[1]), "?")
                return f"{action}Response", message[2]
            self._actions.pop((identity, message[1]), None)
            details = {"description": message[3], "details": message[4]}
            return f"CALLERROR {message[2]}", details
        except (ValueError, LookupError, TypeError):
            return "(not OCPP)", frame

    def _line(self, identity: str, arrow: str, frame: str) -> None:
        label, payload = self.describe(identity, frame)
        if self.full:
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        else:
            body = summarize(payload)
        line = f"  {identity:<5} {arrow} CSMS  {label:<27} {body}".rstrip()
        if not self.full and len(line) > self.width:
            line = line[: self.width - 4] + " ..."
        self.write(line)


class JsonLinesTrace:
    """Writes every frame as one JSON object per line to ``stream``.

    Each line is ``{"time": ISO 8601 UTC, "identity": ..., "direction": "in" |
    "out", "frame": the OCPP-J text as on the wire}``; ``direction`` is seen from
    the program writing the trace (``"in"``: received).  ``ocpp201 validate``
    reads such files.  Writes are flushed per line and safe from several threads.
    """

    def __init__(self, stream: IO[str], *, side: Side = "csms") -> None:
        self.stream = stream
        self.side = side
        self._lock = threading.Lock()

    def hooks(self) -> Hooks:
        """Hooks for an endpoint (one object may serve every endpoint)."""
        return trace_hooks(self)

    def sent(self, identity: str, frame: str) -> None:
        """Record a frame sent by the endpoint of ``identity``."""
        self._write(identity, "out", frame)

    def received(self, identity: str, frame: str | bytes) -> None:
        """Record a frame received by the endpoint of ``identity``."""
        self._write(identity, "in", _text(frame))

    def _write(self, identity: str, direction: str, frame: str) -> None:
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "identity": identity,
            "side": self.side,
            "direction": direction,
            "frame": frame,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.stream.write(line)
            self.stream.flush()


_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
_VALUE_KEYS = ("attributeValue", "actualValue")
_STATUS_KEYS = ("attributeStatus", "trigger")


def summarize(payload: Any) -> str:
    """A one-line summary of a JSON payload for people.

    Keys are shown as ``key=value``; date-times are left out (``currentTime``
    shows its time of day), component/variable pairs read ``Component.Variable=
    value (status)`` and meter values ``meter: 1837.5 Wh, 11040.0 W``.
    """
    parts: list[str] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            if "component" in value and "variable" in value:
                parts.append(_component_variable(value))
                return
            if "sampledValue" in value and isinstance(value["sampledValue"], list):
                samples = value["sampledValue"]
                parts.append("meter: " + ", ".join(map(_sample, samples)))
                return
            for k, v in value.items():
                if k != "customData":
                    walk(v, k)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str):
            if not _DATE_TIME.match(value):
                parts.append(f"{key}={value}")
            elif key == "currentTime":
                parts.append(f"{key}={value[11:19]}")
        else:
            parts.append(f"{key}={json.dumps(value)}")

    walk(payload, "payload")
    return " ".join(parts) if parts else "{}"


def _sample(sample: Any) -> str:
    if not isinstance(sample, dict):
        return str(sample)
    unit = (sample.get("unitOfMeasure") or {}).get("unit", "Wh")
    return f"{sample.get('value')} {unit}"


def _component_variable(item: dict[str, Any]) -> str:
    component = item["component"] if isinstance(item["component"], dict) else {}
    variable = item["variable"] if isinstance(item["variable"], dict) else {}
    text = f"{component.get('name')}.{variable.get('name')}"
    attributes = item.get("variableAttribute") or [{}]
    value = next((item[k] for k in _VALUE_KEYS if k in item), None)
    if value is None and isinstance(attributes[0], dict):
        value = attributes[0].get("value")
    if value is not None:
        text += f"={value}"
    status = next((item[k] for k in _STATUS_KEYS if k in item), None)
    if status is not None:
        text += f" ({status})"
    return text
