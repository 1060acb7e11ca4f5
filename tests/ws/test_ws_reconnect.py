"""ChargingStationClient: staying connected with the Part 4 section 5.3 back-off."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from ws_helpers import HOST, STEP, EchoEndpoint, Recorder, bounded, run

import ocpp201.websocket._client as ws_client
from ocpp201 import ConnectionClosedError
from ocpp201.websocket import (
    BackOff,
    ChargingStationClient,
    HandshakeError,
    WebSocketConnection,
    serve,
)


class AttemptRecorder:
    """A TCP listener that accepts and immediately drops connections, noting when."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> int:
        async def dropped(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            self.times.append(time.monotonic())
            writer.close()

        self.server = await asyncio.start_server(dropped, HOST, port)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await bounded(self.server.wait_closed())

    async def wait_for(self, count: int, timeout: float = STEP) -> None:
        deadline = time.monotonic() + timeout
        while len(self.times) < count:  # bounded by the deadline
            assert time.monotonic() < deadline, f"only {len(self.times)} attempts"
            await asyncio.sleep(0.01)


def intervals(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def assert_close(actual: list[float], expected: list[float]) -> None:
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected, strict=False):
        # never early; late by at most a scheduling hiccup
        assert want - 0.01 <= got <= want + 0.25, (actual, expected)


def test_back_off_doubles_and_resets_after_a_successful_connection() -> None:
    async def main() -> None:
        back_off = BackOff(wait_minimum=0.1, random_range=0, repeat_times=2)
        attempts = AttemptRecorder()
        port = await attempts.start()
        url = f"ws://{HOST}:{port}/ocpp"
        stations = Recorder()
        client = ChargingStationClient(url, "CS1", stations, back_off=back_off)
        async with client:
            # 1 immediate attempt, then 0.1, 0.2, 0.4 (doubled twice), 0.4 (kept)
            await attempts.wait_for(5)
            assert_close(intervals(attempts.times[:5]), [0.1, 0.2, 0.4, 0.4])
            for _ in range(100):  # the 5th failure is counted just after the server
                if client.failed_attempts >= 5:  # saw the attempt (at most 1 s)
                    break
                await asyncio.sleep(0.01)
            assert client.failed_attempts >= 5
            # websockets >= 14: HandshakeError (no HTTP answer); 13: ConnectionError
            assert isinstance(client.last_error, ConnectionError)

            # The CSMS comes back on the same port: the client connects.
            await attempts.stop()
            recorder = Recorder()
            async with serve(recorder, HOST, port, path="/ocpp") as server:
                endpoint = await bounded(client.wait_connected(), 2.0)
                assert client.failed_attempts == 0
                assert client.connections == 1
                assert endpoint is stations.endpoints[0]
                assert (
                    await bounded(server.wait_for_station("CS1"))
                    is (recorder.endpoints[0])
                )
            # The CSMS goes away again; the back-off restarts at the minimum.
            attempts = AttemptRecorder()
            lost = time.monotonic()
            await attempts.start(port)
            await attempts.wait_for(2)
            assert_close(intervals([lost, *attempts.times[:2]]), [0.1, 0.2])
        await attempts.stop()

    run(main())


def test_reconnects_after_the_server_goes_away_and_comes_back() -> None:
    async def main() -> None:
        sessions: list[EchoEndpoint] = []

        async def session(endpoint: EchoEndpoint) -> None:
            sessions.append(endpoint)
            await endpoint.connection.send("hello from the session")

        recorder = Recorder()
        server = await serve(recorder, HOST, 0, path="/ocpp")
        port, url = server.port, server.url
        client = ChargingStationClient(
            url,
            "CS 1",
            Recorder(echo=False),
            session=session,
            back_off=BackOff(wait_minimum=0.05, random_range=0.05, repeat_times=3),
        )
        async with client:
            first = await bounded(client.wait_connected())
            await bounded(server.wait_for_station("CS 1"))
            server.close()
            await bounded(server.wait_closed())
            await bounded(first.finished.wait())
            assert client.endpoint is None
            # Refused connections while the server is down.
            for _ in range(200):  # bounded: at most 2 s
                if client.failed_attempts >= 2:
                    break
                await asyncio.sleep(0.01)
            assert client.failed_attempts >= 2
            assert isinstance(client.last_error, OSError)

            server = await serve(recorder, HOST, port, path="/ocpp")
            second = await bounded(client.wait_connected())
            assert second is not first
            assert client.connections == 2
            assert client.failed_attempts == 0
            # The session ran once per connection and its messages arrived.
            assert sessions == [first, second]
            for _ in range(200):
                if len(recorder.endpoints) == 2 and recorder.endpoints[1].received:
                    break
                await asyncio.sleep(0.01)
            assert recorder.endpoints[0].received == ["hello from the session"]
            assert recorder.endpoints[1].received == ["hello from the session"]
        # Leaving the context closed the connection and stopped reconnecting.
        assert client.endpoint is None
        await bounded(recorder.endpoints[1].finished.wait())
        server.close()
        await bounded(server.wait_closed())

    run(main())


def test_refused_credentials_are_retried_with_back_off() -> None:
    async def main() -> None:
        passwords = {"CS1": "the-right-password"}
        async with serve(Recorder(), HOST, 0, password_for=passwords.get) as server:
            client = ChargingStationClient(
                server.url,
                "CS1",
                Recorder(),
                password="a-wrong-password",
                back_off=BackOff(wait_minimum=0.01, random_range=0, repeat_times=1),
                max_attempts=3,
            )
            with pytest.raises(HandshakeError) as info:
                await bounded(client.run())
            assert info.value.status == 401
            assert client.failed_attempts == 3
            assert client.connections == 0

    run(main())


def test_max_attempts_on_a_closed_port() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            url = server.url
        client = ChargingStationClient(
            url,
            "CS1",
            Recorder(),
            back_off=BackOff(wait_minimum=0.01, random_range=0, repeat_times=0),
            max_attempts=4,
        )
        start = time.monotonic()
        with pytest.raises(ConnectionRefusedError):  # not a TimeoutError
            await bounded(client.run())
        assert client.failed_attempts == 4
        assert 0.03 <= time.monotonic() - start < 1.0  # three waits of 0.01 s

    run(main())


def test_close_interrupts_the_back_off_wait() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            url = server.url
        client = ChargingStationClient(
            url, "CS1", Recorder(), back_off=BackOff(wait_minimum=30, random_range=0)
        )
        client.start()
        for _ in range(200):
            if client.failed_attempts:
                break
            await asyncio.sleep(0.01)
        assert client.failed_attempts == 1  # now waiting 30 s
        start = time.monotonic()
        await bounded(client.close(), 2.0)
        assert time.monotonic() - start < 1.0

    run(main())


def test_close_while_connected_closes_the_connection() -> None:
    async def main() -> None:
        recorder = Recorder()
        async with serve(recorder, HOST, 0) as server:
            client = ChargingStationClient(server.url, "CS1", Recorder())
            task = client.start()
            await bounded(client.wait_connected())
            await bounded(server.wait_for_station("CS1"))
            await bounded(client.close())
            assert task.done()
            await bounded(recorder.endpoints[0].finished.wait())
            assert client.connections == 1

    run(main())


def test_session_errors_are_logged_and_the_connection_stays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def session(endpoint: EchoEndpoint) -> None:
        raise RuntimeError("bug in the session")

    async def main() -> None:
        async with (
            serve(Recorder(), HOST, 0) as server,
            ChargingStationClient(
                server.url, "CS1", Recorder(), session=session
            ) as client,
        ):
            endpoint = await bounded(client.wait_connected())
            await asyncio.sleep(0.05)
            assert client.endpoint is endpoint
            await endpoint.connection.send("still open")

    with caplog.at_level(logging.ERROR, logger="ocpp201.websocket"):
        run(main())
    assert any("session failed" in r.message for r in caplog.records)


def test_factory_error_propagates_from_run() -> None:
    def factory(identity: str, connection: WebSocketConnection) -> EchoEndpoint:
        raise RuntimeError("bad factory")

    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            client = ChargingStationClient(server.url, "CS1", factory)
            with pytest.raises(RuntimeError, match="bad factory"):
                await bounded(client.run())

    run(main())


def test_client_validates_its_arguments() -> None:
    with pytest.raises(ValueError, match="identity"):
        ChargingStationClient("ws://h/ocpp", "CS:1", Recorder())
    with pytest.raises(ValueError, match="identity"):
        ChargingStationClient("ws://h/ocpp", "..", Recorder())
    with pytest.raises(ValueError, match="ws://"):
        ChargingStationClient("http://h/ocpp", "CS1", Recorder())
    # What could never connect fails here, not as retried attempts in run().
    for url in ["ws://", "ws://h:99999/ocpp", "ws://h/ocpp#x", "ws://h/o cpp"]:
        with pytest.raises(ValueError, match="endpoint URL"):
            ChargingStationClient(url, "CS1", Recorder())
    with pytest.raises(ValueError, match="wss://"):
        ChargingStationClient("ws://h/ocpp", "CS1", Recorder(), ssl=ssl_context())
    for attempts in [0, -1, 1.5, True]:
        with pytest.raises(ValueError, match="max_attempts"):
            ChargingStationClient(
                "ws://h/ocpp", "CS1", Recorder(), max_attempts=attempts
            )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="open_timeout"):
        ChargingStationClient("ws://h/ocpp", "CS1", Recorder(), open_timeout=-1)
    with pytest.raises(TypeError, match="no_such_option"):
        ChargingStationClient("ws://h/ocpp", "CS1", Recorder(), no_such_option=1)
    # options of websockets and of loop.create_connection are accepted
    ChargingStationClient(
        "ws://h/ocpp", "CS1", Recorder(), max_queue=4, local_addr=(HOST, 0)
    )


def ssl_context() -> Any:
    import ssl

    return ssl.create_default_context()


# -- every connection failure is retried (Part 4 section 5.3)


async def _answer_every_request(answer: bytes) -> tuple[asyncio.Server, list[float]]:
    """A TCP server that answers every HTTP request with ``answer``."""
    hits: list[float] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        hits.append(time.monotonic())
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, HOST, 0), hits


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://127.0.0.1/maintenance", HandshakeError),  # InvalidURI
        ("ftp://x/", HandshakeError),
        ("ws:///nohost", HandshakeError),
        ("/ocpp/CS1", HandshakeError),  # a redirect loop: SecurityError
        # websockets >= 14 follows redirects, and its urljoin() raises ValueError
        # here; websockets 13 does not follow them (HandshakeError, HTTP 302).
        ("wss://[::1", (ValueError, HandshakeError)),
    ],
)
def test_a_redirect_to_an_unusable_url_is_retried(
    location: str, error: type[Exception] | tuple[type[Exception], ...]
) -> None:
    async def main() -> None:
        server, hits = await _answer_every_request(
            f"HTTP/1.1 302 Found\r\nLocation: {location}\r\n"
            "Content-Length: 0\r\n\r\n".encode()
        )
        port = server.sockets[0].getsockname()[1]
        client = ChargingStationClient(
            f"ws://{HOST}:{port}/ocpp",
            "CS1",
            Recorder(),
            back_off=BackOff(wait_minimum=0.01, random_range=0, repeat_times=0),
            max_attempts=3,
        )
        with pytest.raises(error):
            await bounded(client.run())
        assert client.failed_attempts == 3  # retried, not ended by the first
        assert len(hits) >= 3
        server.close()
        await bounded(server.wait_closed())

    run(main())


def test_a_redirect_to_http_does_not_end_run() -> None:
    async def main() -> None:
        server, hits = await _answer_every_request(
            b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1/x\r\n"
            b"Content-Length: 0\r\n\r\n"
        )
        port = server.sockets[0].getsockname()[1]
        client = ChargingStationClient(
            f"ws://{HOST}:{port}/ocpp",
            "CS1",
            Recorder(),
            back_off=BackOff(wait_minimum=0.01, random_range=0, repeat_times=1),
        )
        task = client.start()
        for _ in range(300):  # bounded: at most 3 s
            if len(hits) >= 4:
                break
            await asyncio.sleep(0.01)
        assert len(hits) >= 4
        assert not task.done()  # still trying
        assert isinstance(client.last_error, HandshakeError)
        await bounded(client.close())
        server.close()
        await bounded(server.wait_closed())

    run(main())


def test_an_unexpected_error_of_an_attempt_is_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # websockets raises ValueError for some redirects (with a preexisting socket,
    # a Unix socket, or an explicit host/port): still a failed attempt.
    calls: list[str] = []

    async def failing_connect(url: str, **kwargs: Any) -> Any:
        calls.append(url)
        raise ValueError("cannot follow redirect")

    monkeypatch.setattr(ws_client, "ws_connect", failing_connect)

    async def main() -> None:
        client = ChargingStationClient(
            f"ws://{HOST}:9/ocpp",
            "CS1",
            Recorder(),
            back_off=BackOff(wait_minimum=0.01, random_range=0, repeat_times=0),
            max_attempts=3,
        )
        with pytest.raises(ValueError, match="redirect"):
            await bounded(client.run())
        assert len(calls) == 3

    with caplog.at_level(logging.WARNING, logger="ocpp201.websocket"):
        run(main())
    assert sum("connection attempt failed" in r.message for r in caplog.records) == 3


def test_back_off_with_a_huge_repeat_times_does_not_end_run() -> None:
    # 2.0 ** 1024 overflowed after 1024 failed attempts and ended run().
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            url = server.url
        client = ChargingStationClient(
            url,
            "CS1",
            Recorder(),
            back_off=BackOff(wait_minimum=0, random_range=0, repeat_times=2000),
            max_attempts=1030,
        )
        with pytest.raises(ConnectionRefusedError):
            await bounded(client.run(), 15.0)
        assert client.failed_attempts == 1030

    run(main(), timeout=25.0)


# -- wait_connected() does not outlive run()


def test_wait_connected_raises_once_run_gave_up() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            url = server.url
        client = ChargingStationClient(
            url, "CS1", Recorder(), back_off=BackOff(0.01, 0, 0), max_attempts=2
        )
        waiter = asyncio.ensure_future(client.wait_connected(timeout=STEP))
        task = client.start()
        start = time.monotonic()
        with pytest.raises(ConnectionRefusedError):
            await bounded(waiter)
        assert time.monotonic() - start < 1.0
        assert task.done()
        # and again, now that run() has ended
        with pytest.raises(ConnectionRefusedError):
            await bounded(client.wait_connected(timeout=STEP), 1.0)
        with pytest.raises(ConnectionRefusedError):
            await bounded(client.close())

    run(main())


def test_wait_connected_raises_the_factory_error() -> None:
    def factory(identity: str, connection: WebSocketConnection) -> EchoEndpoint:
        raise RuntimeError("bad factory")

    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            client = ChargingStationClient(server.url, "CS1", factory)
            run_task = asyncio.ensure_future(client.run())  # run() without start()
            with pytest.raises(RuntimeError, match="bad factory"):
                await bounded(client.wait_connected(timeout=STEP), 1.0)
            with pytest.raises(RuntimeError, match="bad factory"):
                await bounded(run_task)

    run(main())


def test_wait_connected_raises_after_close() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            client = ChargingStationClient(server.url, "CS1", Recorder())
            async with client:
                await bounded(client.wait_connected())
            with pytest.raises(ConnectionClosedError, match="closed"):
                await bounded(client.wait_connected(timeout=STEP), 1.0)
            # closed before it ever ran
            unused = ChargingStationClient(server.url, "CS2", Recorder())
            await bounded(unused.close())
            with pytest.raises(ConnectionClosedError, match="closed"):
                await bounded(unused.wait_connected(timeout=STEP), 1.0)

    run(main())


def test_wait_connected_waits_for_a_later_start() -> None:
    async def main() -> None:
        async with serve(Recorder(), HOST, 0) as server:
            client = ChargingStationClient(server.url, "CS1", Recorder())
            waiter = asyncio.ensure_future(client.wait_connected(timeout=STEP))
            await asyncio.sleep(0.05)
            assert not waiter.done()
            async with client:
                endpoint = await bounded(waiter)
                assert endpoint is client.endpoint

    run(main())


# -- close() is bounded


async def _mute_server(
    *, handshake: bool
) -> tuple[asyncio.Server, Callable[[], Awaitable[None]]]:
    """A TCP server that never answers (or, with ``handshake``, completes the
    WebSocket handshake and then ignores every frame, the close frame included)."""
    writers: list[asyncio.StreamWriter] = []

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writers.append(writer)
        request = await reader.readuntil(b"\r\n\r\n")
        if handshake:
            key = next(
                line.split(b":", 1)[1].strip()
                for line in request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(
                hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
            )
            writer.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
                b"Sec-WebSocket-Protocol: ocpp2.0.1\r\n\r\n"
            )
        while await reader.read(4096):  # ignore everything until the peer leaves
            pass

    server = await asyncio.start_server(handle, HOST, 0)

    async def stop() -> None:
        for writer in writers:
            writer.close()
        server.close()
        await bounded(server.wait_closed())

    return server, stop


def test_close_does_not_wait_for_an_opening_handshake_without_timeout() -> None:
    async def main() -> None:
        server, stop = await _mute_server(handshake=False)
        port = server.sockets[0].getsockname()[1]
        client = ChargingStationClient(
            f"ws://{HOST}:{port}/ocpp", "CS1", Recorder(), open_timeout=None
        )
        client.start()
        await asyncio.sleep(0.1)  # the attempt now waits for an HTTP answer
        start = time.monotonic()
        await bounded(client.close(), 2.0)
        assert time.monotonic() - start < 1.0
        assert client.connections == 0
        await stop()

    run(main())


def test_close_is_bounded_without_close_timeout() -> None:
    async def main() -> None:
        server, stop = await _mute_server(handshake=True)
        port = server.sockets[0].getsockname()[1]
        client = ChargingStationClient(
            f"ws://{HOST}:{port}/ocpp",
            "CS1",
            Recorder(),
            close_timeout=None,
            close_bound=0.2,
            compression=False,
        )
        client.start()
        await bounded(client.wait_connected())
        start = time.monotonic()
        await bounded(client.close(), 3.0)  # the peer never answers the close
        assert time.monotonic() - start < 1.5
        await stop()

    run(main())
