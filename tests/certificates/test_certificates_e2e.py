"""End to end over real WebSockets with TLS on 127.0.0.1 (security profile 3).

A station built with ``CertificateHandlers`` connects with its factory certificate
(mutual TLS), is triggered to renew it (A02): SignCertificate -> CertificateSigned ->
it reconnects with the new certificate, which the CSMS sees in the TLS handshake.
Then the CSMS manages the station's CA certificates: InstallCertificate,
GetInstalledCertificateIds, DeleteCertificate (M03-M05), and a bad CertificateSigned
gets Rejected plus the InvalidChargingStationCertificate security event.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ocpp201 import CSMS, Action, after, on
from ocpp201 import messages as m
from ocpp201.certificates import (
    CertificateAuthority,
    CertificateHandlers,
    CertificateStore,
    CsrSubject,
    StationCertificates,
    build_csr,
    certificate_hash_data,
    certificate_pem,
    check_client_certificate,
    check_csr,
    generate_private_key,
    private_key_pem,
)
from ocpp201.datatypes import StatusInfoType
from ocpp201.enums import (
    CertificateSignedStatusEnumType,
    CertificateSigningUseEnumType,
    DeleteCertificateStatusEnumType,
    GenericStatusEnumType,
    GetCertificateIdUseEnumType,
    GetInstalledCertificateStatusEnumType,
    InstallCertificateStatusEnumType,
    InstallCertificateUseEnumType,
    MessageTriggerEnumType,
    TriggerMessageStatusEnumType,
)
from ocpp201.websocket import (
    BackOff,
    ChargingStationClient,
    CSMSServer,
    WebSocketConnection,
    serve,
)

HOST = "127.0.0.1"
IDENTITY = "CS-0042"
T = TypeVar("T")


async def bounded(awaitable: Awaitable[T], timeout: float = 20) -> T:
    return await asyncio.wait_for(awaitable, timeout)


async def eventually(condition: Callable[[], bool], timeout: float = 20) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await bounded(poll(), timeout)


def _connection(server: CSMSServer[Any]) -> WebSocketConnection:
    connection = server.connection(IDENTITY)
    assert connection is not None
    return connection


def _peer_serial(peer: dict[str, Any] | None) -> int | None:
    return None if peer is None else int(peer["serialNumber"], 16)


def _peer_issuer_cn(peer: dict[str, Any] | None) -> str | None:
    if peer is None:
        return None
    for rdn in peer["issuer"]:
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def test_security_profile_3_renewal_and_certificate_management(tmp_path: Path) -> None:
    cso = CertificateAuthority.create_root("CSO Root", organization="Test CSO")
    manufacturer = CertificateAuthority.create_root("Factory CA", organization="Maker")
    server_cert, server_key = cso.issue_server_certificate(HOST)
    (tmp_path / "csms.pem").write_text(certificate_pem(server_cert))
    (tmp_path / "csms.key").write_bytes(private_key_pem(server_key))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(tmp_path / "csms.pem", tmp_path / "csms.key")
    server_context.load_verify_locations(cadata=cso.pem + manufacturer.pem)
    server_context.verify_mode = ssl.CERT_REQUIRED

    # The station's factory credentials (A00.FR.801/804), signed by the maker.
    factory_key = generate_private_key()
    factory_cert = manufacturer.sign_csr(
        build_csr(factory_key, CsrSubject(common_name=IDENTITY, organization="Maker"))
    )
    (tmp_path / "factory.pem").write_text(certificate_pem(factory_cert))
    (tmp_path / "factory.key").write_bytes(private_key_pem(factory_key))

    store = CertificateStore(tmp_path / "station")
    assert (
        store.install(
            InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE, cso.pem
        ).status
        is InstallCertificateStatusEnumType.ACCEPTED
    )
    certificates = StationCertificates(
        store=store, organization="Test CSO", serial_number=IDENTITY
    )
    client_context = certificates.client_ssl_context()
    assert store.station_certificate() is None
    client_context.load_cert_chain(tmp_path / "factory.pem", tmp_path / "factory.key")

    class Station(CertificateHandlers):
        pass

    Station.certificates = certificates

    issued: list[int] = []
    signed_responses: list[m.CertificateSignedResponse] = []
    security_events: list[m.SecurityEventNotificationRequest] = []

    class TestCSMS(CSMS):
        @on(Action.SIGN_CERTIFICATE)
        def sign(self, request: m.SignCertificateRequest) -> m.SignCertificateResponse:
            try:
                check_csr(request.csr, common_name=self.identity)
            except ValueError as exc:
                return m.SignCertificateResponse(
                    status=GenericStatusEnumType.REJECTED,
                    status_info=StatusInfoType(
                        reason_code="InvalidCSR", additional_info=str(exc)[:512]
                    ),
                )
            return m.SignCertificateResponse(status=GenericStatusEnumType.ACCEPTED)

        @after(Action.SIGN_CERTIFICATE)
        async def signed(
            self, request: m.SignCertificateRequest, response: m.SignCertificateResponse
        ) -> None:
            if response.status is not GenericStatusEnumType.ACCEPTED:
                return
            certificate = cso.sign_csr(request.csr)
            issued.append(certificate.serial_number)
            answer = await self.call(
                m.CertificateSignedRequest(
                    certificate_chain=certificate_pem(certificate),
                    certificate_type=request.certificate_type,
                )
            )
            signed_responses.append(answer)

        @on(Action.SECURITY_EVENT_NOTIFICATION)
        def event(
            self, request: m.SecurityEventNotificationRequest
        ) -> m.SecurityEventNotificationResponse:
            security_events.append(request)
            return m.SecurityEventNotificationResponse()

    async def main() -> None:
        async with serve(TestCSMS, HOST, 0, path="/ocpp", ssl=server_context) as server:
            client = ChargingStationClient(
                server.url,
                IDENTITY,
                Station,
                ssl=client_context,
                back_off=BackOff(wait_minimum=0.05, random_range=0, repeat_times=0),
            )
            async with client:
                csms = await bounded(server.wait_for_station(IDENTITY))
                first = _connection(server).peer_certificate
                assert _peer_issuer_cn(first) == "Factory CA"
                check_client_certificate(first, common_name=IDENTITY)
                with pytest.raises(ValueError, match=r"A00\.FR\.404"):
                    check_client_certificate(
                        first, common_name=IDENTITY, organization="Test CSO"
                    )

                # A02: the CSMS triggers the renewal.
                trigger = await bounded(
                    csms.call(
                        m.TriggerMessageRequest(
                            requested_message=(
                                MessageTriggerEnumType.SIGN_CHARGING_STATION_CERTIFICATE
                            )
                        )
                    )
                )
                assert trigger.status is TriggerMessageStatusEnumType.ACCEPTED
                await eventually(lambda: len(signed_responses) == 1)
                assert signed_responses[0].status is (
                    CertificateSignedStatusEnumType.ACCEPTED
                )

                # The station reconnects with the new certificate (A02.FR.08).
                def renewed() -> bool:
                    connection = server.connection(IDENTITY)
                    return (
                        connection is not None
                        and _peer_serial(connection.peer_certificate) == issued[0]
                    )

                await eventually(renewed)
                # The server sees the new connection a moment before the client
                # counts it (its handshake completes first).
                await eventually(lambda: client.connections == 2)
                csms = await bounded(server.wait_for_station(IDENTITY))
                peer = _connection(server).peer_certificate
                assert _peer_issuer_cn(peer) == "CSO Root"
                check_client_certificate(
                    peer, common_name=IDENTITY, organization="Test CSO"
                )
                with pytest.raises(ValueError, match=r"A00\.FR\.405"):
                    check_client_certificate(peer, common_name="CS-9999")
                with pytest.raises(ValueError, match="no verified"):
                    check_client_certificate(None, common_name=IDENTITY)
                own = store.station_certificate()
                assert own is not None and own.certificate.serial_number == issued[0]

                # M05: install a V2G root; M03: list; M04: delete.
                v2g_root = CertificateAuthority.create_root("V2G Root")
                installed = await bounded(
                    csms.call(
                        m.InstallCertificateRequest(
                            certificate_type=(
                                InstallCertificateUseEnumType.V2G_ROOT_CERTIFICATE
                            ),
                            certificate=v2g_root.pem,
                        )
                    )
                )
                assert installed.status is InstallCertificateStatusEnumType.ACCEPTED
                refused = await bounded(
                    csms.call(
                        m.InstallCertificateRequest(
                            certificate_type=(
                                InstallCertificateUseEnumType.MO_ROOT_CERTIFICATE
                            ),
                            certificate=certificate_pem(server_cert),  # not a CA
                        )
                    )
                )
                assert refused.status is InstallCertificateStatusEnumType.REJECTED
                assert refused.status_info is not None
                assert refused.status_info.reason_code == "InvalidCertificate"

                listing = await bounded(
                    csms.call(m.GetInstalledCertificateIdsRequest())
                )
                assert listing.status is GetInstalledCertificateStatusEnumType.ACCEPTED
                by_use = {
                    entry.certificate_type: entry.certificate_hash_data
                    for entry in listing.certificate_hash_data_chain or []
                }
                assert set(by_use) == {
                    GetCertificateIdUseEnumType.CSMS_ROOT_CERTIFICATE,
                    GetCertificateIdUseEnumType.V2G_ROOT_CERTIFICATE,
                }
                v2g_hash = by_use[GetCertificateIdUseEnumType.V2G_ROOT_CERTIFICATE]
                assert v2g_hash == certificate_hash_data(
                    v2g_root.certificate, v2g_root.certificate
                )

                deleted = await bounded(
                    csms.call(
                        m.DeleteCertificateRequest(certificate_hash_data=v2g_hash)
                    )
                )
                assert deleted.status is DeleteCertificateStatusEnumType.ACCEPTED
                again = await bounded(
                    csms.call(
                        m.DeleteCertificateRequest(certificate_hash_data=v2g_hash)
                    )
                )
                assert again.status is DeleteCertificateStatusEnumType.NOT_FOUND
                none_left = await bounded(
                    csms.call(
                        m.GetInstalledCertificateIdsRequest(
                            certificate_type=[
                                GetCertificateIdUseEnumType.V2G_ROOT_CERTIFICATE
                            ]
                        )
                    )
                )
                assert none_left.status is (
                    GetInstalledCertificateStatusEnumType.NOT_FOUND
                )
                assert none_left.certificate_hash_data_chain is None
                # The station's own certificate cannot be deleted (M04.FR.06).
                own_hash = certificate_hash_data(own.certificate, cso.certificate)
                kept = await bounded(
                    csms.call(
                        m.DeleteCertificateRequest(certificate_hash_data=own_hash)
                    )
                )
                assert kept.status is DeleteCertificateStatusEnumType.FAILED

                # A CertificateSigned the station did not ask for: Rejected, and the
                # security event of A02.FR.07.
                stranger = cso.sign_csr(
                    build_csr(
                        generate_private_key(),
                        CsrSubject(common_name=IDENTITY, organization="Test CSO"),
                    )
                )
                rejected = await bounded(
                    csms.call(
                        m.CertificateSignedRequest(
                            certificate_chain=certificate_pem(stranger),
                            certificate_type=(
                                CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
                            ),
                        )
                    )
                )
                assert rejected.status is CertificateSignedStatusEnumType.REJECTED
                assert rejected.status_info is not None
                assert rejected.status_info.reason_code == "InvalidCertificate"
                await eventually(lambda: len(security_events) == 1)
                assert security_events[0].type == "InvalidChargingStationCertificate"
                assert "KeyMismatch" in (security_events[0].tech_info or "")
                assert client.connections == 2  # no reconnection for a rejection

    asyncio.run(main())
