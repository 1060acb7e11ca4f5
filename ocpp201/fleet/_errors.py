"""The exceptions of the fleet: what can go wrong between a caller and a station.

A fleet call can also raise the exceptions of a local ``call()``
(:class:`ocpp201.CallError`, :class:`ocpp201.CallTimeoutError`,
:class:`ocpp201.ConnectionClosedError`, :class:`ocpp201.LocalProtocolError`, ...),
rebuilt in the caller's process from what the owning node reported.
"""

from __future__ import annotations

from .._errors import OCPPError

__all__ = [
    "FleetError",
    "NodeBusyError",
    "NodeGoneError",
    "RedisUnavailableError",
    "StationOfflineError",
]


class FleetError(OCPPError):
    """Base class of the errors specific to a fleet of CSMS processes."""


class StationOfflineError(FleetError):
    """No node holds a connection to this station: unknown, or disconnected.

    Raised at once, without waiting for the timeout; nothing was sent.
    """

    def __init__(self, identity: str, detail: str = "") -> None:
        self.identity = identity
        super().__init__(
            f"charging station {identity!r} is not connected to the fleet"
            + (f" ({detail})" if detail else "")
        )


class NodeGoneError(FleetError):
    """The node that held the station's connection stopped refreshing its presence.

    The node crashed, hung or lost Redis.  Raised at once for a call routed to such
    a node (nothing was sent), and for a call in flight when the node's presence
    lapses (the station may or may not have received it).  The station usually
    reconnects to another node within its back-off: try again later.
    """

    def __init__(self, identity: str, node: str) -> None:
        self.identity = identity
        self.node = node
        super().__init__(
            f"node {node!r}, which held charging station {identity!r}, is gone"
        )


class NodeBusyError(FleetError):
    """The owning node's command queue is full; nothing was sent."""

    def __init__(self, identity: str, node: str) -> None:
        self.identity = identity
        self.node = node
        super().__init__(
            f"node {node!r}, which holds charging station {identity!r}, has too many"
            " queued commands"
        )


class RedisUnavailableError(FleetError, ConnectionError):
    """Redis could not be reached (at start, or during an operation)."""
