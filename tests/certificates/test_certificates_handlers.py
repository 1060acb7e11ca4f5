"""The station handlers over an in-memory connection: the A02/A03 resend back-off
(FR.17-20) and the answers to the certificate messages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import ocpp201
from ocpp201 import CSMS, Action, after, on
from ocpp201 import messages as m
from ocpp201.certificates import (
    CertificateAuthority,
    CertificateHandlers,
    CertificateStore,
    StationCertificates,
    certificate_pem,
    load_csr,
)
from ocpp201.enums import (
    CertificateSignedStatusEnumType,
    GenericStatusEnumType,
    InstallCertificateUseEnumType,
    MessageTriggerEnumType,
    TriggerMessageStatusEnumType,
)

DER, SPKI = Encoding.DER, PublicFormat.SubjectPublicKeyInfo
CA = CertificateAuthority.create_root("CSO Root", organization="CSO")


def _certificates(tmp_path: Path, **options: object) -> StationCertificates:
    store = CertificateStore(tmp_path)
    store.install(InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE, CA.pem)
    return StationCertificates(
        store=store,
        organization="CSO",
        serial_number="CS1",
        **options,  # type: ignore[arg-type]
    )


class Station(CertificateHandlers):
    reconnect_with_new_certificate = False


class SigningCSMS(CSMS):
    """Accepts every CSR; signs only the ``sign_from``-th and later ones."""

    sign_from: ClassVar[int] = 1
    garbage: ClassVar[bool] = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.csrs: list[str] = []
        self.answers: list[m.CertificateSignedResponse] = []
        self.events: list[m.SecurityEventNotificationRequest] = []

    @on(Action.SIGN_CERTIFICATE)
    def sign(self, request: m.SignCertificateRequest) -> m.SignCertificateResponse:
        self.csrs.append(request.csr)
        return m.SignCertificateResponse(status=GenericStatusEnumType.ACCEPTED)

    @after(Action.SIGN_CERTIFICATE)
    async def signed(self, request: m.SignCertificateRequest) -> None:
        if len(self.csrs) < self.sign_from:
            return
        chain = certificate_pem(CA.sign_csr(request.csr))
        if self.garbage:
            chain = CA.pem  # a certificate that is not for the CSR's key
        self.answers.append(
            await self.call(m.CertificateSignedRequest(certificate_chain=chain))
        )

    @on(Action.SECURITY_EVENT_NOTIFICATION)
    def event(
        self, request: m.SecurityEventNotificationRequest
    ) -> m.SecurityEventNotificationResponse:
        self.events.append(request)
        return m.SecurityEventNotificationResponse()


async def _pair(
    certificates: StationCertificates, csms_class: type[SigningCSMS]
) -> tuple[Station, SigningCSMS]:
    a, b = ocpp201.memory_pair()
    station = Station("CS1", a)
    station.certificates = certificates
    return station, csms_class("CS1", b)


def test_resend_with_back_off_until_signed(tmp_path: Path) -> None:
    class ThirdTime(SigningCSMS):
        sign_from = 3

    certificates = _certificates(
        tmp_path, cert_signing_wait_minimum=0.05, cert_signing_repeat_times=3
    )

    async def main() -> None:
        station, csms = await _pair(certificates, ThirdTime)
        async with station, csms:
            assert await asyncio.wait_for(station.renew_certificate(), 10) is True
        assert len(csms.csrs) == 3
        # A new key pair for every CSR (A02.FR.17 allows it; we always do).
        keys = {load_csr(csr).public_key().public_bytes(DER, SPKI) for csr in csms.csrs}
        assert len(keys) == 3
        own = certificates.store.station_certificate()
        assert own is not None
        assert own.certificate.public_key() == load_csr(csms.csrs[2]).public_key()

    asyncio.run(main())


def test_resending_stops_after_the_repeat_times(tmp_path: Path) -> None:
    class Never(SigningCSMS):
        sign_from = 100

    certificates = _certificates(
        tmp_path, cert_signing_wait_minimum=0.02, cert_signing_repeat_times=2
    )

    async def main() -> None:
        station, csms = await _pair(certificates, Never)
        async with station, csms:
            assert await asyncio.wait_for(station.renew_certificate(), 10) is False
        assert len(csms.csrs) == 3  # the first and two repetitions (A02.FR.19)

    asyncio.run(main())


def test_rejected_certificate_stops_and_raises_the_security_event(
    tmp_path: Path,
) -> None:
    class Garbage(SigningCSMS):
        garbage = True

    certificates = _certificates(tmp_path, cert_signing_wait_minimum=0.05)

    async def main() -> None:
        station, csms = await _pair(certificates, Garbage)
        async with station, csms:
            assert await asyncio.wait_for(station.renew_certificate(), 10) is False

            async def event() -> None:
                while not csms.events:
                    await asyncio.sleep(0.01)

            await asyncio.wait_for(event(), 10)
        assert len(csms.csrs) == 1  # no resending after a rejection (A02.FR.20)
        assert csms.answers[0].status is CertificateSignedStatusEnumType.REJECTED
        assert csms.events[0].type == "InvalidChargingStationCertificate"
        assert certificates.security_events == type(certificates.security_events)()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("trigger", "status"),
    [
        (MessageTriggerEnumType.SIGN_CHARGING_STATION_CERTIFICATE, "Accepted"),
        (MessageTriggerEnumType.SIGN_V2G_CERTIFICATE, "NotImplemented"),
        (MessageTriggerEnumType.SIGN_COMBINED_CERTIFICATE, "NotImplemented"),
        (MessageTriggerEnumType.HEARTBEAT, "NotImplemented"),
    ],
)
def test_trigger_message(
    tmp_path: Path, trigger: MessageTriggerEnumType, status: str
) -> None:
    certificates = _certificates(tmp_path)

    async def main() -> None:
        station, csms = await _pair(certificates, SigningCSMS)
        async with station, csms:
            response = await csms.call(
                m.TriggerMessageRequest(requested_message=trigger), timeout=10
            )
            assert response.status is TriggerMessageStatusEnumType(status)
            if status == "Accepted":

                async def signed() -> None:
                    while not csms.answers:
                        await asyncio.sleep(0.01)

                await asyncio.wait_for(signed(), 10)
                assert csms.answers[0].status is (
                    CertificateSignedStatusEnumType.ACCEPTED
                )
            else:
                await asyncio.sleep(0.05)
                assert csms.csrs == []

    asyncio.run(main())


def test_renewal_due(tmp_path: Path) -> None:
    certificates = _certificates(tmp_path)
    assert certificates.renewal_due()  # no certificate yet

    async def main() -> None:
        station, csms = await _pair(certificates, SigningCSMS)
        async with station, csms:
            assert await asyncio.wait_for(station.renew_certificate(), 10) is True

    asyncio.run(main())
    assert not certificates.renewal_due()  # valid for 90 days
    from datetime import timedelta

    assert certificates.renewal_due(within=timedelta(days=120))
