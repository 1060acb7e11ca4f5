"""CSRs for SignCertificateRequest: checked by ``openssl req -verify``."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from certificates_helpers import needs_openssl, openssl
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ocpp201 import from_payload, to_payload
from ocpp201.certificates import (
    CertificateAuthority,
    CSRError,
    CsrSubject,
    KeyType,
    build_csr,
    certificate_pem,
    check_csr,
    generate_private_key,
    load_csr,
    sign_certificate_request,
)
from ocpp201.enums import CertificateSigningUseEnumType
from ocpp201.messages import SignCertificateRequest

pytestmark = needs_openssl

STATION = CsrSubject(common_name="CS-0001-SN", organization="Example CSO B.V.")


def _openssl_subject(csr_file: Path) -> str:
    return openssl(
        "req", "-in", csr_file, "-noout", "-subject", "-nameopt", "RFC2253"
    ).strip()


@pytest.mark.parametrize(
    "key_type",
    [KeyType.EC_P256, KeyType.EC_P384, KeyType.RSA_2048, KeyType.RSA_3072],
)
def test_station_csr_verifies_with_openssl(tmp_path: Path, key_type: KeyType) -> None:
    key = generate_private_key(key_type)
    request = sign_certificate_request(key, STATION)

    assert request.certificate_type is (
        CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
    )
    assert len(request.csr) <= 5500
    # Valid on the wire.
    assert from_payload(SignCertificateRequest, to_payload(request)) == request
    csr_file = tmp_path / "station.csr"
    csr_file.write_text(request.csr)
    output = openssl("req", "-in", csr_file, "-verify", "-noout")
    assert "verify OK" in output
    assert _openssl_subject(csr_file) == "subject=CN=CS-0001-SN,O=Example CSO B.V."
    text = openssl("req", "-in", csr_file, "-noout", "-text")
    assert "Key Usage" in text
    assert "Extended Key Usage" not in text  # A00.FR.514
    assert "Subject Alternative Name" not in text  # A00.FR.511
    # The CSR carries the public key of the caller's key, and nothing else of it.
    public = openssl("req", "-in", csr_file, "-noout", "-pubkey")
    assert "PRIVATE" not in request.csr
    expected = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public.strip() == expected.decode().strip()


def test_v2g_csr_has_country_and_domain_component(tmp_path: Path) -> None:
    subject = CsrSubject(
        common_name="DE-ICE-S-0003C4D5578786756453309675436-2",
        organization="John Doe Charging Services Ltd",
        country="DE",
        domain_component="CPO",
    )
    request = sign_certificate_request(
        generate_private_key(), subject, CertificateSigningUseEnumType.V2G_CERTIFICATE
    )
    csr_file = tmp_path / "v2g.csr"
    csr_file.write_text(request.csr)
    assert "verify OK" in openssl("req", "-in", csr_file, "-verify", "-noout")
    assert _openssl_subject(csr_file) == (
        "subject=CN=DE-ICE-S-0003C4D5578786756453309675436-2,"
        "O=John Doe Charging Services Ltd,C=DE,DC=CPO"
    )
    assert request.certificate_type is CertificateSigningUseEnumType.V2G_CERTIFICATE


def test_tampered_csr_fails_openssl_and_check_csr(tmp_path: Path) -> None:
    """The oracle can fail: one changed bit in the subject breaks the signature."""
    pem = build_csr(generate_private_key(), STATION)
    lines = pem.strip().splitlines()
    der = bytearray(base64.b64decode("".join(lines[1:-1])))
    index = der.find(b"CS-0001-SN")
    der[index] ^= 0x01
    body = base64.encodebytes(bytes(der)).decode()
    tampered = f"{lines[0]}\n{body}{lines[-1]}\n"
    csr_file = tmp_path / "bad.csr"
    csr_file.write_text(tampered)
    output = openssl("req", "-in", csr_file, "-verify", "-noout", check=False)
    assert "verify OK" not in output
    with pytest.raises(CSRError, match="signature"):
        load_csr(tampered)


def test_key_strength_is_enforced() -> None:
    weak_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="2048"):
        build_csr(weak_rsa, STATION)
    weak_ec = ec.generate_private_key(ec.SECP192R1())
    with pytest.raises(ValueError, match="224"):
        build_csr(weak_ec, STATION)


@pytest.mark.parametrize("common_name", ["192.168.1.20", "::1", "wss://cs.example", ""])
def test_station_common_name_is_not_an_address(common_name: str) -> None:
    with pytest.raises(ValueError):
        CsrSubject(common_name=common_name, organization="CSO")


def test_subject_needs_an_organization_and_a_country_code() -> None:
    with pytest.raises(ValueError, match=r"A00\.FR\.509"):
        CsrSubject(common_name="CS1", organization=" ")
    with pytest.raises(ValueError, match="3166"):
        CsrSubject(common_name="CS1", organization="CSO", country="DEU")


def test_csms_checks_the_csr() -> None:
    csr = build_csr(generate_private_key(), STATION)
    parsed = check_csr(csr, organization="Example CSO B.V.", common_name="CS-0001-SN")
    assert parsed.is_signature_valid
    with pytest.raises(CSRError, match="CN is"):
        check_csr(csr, common_name="CS-0002")
    with pytest.raises(CSRError, match="O is"):
        check_csr(csr, organization="Other CSO")
    with pytest.raises(CSRError, match="PEM"):
        check_csr("not a csr")
    with pytest.raises(CSRError, match="5500"):
        check_csr("x" * 5501)
    assert CSRError("x").reason_code == "InvalidCSR"


def test_issued_certificate_verifies_with_openssl(tmp_path: Path) -> None:
    ca = CertificateAuthority.create_root("CSO Root", key_type=KeyType.RSA_2048)
    sub = ca.issue_sub_ca("CSO Sub-CA")
    key = generate_private_key(KeyType.RSA_2048)
    leaf = sub.sign_csr(build_csr(key, STATION), common_name="CS-0001-SN")
    (tmp_path / "root.pem").write_text(ca.pem)
    (tmp_path / "sub.pem").write_text(sub.pem)
    (tmp_path / "leaf.pem").write_text(certificate_pem(leaf))
    output = openssl(
        "verify", "-CAfile", tmp_path / "root.pem", "-untrusted",
        tmp_path / "sub.pem", tmp_path / "leaf.pem",
    )  # fmt: skip
    assert output.strip().endswith("OK")
    assert leaf.subject == load_csr(build_csr(key, STATION)).subject
