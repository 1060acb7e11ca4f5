"""The public API of the transport is pinned, and its options are checked once."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as raw_connect
from websockets.exceptions import InvalidStatus
from ws_helpers import HOST, Recorder, bounded, run

import ocpp201.websocket
from ocpp201.websocket import (
    BackOff,
    ChargingStationClient,
    ConnectionOptions,
    HandshakeError,
    backoff_delays,
    basic_auth,
    connect,
    serve,
)

PACKAGE = Path(ocpp201.websocket.__file__).resolve().parent

PUBLIC = [
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


def test_public_names_are_pinned() -> None:
    assert sorted(ocpp201.websocket.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(ocpp201.websocket, name) is not None, name


def test_every_module_is_small_and_says_its_job() -> None:
    for module in sorted(PACKAGE.glob("*.py")):
        text = module.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 700, module.name
        docstring = ast.get_docstring(ast.parse(text))
        assert docstring, module.name


def test_options_are_checked_when_built() -> None:
    with pytest.raises(ValueError, match="ping_timeout"):
        ConnectionOptions(ping_timeout=0)
    with pytest.raises(ValueError, match="run_exit_timeout"):
        ConnectionOptions(run_exit_timeout=-1)
    with pytest.raises(ValueError, match="max_size"):
        ConnectionOptions(max_size=0)
    with pytest.raises(TypeError, match="ConnectionOptions"):
        serve(Recorder(), options={"ping_interval": 1})  # type: ignore[arg-type]
    server = serve(Recorder(), ping_interval=0, close_timeout=None)
    assert server.options.ping_interval == 0
    assert server.options.pings is None
    assert server.options.close_timeout is None
    # keyword arguments override an options object; the rest go to websockets
    base = ConnectionOptions(ping_interval=5, open_timeout=1)
    client = ChargingStationClient(
        "ws://127.0.0.1:9/ocpp", "CS1", Recorder(), options=base, open_timeout=2
    )
    assert client.options.ping_interval == 5
    assert client.options.open_timeout == 2
    # without options the station pings every 30 s, the server every 20 s
    default = ChargingStationClient("ws://127.0.0.1:9/ocpp", "CS1", Recorder())
    assert default.options.ping_interval == 30
    assert serve(Recorder()).options.ping_interval == 20


def test_backoff_delays_reset_per_iterator() -> None:
    policy = BackOff(wait_minimum=1, random_range=0, repeat_times=2)
    delays = backoff_delays(policy)
    assert [next(delays) for _ in range(4)] == [1, 2, 4, 4]
    assert next(backoff_delays(policy)) == 1


def test_basic_auth_object_and_password_for_are_the_same() -> None:
    passwords = {"CS1": "secret-password-1"}

    async def main() -> None:
        async with serve(Recorder(), HOST, 0, auth=basic_auth(passwords.get)) as server:
            conn = await bounded(
                connect(server.url, "CS1", password="secret-password-1")
            )
            await conn.close()
        with pytest.raises(ValueError, match="printable ASCII"):
            serve(Recorder(), password_for=passwords.get, realm='say "hi"')
        with pytest.raises(TypeError, match="callable"):
            basic_auth("secret")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not both"):
            serve(
                Recorder(), auth=basic_auth(passwords.get), password_for=passwords.get
            )

    run(main())


def test_refusals_are_logged_at_warning_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        async with serve(
            Recorder(), HOST, 0, path="/ocpp", password_for={"CS1": "pw"}.get
        ) as server:
            with pytest.raises(InvalidStatus) as refused:
                await bounded(raw_connect(server.url + "/CS1/"))
            assert refused.value.response.status_code == 404
            for password in ("wrong", None):
                with pytest.raises(HandshakeError, match="401"):
                    await bounded(connect(server.url, "CS1", password=password))

    with caplog.at_level(logging.WARNING, logger="ocpp201.websocket"):
        run(main())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("trailing slash after 'CS1'" in w for w in warnings), warnings
    assert any("401" in w and "(wrong password)" in w for w in warnings), warnings
    assert any("401 missing credentials" in w for w in warnings), warnings


def test_the_station_says_why_it_cannot_connect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0, password_for={"CS1": "pw"}.get) as server:
            client = ChargingStationClient(
                server.url,
                "CS1",
                Recorder(),
                password="wrong",
                back_off=BackOff(wait_minimum=0.01, random_range=0, repeat_times=0),
                max_attempts=3,
            )
            with pytest.raises(HandshakeError, match="HTTP 401"):
                await bounded(client.run())

    with caplog.at_level(logging.INFO, logger="ocpp201.websocket"):
        run(main())
    said = [
        r
        for r in caplog.records
        if "cannot connect" in r.getMessage() and "HTTP 401" in r.getMessage()
    ]
    assert len(said) == 3
    # the first at WARNING, the repetitions of the same reason at INFO
    assert [r.levelno for r in said] == [logging.WARNING, logging.INFO, logging.INFO]
