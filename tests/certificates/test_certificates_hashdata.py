"""CertificateHashDataType and OCSPRequestDataType against ``openssl ocsp``.

The certificates are made by the openssl command line (not by the code under test),
and the oracle is the CertID openssl puts into an OCSP request (RFC 6960): the same
three values Part 2 2.6 defines, for SHA-256/384/512.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from certificates_helpers import needs_openssl, ocsp_cert_id, openssl
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ocpp201 import to_payload
from ocpp201.certificates import (
    CertificateAuthority,
    KeyType,
    certificate_hash_data,
    certificate_hash_data_chain,
    certificate_pem,
    hash_data_matches,
    load_certificates,
    ocsp_request_data,
    serial_number_hex,
)
from ocpp201.datatypes import CertificateHashDataType
from ocpp201.enums import GetCertificateIdUseEnumType, HashAlgorithmEnumType

pytestmark = needs_openssl

DIGESTS = {
    "sha256": HashAlgorithmEnumType.SHA256,
    "sha384": HashAlgorithmEnumType.SHA384,
    "sha512": HashAlgorithmEnumType.SHA512,
}

KEYS = {
    "rsa2048": ["-newkey", "rsa:2048"],
    "ec-p256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ec-p384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
}


def _openssl_pki(workdir: Path, issuer_key: str, leaf_key: str, serial: str) -> None:
    """root.pem (self-signed, ``issuer_key``) and leaf.pem (``leaf_key``) signed by it
    with ``serial``, all made by the openssl command line."""
    openssl(
        "req", "-x509", *KEYS[issuer_key], "-nodes", "-keyout", "root.key",
        "-out", "root.pem", "-days", "2", "-subj", "/C=NL/O=Test CSO/CN=Root CA",
        cwd=workdir,
    )  # fmt: skip
    openssl(
        "req", "-new", *KEYS[leaf_key], "-nodes", "-keyout", "leaf.key",
        "-out", "leaf.csr", "-subj", "/O=Test CSO/CN=CS0001",
        cwd=workdir,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key",
        "-set_serial", serial, "-days", "1", "-out", "leaf.pem",
        cwd=workdir,
    )  # fmt: skip


def _load(path: Path) -> x509.Certificate:
    (certificate,) = load_certificates(path.read_text())
    return certificate


def _normal(serial: str) -> str:
    return serial.lstrip("0") or "0"


@pytest.mark.parametrize("digest", DIGESTS)
@pytest.mark.parametrize(
    ("issuer_key", "leaf_key", "serial"),
    [
        ("rsa2048", "rsa2048", "0x00ff12"),
        ("rsa2048", "ec-p256", "0x0100"),
        ("ec-p256", "rsa2048", "0x7f"),
        ("ec-p384", "ec-p256", "0x0123456789abcdef0123456789abcdef01234567"),
    ],
)
def test_hash_data_equals_openssl_cert_id(
    tmp_path: Path, digest: str, issuer_key: str, leaf_key: str, serial: str
) -> None:
    _openssl_pki(tmp_path, issuer_key, leaf_key, serial)
    root, leaf = _load(tmp_path / "root.pem"), _load(tmp_path / "leaf.pem")
    name_hash, key_hash, openssl_serial = ocsp_cert_id(
        tmp_path / "root.pem", tmp_path / "leaf.pem", digest, tmp_path
    )

    data = certificate_hash_data(leaf, root, DIGESTS[digest])

    assert data.hash_algorithm is DIGESTS[digest]
    assert data.issuer_name_hash == name_hash
    assert data.issuer_key_hash == key_hash
    # Part 2: "without the prefix 0x and without leading zeroes"; openssl writes
    # whole octets.
    assert data.serial_number == _normal(openssl_serial)
    assert not data.serial_number.startswith("0")
    assert data.serial_number == _normal(serial.removeprefix("0x"))
    # The issuer's public key gives the same hash as its certificate.
    key = root.public_key()
    assert certificate_hash_data(leaf, key, DIGESTS[digest]) == data  # type: ignore[arg-type]
    # Valid on the wire (lengths within the schema's 128 and 40).
    to_payload(data)


@pytest.mark.parametrize("digest", DIGESTS)
def test_self_signed_root_hash_data_equals_openssl(tmp_path: Path, digest: str) -> None:
    _openssl_pki(tmp_path, "ec-p256", "ec-p256", "0x01")
    root = _load(tmp_path / "root.pem")
    expected = ocsp_cert_id(
        tmp_path / "root.pem", tmp_path / "root.pem", digest, tmp_path
    )
    data = certificate_hash_data(root, root, DIGESTS[digest])
    assert (data.issuer_name_hash, data.issuer_key_hash) == expected[:2]
    assert data.serial_number == _normal(expected[2])


def test_compressed_ec_point_is_hashed_as_encoded(tmp_path: Path) -> None:
    """The issuerKeyHash covers the BIT STRING as it is in the issuer certificate:
    a compressed point is hashed compressed (re-encoding the key would not be)."""
    for command in (
        "ecparam -name prime256v1 -genkey -noout -out k.key",
        "ec -in k.key -conv_form compressed -out root.key",
        "req -x509 -new -key root.key -out root.pem -days 2 -subj /O=CSO/CN=Root",
        "req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr "
        "-subj /O=CSO/CN=CS1",
        "x509 -req -in leaf.csr -CA root.pem -CAkey root.key -set_serial 42 "
        "-out leaf.pem",
    ):
        openssl(*command.split(), cwd=tmp_path)
    root, leaf = _load(tmp_path / "root.pem"), _load(tmp_path / "leaf.pem")
    _, key_hash, _ = ocsp_cert_id(
        tmp_path / "root.pem", tmp_path / "leaf.pem", "sha256", tmp_path
    )
    assert certificate_hash_data(leaf, root).issuer_key_hash == key_hash


def test_issuer_name_is_hashed_as_encoded(tmp_path: Path) -> None:
    """A PrintableString issuer name (not the UTF8String openssl would choose)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME,
                "Printable CSO",
                _type=x509.name._ASN1Type.PrintableString,
            ),
        ]
    )
    now = datetime.now(timezone.utc)
    root = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "root.pem").write_text(certificate_pem(root))
    name_hash, key_hash, _ = ocsp_cert_id(
        tmp_path / "root.pem", tmp_path / "root.pem", "sha384", tmp_path
    )
    data = certificate_hash_data(root, root, HashAlgorithmEnumType.SHA384)
    assert (data.issuer_name_hash, data.issuer_key_hash) == (name_hash, key_hash)


def test_wrong_issuer_is_refused() -> None:
    one = CertificateAuthority.create_root("One")
    two = CertificateAuthority.create_root("Two")
    with pytest.raises(ValueError, match="not the issuer"):
        certificate_hash_data(one.certificate, two.certificate)


def test_hash_data_chain_puts_sub_cas_in_the_children(tmp_path: Path) -> None:
    root = CertificateAuthority.create_root("V2G Root", key_type=KeyType.EC_P256)
    sub1 = root.issue_sub_ca("CPO Sub-CA 1")
    sub2 = sub1.issue_sub_ca("CPO Sub-CA 2")
    leaf, _ = sub2.issue_server_certificate("SECC-1")
    chain = [leaf, sub2.certificate, sub1.certificate]

    result = certificate_hash_data_chain(
        chain,
        GetCertificateIdUseEnumType.V2G_CERTIFICATE_CHAIN,
        issuer=root.certificate,
    )

    assert result.certificate_type is GetCertificateIdUseEnumType.V2G_CERTIFICATE_CHAIN
    assert result.certificate_hash_data == certificate_hash_data(leaf, sub2.certificate)
    assert result.child_certificate_hash_data == [
        certificate_hash_data(sub2.certificate, sub1.certificate),
        certificate_hash_data(sub1.certificate, root.certificate),
    ]
    # Cross-check one link against openssl.
    (tmp_path / "sub1.pem").write_text(certificate_pem(sub1.certificate))
    (tmp_path / "root.pem").write_text(certificate_pem(root.certificate))
    name_hash, key_hash, serial = ocsp_cert_id(
        tmp_path / "root.pem", tmp_path / "sub1.pem", "sha256", tmp_path
    )
    child = result.child_certificate_hash_data[1]
    assert (child.issuer_name_hash, child.issuer_key_hash) == (name_hash, key_hash)
    assert child.serial_number == _normal(serial)
    with pytest.raises(ValueError, match="issuer of the last"):
        certificate_hash_data_chain(
            chain, GetCertificateIdUseEnumType.V2G_CERTIFICATE_CHAIN
        )


def test_ocsp_request_data_takes_the_responder_url_from_the_certificate(
    tmp_path: Path,
) -> None:
    ca = CertificateAuthority.create_root("Root")
    sub = ca.issue_sub_ca("Sub")
    from ocpp201.certificates import CsrSubject, build_csr, generate_private_key

    csr = build_csr(
        generate_private_key(), CsrSubject(common_name="SECC1", organization="Test CSO")
    )
    leaf = sub.sign_csr(csr, ocsp_url="http://ocsp.example.com/v2g")

    data = ocsp_request_data(
        leaf, sub.certificate, hash_algorithm=HashAlgorithmEnumType.SHA512
    )

    assert data.responder_url == "http://ocsp.example.com/v2g"
    (tmp_path / "sub.pem").write_text(certificate_pem(sub.certificate))
    (tmp_path / "leaf.pem").write_text(certificate_pem(leaf))
    name_hash, key_hash, serial = ocsp_cert_id(
        tmp_path / "sub.pem", tmp_path / "leaf.pem", "sha512", tmp_path
    )
    assert (data.issuer_name_hash, data.issuer_key_hash) == (name_hash, key_hash)
    assert data.serial_number == _normal(serial)
    to_payload(data)
    with pytest.raises(ValueError, match="responder"):
        ocsp_request_data(sub.certificate, ca.certificate)
    explicit = ocsp_request_data(
        sub.certificate, ca.certificate, responder_url="http://ocsp.test/"
    )
    assert explicit.responder_url == "http://ocsp.test/"


def test_matching_ignores_case_and_leading_zeroes() -> None:
    ours = CertificateHashDataType(
        hash_algorithm=HashAlgorithmEnumType.SHA256,
        issuer_name_hash="ab" * 32,
        issuer_key_hash="cd" * 32,
        serial_number="ff12",
    )
    theirs = CertificateHashDataType(
        hash_algorithm=HashAlgorithmEnumType.SHA256,
        issuer_name_hash="AB" * 32,
        issuer_key_hash="CD" * 32,
        serial_number="00FF12",
    )
    assert hash_data_matches(ours, theirs)
    other_algorithm = CertificateHashDataType(
        hash_algorithm=HashAlgorithmEnumType.SHA384,
        issuer_name_hash="ab" * 32,
        issuer_key_hash="cd" * 32,
        serial_number="ff12",
    )
    assert not hash_data_matches(ours, other_algorithm)
    other_serial = CertificateHashDataType(
        hash_algorithm=HashAlgorithmEnumType.SHA256,
        issuer_name_hash="ab" * 32,
        issuer_key_hash="cd" * 32,
        serial_number="ff13",
    )
    assert not hash_data_matches(ours, other_serial)


def test_serial_number_hex_has_no_leading_zeroes() -> None:
    ca = CertificateAuthority.create_root("Root")
    assert serial_number_hex(ca.certificate) == format(
        ca.certificate.serial_number, "x"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no PEM"),
        ("hello", "no PEM"),
        ("junk\n{pem}", "outside"),
        ("{pem}trailing", "after the last"),
        (
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "PRIVATE KEY",
        ),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "parse"),
    ],
)
def test_load_certificates_is_strict(text: str, message: str) -> None:
    pem = CertificateAuthority.create_root("Root").pem
    with pytest.raises(ValueError, match=message):
        load_certificates(text.format(pem=pem))


def test_load_certificates_bounds_the_count() -> None:
    pem = CertificateAuthority.create_root("Root").pem
    assert len(load_certificates(pem * 16)) == 16
    with pytest.raises(ValueError, match="more than 16"):
        load_certificates(pem * 17)
    with pytest.raises(ValueError, match="longer than"):
        load_certificates(pem + "\n" * 200_000)
