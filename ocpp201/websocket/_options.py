"""The options of a WebSocket connection, checked once: one object for both sides.

:class:`ConnectionOptions` holds what ``serve()``, ``connect()`` and
``ChargingStationClient`` share -- compression, the message size limit, keep-alive,
the handshake timeouts and the bounds on task supervision -- plus any further
``websockets`` keyword arguments.  It validates every value when it is built, so
nothing later has to.  Pure: no I/O, no ``websockets`` import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs

__all__ = ["ConnectionOptions", "check_seconds", "resolve_options"]


def check_seconds(
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


def _seconds(
    *, allow_none: bool = True, positive: bool = False
) -> Any:  # an attrs validator
    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        check_seconds(attribute.name, value, allow_none=allow_none, positive=positive)

    return check


def _max_size(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or value <= 0
    ):
        raise ValueError(f"max_size must be a positive integer or None, not {value!r}")


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen(kw_only=True)
class ConnectionOptions:
    """What a WebSocket connection needs, on either side; checked when built.

    The defaults are those of ``serve()``; ``connect()`` and
    ``ChargingStationClient`` start from the same values with ``ping_interval=30``.
    Every field may also be given to those functions as a keyword argument, which
    overrides the value of an ``options`` object.

    Attributes:
        compression: offer RFC 7692 permessage-deflate (a CSMS SHALL support it,
            Part 4 section 3.3).
        max_size: largest incoming message in bytes (``None``: no limit); a larger
            one closes the connection with code 1009.
        ping_interval: seconds between WebSocket pings (``WebSocketPingInterval``
            on the station); 0 or ``None`` disables them (Part 4 section 8.4).
        ping_timeout: seconds to wait for a pong before closing (``None``: no
            limit); must be positive.
        open_timeout: seconds allowed for the TCP, TLS and WebSocket handshakes.
        close_timeout: seconds allowed for the closing handshake.
        close_bound: seconds after which a closing handshake is cut off when
            ``close_timeout`` is ``None``, so that closing always ends.
        run_exit_timeout: seconds ``endpoint.run()`` has to return once its
            connection is closed, before it is cancelled (and logged as a bug).
        cancel_timeout: seconds a cancelled task (``endpoint.run()``, a session, a
            connection attempt) has to end before it is abandoned with an error.
        websockets: further keyword arguments for ``websockets``' ``serve`` or
            ``connect``.

    Raises:
        ValueError: for a negative, infinite or NaN number of seconds, a
            ``ping_timeout`` of 0, or a ``max_size`` that is not a positive integer.
    """

    compression: bool = True
    max_size: int | None = attrs.field(default=2**20, validator=_max_size)
    ping_interval: float | None = attrs.field(default=20, validator=_seconds())
    ping_timeout: float | None = attrs.field(
        default=20, validator=_seconds(positive=True)
    )
    open_timeout: float | None = attrs.field(default=10, validator=_seconds())
    close_timeout: float | None = attrs.field(default=10, validator=_seconds())
    close_bound: float = attrs.field(
        default=10.0, validator=_seconds(allow_none=False, positive=True)
    )
    run_exit_timeout: float = attrs.field(
        default=15.0, validator=_seconds(allow_none=False)
    )
    cancel_timeout: float = attrs.field(
        default=5.0, validator=_seconds(allow_none=False)
    )
    websockets: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, hash=False
    )

    @property
    def pings(self) -> float | None:
        """``ping_interval`` as ``websockets`` wants it: ``None`` for no pings."""
        return self.ping_interval or None

    def websockets_options(self) -> dict[str, Any]:
        """The keyword arguments of ``websockets``' ``serve``/``connect``."""
        return {
            "compression": "deflate" if self.compression else None,
            "max_size": self.max_size,
            "ping_interval": self.pings,
            "ping_timeout": self.ping_timeout,
            "open_timeout": self.open_timeout,
            "close_timeout": self.close_timeout,
            **self.websockets,
        }


_FIELDS = frozenset(a.name for a in attrs.fields(ConnectionOptions)) - {"websockets"}

SERVER_DEFAULTS = ConnectionOptions()
CLIENT_DEFAULTS = ConnectionOptions(ping_interval=30)


def resolve_options(
    options: ConnectionOptions | None,
    default: ConnectionOptions,
    keywords: Mapping[str, Any],
) -> ConnectionOptions:
    """``options`` (or ``default``) with the keyword arguments of a call applied.

    Keywords naming a field replace it; the others are added to ``websockets``.
    """
    if options is not None and not isinstance(options, ConnectionOptions):
        raise TypeError(
            f"options must be a ConnectionOptions, not {type(options).__name__}"
        )
    base = default if options is None else options
    fields = {k: v for k, v in keywords.items() if k in _FIELDS}
    extra = {k: v for k, v in keywords.items() if k not in _FIELDS}
    if extra:
        fields["websockets"] = {**base.websockets, **extra}
    return attrs.evolve(base, **fields) if fields else base
