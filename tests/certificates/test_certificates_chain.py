"""Checking CertificateSigned chains: each failure its own reason.

``openssl verify`` is run over the same chains as a cross-check of the verdicts that
it can judge (trust, validity, signatures).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from certificates_helpers import needs_openssl, openssl
from cryptography import x509

from ocpp201 import to_payload
from ocpp201.certificates import (
    CertificateAuthority,
    CertificateChainError,
    ChainProblem,
    CsrSubject,
    KeyType,
    PrivateKey,
    build_csr,
    certificate_pem,
    generate_private_key,
    verify_certificate_chain,
)
from ocpp201.enums import CertificateSignedStatusEnumType

pytestmark = needs_openssl

SUBJECT = CsrSubject(common_name="CS-0001", organization="Test CSO")
NOW = datetime.now(timezone.utc)


class Pki:
    def __init__(self, key_type: KeyType = KeyType.EC_P256) -> None:
        self.root = CertificateAuthority.create_root("CSO Root", key_type=key_type)
        self.sub = self.root.issue_sub_ca("CSO Sub-CA", key_type=key_type)
        self.key = generate_private_key(key_type)
        self.leaf = self.issue(self.key)

    def issue(self, key: PrivateKey, **options: object) -> x509.Certificate:
        return self.sub.sign_csr(build_csr(key, SUBJECT), **options)  # type: ignore[arg-type]

    def chain(self, *certificates: x509.Certificate) -> str:
        return certificate_pem(list(certificates))


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def _openssl_verify(
    tmp_path: Path, root: x509.Certificate, chain: list[x509.Certificate]
) -> bool:
    (tmp_path / "root.pem").write_text(certificate_pem(root))
    (tmp_path / "leaf.pem").write_text(certificate_pem(chain[0]))
    (tmp_path / "untrusted.pem").write_text(certificate_pem(chain[1:]) or "")
    args: list[str | Path] = ["verify", "-CAfile", tmp_path / "root.pem"]
    if len(chain) > 1:
        args += ["-untrusted", tmp_path / "untrusted.pem"]
    output = openssl(*args, tmp_path / "leaf.pem", check=False)
    return output.strip().endswith(": OK")


def _problem(pki: Pki, chain: str, **options: object) -> CertificateChainError:
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(
            chain,
            trusted_roots=[pki.root.certificate],
            key=options.pop("key", pki.key),  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )
    return info.value


@pytest.mark.parametrize("key_type", [KeyType.EC_P256, KeyType.RSA_2048])
def test_valid_chain(tmp_path: Path, key_type: KeyType) -> None:
    pki = Pki(key_type)
    chain = verify_certificate_chain(
        pki.chain(pki.leaf, pki.sub.certificate),
        trusted_roots=[pki.root.certificate],
        key=pki.key,
        common_name="CS-0001",
        organization="Test CSO",
    )
    assert chain == [pki.leaf, pki.sub.certificate]
    assert _openssl_verify(tmp_path, pki.root.certificate, chain)
    # The root may be part of the chain too.
    full = verify_certificate_chain(
        pki.chain(pki.leaf, pki.sub.certificate, pki.root.certificate),
        trusted_roots=[pki.root.certificate],
        key=pki.key.public_key(),
    )
    assert len(full) == 3


def test_no_leaf_at_all(pki: Pki) -> None:
    error = _problem(
        pki,
        pki.chain(pki.sub.certificate, pki.root.certificate),
        key=pki.sub.private_key,
    )
    assert error.problem is ChainProblem.PROPERTIES


def test_wrong_order(pki: Pki) -> None:
    error = _problem(pki, pki.chain(pki.sub.certificate, pki.leaf))
    assert error.problem is ChainProblem.WRONG_ORDER
    error = _problem(
        pki, pki.chain(pki.leaf, pki.root.certificate, pki.sub.certificate)
    )
    assert error.problem is ChainProblem.WRONG_ORDER


def test_foreign_leaf(pki: Pki, tmp_path: Path) -> None:
    """A correctly signed certificate, but for another key than the CSR's."""
    other = pki.issue(generate_private_key())
    chain = [other, pki.sub.certificate]
    assert _openssl_verify(tmp_path, pki.root.certificate, chain)  # otherwise fine
    error = _problem(pki, pki.chain(*chain))
    assert error.problem is ChainProblem.KEY_MISMATCH
    assert error.index == 0


def test_expired(pki: Pki, tmp_path: Path) -> None:
    old = pki.issue(
        pki.key, not_before=NOW - timedelta(days=30), valid_for=timedelta(days=10)
    )
    assert not _openssl_verify(
        tmp_path, pki.root.certificate, [old, pki.sub.certificate]
    )
    error = _problem(pki, pki.chain(old, pki.sub.certificate))
    assert error.problem is ChainProblem.EXPIRED
    assert error.index == 0


def test_not_yet_valid(pki: Pki) -> None:
    future = pki.issue(pki.key, not_before=NOW + timedelta(hours=1))
    error = _problem(pki, pki.chain(future, pki.sub.certificate))
    assert error.problem is ChainProblem.NOT_YET_VALID


def test_wrong_root(pki: Pki, tmp_path: Path) -> None:
    other_root = CertificateAuthority.create_root("Other Root")
    chain = [pki.leaf, pki.sub.certificate]
    assert not _openssl_verify(tmp_path, other_root.certificate, chain)
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(
            pki.chain(*chain), trusted_roots=[other_root.certificate], key=pki.key
        )
    assert info.value.problem is ChainProblem.UNTRUSTED_ROOT
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(pki.chain(*chain), trusted_roots=[], key=pki.key)
    assert info.value.problem is ChainProblem.UNTRUSTED_ROOT


def test_impostor_sub_ca_breaks_the_link(pki: Pki, tmp_path: Path) -> None:
    """A sub-CA with the same name but another key: names chain, signatures do
    not."""
    impostor = pki.root.issue_sub_ca("CSO Sub-CA")
    chain = [pki.leaf, impostor.certificate]
    assert not _openssl_verify(tmp_path, pki.root.certificate, chain)
    error = _problem(pki, pki.chain(*chain))
    assert error.problem is ChainProblem.BROKEN_LINK
    unrelated = CertificateAuthority.create_root("Elsewhere").issue_sub_ca("Other")
    error = _problem(pki, pki.chain(pki.leaf, unrelated.certificate))
    assert error.problem is ChainProblem.BROKEN_LINK


def test_too_large_and_not_pem(pki: Pki) -> None:
    chain = pki.chain(pki.leaf, pki.sub.certificate)
    error = _problem(pki, chain, max_chain_size=len(chain) - 1)
    assert error.problem is ChainProblem.TOO_LARGE
    assert error.reason_code == "TooLargeElement"
    assert _problem(pki, "garbage").problem is ChainProblem.NOT_PEM
    assert _problem(pki, "").problem is ChainProblem.NOT_PEM


def test_properties(pki: Pki) -> None:
    chain = pki.chain(pki.leaf, pki.sub.certificate)
    error = _problem(pki, chain, common_name="CS-0002")
    assert error.problem is ChainProblem.PROPERTIES
    error = _problem(pki, chain, organization="Someone Else")
    assert error.problem is ChainProblem.PROPERTIES
    # A CA certificate as "leaf" (its own key): refused as a property.
    error = _problem(pki, pki.chain(pki.sub.certificate), key=pki.sub.private_key)
    assert error.problem is ChainProblem.PROPERTIES


def test_error_maps_to_response_and_security_event(pki: Pki) -> None:
    error = _problem(pki, pki.chain(pki.sub.certificate, pki.leaf))
    response = error.response()
    assert response.status is CertificateSignedStatusEnumType.REJECTED
    assert response.status_info is not None
    assert response.status_info.reason_code == "InvalidCertificate"
    assert "WrongOrder" in (response.status_info.additional_info or "")
    event = error.security_event()
    assert event.type == "InvalidChargingStationCertificate"
    to_payload(response)
    to_payload(event)
