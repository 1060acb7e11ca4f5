"""Certificate signing requests: the station builds them, the CSMS checks them.

A02.FR.02/03 (and A03): the station generates a new key pair and sends the public key
as a PKCS#10 CSR (RFC 2986), PEM encoded, in SignCertificateRequest.  The subject
follows the Certificate Properties of Part 2 1.4.1: the organisation of the CSO in O
(A00.FR.509, configuration variable SecurityCtrlr.OrganizationName) and, for the
charging station certificate, the station's unique serial number in CN, which must
not look like a URL or an IP address (A00.FR.511).  For a V2G (ISO 15118 SECC)
certificate the CN is ISO15118Ctrlr.SeccId, O is ISO15118Ctrlr.OrganizationName and
C is ISO15118Ctrlr.CountryName (Part 2 2.14.9-11).

The private key never leaves the caller (A02.FR.05): these functions take it and
only the public key goes into the CSR.
"""

from __future__ import annotations

import ipaddress
from typing import Final

from attrs import define, field
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..enums import CertificateSigningUseEnumType
from ..messages import SignCertificateRequest
from ._keys import PrivateKey, PublicKey, check_key_strength

__all__ = [
    "CSRError",
    "CsrSubject",
    "build_csr",
    "check_csr",
    "load_csr",
    "sign_certificate_request",
]

MAX_CSR_LENGTH: Final = 5500
"""SignCertificateRequest.csr is a string[0..5500]."""


class CSRError(ValueError):
    """A CSR that does not parse, is not correctly signed or breaks Part 2 1.4.1.

    ``reason_code`` is the reason code of Part 2 appendix 5 for a
    SignCertificateResponse(Rejected): ``InvalidCSR``.
    """

    reason_code: Final = "InvalidCSR"


def _check_common_name(common_name: str) -> None:
    if not common_name or not common_name.strip():
        raise ValueError("the common name (CN) must not be empty")
    if "://" in common_name:
        raise ValueError(
            f"CN {common_name!r} looks like a URL: a charging station certificate "
            "carries the station's serial number (A00.FR.511)"
        )
    try:
        ipaddress.ip_address(common_name)
    except ValueError:
        return
    raise ValueError(
        f"CN {common_name!r} is an IP address: a charging station certificate "
        "carries the station's serial number (A00.FR.511)"
    )


@define(kw_only=True, frozen=True)
class CsrSubject:
    """The subject of a CSR.

    ``common_name``: the station's serial number (charging station certificate,
    A00.FR.511) or SeccId (V2G certificate).  ``organization``: the CSO's name
    (A00.FR.509).  ``country``: two letters, ISO 3166-1 (V2G: CountryName).
    ``domain_component``: an optional DC attribute (ISO 15118-2 SECC certificates
    carry ``CPO``).
    """

    common_name: str = field()
    organization: str = field()
    country: str | None = field(default=None)
    domain_component: str | None = None

    @common_name.validator
    def _cn(self, _attribute: object, value: str) -> None:
        _check_common_name(value)

    @organization.validator
    def _o(self, _attribute: object, value: str) -> None:
        if not value or not value.strip():
            raise ValueError("the organization name (O) must not be empty (A00.FR.509)")

    @country.validator
    def _c(self, _attribute: object, value: str | None) -> None:
        if value is not None and (len(value) != 2 or not value.isascii()):
            raise ValueError(f"country {value!r}: two letters of ISO 3166-1 expected")

    def name(self) -> x509.Name:
        """The X.509 subject name: DC, C, O, CN (most significant first)."""
        attributes = []
        if self.domain_component is not None:
            attributes.append(
                x509.NameAttribute(NameOID.DOMAIN_COMPONENT, self.domain_component)
            )
        if self.country is not None:
            attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, self.country))
        attributes.append(
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization)
        )
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, self.common_name))
        return x509.Name(attributes)


def leaf_key_usage(key: PublicKey) -> x509.KeyUsage:
    """The Key Usage of a station's (leaf) certificate or CSR for ``key``."""
    # A00.FR.512: restrict the key to what it is used for -- TLS client
    # authentication and (ISO 15118) TLS server: signatures, plus key agreement for
    # EC (ECDH) or key encipherment for RSA key transport.
    is_ec = isinstance(key, ec.EllipticCurvePublicKey)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not is_ec,
        data_encipherment=False,
        key_agreement=is_ec,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def build_csr(private_key: PrivateKey, subject: CsrSubject) -> str:
    """A PEM encoded PKCS#10 CSR for ``private_key``'s public key, signed with it.

    The CSR asks for the Key Usage extension (A00.FR.512) and basic constraints
    ``CA:FALSE``; it carries no Extended Key Usage (A00.FR.514) and no
    subjectAltName (A00.FR.511).  It is signed with SHA-256 (A00.FR.506).

    Raises:
        ValueError: a key weaker than A00.FR.501-503 allow, or not RSA/EC.
    """
    check_key_strength(private_key)
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject.name())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(leaf_key_usage(private_key.public_key()), critical=True)
    )
    csr = builder.sign(private_key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def sign_certificate_request(
    private_key: PrivateKey,
    subject: CsrSubject,
    certificate_type: CertificateSigningUseEnumType | None = (
        CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
    ),
) -> SignCertificateRequest:
    """A SignCertificateRequest carrying :func:`build_csr`'s CSR.

    ``certificate_type`` is included by default, as A02.FR.13 / A03.FR.13 require
    when the station uses different certificates for ISO 15118 and the CSMS
    connection; pass ``None`` to omit it (one certificate for both).
    """
    return SignCertificateRequest(
        csr=build_csr(private_key, subject), certificate_type=certificate_type
    )


def load_csr(pem: str | bytes) -> x509.CertificateSigningRequest:
    """Parse a PEM CSR (as received in SignCertificateRequest) and verify its
    self-signature.

    Raises:
        CSRError: longer than the 5500 characters of the field, not a PEM
            ``CERTIFICATE REQUEST``, or not signed by its own key.
    """
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    if len(data) > MAX_CSR_LENGTH:
        raise CSRError(f"the CSR is longer than {MAX_CSR_LENGTH} characters")
    if not data.strip().startswith(b"-----BEGIN CERTIFICATE REQUEST-----"):
        raise CSRError("not a PEM encoded CSR (BEGIN CERTIFICATE REQUEST)")
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError as exc:
        raise CSRError(f"the CSR does not parse: {exc}") from None
    if not csr.is_signature_valid:
        raise CSRError("the CSR's signature does not verify with its public key")
    return csr


def _single(name: x509.Name, oid: x509.ObjectIdentifier, label: str) -> str:
    values = name.get_attributes_for_oid(oid)
    if len(values) != 1:
        raise CSRError(f"the subject must have exactly one {label}, not {len(values)}")
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def check_csr(
    csr: x509.CertificateSigningRequest | str | bytes,
    *,
    organization: str | None = None,
    common_name: str | None = None,
) -> x509.CertificateSigningRequest:
    """What a CSMS (or its CA) checks on a CSR before forwarding or signing it.

    The CSR must verify (see :func:`load_csr`), hold an RSA or EC key of the size
    A00.FR.501-503 require, and a subject with one O and one CN that is neither a
    URL nor an IP address (A00.FR.509/511).  ``organization`` and ``common_name``,
    when given, must equal O and CN -- for a charging station certificate the CN
    the CSMS expects is the station's serial number (A00.FR.405).

    Returns:
        The parsed CSR.

    Raises:
        CSRError: the first problem found.
    """
    if not isinstance(csr, x509.CertificateSigningRequest):
        csr = load_csr(csr)
    elif not csr.is_signature_valid:
        raise CSRError("the CSR's signature does not verify with its public key")
    public_key = csr.public_key()
    if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise CSRError(f"unsupported key type {type(public_key).__name__}")
    key: PublicKey = public_key
    try:
        check_key_strength(key)
    except ValueError as exc:
        raise CSRError(str(exc)) from None
    o = _single(csr.subject, NameOID.ORGANIZATION_NAME, "organizationName (O)")
    cn = _single(csr.subject, NameOID.COMMON_NAME, "commonName (CN)")
    try:
        _check_common_name(cn)
    except ValueError as exc:
        raise CSRError(str(exc)) from None
    if organization is not None and o != organization:
        raise CSRError(f"O is {o!r}, expected {organization!r}")
    if common_name is not None and cn != common_name:
        raise CSRError(f"CN is {cn!r}, expected {common_name!r}")
    return csr
