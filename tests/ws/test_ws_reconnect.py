"""ChargingStationClient: staying connected with the Part 4 section 5.3 back-off."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

import pytest
from ws_helpers import HOST, STEP, EchoEndpoint, Recorder, bounded, run

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
        with pytest.raises(OSError):
            await bounded(client.run())
        assert client.failed_attempts == 4
        assert time.monotonic() - start >= 0.03  # three waits of 0.01 s

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
    with pytest.raises(ValueError, match="ws://"):
        ChargingStationClient("http://h/ocpp", "CS1", Recorder())
