"""wss:// with TLS (security profile 2) and mutual TLS (profile 3).

The certificates are generated per test session by ``trustme``.
"""

from __future__ import annotations

import logging
import ssl
import time
from typing import Any

import pytest
import trustme
from ws_helpers import HOST, Recorder, bounded, client_context, run, server_context

from ocpp201.websocket import HandshakeError, connect, serve


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert(HOST, "localhost")


def test_tls_with_basic_auth(ca: trustme.CA, server_cert: trustme.LeafCert) -> None:
    """Security profile 2: TLS server certificate + HTTP Basic credentials."""

    async def main() -> None:
        recorder = Recorder()
        passwords = {"CS1": "a-long-enough-password"}
        async with serve(
            recorder,
            HOST,
            0,
            path="/ocpp",
            ssl=server_context(ca, server_cert),
            password_for=passwords.get,
        ) as server:
            assert server.url.startswith("wss://")
            context = client_context(ca)
            async with await bounded(
                connect(server.url, "CS1", password=passwords["CS1"], ssl=context)
            ) as conn:
                assert conn.subprotocol == "ocpp2.0.1"
                assert conn.peer_certificate is not None  # the CSMS certificate
                await conn.send("over tls")
                assert await bounded(conn.recv()) == "over tls"
                endpoint = await bounded(server.wait_for_station("CS1"))
                assert endpoint.connection.peer_certificate is None  # no client cert
                assert endpoint.connection.username == "CS1"
            with pytest.raises(HandshakeError) as info:
                await bounded(connect(server.url, "CS1", password="nope", ssl=context))
            assert info.value.status == 401

    run(main())


def test_tls_refuses_an_untrusted_server(server_cert: trustme.LeafCert) -> None:
    async def main() -> None:
        other_ca = trustme.CA()
        async with serve(
            Recorder(), HOST, 0, ssl=server_context(other_ca, server_cert)
        ) as server:
            with pytest.raises(ssl.SSLCertVerificationError):
                await bounded(connect(server.url, "CS1", ssl=client_context(other_ca)))

    run(main())


def test_default_context_uses_the_system_trust_store(
    ca: trustme.CA, server_cert: trustme.LeafCert
) -> None:
    async def main() -> None:
        context = server_context(ca, server_cert)
        async with serve(Recorder(), HOST, 0, ssl=context) as server:
            # No ssl argument: a default context, which does not trust our test CA.
            with pytest.raises(ssl.SSLCertVerificationError):
                await bounded(connect(server.url, "CS1"))

    run(main())


def test_tls_checks_the_host_name(ca: trustme.CA) -> None:
    async def main() -> None:
        wrong_name = ca.issue_cert("csms.example.com")
        async with serve(
            Recorder(), HOST, 0, ssl=server_context(ca, wrong_name)
        ) as server:
            with pytest.raises(ssl.SSLCertVerificationError):
                await bounded(connect(server.url, "CS1", ssl=client_context(ca)))

    run(main())


def test_mutual_tls(
    ca: trustme.CA, server_cert: trustme.LeafCert, caplog: pytest.LogCaptureFixture
) -> None:
    """Security profile 3: the station authenticates with a client certificate."""

    async def main() -> None:
        station_cert = ca.issue_cert("CS1", common_name="CS1")
        recorder = Recorder()
        context = server_context(ca, server_cert, require_client_cert=True)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        async with serve(recorder, HOST, 0, ssl=context) as server:
            async with await bounded(
                connect(server.url, "CS1", ssl=client_context(ca, station_cert))
            ) as conn:
                await conn.send("mutual")
                assert await bounded(conn.recv()) == "mutual"
                endpoint = await bounded(server.wait_for_station("CS1"))
                cert = endpoint.connection.peer_certificate
                assert cert is not None
                subject = dict(pair[0] for pair in cert["subject"])
                assert subject["commonName"] == "CS1"

            # Without a client certificate, or with one from another CA, the
            # server refuses.  With TLS 1.3 (pinned above) the client's handshake
            # completes before the server checks the certificate, so the refusal
            # is the end of the stream where the HTTP answer should be, at once.
            # websockets >= 14 reports it as a HandshakeError without a status,
            # 13 as a plain ConnectionError; HandshakeError is a ConnectionError,
            # a TimeoutError (an OSError too) is not.
            stranger = trustme.CA().issue_cert("CS1")
            for refused in (client_context(ca), client_context(ca, stranger)):
                start = time.monotonic()
                with pytest.raises(ConnectionError) as info:
                    await bounded(connect(server.url, "CS1", ssl=refused))
                if isinstance(info.value, HandshakeError):
                    assert info.value.status is None
                else:
                    assert type(info.value) is ConnectionError, info.value
                assert time.monotonic() - start < 1.0
            assert len(recorder.endpoints) == 1

    with caplog.at_level(logging.WARNING, logger="ocpp201.websocket"):
        run(main())
    # The CSMS says why it refused them (asyncio alone logs nothing).
    refusals = [r.getMessage() for r in caplog.records if "TLS" in r.getMessage()]
    assert len(refusals) == 2, refusals
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in refusals[0], refusals
    assert "CERTIFICATE_VERIFY_FAILED" in refusals[1], refusals


def test_ssl_context_refused_for_ws_urls(ca: trustme.CA) -> None:
    async def main() -> Any:
        async with serve(Recorder(), HOST, 0) as server:
            with pytest.raises(ValueError, match="wss://"):
                await connect(server.url, "CS1", ssl=client_context(ca))

    run(main())
