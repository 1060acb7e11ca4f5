"""PEM parsing and the certificate identifiers of Part 2: hash data and OCSP data.

``CertificateHashDataType`` and ``OCSPRequestDataType`` (Part 2, 2.6 and 2.36)
identify a certificate the way an OCSP ``CertID`` does (RFC 6960, 4.1.1): the hash of
the DER-encoded issuer name *as it appears in the certificate*, the hash of the
issuer's public key -- the contents of the ``subjectPublicKey`` BIT STRING of the
issuer's certificate, without tag, length and unused-bits octet -- and the serial
number in hexadecimal "without the prefix 0x and without leading zeroes".

The issuer name and the key are taken from the DER bytes themselves (a small DER
reader below), never re-encoded from parsed values, so that a certificate with an
unusual string type in its issuer name or a compressed EC point still gets the hash
every other implementation computes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID

from ..datatypes import (
    CertificateHashDataChainType,
    CertificateHashDataType,
    OCSPRequestDataType,
)
from ..enums import GetCertificateIdUseEnumType, HashAlgorithmEnumType
from ._keys import PublicKey

__all__ = [
    "certificate_hash_data",
    "certificate_hash_data_chain",
    "certificate_pem",
    "fingerprint",
    "hash_data_matches",
    "load_certificates",
    "ocsp_request_data",
    "serial_number_hex",
]

_HASHES: Final[dict[HashAlgorithmEnumType, Callable[[bytes], str]]] = {
    HashAlgorithmEnumType.SHA256: lambda data: hashlib.sha256(data).hexdigest(),
    HashAlgorithmEnumType.SHA384: lambda data: hashlib.sha384(data).hexdigest(),
    HashAlgorithmEnumType.SHA512: lambda data: hashlib.sha512(data).hexdigest(),
}

_PEM_BEGIN: Final = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n")
MAX_PEM_CERTIFICATES: Final = 16
"""The most certificates :func:`load_certificates` reads from one PEM text."""
MAX_PEM_LENGTH: Final = 200_000
"""The longest PEM text :func:`load_certificates` reads (16 large certificates)."""


# ----------------------------------------------------------------------- PEM input


def load_certificates(pem: str | bytes) -> list[x509.Certificate]:
    """Parse a PEM bundle of X.509 certificates, strictly, in the given order.

    The text must be nothing but ``CERTIFICATE`` blocks (whitespace between them is
    fine): any other block (a private key, a CSR) or text outside the blocks is
    refused, since a bundle that carries something else is not what Part 2 calls a
    PEM encoded certificate (chain).  At most :data:`MAX_PEM_CERTIFICATES` blocks
    and :data:`MAX_PEM_LENGTH` characters.

    Raises:
        ValueError: the text is empty, not PEM, holds something else than
            certificates, too many of them, or a block does not parse.
    """
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
    if len(text) > MAX_PEM_LENGTH:
        raise ValueError(f"longer than {MAX_PEM_LENGTH} characters")
    # A linear scan (BEGIN line, then the first END line of that label): a
    # regular expression with a lazy body and a back-reference backtracks
    # quadratically on BEGIN lines without END.
    blocks: list[str] = []
    position = 0
    while (begin := _PEM_BEGIN.search(text, position)) is not None:
        if text[position : begin.start()].strip():
            raise ValueError("text outside the PEM blocks")
        label = begin.group(1)
        end_line = f"-----END {label}-----"
        end = text.find(end_line, begin.end())
        if end < 0:
            raise ValueError(f"a PEM block {label!r} without its END line")
        if label != "CERTIFICATE":
            raise ValueError(f"a PEM block of type {label!r}, not CERTIFICATE")
        position = end + len(end_line)
        blocks.append(text[begin.start() : position])
        if len(blocks) > MAX_PEM_CERTIFICATES:
            raise ValueError(f"more than {MAX_PEM_CERTIFICATES} certificates")
    if not blocks:
        raise ValueError("no PEM certificate found")
    if text[position:].strip():
        raise ValueError("text after the last PEM block")
    certificates = []
    for number, block in enumerate(blocks, 1):
        try:
            certificates.append(x509.load_pem_x509_certificate(block.encode()))
        except ValueError as exc:
            raise ValueError(f"certificate {number} does not parse: {exc}") from None
    return certificates


def certificate_pem(certificates: x509.Certificate | Sequence[x509.Certificate]) -> str:
    """The PEM text of one certificate or of a chain (in the order given)."""
    if isinstance(certificates, x509.Certificate):
        certificates = [certificates]
    return "".join(
        c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates
    )


def fingerprint(certificate: x509.Certificate) -> str:
    """The SHA-256 fingerprint of the DER certificate, lowercase hex."""
    return hashlib.sha256(
        certificate.public_bytes(serialization.Encoding.DER)
    ).hexdigest()


# ----------------------------------------------------------------------- DER reader


def _tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """Read one DER TLV at ``offset``: (tag, start of the value, end of the value)."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The TLVs inside a constructed value: (tag, tlv start, value start, end)."""
    items = []
    offset = start
    while offset < end:
        tag, value_start, value_end = _tlv(data, offset)
        items.append((tag, offset, value_start, value_end))
        offset = value_end
    return items


def _tbs_fields(certificate: x509.Certificate) -> tuple[bytes, bytes]:
    """The raw DER of the issuer Name and of the SubjectPublicKeyInfo."""
    tbs = certificate.tbs_certificate_bytes
    _, start, end = _tlv(tbs, 0)
    fields = _children(tbs, start, end)
    if fields and fields[0][0] == 0xA0:  # [0] EXPLICIT version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    if len(fields) < 6:
        raise ValueError("malformed TBSCertificate")
    _, issuer_start, _, issuer_end = fields[2]
    _, spki_start, _, spki_end = fields[5]
    return tbs[issuer_start:issuer_end], tbs[spki_start:spki_end]


def _subject_public_key_bits(spki: bytes) -> bytes:
    """The contents of the subjectPublicKey BIT STRING of a SubjectPublicKeyInfo."""
    _, start, end = _tlv(spki, 0)
    fields = _children(spki, start, end)
    if len(fields) != 2 or fields[1][0] != 0x03:
        raise ValueError("malformed SubjectPublicKeyInfo")
    _, _, bits_start, bits_end = fields[1]
    if bits_end <= bits_start or spki[bits_start] != 0:
        raise ValueError("the subjectPublicKey BIT STRING has unused bits")
    return spki[bits_start + 1 : bits_end]


def issuer_key_bits(issuer: x509.Certificate | PublicKey) -> bytes:
    """The issuer's public key as the ``issuerKeyHash`` hashes it."""
    if isinstance(issuer, x509.Certificate):
        _, spki = _tbs_fields(issuer)
    else:
        spki = issuer.public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    return _subject_public_key_bits(spki)


# ----------------------------------------------------------------------- hash data


def serial_number_hex(certificate: x509.Certificate) -> str:
    """The serial number as Part 2 writes it: lowercase hex, no ``0x``, no leading
    zeroes (``0`` for a zero serial).

    Raises:
        ValueError: a negative serial number, or one longer than the 40 characters
            of ``serialNumber`` (RFC 5280 allows 20 octets, which fit).
    """
    serial = certificate.serial_number
    if serial < 0:
        raise ValueError(
            "the certificate has a negative serial number (RFC 5280 4.1.2.2)"
        )
    text = format(serial, "x")
    if len(text) > 40:
        raise ValueError("the serial number is longer than 20 octets")
    return text


def _hash(algorithm: HashAlgorithmEnumType, data: bytes) -> str:
    try:
        return _HASHES[HashAlgorithmEnumType(algorithm)](data)
    except (KeyError, ValueError):
        raise ValueError(f"unknown hash algorithm {algorithm!r}") from None


def _check_issuer(
    certificate: x509.Certificate, issuer: x509.Certificate | PublicKey
) -> None:
    if isinstance(issuer, x509.Certificate) and issuer.subject != certificate.issuer:
        raise ValueError(
            f"{issuer.subject.rfc4514_string()!r} is not the issuer of the "
            f"certificate (issued by {certificate.issuer.rfc4514_string()!r})"
        )


def certificate_hash_data(
    certificate: x509.Certificate,
    issuer: x509.Certificate | PublicKey,
    hash_algorithm: HashAlgorithmEnumType = HashAlgorithmEnumType.SHA256,
) -> CertificateHashDataType:
    """``CertificateHashDataType`` of ``certificate`` (Part 2, 2.6).

    ``issuer`` is the certificate of its issuer (the certificate itself for a
    self-signed root) or the issuer's public key.  Hashes are lowercase hex.

    Raises:
        ValueError: ``issuer`` is a certificate whose subject is not the
            certificate's issuer name; an unusable serial number.
    """
    _check_issuer(certificate, issuer)
    issuer_name, _ = _tbs_fields(certificate)
    return CertificateHashDataType(
        hash_algorithm=HashAlgorithmEnumType(hash_algorithm),
        issuer_name_hash=_hash(hash_algorithm, issuer_name),
        issuer_key_hash=_hash(hash_algorithm, issuer_key_bits(issuer)),
        serial_number=serial_number_hex(certificate),
    )


def certificate_hash_data_chain(
    chain: Sequence[x509.Certificate],
    certificate_type: GetCertificateIdUseEnumType,
    *,
    issuer: x509.Certificate | PublicKey | None = None,
    hash_algorithm: HashAlgorithmEnumType = HashAlgorithmEnumType.SHA256,
) -> CertificateHashDataChainType:
    """``CertificateHashDataChainType`` of a chain ordered from the leaf upwards.

    The first certificate is ``certificateHashData``; the others (sub-CAs, at most
    four) are ``childCertificateHashData`` (M03.FR.05).  Each certificate's issuer
    is the next one; the last one's is ``issuer`` (for a V2G chain: the V2G root,
    which the chain does not include), or itself when it is self-signed.

    Raises:
        ValueError: an empty chain, more than four sub-CAs, a certificate that is
            not issued by the next one, or no issuer for the last one.
    """
    if not chain:
        raise ValueError("an empty chain")
    if len(chain) > 5:
        raise ValueError("at most four child certificates fit in the hash data chain")
    hashes = []
    for position, certificate in enumerate(chain):
        above: x509.Certificate | PublicKey | None
        if position + 1 < len(chain):
            above = chain[position + 1]
        elif issuer is not None:
            above = issuer
        elif certificate.issuer == certificate.subject:
            above = certificate
        else:
            raise ValueError("the issuer of the last certificate is needed")
        hashes.append(certificate_hash_data(certificate, above, hash_algorithm))
    return CertificateHashDataChainType(
        certificate_type=GetCertificateIdUseEnumType(certificate_type),
        certificate_hash_data=hashes[0],
        child_certificate_hash_data=hashes[1:] or None,
    )


def _ocsp_url(certificate: x509.Certificate) -> str | None:
    try:
        access = certificate.extensions.get_extension_for_class(
            x509.AuthorityInformationAccess
        ).value
    except x509.ExtensionNotFound:
        return None
    for description in access:
        if description.access_method == AuthorityInformationAccessOID.OCSP and (
            isinstance(description.access_location, x509.UniformResourceIdentifier)
        ):
            return description.access_location.value
    return None


def ocsp_request_data(
    certificate: x509.Certificate,
    issuer: x509.Certificate | PublicKey,
    *,
    responder_url: str | None = None,
    hash_algorithm: HashAlgorithmEnumType = HashAlgorithmEnumType.SHA256,
) -> OCSPRequestDataType:
    """``OCSPRequestDataType`` for GetCertificateStatusRequest (M06, Part 2 2.36).

    ``responder_url`` defaults to the OCSP URL of the certificate's Authority
    Information Access extension; the field is required in OCPP (M06 remarks).

    Raises:
        ValueError: no responder URL given and none in the certificate; the same
            errors as :func:`certificate_hash_data`.
    """
    url = responder_url if responder_url is not None else _ocsp_url(certificate)
    if not url:
        raise ValueError(
            "the certificate has no OCSP responder URL (Authority Information "
            "Access); pass responder_url"
        )
    data = certificate_hash_data(certificate, issuer, hash_algorithm)
    return OCSPRequestDataType(
        hash_algorithm=data.hash_algorithm,
        issuer_name_hash=data.issuer_name_hash,
        issuer_key_hash=data.issuer_key_hash,
        serial_number=data.serial_number,
        responder_url=url,
    )


def _normal_serial(serial: str) -> str:
    return serial.strip().lower().removeprefix("0x").lstrip("0") or "0"


def hash_data_matches(a: CertificateHashDataType, b: CertificateHashDataType) -> bool:
    """Whether two hash data identify the same certificate.

    The algorithms must be equal; hex digits compare case-insensitively and serial
    numbers also ignore leading zeroes (and a ``0x``), since Part 2 fixes neither
    the case nor, in practice, do all peers drop the zeroes.
    """
    return (
        a.hash_algorithm == b.hash_algorithm
        and a.issuer_name_hash.lower() == b.issuer_name_hash.lower()
        and a.issuer_key_hash.lower() == b.issuer_key_hash.lower()
        and _normal_serial(a.serial_number) == _normal_serial(b.serial_number)
    )
