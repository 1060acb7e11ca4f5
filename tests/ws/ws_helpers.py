"""Helpers for the WebSocket transport tests (imported by tests/ws/test_ws_*.py).

Every test is a plain function that calls :func:`run`, which bounds the whole
coroutine with a timeout; every await inside is bounded too.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Coroutine
from typing import Any, TypeVar

from ocpp201 import CSMS, ChargePoint, ConnectionClosedError, Hooks, after, on
from ocpp201.websocket import WebSocketConnection

__all__ = [
    "CSMS",
    "HOST",
    "STEP",
    "ChargePoint",
    "ConnectionClosedError",
    "EchoEndpoint",
    "Hooks",
    "Recorder",
    "after",
    "bounded",
    "client_context",
    "on",
    "run",
    "server_context",
]

T = TypeVar("T")

HOST = "127.0.0.1"
STEP = 5.0  # seconds allowed for any single network step on 127.0.0.1


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run ``coro`` in a fresh event loop, bounded by ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def bounded(awaitable: Any, timeout: float = STEP) -> Any:
    return await asyncio.wait_for(awaitable, timeout)


class EchoEndpoint:
    """A stand-in endpoint: echoes text frames until the connection closes.

    With ``echo=False`` it only records what it receives.
    """

    def __init__(
        self, identity: str, connection: WebSocketConnection, *, echo: bool = True
    ) -> None:
        self.identity = identity
        self.connection = connection
        self.echo = echo
        self.received: list[str | bytes] = []
        self.finished = asyncio.Event()

    async def run(self) -> None:
        try:
            while True:
                message = await self.connection.recv()
                self.received.append(message)
                if not self.echo:
                    continue
                await self.connection.send(
                    message if isinstance(message, str) else message.decode()
                )
        except ConnectionClosedError:
            pass
        finally:
            self.finished.set()


class Recorder:
    """An endpoint factory that remembers the endpoints it created."""

    def __init__(self, *, echo: bool = True) -> None:
        self.echo = echo
        self.endpoints: list[EchoEndpoint] = []
        self.created = asyncio.Event()

    def __call__(self, identity: str, connection: WebSocketConnection) -> EchoEndpoint:
        endpoint = EchoEndpoint(identity, connection, echo=self.echo)
        self.endpoints.append(endpoint)
        self.created.set()
        return endpoint


def client_context(ca: Any, client_cert: Any = None) -> ssl.SSLContext:
    """A client TLS context trusting ``ca`` (a trustme.CA), with an optional cert."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(context)
    if client_cert is not None:
        client_cert.configure_cert(context)
    return context


def server_context(
    ca: Any, server_cert: Any, *, require_client_cert: bool = False
) -> ssl.SSLContext:
    """A server TLS context with ``server_cert``; optionally requiring client certs."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    if require_client_cert:
        ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
    return context
