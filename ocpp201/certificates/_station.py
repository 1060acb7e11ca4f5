"""The charging station side, ready to mount: certificate handlers for a ChargePoint.

:class:`StationCertificates` is what survives reconnections: the store, the subject
of the station's CSRs, MaxCertificateChainSize, the TLS context to renew and the
queue of security events not yet delivered.  :class:`CertificateHandlers` is a
``ChargePoint`` subclass whose handlers serve the CSMS's certificate requests from
it:

* TriggerMessage(SignChargingStationCertificate / SignV2GCertificate) -> Accepted,
  then a new key and SignCertificateRequest (A02); other triggers go to
  :meth:`CertificateHandlers.trigger_other` (NotImplemented by default);
* CertificateSigned (A02/A03): the chain is checked against the CSR's key and the
  installed roots; Rejected with a reason and the InvalidChargingStationCertificate
  security event (A02.FR.07), or Accepted, stored, and -- for the charging station
  certificate -- loaded into the TLS context and the connection closed, so that the
  client reconnects with it (A02.FR.08 as amended by the errata);
* InstallCertificate (M05), DeleteCertificate (M04), GetInstalledCertificateIds
  (M03) on the store.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
from datetime import datetime, timedelta, timezone
from typing import Final

from attrs import define, field

from .. import ChargePoint, ConnectionClosedError, OCPPError, after, on
from ..actions import Action
from ..datatypes import StatusInfoType
from ..enums import (
    CertificateSignedStatusEnumType,
    CertificateSigningUseEnumType,
    GenericStatusEnumType,
    GetInstalledCertificateStatusEnumType,
    InstallCertificateUseEnumType,
    MessageTriggerEnumType,
    TriggerMessageStatusEnumType,
)
from ..messages import (
    CertificateSignedRequest,
    CertificateSignedResponse,
    DeleteCertificateRequest,
    DeleteCertificateResponse,
    GetInstalledCertificateIdsRequest,
    GetInstalledCertificateIdsResponse,
    InstallCertificateRequest,
    InstallCertificateResponse,
    SecurityEventNotificationRequest,
    SignCertificateRequest,
    SignCertificateResponse,
    TriggerMessageRequest,
    TriggerMessageResponse,
)
from ._chain import (
    INVALID_CHARGING_STATION_CERTIFICATE,
    MAX_CERTIFICATE_CHAIN_SIZE,
    CertificateChainError,
    ChainProblem,
    verify_certificate_chain,
)
from ._csr import CsrSubject, sign_certificate_request
from ._keys import KeyType
from ._store import CertificateStore, StationCertificate

__all__ = ["CertificateHandlers", "StationCertificates"]

logger = logging.getLogger("ocpp201.certificates")

MAX_QUEUED_SECURITY_EVENTS: Final = 100
RENEWAL_MARGIN: Final = timedelta(days=30)  # A03: "will expire in one month"

_CSMS_ROOT = InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE
_STATION = CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
_V2G = CertificateSigningUseEnumType.V2G_CERTIFICATE

_TRIGGERS: Final = {
    MessageTriggerEnumType.SIGN_CHARGING_STATION_CERTIFICATE: _STATION,
    MessageTriggerEnumType.SIGN_V2G_CERTIFICATE: _V2G,
}


@define(kw_only=True, eq=False)
class StationCertificates:
    """The station's certificate configuration and state (see the module docs).

    Args:
        store: where the certificates and keys live.
        organization: SecurityCtrlr.OrganizationName, the O of the station
            certificate (A00.FR.509).
        serial_number: the station's unique serial number, the CN of the station
            certificate (A00.FR.511).
        v2g: the subject of V2G certificate CSRs (CN = ISO15118Ctrlr.SeccId, O, C);
            ``None``: no ISO 15118 certificate (SignV2GCertificate is answered
            NotImplemented).
        key_type: the key pairs to generate.
        max_chain_size: SecurityCtrlr.MaxCertificateChainSize (A02.FR.16).
        ssl_context: the client TLS context the connection uses; the station
            certificate is loaded into it once accepted (see
            :meth:`client_ssl_context`).
        cert_signing_wait_minimum: SecurityCtrlr.CertSigningWaitMinimum, seconds
            (A02.FR.17); ``None``: :meth:`CertificateHandlers.renew_certificate`
            waits without resending.
        cert_signing_repeat_times: SecurityCtrlr.CertSigningRepeatTimes
            (A02.FR.18/19).
    """

    store: CertificateStore
    organization: str
    serial_number: str
    v2g: CsrSubject | None = None
    key_type: KeyType = KeyType.EC_P256
    max_chain_size: int | None = MAX_CERTIFICATE_CHAIN_SIZE
    ssl_context: ssl.SSLContext | None = None
    cert_signing_wait_minimum: float | None = None
    cert_signing_repeat_times: int = 3
    security_events: collections.deque[SecurityEventNotificationRequest] = field(
        factory=lambda: collections.deque(maxlen=MAX_QUEUED_SECURITY_EVENTS)
    )
    """Security events waiting to be sent (A04.FR.02), oldest first, bounded."""
    _outcomes: dict[CertificateSigningUseEnumType, asyncio.Future[bool]] = field(
        factory=dict, init=False, repr=False
    )

    def _outcome(self, use: CertificateSigningUseEnumType) -> asyncio.Future[bool]:
        """The outcome of the next CertificateSigned of ``use`` (True: Accepted)."""
        future = self._outcomes.get(use)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._outcomes[use] = future
        return future

    def _settle(self, use: CertificateSigningUseEnumType, accepted: bool) -> None:
        future = self._outcomes.pop(use, None)
        if future is not None and not future.done():
            future.set_result(accepted)

    def subject(self, use: CertificateSigningUseEnumType | None) -> CsrSubject | None:
        """The CSR subject for ``use`` (``None`` when the V2G one is not set up)."""
        if use is _V2G:
            return self.v2g
        return CsrSubject(
            common_name=self.serial_number, organization=self.organization
        )

    def new_sign_certificate_request(
        self, use: CertificateSigningUseEnumType = _STATION
    ) -> SignCertificateRequest:
        """A new key pair (kept pending in the store) and its SignCertificateRequest.

        Raises:
            LookupError: no V2G subject is configured and ``use`` is V2G.
        """
        subject = self.subject(use)
        if subject is None:
            raise LookupError("no V2G certificate subject is configured")
        key = self.store.new_key(use, self.key_type)
        return sign_certificate_request(key, subject, use)

    def trusted_roots_for(
        self, use: CertificateSigningUseEnumType
    ) -> InstallCertificateUseEnumType:
        """Where the chain of ``use`` must lead: the CSMS roots for the station
        certificate (the CSO hierarchy, 1.4.2), the V2G roots for a V2G one."""
        if use is _V2G:
            return InstallCertificateUseEnumType.V2G_ROOT_CERTIFICATE
        return _CSMS_ROOT

    def accept(
        self, request: CertificateSignedRequest, *, now: datetime | None = None
    ) -> tuple[CertificateSignedResponse, StationCertificate | None]:
        """Check and store a CertificateSigned chain: the response, and the stored
        certificate when Accepted."""
        use = request.certificate_type or _STATION
        try:
            key = self.store.pending_key(use)
            if key is None:
                raise CertificateChainError(
                    ChainProblem.KEY_MISMATCH, f"no CSR of {use.value} is pending"
                )
            subject = self.subject(use)
            chain = verify_certificate_chain(
                request.certificate_chain,
                trusted_roots=self.store.roots(self.trusted_roots_for(use)),
                key=key,
                now=now,
                max_chain_size=self.max_chain_size,
                # O must be present (checked always); the CA may spell the CSO's
                # name its own way, so only the CN is compared (A00.FR.511).
                common_name=subject.common_name if subject else None,
            )
        except CertificateChainError as exc:
            logger.warning("CertificateSigned rejected: %s", exc)
            self._settle(use, False)
            return exc.response(), None
        try:
            stored = self.store.store_signed(use, chain)
        except (OSError, LookupError, ValueError) as exc:
            logger.error("CertificateSigned: could not store the certificate: %s", exc)
            return (
                CertificateSignedResponse(
                    status=CertificateSignedStatusEnumType.REJECTED,
                    status_info=StatusInfoType(
                        reason_code="OutOfStorage", additional_info=str(exc)[:512]
                    ),
                ),
                None,
            )
        self._settle(use, True)
        return CertificateSignedResponse(
            status=CertificateSignedStatusEnumType.ACCEPTED
        ), stored

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client TLS context for security profiles 2 and 3, kept as
        :attr:`ssl_context`: TLS 1.2 or later (A00.FR.313), the installed
        CSMSRootCertificates as trust anchors, and the newest valid station
        certificate as client certificate, if there is one.

        Raises:
            ValueError: no CSMSRootCertificate is installed.
        """
        roots = self.store.roots_pem(_CSMS_ROOT)
        if not roots:
            raise ValueError("no CSMSRootCertificate is installed")
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=roots)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # Installed CSMS roots are trust anchors even when one is signed by its
        # predecessor (AdditionalRootCertificateCheck): partial chains end there.
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        self.ssl_context = context
        self.load_station_certificate()
        return context

    def load_station_certificate(self) -> StationCertificate | None:
        """Load the newest valid station certificate into :attr:`ssl_context` (for
        the next connections) and return it."""
        current = self.store.station_certificate(_STATION)
        if current is not None and self.ssl_context is not None:
            self.ssl_context.load_cert_chain(current.chain_file, current.key_file)
        return current

    def renewal_due(
        self, within: timedelta = RENEWAL_MARGIN, *, now: datetime | None = None
    ) -> bool:
        """Whether the station should renew its certificate (A03.FR.02): it has no
        valid charging station certificate, or the newest one expires ``within``
        (one month by default)."""
        when = now or datetime.now(timezone.utc)
        current = self.store.station_certificate(_STATION, now=when)
        return (
            current is None or current.certificate.not_valid_after_utc - when <= within
        )

    def record_security_event(self, event_type: str, tech_info: str | None) -> None:
        """Queue a security event (sent by ``send_security_events``)."""
        self.security_events.append(
            SecurityEventNotificationRequest(
                type=event_type,
                timestamp=datetime.now(timezone.utc),
                tech_info=tech_info[:255] if tech_info else None,
            )
        )


class CertificateHandlers(ChargePoint):
    """A ``ChargePoint`` with the certificate handlers (see the module docs).

    Set :attr:`certificates` (a class attribute, or in ``__init__``) and subclass
    it -- or put it before other ``ChargePoint`` mixins.  A subclass handler for one
    of these actions replaces the one here.
    """

    certificates: StationCertificates
    reconnect_with_new_certificate: bool = True
    """Close the connection once a new charging station certificate is accepted,
    so that the client reconnects with it (A02.FR.08)."""

    # ------------------------------------------------------------- A02 / A03

    @on(Action.TRIGGER_MESSAGE)
    async def certificate_trigger_message(
        self, request: TriggerMessageRequest
    ) -> TriggerMessageResponse:
        """Accept the Sign* triggers; other triggers go to :meth:`trigger_other`."""
        use = _TRIGGERS.get(request.requested_message)
        if use is None:
            return await self.trigger_other(request)
        if self.certificates.subject(use) is None:
            return TriggerMessageResponse(
                status=TriggerMessageStatusEnumType.NOT_IMPLEMENTED
            )
        return TriggerMessageResponse(status=TriggerMessageStatusEnumType.ACCEPTED)

    async def trigger_other(
        self, request: TriggerMessageRequest
    ) -> TriggerMessageResponse:
        """The answer to the other TriggerMessages: NotImplemented; override it."""
        return TriggerMessageResponse(
            status=TriggerMessageStatusEnumType.NOT_IMPLEMENTED
        )

    @after(Action.TRIGGER_MESSAGE)
    async def certificate_after_trigger(
        self, request: TriggerMessageRequest, response: TriggerMessageResponse
    ) -> None:
        use = _TRIGGERS.get(request.requested_message)
        if use is not None and response.status is TriggerMessageStatusEnumType.ACCEPTED:
            await self.request_certificate(use)

    async def renew_certificate(
        self, use: CertificateSigningUseEnumType = _STATION
    ) -> bool:
        """Renew a certificate with the resend back-off of A02/A03.FR.17-19.

        Sends a CSR (:meth:`request_certificate`).  When the CSMS accepted it but no
        CertificateSigned came within CertSigningWaitMinimum seconds, a new CSR (for
        a new key pair) is sent and the wait doubles, at most CertSigningRepeatTimes
        times.  Returns True once a certificate was accepted; False when the CSMS
        rejected the CSR, when a CertificateSigned was rejected (then the station
        waits for a trigger, A02.FR.20) or when the repetitions ran out (A02.FR.19).
        Run it from a session: it ends with the connection.
        """
        wait = self.certificates.cert_signing_wait_minimum
        for _ in range(max(0, self.certificates.cert_signing_repeat_times) + 1):
            outcome = self.certificates._outcome(use)
            response = await self.request_certificate(use)
            if response.status is not GenericStatusEnumType.ACCEPTED:
                return False
            try:
                return await asyncio.wait_for(asyncio.shield(outcome), wait)
            except asyncio.TimeoutError:
                assert wait is not None
                wait *= 2
        return False

    async def request_certificate(
        self, use: CertificateSigningUseEnumType = _STATION
    ) -> SignCertificateResponse:
        """Generate a key pair and send its CSR (A02 after a trigger, A03 on the
        station's own initiative, e.g. a month before expiry)."""
        request = self.certificates.new_sign_certificate_request(use)
        response = await self.call(request)
        logger.info(
            "%s: SignCertificate(%s): %s",
            self.identity,
            use.value,
            response.status.value,
        )
        return response

    @on(Action.CERTIFICATE_SIGNED)
    async def certificate_signed(
        self, request: CertificateSignedRequest
    ) -> CertificateSignedResponse:
        response, _ = self.certificates.accept(request)
        return response

    @after(Action.CERTIFICATE_SIGNED)
    async def certificate_after_signed(
        self, request: CertificateSignedRequest, response: CertificateSignedResponse
    ) -> None:
        if response.status is CertificateSignedStatusEnumType.REJECTED:
            info = response.status_info
            self.certificates.record_security_event(
                INVALID_CHARGING_STATION_CERTIFICATE,
                info.additional_info if info is not None else None,
            )
            await self.send_security_events()
            return
        use = request.certificate_type or _STATION
        newest = self.certificates.store.station_certificate(use)
        if newest is not None:
            await self.new_certificate(newest)

    async def new_certificate(self, certificate: StationCertificate) -> None:
        """Called once a new certificate is accepted and stored.  By default, for
        the charging station certificate: load it into the TLS context and close
        the connection to reconnect with it (A02.FR.08)."""
        if certificate.use is not _STATION:
            return
        self.certificates.load_station_certificate()
        if self.reconnect_with_new_certificate:
            logger.info("%s: reconnecting with the new certificate", self.identity)
            await self.close()

    async def send_security_events(self) -> int:
        """Send the queued security events, oldest first; return how many went.

        An event stays queued when sending it fails (A04.FR.02)."""
        sent = 0
        queue = self.certificates.security_events
        while queue:
            try:
                await self.call(queue[0])
            except (OCPPError, ConnectionClosedError, TimeoutError) as exc:
                logger.info("%s: security event not sent yet: %s", self.identity, exc)
                break
            queue.popleft()
            sent += 1
        return sent

    # --------------------------------------------------------------- M03-M05

    @on(Action.INSTALL_CERTIFICATE)
    def certificate_install(
        self, request: InstallCertificateRequest
    ) -> InstallCertificateResponse:
        result = self.certificates.store.install(
            request.certificate_type, request.certificate
        )
        info = None
        if result.reason_code is not None:
            info = StatusInfoType(
                reason_code=result.reason_code,
                additional_info=(result.detail or "")[:512] or None,
            )
        return InstallCertificateResponse(status=result.status, status_info=info)

    @on(Action.DELETE_CERTIFICATE)
    def certificate_delete(
        self, request: DeleteCertificateRequest
    ) -> DeleteCertificateResponse:
        return DeleteCertificateResponse(
            status=self.certificates.store.delete(request.certificate_hash_data)
        )

    @on(Action.GET_INSTALLED_CERTIFICATE_IDS)
    def certificate_list(
        self, request: GetInstalledCertificateIdsRequest
    ) -> GetInstalledCertificateIdsResponse:
        found = self.certificates.store.installed(request.certificate_type)
        if not found:
            return GetInstalledCertificateIdsResponse(
                status=GetInstalledCertificateStatusEnumType.NOT_FOUND
            )
        return GetInstalledCertificateIdsResponse(
            status=GetInstalledCertificateStatusEnumType.ACCEPTED,
            certificate_hash_data_chain=found,
        )
