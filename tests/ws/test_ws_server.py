"""The CSMS server and the one-shot client over real WebSockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import math
import time
from typing import Any

import pytest
import websockets.asyncio.connection
from websockets.asyncio.client import connect as raw_connect
from websockets.asyncio.server import serve as raw_serve
from websockets.exceptions import ConnectionClosed, InvalidStatus
from ws_helpers import HOST, STEP, EchoEndpoint, Recorder, bounded, run

from ocpp201 import ConnectionClosedError
from ocpp201.websocket import (
    ChargingStationClient,
    HandshakeError,
    WebSocketConnection,
    connect,
    serve,
)

# -- subprotocol (Part 4 section 3.1.2 and 3.2)


def test_subprotocol_accepted_and_echo() -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0, path="/ocpp") as server:
            assert server.url == f"ws://{HOST}:{server.port}/ocpp"
            conn = await bounded(connect(server.url, "CS001"))
            async with conn:
                assert conn.subprotocol == "ocpp2.0.1"
                await conn.send('[2,"1","Heartbeat",{}]')
                assert await bounded(conn.recv()) == '[2,"1","Heartbeat",{}]'
                endpoint = await bounded(server.wait_for_station("CS001"))
                assert endpoint is recorder.endpoints[0]
                assert endpoint.identity == "CS001"
                assert endpoint.connection.subprotocol == "ocpp2.0.1"
                assert isinstance(endpoint.connection, WebSocketConnection)
            await bounded(recorder.endpoints[0].finished.wait())

    run(main())


def test_subprotocol_selected_among_several() -> None:
    # Like TC_B_58_CSMS step 3: the station also offers an unsupported version.
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            url = f"ws://{HOST}:{server.port}/CS1"
            async with raw_connect(
                url, subprotocols=["ocpp0.1", "ocpp1.6", "ocpp2.0.1"]
            ) as ws:
                assert ws.subprotocol == "ocpp2.0.1"
                assert ws.response is not None
                assert ws.response.headers["Sec-WebSocket-Protocol"] == "ocpp2.0.1"
                await ws.send("ping")
                assert await bounded(ws.recv()) == "ping"

    run(main())


@pytest.mark.parametrize("offered", [["ocpp1.6"], ["ocpp0.1", "ocpp2.0"], None])
def test_subprotocol_refused_completes_handshake_then_closes(
    offered: list[str] | None,
) -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0) as server:
            url = f"ws://{HOST}:{server.port}/CS1"
            ws = await bounded(raw_connect(url, subprotocols=offered))  # type: ignore[arg-type]
            # The handshake completed (101) without a Sec-WebSocket-Protocol header.
            assert ws.response is not None
            assert ws.response.status_code == 101
            assert "Sec-WebSocket-Protocol" not in ws.response.headers
            assert ws.subprotocol is None
            # ... and the server closes the connection right away.
            with pytest.raises(ConnectionClosed):
                await bounded(ws.recv())
            assert ws.protocol.close_code == 1002
            assert recorder.endpoints == []  # no endpoint was created

    run(main())


def test_client_refuses_a_server_without_the_subprotocol() -> None:
    async def handler(ws: Any) -> None:
        await ws.wait_closed()

    async def main() -> None:
        async with raw_serve(handler, HOST, 0) as server:
            port = server.sockets[0].getsockname()[1]
            with pytest.raises(HandshakeError, match=r"ocpp2\.0\.1") as info:
                await bounded(connect(f"ws://{HOST}:{port}/ocpp", "CS1"))
            assert info.value.status == 101

    run(main())


# -- identities (Part 4 section 3.1.1, 3.2)


def test_percent_encoded_identity_reaches_the_factory_decoded() -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0, path="/ocppj") as server:
            async with await bounded(connect(server.url, "RDAM 123")):
                endpoint = await bounded(server.wait_for_station("RDAM 123"))
                assert endpoint.identity == "RDAM 123"
                assert endpoint.connection.identity == "RDAM 123"
                assert set(server.stations) == {"RDAM 123"}
                assert server.connection("RDAM 123") is endpoint.connection
            # and the raw request path was percent-encoded
            ws = endpoint.connection.websocket
            assert ws.request is not None
            assert ws.request.path == "/ocppj/RDAM%20123"

    run(main())


async def _status_of(url: str, **kwargs: Any) -> int:
    """HTTP status of a refused handshake (raw websockets client)."""
    try:
        async with raw_connect(url, subprotocols=["ocpp2.0.1"], **kwargs):  # type: ignore[list-item]
            pass
    except InvalidStatus as exc:
        return exc.response.status_code
    return 101


def test_rejected_identities_get_404() -> None:
    accepted: list[str] = []

    def accept_identity(identity: str) -> bool:
        accepted.append(identity)
        return identity.startswith("CS")

    async def main() -> None:
        recorder = Recorder()
        async with serve(
            recorder, HOST, 0, path="/ocpp", accept_identity=accept_identity
        ) as server:
            base = f"ws://{HOST}:{server.port}"
            assert await _status_of(f"{base}/ocpp/CS1") == 101
            assert await _status_of(f"{base}/ocpp/XX1") == 404  # application says no
            assert await _status_of(f"{base}/ocpp/CS" + "C" * 47) == 404  # 49 chars
            assert await _status_of(f"{base}/ocpp/CS" + "C" * 46) == 101  # 48 chars
            assert await _status_of(f"{base}/ocpp/CS%3A1") == 404  # ':'
            assert await _status_of(f"{base}/ocpp/") == 404  # empty
            assert await _status_of(f"{base}/ocpp/CS%FF") == 404  # not UTF-8
            assert await _status_of(f"{base}/other/CS1") == 404  # wrong endpoint
            assert await _status_of(f"{base}/CS1") == 404
            with pytest.raises(HandshakeError) as info:
                await bounded(connect(server.url, "XX2"))
            assert info.value.status == 404
        # malformed identities never reach the application's callback
        assert accepted == ["CS1", "XX1", "CS" + "C" * 46, "XX2"]

    run(main())


async def _raw_status(port: int, target: str, *headers: tuple[str, str]) -> int:
    """HTTP status of the answer to a handshake request for ``target``, sent as is
    (websockets' client would normalise some of these targets)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {HOST}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Protocol: ocpp2.0.1",
            *(f"{name}: {value}" for name, value in headers),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status_line = await bounded(reader.readline())
        return int(status_line.split()[1])
    finally:
        writer.close()


def test_request_target_is_parsed_as_a_path() -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0, path="/ocpp") as server:
            port = server.port
            assert await _raw_status(port, "/ocpp/CS1") == 101
            # '//evil' is not a host: the path is not under /ocpp.
            assert await _raw_status(port, "//evil/ocpp/CS2") == 404
            assert await _raw_status(port, "//ocpp/CS2") == 404
            assert await _raw_status(port, "/ocpp//CS3") == 404  # empty segment
            assert await _raw_status(port, "/ocpp/%zz") == 404  # invalid escape
            assert await _raw_status(port, "/ocpp/CS%4") == 404
            assert await _raw_status(port, "/ocpp/.") == 404
            assert await _raw_status(port, "/ocpp/..") == 404
            assert await _raw_status(port, "/ocpp/%2e%2e") == 404
            assert await _raw_status(port, "/ocpp/CS4?x=1") == 101  # query ignored
            for _ in range(200):  # bounded: at most 2 s
                if len(recorder.endpoints) == 2:
                    break
                await asyncio.sleep(0.01)
            assert [e.identity for e in recorder.endpoints] == ["CS1", "CS4"]
        async with serve(Recorder(), HOST, 0) as server:  # any prefix
            assert await _raw_status(server.port, "//CS1") == 404
            assert await _raw_status(server.port, "/a//CS1") == 404
            assert await _raw_status(server.port, "/a/b/CS1") == 101

    run(main())


@pytest.mark.parametrize("path", ["ocpp", "/ocpp/", "ocpp/"])
def test_serve_path_without_leading_slash_is_normalised(path: str) -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0, path=path) as server:
            assert server.url == f"ws://{HOST}:{server.port}/ocpp"
            async with await bounded(connect(server.url, "CS1")) as conn:
                assert conn.subprotocol == "ocpp2.0.1"
            assert await _status_of(f"ws://{HOST}:{server.port}/CS1") == 404

    run(main())


def test_serve_root_path() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0, path="/") as server:
            assert server.url == f"ws://{HOST}:{server.port}"
            async with await bounded(connect(server.url, "CS1")):
                pass
            assert await _status_of(f"ws://{HOST}:{server.port}/ocpp/CS1") == 404

    run(main())


@pytest.mark.parametrize("path", ["/a//b", "//ocpp", "/ocpp?x=1", "/ocpp#x", "/%zz"])
def test_serve_refuses_an_invalid_path(path: str) -> None:
    with pytest.raises(ValueError, match="endpoint path"):
        serve(Recorder(), HOST, 0, path=path)


def test_async_accept_identity() -> None:
    async def accept_identity(identity: str) -> bool:
        await asyncio.sleep(0)
        return identity == "CS1"

    async def main() -> None:
        async with serve(Recorder(), HOST, 0, accept_identity=accept_identity) as srv:
            conn = await bounded(connect(srv.url, "CS1"))
            async with conn:
                assert conn.subprotocol == "ocpp2.0.1"
            with pytest.raises(HandshakeError) as info:
                await bounded(connect(srv.url, "CS2"))
            assert info.value.status == 404

    run(main())


# -- HTTP Basic authentication (security profiles 1 and 2)

PASSWORDS = {"CS1": "correct horse battery staple", "CS2": "0123456789abcdef"}


def test_basic_auth_accepted() -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0, password_for=PASSWORDS.get) as server:
            conn = await bounded(connect(server.url, "CS1", password=PASSWORDS["CS1"]))
            async with conn:
                assert conn.subprotocol == "ocpp2.0.1"
                endpoint = await bounded(server.wait_for_station("CS1"))
                assert endpoint.connection.username == "CS1"

    run(main())


def test_basic_auth_refused() -> None:
    async def main() -> None:
        async with serve(
            Recorder(), HOST, 0, password_for=PASSWORDS.get, realm="test realm"
        ) as server:
            for identity, password in [
                ("CS1", "wrong password!!"),  # wrong password
                ("CS1", PASSWORDS["CS2"]),  # another station's password
                ("CS3", "whatever password"),  # unknown station
                ("CS1", None),  # no credentials at all
                ("CS1", PASSWORDS["CS1"] + "x"),
                ("CS1", PASSWORDS["CS1"][:-1]),
            ]:
                with pytest.raises(HandshakeError) as info:
                    await bounded(connect(server.url, identity, password=password))
                assert info.value.status == 401, (identity, password)
                response = info.value.__cause__.response  # type: ignore[union-attr]
                assert response.headers["WWW-Authenticate"] == (
                    'Basic realm="test realm", charset="UTF-8"'
                )
            # The user name must be the identity in the URL (A00.FR.204).
            header = "Basic " + base64.b64encode(
                f"CS2:{PASSWORDS['CS2']}".encode()
            ).decode("ascii")
            url = f"ws://{HOST}:{server.port}/CS1"
            assert (
                await _status_of(url, additional_headers={"Authorization": header})
                == 401
            )
            # Not Basic, or garbage.
            for header in ["Bearer abc", "Basic !!!", "Basic"]:
                status = await _status_of(
                    url, additional_headers={"Authorization": header}
                )
                assert status == 401, header
            # The good one still works over the raw client.
            good = "Basic " + base64.b64encode(
                f"CS1:{PASSWORDS['CS1']}".encode()
            ).decode("ascii")
            assert (
                await _status_of(url, additional_headers={"Authorization": good}) == 101
            )

    run(main())


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode("ascii")


def test_basic_auth_refuses_several_authorization_headers() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0, password_for=PASSWORDS.get) as server:
            good = ("Authorization", _basic(f"CS1:{PASSWORDS['CS1']}".encode()))
            bad = ("Authorization", _basic(b"CS1:wrong"))
            port = server.port
            assert await _raw_status(port, "/CS1", good) == 101
            assert await _raw_status(port, "/CS1", bad, good) == 401
            assert await _raw_status(port, "/CS1", good, bad) == 401
            assert await _raw_status(port, "/CS1", good, good) == 401
            # non-UTF-8 credentials and a missing colon are refused too
            assert (
                await _raw_status(port, "/CS1", ("Authorization", _basic(b"CS1:\xff")))
                == 401
            )
            assert (
                await _raw_status(port, "/CS1", ("Authorization", _basic(b"CS1")))
                == 401
            )

    run(main())


def test_failing_callbacks_answer_500_and_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(identity: str) -> Any:
        raise RuntimeError("database down")

    async def main() -> None:
        good = ("Authorization", _basic(f"CS1:{PASSWORDS['CS1']}".encode()))
        # A bug of the CSMS is not the station's fault: 500, not 401/404.
        async with serve(Recorder(), HOST, 0, password_for=broken) as server:
            assert await _raw_status(server.port, "/CS1", good) == 500
        async with serve(Recorder(), HOST, 0, password_for=lambda i: 1234) as server:
            assert await _raw_status(server.port, "/CS1", good) == 500
        async with serve(Recorder(), HOST, 0, accept_identity=broken) as server:
            assert await _raw_status(server.port, "/CS1") == 500

    with caplog.at_level(logging.ERROR, logger="ocpp201.websocket"):
        run(main())
    messages = [r.getMessage() for r in caplog.records]
    assert "CS1: password_for() failed" in messages
    assert "CS1: password_for() returned int; expected str, bytes or None" in messages
    assert "CS1: accept_identity() failed" in messages


def test_client_sends_one_authorization_header() -> None:
    seen: list[list[str]] = []

    async def main() -> None:
        async def check(ws: Any, request: Any) -> None:
            seen.append(request.headers.get_all("Authorization"))

        header = _basic(f"CS1:{PASSWORDS['CS1']}".encode())
        async with raw_serve(
            lambda ws: ws.wait_closed(),
            HOST,
            0,
            process_request=check,
            select_subprotocol=lambda ws, offered: "ocpp2.0.1",
        ) as server:
            url = f"ws://{HOST}:{server.sockets[0].getsockname()[1]}/ocpp"
            async with await bounded(connect(url, "CS1", password=PASSWORDS["CS1"])):
                pass
            async with await bounded(
                connect(url, "CS1", additional_headers={"authorization": header})
            ):
                pass
            url_with_credentials = url.replace("ws://", "ws://CS1:pw@")
            async with await bounded(connect(url_with_credentials, "CS1")):
                pass
        assert seen == [[header], [header], [_basic(b"CS1:pw")]]

    run(main())


@pytest.mark.parametrize(
    ("url", "kwargs"),
    [
        ("ws://CS1:pw@h/ocpp", {"password": "pw"}),
        (
            "ws://h/ocpp",
            {"password": "pw", "additional_headers": {"authorization": "x"}},
        ),
        (
            "ws://h/ocpp",
            {"password": "pw", "additional_headers": [("Authorization", "x")]},
        ),
        (
            "ws://h/ocpp",
            {"additional_headers": [("Authorization", "x"), ("authorization", "y")]},
        ),
        ("ws://CS1:pw@h/ocpp", {"additional_headers": {"Authorization": "x"}}),
    ],
)
def test_credentials_are_given_only_once(url: str, kwargs: dict[str, Any]) -> None:
    # Two sources would make websockets send two Authorization headers.
    with pytest.raises(ValueError, match="credentials only once"):
        ChargingStationClient(url, "CS1", Recorder(), **kwargs)

    async def main() -> None:
        with pytest.raises(ValueError, match="credentials only once"):
            await bounded(connect(url, "CS1", **kwargs))

    run(main())


def test_basic_auth_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    async def password_for(identity: str) -> bytes | None:  # async and bytes work too
        return b"s3cret-passw0rd-1234" if identity == "CS1" else None

    async def main() -> None:
        async with serve(Recorder(), HOST, 0, password_for=password_for) as server:
            async with await bounded(
                connect(server.url, "CS1", password="s3cret-passw0rd-1234")
            ):
                pass
            assert (b"s3cret-passw0rd-1234", b"s3cret-passw0rd-1234") in compared
            compared.clear()
            with pytest.raises(HandshakeError):
                await bounded(connect(server.url, "CS9", password="guess"))
            # an unknown station is still compared (against a dummy)
            assert any(b == b"guess" for _, b in compared)

    run(main())


def test_non_ascii_password() -> None:
    async def main() -> None:
        passwords = {"CS1": "pässwörd-ünïcode-123"}
        async with serve(Recorder(), HOST, 0, password_for=passwords.get) as server:
            conn = await bounded(connect(server.url, "CS1", password=passwords["CS1"]))
            async with conn:
                assert conn.subprotocol == "ocpp2.0.1"

    run(main())


# -- compression (Part 4 section 3.3)


@pytest.mark.parametrize(
    ("server_side", "client_side", "expected"),
    [
        (True, True, "permessage-deflate"),
        (True, False, None),
        (False, True, None),
    ],
)
def test_compression(
    server_side: bool, client_side: bool, expected: str | None
) -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0, compression=server_side) as server:
            conn = await bounded(connect(server.url, "CS1", compression=client_side))
            async with conn:
                assert conn.compression == expected
                endpoint = await bounded(server.wait_for_station("CS1"))
                assert endpoint.connection.compression == expected
                ws = conn.websocket
                assert ws.response is not None
                header = ws.response.headers.get("Sec-WebSocket-Extensions")
                assert (header is not None) == (expected is not None)
                big = (
                    '[2,"1","DataTransfer",{"vendorId":"x","data":"'
                    + "a" * 5000
                    + '"}]'
                )
                await conn.send(big)
                assert await bounded(conn.recv()) == big

    run(main())


# -- message size limit


def test_message_size_limit_on_the_server() -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0, max_size=1024) as server:
            conn = await bounded(connect(server.url, "CS1"))
            async with conn:
                await conn.send("a" * 1024)  # exactly the limit is fine
                assert await bounded(conn.recv()) == "a" * 1024
                await conn.send("a" * 1025)
                with pytest.raises(ConnectionClosedError, match="1009"):
                    await bounded(conn.recv())
                assert conn.close_code == 1009
            await bounded(recorder.endpoints[0].finished.wait())

    run(main())


def test_message_size_limit_on_the_client() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            conn = await bounded(connect(server.url, "CS1", max_size=100))
            async with conn:
                await conn.send("b" * 101)  # echoed back: too big for the client
                # the client fails the connection with close code 1009
                with pytest.raises(ConnectionClosedError, match="1009"):
                    await bounded(conn.recv())

    run(main())


# -- ping interval (Part 4 section 8.4)


def test_ping_interval_zero_disables_client_pings() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0, ping_interval=None) as server:
            conn = await bounded(connect(server.url, "CS1", ping_interval=0))
            async with conn:
                assert conn.websocket.ping_interval is None
                await asyncio.sleep(0.2)
                assert conn.websocket.latency == 0.0  # never pinged
            conn = await bounded(connect(server.url, "CS1", ping_interval=0.05))
            async with conn:
                assert conn.websocket.ping_interval == 0.05
                for _ in range(100):  # bounded: at most 2 s
                    if conn.websocket.latency > 0:
                        break
                    await asyncio.sleep(0.02)
                assert conn.websocket.latency > 0  # a ping was answered

    run(main())


def _count_pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the pings sent by either side (both use websockets' Connection)."""
    count = [0]
    real = websockets.asyncio.connection.Connection.ping

    async def ping(self: Any, *args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(websockets.asyncio.connection.Connection, "ping", ping)
    return count


def test_server_ping_interval_zero_disables_server_pings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pings = _count_pings(monkeypatch)

    async def main() -> None:
        async with serve(Recorder(), HOST, 0, ping_interval=0) as server:
            conn = await bounded(connect(server.url, "CS1", ping_interval=None))
            async with conn:
                endpoint = await bounded(server.wait_for_station("CS1"))
                assert endpoint.connection.websocket.ping_interval is None
                await asyncio.sleep(0.2)
        assert pings[0] == 0  # websockets would ping continuously with 0

    run(main())


@pytest.mark.parametrize("value", [-1, -0.5, math.nan, math.inf])
def test_invalid_ping_interval_is_refused_at_construction(value: float) -> None:
    with pytest.raises(ValueError, match="ping_interval"):
        serve(Recorder(), HOST, 0, ping_interval=value)
    with pytest.raises(ValueError, match="ping_interval"):
        ChargingStationClient("ws://h/ocpp", "CS1", Recorder(), ping_interval=value)

    async def main() -> None:
        with pytest.raises(ValueError, match="ping_interval"):
            # refused before any network activity: nothing listens on port 9
            await bounded(connect(f"ws://{HOST}:9/ocpp", "CS1", ping_interval=value))

    run(main())


@pytest.mark.parametrize("value", [0, -1, math.nan])
def test_invalid_ping_timeout_is_refused_at_construction(value: float) -> None:
    with pytest.raises(ValueError, match="ping_timeout"):
        serve(Recorder(), HOST, 0, ping_timeout=value)
    with pytest.raises(ValueError, match="ping_timeout"):
        ChargingStationClient("ws://h/ocpp", "CS1", Recorder(), ping_timeout=value)


# -- lifecycle


def test_new_connection_replaces_the_old_one() -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0) as server:
            first = await bounded(connect(server.url, "CS1"))
            await bounded(server.wait_for_station("CS1"))
            second = await bounded(connect(server.url, "CS1"))
            with pytest.raises(ConnectionClosedError):
                await bounded(first.recv())
            await bounded(recorder.endpoints[0].finished.wait())
            for _ in range(100):
                if server.stations.get("CS1") is recorder.endpoints[-1]:
                    break
                await asyncio.sleep(0.01)
            assert server.stations["CS1"] is recorder.endpoints[1]
            await second.send("still here")
            assert await bounded(second.recv()) == "still here"
            await second.close()

    run(main())


def test_session_runs_alongside_and_is_cancelled_on_disconnect() -> None:
    async def main() -> None:
        started = asyncio.Event()
        cancelled = asyncio.Event()

        async def session(endpoint: EchoEndpoint) -> None:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        async with serve(Recorder(), HOST, 0, session=session) as server:
            conn = await bounded(connect(server.url, "CS1"))
            await bounded(started.wait())
            await conn.close()
            await bounded(cancelled.wait())
            for _ in range(100):
                if not server.stations:
                    break
                await asyncio.sleep(0.01)
            assert server.stations == {}

    run(main())


def test_server_close_ends_the_endpoints() -> None:
    async def main() -> None:
        recorder = Recorder()
        server = await serve(recorder, HOST, 0)
        conn = await bounded(connect(server.url, "CS1"))
        await bounded(server.wait_for_station("CS1"))
        server.close()
        await bounded(server.wait_closed())
        assert recorder.endpoints[0].finished.is_set()
        with pytest.raises(ConnectionClosedError, match="1001"):
            await bounded(conn.recv())
        with pytest.raises(ConnectionClosedError):
            await conn.send("late")

    run(main())


def test_factory_errors_close_the_connection() -> None:
    def factory(identity: str, connection: WebSocketConnection) -> EchoEndpoint:
        raise RuntimeError("boom")

    async def main() -> None:
        async with serve(factory, HOST, 0) as server:
            conn = await bounded(connect(server.url, "CS1"))
            with pytest.raises(ConnectionClosedError, match="1011"):
                await bounded(conn.recv())

    run(main())


def test_async_factory() -> None:
    async def factory(identity: str, connection: WebSocketConnection) -> EchoEndpoint:
        await asyncio.sleep(0)
        return EchoEndpoint(identity, connection)

    async def main() -> None:
        async with serve(factory, HOST, 0) as server:
            conn = await bounded(connect(server.url, "CS1"))
            async with conn:
                await conn.send("x")
                assert await bounded(conn.recv()) == "x"

    run(main())


def test_wait_for_station_times_out() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            with pytest.raises(asyncio.TimeoutError):
                await server.wait_for_station("nobody", timeout=0.05)

    run(main())


def test_connect_to_a_closed_port_fails_fast() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            url = server.url
        start = time.monotonic()
        # Precisely the refusal: TimeoutError is an OSError too, and a connect()
        # that waited for open_timeout must not pass.
        with pytest.raises(ConnectionRefusedError):
            await bounded(connect(url, "CS1", open_timeout=STEP))
        assert time.monotonic() - start < 1.0

    run(main())


class _Stubborn:
    """An endpoint whose run() ignores the connection closing (a bug)."""

    def __init__(self, identity: str, connection: WebSocketConnection) -> None:
        self.connection = connection
        self.cancelled = asyncio.Event()

    async def run(self) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


def test_endpoint_run_that_does_not_return_is_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoints: list[_Stubborn] = []

    def factory(identity: str, connection: WebSocketConnection) -> _Stubborn:
        endpoints.append(_Stubborn(identity, connection))
        return endpoints[-1]

    async def main() -> None:
        server = await serve(factory, HOST, 0, run_exit_timeout=0.2)
        conn = await bounded(connect(server.url, "CS1"))
        await bounded(server.wait_for_station("CS1"))
        await conn.close()
        # The handler gives run() 0.2 s once the connection closed, then cancels
        # it: no stale entry in `stations`.
        await bounded(endpoints[0].cancelled.wait(), 2.0)
        for _ in range(100):  # bounded: at most 1 s
            if not server.stations:
                break
            await asyncio.sleep(0.01)
        assert server.stations == {}
        # Closing the server does not hang on such an endpoint either.
        await bounded(connect(server.url, "CS2"))
        await bounded(server.wait_for_station("CS2"))
        start = time.monotonic()
        server.close()
        await bounded(server.wait_closed(), 2.0)
        assert time.monotonic() - start < 1.5
        assert endpoints[1].cancelled.is_set()

    with caplog.at_level(logging.ERROR, logger="ocpp201.websocket"):
        run(main())
    assert any("did not return within" in r.getMessage() for r in caplog.records)


def test_a_flood_of_refused_handshakes_is_logged_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """60 refused connections: at most REFUSAL_LOG_BURST WARNING lines, the rest
    counted, not logged (one attacker must not be able to fill the log)."""
    from ocpp201.websocket._server import REFUSAL_LOG_BURST

    async def main() -> None:
        async with serve(
            Recorder(), HOST, 0, accept_identity=lambda identity: False
        ) as server:
            for n in range(60):
                with pytest.raises(HandshakeError) as info:
                    await bounded(connect(server.url, f"CS{n}"))
                assert info.value.status == 404

    with caplog.at_level(logging.WARNING, logger="ocpp201.websocket"):
        run(main())
    refused = [
        r.getMessage()
        for r in caplog.records
        if r.name == "ocpp201.websocket" and r.getMessage().startswith("refused")
    ]
    assert len(refused) == REFUSAL_LOG_BURST
    assert "further warnings about refused connections are suppressed" in refused[-1]
