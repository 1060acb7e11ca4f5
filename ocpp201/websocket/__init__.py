"""OCPP-J WebSocket transport (OCPP 2.0.1 Part 4), built on ``websockets``.

This package is optional: it needs the ``websockets`` package (``pip install
'ocpp201[websockets]'``) and it is the only part of ``ocpp201`` that imports it, so
``import ocpp201`` keeps working without it.

CSMS side::

    from ocpp201.websocket import serve

    async with serve(MyCSMS, "0.0.0.0", 9000, path="/ocpp") as server:
        await server.serve_forever()

Charging station side::

    from ocpp201.websocket import ChargingStationClient

    client = ChargingStationClient(
        "ws://csms.example.com/ocpp", "CS001", MyChargePoint, session=boot
    )
    await client.run()  # connects, reconnects with the Part 4 section 5.3 back-off

One module per job: ``_identity`` (identity and URL rules), ``_backoff`` (the
reconnection policy), ``_options`` (the connection options, checked once),
``_connection`` (the connection adapter), ``_auth`` (HTTP Basic), ``_supervise``
(running an endpoint, bounded), ``_server`` (the CSMS side) and ``_client`` (the
station side).  Everything public is re-exported here.
"""

from __future__ import annotations

try:
    import websockets  # noqa: F401 - checked first, for a clear message
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "ocpp201.websocket needs the 'websockets' package (version 13 or later): "
        "pip install 'ocpp201[websockets]'"
    ) from _exc

from ._auth import BasicAuth, basic_auth
from ._backoff import BackOff, backoff_delays
from ._client import ChargingStationClient, connect
from ._connection import (
    Endpoint,
    EndpointFactory,
    HandshakeError,
    IdentityCheck,
    PasswordLookup,
    Session,
    WebSocketConnection,
)
from ._identity import (
    MAX_IDENTITY_LENGTH,
    OCPP_SUBPROTOCOL,
    InvalidIdentityError,
    connection_url,
    identity_from_path,
    validate_identity,
)
from ._options import ConnectionOptions
from ._server import CSMSServer, serve

__all__ = [
    "MAX_IDENTITY_LENGTH",
    "OCPP_SUBPROTOCOL",
    "BackOff",
    "BasicAuth",
    "CSMSServer",
    "ChargingStationClient",
    "ConnectionOptions",
    "Endpoint",
    "EndpointFactory",
    "HandshakeError",
    "IdentityCheck",
    "InvalidIdentityError",
    "PasswordLookup",
    "Session",
    "WebSocketConnection",
    "backoff_delays",
    "basic_auth",
    "connect",
    "connection_url",
    "identity_from_path",
    "serve",
    "validate_identity",
]
