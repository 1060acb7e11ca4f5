"""One CSMS over many processes and machines, coordinated through Redis.

Several CSMS worker processes serve charging stations; any process -- a worker, or
one that serves no station at all, such as a web application -- can call any
connected station with :meth:`Fleet.call`, list the stations (:meth:`Fleet.stations`)
and broadcast to them (:meth:`Fleet.broadcast`).  See ``docs/fleet.md`` for the
design, its guarantees and its limits.

This subpackage is the only part of ``ocpp201`` that needs ``redis`` (redis-py 5.0.1
or later, its asyncio client): install the ``ocpp201[redis]`` extra.  ``import ocpp201``
never imports it.
"""

from __future__ import annotations

try:
    import redis.asyncio  # noqa: F401  -- fail early, with the name of the extra
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "ocpp201.fleet needs the 'redis' package (redis-py 5.0.1 or later): "
        "pip install 'ocpp201[redis]'"
    ) from exc

from ._errors import (
    FleetError,
    NodeBusyError,
    NodeGoneError,
    RedisUnavailableError,
    StationOfflineError,
)
from ._events import Event
from ._fleet import Fleet, StationLocation

__all__ = [
    "Event",
    "Fleet",
    "FleetError",
    "NodeBusyError",
    "NodeGoneError",
    "RedisUnavailableError",
    "StationLocation",
    "StationOfflineError",
]
