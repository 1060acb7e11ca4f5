"""Checking the certificate chain of a CertificateSignedRequest (A02/A03 .FR.06).

The station SHALL verify the signed certificate: that the current date is within its
validity period (errata 2025-01 text of A02.FR.06), the Certificate Properties of
Part 2 1.4.1, and that it belongs to the CSO hierarchy (1.4.2).  If it is not valid
the station SHALL answer Rejected, discard it and trigger the security event
``InvalidChargingStationCertificate`` (A02.FR.07, A03.FR.07); a chain larger than
MaxCertificateChainSize is Rejected too (A02.FR.16).

:func:`verify_certificate_chain` checks, in this order, and reports the first
failure as a :class:`CertificateChainError` whose ``problem`` says which check:

1. size (``TOO_LARGE``), 2. PEM syntax (``NOT_PEM``), 3. order, leaf first
(``WRONG_ORDER``), 4. the leaf's key is the CSR's (``KEY_MISMATCH``), 5. validity
periods (``NOT_YET_VALID``, ``EXPIRED``), 6. each certificate signed by the next,
which is a CA allowed to sign it: keyCertSign, pathLenConstraint (``BROKEN_LINK``),
7. the top certificate issued by (or equal to) one of the trusted roots
(``UNTRUSTED_ROOT``), then that root's keyCertSign and pathLenConstraint
(``BROKEN_LINK``), 8. the leaf's properties, then the key sizes of the chain's
CAs (``PROPERTIES``).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from ..datatypes import StatusInfoType
from ..enums import CertificateSignedStatusEnumType
from ..messages import CertificateSignedResponse, SecurityEventNotificationRequest
from ._csr import _check_common_name
from ._hashdata import fingerprint, load_certificates
from ._keys import PrivateKey, PublicKey, check_key_strength, same_public_key

__all__ = [
    "INVALID_CHARGING_STATION_CERTIFICATE",
    "CertificateChainError",
    "ChainProblem",
    "verify_certificate_chain",
]

INVALID_CHARGING_STATION_CERTIFICATE: Final = "InvalidChargingStationCertificate"
"""The security event of A02.FR.07 / A03.FR.07 (Part 2 appendix 1, critical)."""

MAX_CERTIFICATE_CHAIN_SIZE: Final = 10000
"""CertificateSignedRequest.certificateChain is a string[0..10000]."""


class ChainProblem(enum.Enum):
    """Why a certificate chain was refused (one check of the module docs each)."""

    TOO_LARGE = "TooLarge"
    """Longer than MaxCertificateChainSize (A02.FR.16)."""
    NOT_PEM = "NotPem"
    """Not a bundle of PEM certificates (A00.FR.507)."""
    WRONG_ORDER = "WrongOrder"
    """The certificates form a chain, but not leaf first (CertificateSignedRequest)."""
    KEY_MISMATCH = "KeyMismatch"
    """The leaf certificate is not for the key of the station's CSR."""
    NOT_YET_VALID = "NotYetValid"
    """A certificate's validity starts in the future (errata A02.FR.06)."""
    EXPIRED = "Expired"
    """A certificate's validity has ended."""
    BROKEN_LINK = "BrokenLink"
    """A certificate is not signed by the next one, or the next one is no CA allowed
    to sign it (keyCertSign, pathLenConstraint)."""
    UNTRUSTED_ROOT = "UntrustedRoot"
    """The chain does not lead to a trusted root (1.4.2 Certificate Hierarchy)."""
    PROPERTIES = "Properties"
    """The leaf breaks the Certificate Properties (1.4.1): key size, O, CN; or a CA
    of the chain has a too weak key (A00.FR.501-503)."""


class CertificateChainError(ValueError):
    """A chain refused by :func:`verify_certificate_chain`.

    ``problem`` is the :class:`ChainProblem`, ``detail`` a sentence for logs and
    ``statusInfo.additionalInfo``, ``index`` the position (0 = leaf) of the
    certificate concerned, when there is one.
    """

    def __init__(
        self, problem: ChainProblem, detail: str, index: int | None = None
    ) -> None:
        super().__init__(f"{problem.value}: {detail}")
        self.problem = problem
        self.detail = detail
        self.index = index

    @property
    def reason_code(self) -> str:
        """The reason code of Part 2 appendix 5: ``TooLargeElement`` or
        ``InvalidCertificate``."""
        if self.problem is ChainProblem.TOO_LARGE:
            return "TooLargeElement"
        return "InvalidCertificate"

    @property
    def security_event_type(self) -> str:
        """``InvalidChargingStationCertificate`` (A02.FR.07, A03.FR.07)."""
        return INVALID_CHARGING_STATION_CERTIFICATE

    def response(self) -> CertificateSignedResponse:
        """CertificateSignedResponse(Rejected) with the reason in ``statusInfo``."""
        return CertificateSignedResponse(
            status=CertificateSignedStatusEnumType.REJECTED,
            status_info=StatusInfoType(
                reason_code=self.reason_code,
                additional_info=f"{self.problem.value}: {self.detail}"[:512],
            ),
        )

    def security_event(
        self, timestamp: datetime | None = None
    ) -> SecurityEventNotificationRequest:
        """The SecurityEventNotificationRequest the station must send."""
        return SecurityEventNotificationRequest(
            type=self.security_event_type,
            timestamp=timestamp or datetime.now(timezone.utc),
            tech_info=f"{self.problem.value}: {self.detail}"[:255],
        )


_HANDLED_CRITICAL: Final = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.CERTIFICATE_POLICIES,
    }
)
"""Critical extensions a chain may carry; any other critical one (name or policy
constraints, unknown ones) is refused, as RFC 5280 4.2 requires of a verifier
that does not process it."""


def _unhandled_critical(certificate: x509.Certificate) -> str | None:
    for extension in certificate.extensions:
        if extension.critical and extension.oid not in _HANDLED_CRITICAL:
            return (
                f"has the critical extension {extension.oid.dotted_string}, which "
                "is not processed (RFC 5280 4.2)"
            )
    return None


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(
            x509.BasicConstraints
        ).value
    except x509.ExtensionNotFound:
        return False
    return constraints.ca


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _name(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "(empty subject)"


def _check_order(certificates: Sequence[x509.Certificate]) -> None:
    links_in_order = all(
        certificates[i].issuer == certificates[i + 1].subject
        for i in range(len(certificates) - 1)
    )
    if links_in_order and (
        not _is_ca(certificates[0]) or all(_is_ca(c) for c in certificates)
    ):
        return  # leaf first (or no leaf at all: the property check refuses that)
    # Not leaf-first.  If some other order chains them, it is an ordering error;
    # otherwise the links themselves are broken.
    subjects = [c.subject for c in certificates]
    issued_within = sum(
        1
        for i, c in enumerate(certificates)
        if any(c.issuer == s for j, s in enumerate(subjects) if j != i)
    )
    if links_in_order or (
        issued_within >= len(certificates) - 1 and len(set(subjects)) == len(subjects)
    ):
        raise CertificateChainError(
            ChainProblem.WRONG_ORDER,
            "the certificates are not ordered from the leaf up to the issuers",
        )
    for i in range(len(certificates) - 1):
        if certificates[i].issuer != certificates[i + 1].subject:
            raise CertificateChainError(
                ChainProblem.BROKEN_LINK,
                f"certificate {i} ({_name(certificates[i])}) is not issued by "
                f"certificate {i + 1} ({_name(certificates[i + 1])})",
                i,
            )


def _check_validity(certificates: Sequence[x509.Certificate], now: datetime) -> None:
    for i, certificate in enumerate(certificates):
        if now < certificate.not_valid_before_utc:
            raise CertificateChainError(
                ChainProblem.NOT_YET_VALID,
                f"certificate {i} ({_name(certificate)}) is valid only from "
                f"{certificate.not_valid_before_utc.isoformat()}",
                i,
            )
        if now > certificate.not_valid_after_utc:
            raise CertificateChainError(
                ChainProblem.EXPIRED,
                f"certificate {i} ({_name(certificate)}) expired at "
                f"{certificate.not_valid_after_utc.isoformat()}",
                i,
            )


def _issuer_problem(
    issuer: x509.Certificate, below: Sequence[x509.Certificate]
) -> str | None:
    """Why ``issuer`` may not sign the next certificate down, whose path to the
    leaf is ``below`` (leaf first): RFC 5280 6.1.4 (k)-(n) -- a CA (basic
    constraints), with no critical extension left unprocessed, allowed to sign
    certificates (keyCertSign, when Key Usage is present) and to have that many CA
    certificates under it (pathLenConstraint; self-issued ones do not count)."""
    if not _is_ca(issuer):
        return "is not a CA certificate"
    unhandled = _unhandled_critical(issuer)
    if unhandled is not None:
        return unhandled
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        pass
    else:
        if not usage.key_cert_sign:
            return "may not sign certificates (Key Usage without keyCertSign)"
    constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints)
    limit = constraints.value.path_length
    intermediates = sum(1 for c in below[1:] if c.issuer != c.subject)
    if limit is not None and intermediates > limit:
        return (
            f"allows {limit} CA certificate(s) below it (pathLenConstraint), "
            f"the chain has {intermediates}"
        )
    return None


def _check_links(certificates: Sequence[x509.Certificate]) -> None:
    for i in range(len(certificates) - 1):
        issuer = certificates[i + 1]
        problem = _issuer_problem(issuer, certificates[: i + 1])
        if problem is not None:
            raise CertificateChainError(
                ChainProblem.BROKEN_LINK,
                f"certificate {i + 1} ({_name(issuer)}) {problem}",
                i + 1,
            )
        if not _signed_by(certificates[i], issuer):
            raise CertificateChainError(
                ChainProblem.BROKEN_LINK,
                f"the signature of certificate {i} does not verify with the key of "
                f"certificate {i + 1} ({_name(issuer)})",
                i,
            )


def _check_root(
    certificates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    now: datetime,
) -> None:
    top = certificates[-1]
    own = {fingerprint(c) for c in certificates}
    for root in roots:
        if fingerprint(root) in own:
            return  # the chain includes a trusted root itself
    for root in roots:
        if _is_ca(root) and _signed_by(top, root):
            if not root.not_valid_before_utc <= now <= root.not_valid_after_utc:
                raise CertificateChainError(
                    ChainProblem.EXPIRED,
                    f"the trusted root {_name(root)} is outside its validity period",
                )
            problem = _issuer_problem(root, certificates)
            if problem is not None:
                raise CertificateChainError(
                    ChainProblem.BROKEN_LINK,
                    f"the trusted root {_name(root)} {problem}",
                    len(certificates) - 1,
                )
            return
    raise CertificateChainError(
        ChainProblem.UNTRUSTED_ROOT,
        f"certificate {len(certificates) - 1} ({_name(top)}) is not issued by any "
        f"of the {len(roots)} trusted root certificate(s)",
        len(certificates) - 1,
    )


def _check_ca_keys(certificates: Sequence[x509.Certificate]) -> None:
    """A00.FR.501-503 hold for all certificates, the CAs of the chain too."""
    for i, certificate in enumerate(certificates[1:], 1):
        key = certificate.public_key()
        if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            continue  # EdDSA is strong; other types fail the signature check
        try:
            check_key_strength(key)
        except ValueError as exc:
            raise CertificateChainError(
                ChainProblem.PROPERTIES,
                f"certificate {i} ({_name(certificate)}): {exc}",
                i,
            ) from None


def _check_properties(
    leaf: x509.Certificate, organization: str | None, common_name: str | None
) -> None:
    key = leaf.public_key()
    if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise CertificateChainError(
            ChainProblem.PROPERTIES, f"unsupported key type {type(key).__name__}", 0
        )
    try:
        check_key_strength(key)
    except ValueError as exc:
        raise CertificateChainError(ChainProblem.PROPERTIES, str(exc), 0) from None
    if _is_ca(leaf):
        raise CertificateChainError(
            ChainProblem.PROPERTIES, "the leaf certificate is a CA certificate", 0
        )
    unhandled = _unhandled_critical(leaf)
    if unhandled is not None:
        raise CertificateChainError(
            ChainProblem.PROPERTIES, f"the leaf certificate {unhandled}", 0
        )
    values = {}
    for oid, label in (
        (NameOID.ORGANIZATION_NAME, "O"),
        (NameOID.COMMON_NAME, "CN"),
    ):
        found = leaf.subject.get_attributes_for_oid(oid)
        if len(found) != 1:
            raise CertificateChainError(
                ChainProblem.PROPERTIES,
                f"the subject must hold exactly one {label} (A00.FR.509/511)",
                0,
            )
        value = found[0].value
        values[label] = value if isinstance(value, str) else value.decode()
    try:
        _check_common_name(values["CN"])
    except ValueError as exc:
        raise CertificateChainError(ChainProblem.PROPERTIES, str(exc), 0) from None
    if organization is not None and values["O"] != organization:
        raise CertificateChainError(
            ChainProblem.PROPERTIES, f"O is {values['O']!r}, not {organization!r}", 0
        )
    if common_name is not None and values["CN"] != common_name:
        raise CertificateChainError(
            ChainProblem.PROPERTIES, f"CN is {values['CN']!r}, not {common_name!r}", 0
        )


def verify_certificate_chain(
    certificate_chain: str,
    *,
    trusted_roots: Sequence[x509.Certificate],
    key: PrivateKey | PublicKey | None = None,
    now: datetime | None = None,
    max_chain_size: int | None = MAX_CERTIFICATE_CHAIN_SIZE,
    organization: str | None = None,
    common_name: str | None = None,
) -> list[x509.Certificate]:
    """Check a ``certificateChain`` of a CertificateSignedRequest; return it parsed.

    Args:
        certificate_chain: the PEM bundle, leaf first.
        trusted_roots: the roots the chain must lead to: the installed
            CSMSRootCertificates for a ChargingStationCertificate, the
            V2GRootCertificates for a V2GCertificate.  The chain may include the
            root itself or stop below it.
        key: the key of the CSR the station sent (private or public); the leaf
            must carry its public key.  ``None`` skips this check.
        now: the time to check validity at (default: now, UTC).
        max_chain_size: MaxCertificateChainSize, in characters (A02.FR.16);
            ``None``: no limit beyond the PEM parser's.
        organization, common_name: when given, the leaf's O and CN must equal them.

    Raises:
        CertificateChainError: the first failed check, see the module docs.
    """
    if max_chain_size is not None and len(certificate_chain) > max_chain_size:
        raise CertificateChainError(
            ChainProblem.TOO_LARGE,
            f"the chain has {len(certificate_chain)} characters, more than "
            f"MaxCertificateChainSize ({max_chain_size})",
        )
    try:
        certificates = load_certificates(certificate_chain)
    except ValueError as exc:
        raise CertificateChainError(ChainProblem.NOT_PEM, str(exc)) from None
    when = now or datetime.now(timezone.utc)
    _check_order(certificates)
    if key is not None and not same_public_key(
        certificates[0].public_key(),  # type: ignore[arg-type]
        key,
    ):
        raise CertificateChainError(
            ChainProblem.KEY_MISMATCH,
            "the leaf certificate is not for the key of the station's CSR",
            0,
        )
    _check_validity(certificates, when)
    _check_links(certificates)
    _check_root(certificates, trusted_roots, when)
    _check_properties(certificates[0], organization, common_name)
    _check_ca_keys(certificates)
    return certificates
