"""Regression tests from the second review of the certificate package.

Each test names the defect it pins down; each failed on the code before its fix.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from certificates_helpers import needs_openssl, openssl
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from ocpp201.certificates import (
    CertificateAuthority,
    CertificateChainError,
    ChainProblem,
    CsrSubject,
    PrivateKey,
    build_csr,
    certificate_pem,
    generate_private_key,
    verify_certificate_chain,
)

SUBJECT = CsrSubject(common_name="CS-0001", organization="Test CSO")


def _ca(
    common_name: str,
    *,
    issuer: CertificateAuthority | None = None,
    path_length: int | None = None,
    key_cert_sign: bool = True,
) -> CertificateAuthority:
    """A CA certificate with the given pathLenConstraint and keyCertSign bit."""
    key = generate_private_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test CSO"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    signer: PrivateKey = issuer.private_key if issuer else key
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=key_cert_sign,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(signer, hashes.SHA256())
    )
    return CertificateAuthority(certificate=certificate, private_key=key)


def _openssl_accepts(
    tmp_path: Path, root: x509.Certificate, chain: list[x509.Certificate]
) -> bool:
    (tmp_path / "root.pem").write_text(certificate_pem(root))
    (tmp_path / "leaf.pem").write_text(certificate_pem(chain[0]))
    args: list[str | Path] = ["verify", "-CAfile", tmp_path / "root.pem"]
    if len(chain) > 1:
        (tmp_path / "untrusted.pem").write_text(certificate_pem(chain[1:]))
        args += ["-untrusted", tmp_path / "untrusted.pem"]
    output = openssl(*args, tmp_path / "leaf.pem", check=False)
    return output.strip().endswith(": OK")


# --------------------------------------------------------------------------------
# Defect 1: the chain check ignored pathLenConstraint and the keyCertSign bit of
# the issuing CAs (RFC 5280 6.1.4 (l)/(m)/(n); A02.FR.06 "part of the CSO
# hierarchy"), so a CA that may not issue sub-CAs (or certificates at all) could
# be used to build a chain that verify_certificate_chain accepted.


@needs_openssl
@pytest.mark.parametrize("root_in_chain", [False, True])
def test_path_length_constraint_of_the_root_is_enforced(
    tmp_path: Path, root_in_chain: bool
) -> None:
    root = _ca("Root pathlen 0", path_length=0)
    sub = _ca("Sub-CA", issuer=root)
    key = generate_private_key()
    leaf = sub.sign_csr(build_csr(key, SUBJECT))
    chain = [leaf, sub.certificate] + ([root.certificate] if root_in_chain else [])
    assert not _openssl_accepts(tmp_path, root.certificate, chain)
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(
            certificate_pem(chain), trusted_roots=[root.certificate], key=key
        )
    assert info.value.problem is ChainProblem.BROKEN_LINK


@needs_openssl
def test_path_length_constraint_of_a_sub_ca_is_enforced(tmp_path: Path) -> None:
    root = _ca("Root")
    sub1 = _ca("Sub-CA 1 pathlen 0", issuer=root, path_length=0)
    sub2 = _ca("Sub-CA 2", issuer=sub1)
    key = generate_private_key()
    leaf = sub2.sign_csr(build_csr(key, SUBJECT))
    chain = [leaf, sub2.certificate, sub1.certificate]
    assert not _openssl_accepts(tmp_path, root.certificate, chain)
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(
            certificate_pem(chain), trusted_roots=[root.certificate], key=key
        )
    assert info.value.problem is ChainProblem.BROKEN_LINK
    assert info.value.index == 2


@needs_openssl
def test_path_length_within_the_constraint_is_accepted(tmp_path: Path) -> None:
    root = _ca("Root pathlen 1", path_length=1)
    sub = _ca("Sub-CA pathlen 0", issuer=root, path_length=0)
    key = generate_private_key()
    leaf = sub.sign_csr(build_csr(key, SUBJECT))
    assert _openssl_accepts(tmp_path, root.certificate, [leaf, sub.certificate])
    for chain in ([leaf, sub.certificate], [leaf, sub.certificate, root.certificate]):
        verify_certificate_chain(
            certificate_pem(chain), trusted_roots=[root.certificate], key=key
        )


@needs_openssl
@pytest.mark.parametrize("which", ["sub", "root"])
def test_issuer_without_key_cert_sign_is_refused(tmp_path: Path, which: str) -> None:
    root = _ca("Root", key_cert_sign=which != "root")
    sub = _ca("Sub-CA", issuer=root, key_cert_sign=which != "sub")
    key = generate_private_key()
    leaf = sub.sign_csr(build_csr(key, SUBJECT))
    chain = [leaf, sub.certificate]
    assert not _openssl_accepts(tmp_path, root.certificate, chain)
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(
            certificate_pem(chain), trusted_roots=[root.certificate], key=key
        )
    assert info.value.problem in (ChainProblem.BROKEN_LINK, ChainProblem.UNTRUSTED_ROOT)


# --------------------------------------------------------------------------------
# Defect 2: InstallCertificate accepted a certificate whose serial number has no
# CertificateHashDataType form (more than 20 octets, RFC 5280 4.1.2.2: serialNumber
# is identifierString[0..40]); from then on every GetInstalledCertificateIds and
# DeleteCertificate raised ValueError in the handler (M03.FR.01, M04.FR.01).


@needs_openssl
def test_certificate_with_an_oversized_serial_cannot_break_the_store(
    tmp_path: Path,
) -> None:
    from ocpp201.certificates import CertificateStore
    from ocpp201.datatypes import CertificateHashDataType
    from ocpp201.enums import (
        DeleteCertificateStatusEnumType,
        HashAlgorithmEnumType,
        InstallCertificateStatusEnumType,
        InstallCertificateUseEnumType,
    )

    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", tmp_path / "key.pem", "-out", tmp_path / "root.pem",
        "-subj", "/O=X/CN=Big Serial Root", "-days", "30",
        "-set_serial", "0x0102030405060708090a0b0c0d0e0f101112131415",
        "-addext", "basicConstraints=critical,CA:TRUE",
    )  # fmt: skip
    store = CertificateStore(tmp_path / "store")
    good = CertificateAuthority.create_root("Good Root")
    mo_root = InstallCertificateUseEnumType.MO_ROOT_CERTIFICATE
    assert store.install(mo_root, good.pem).status is (
        InstallCertificateStatusEnumType.ACCEPTED
    )
    result = store.install(mo_root, (tmp_path / "root.pem").read_text())
    assert result.status is InstallCertificateStatusEnumType.REJECTED
    assert result.reason_code == "InvalidCertificate"
    # Even if such a file is in the directory (an older version put it there),
    # listing and deleting keep working for the others.
    folder = tmp_path / "store" / mo_root.value
    (folder / "planted.pem").write_text((tmp_path / "root.pem").read_text())
    (entry,) = store.installed()
    missing = CertificateHashDataType(
        hash_algorithm=HashAlgorithmEnumType.SHA256,
        issuer_name_hash="00",
        issuer_key_hash="00",
        serial_number="1",
    )
    assert store.delete(missing) is DeleteCertificateStatusEnumType.NOT_FOUND
    assert store.delete(entry.certificate_hash_data) is (
        DeleteCertificateStatusEnumType.ACCEPTED
    )


# --------------------------------------------------------------------------------
# Defect 3: the V2GCertificateChain entry of GetInstalledCertificateIds (M03.FR.05:
# "Sub CA certificates SHALL be placed as a childCertificate") listed the V2G root
# as a child when the CertificateSigned chain included it, and a chain with more
# than four sub-CAs raised ValueError (the fifth certificate was hashed against
# the issuer of the last one).


def _v2g_store(
    tmp_path: Path, depth: int, *, with_root: bool
) -> tuple[object, CertificateAuthority, list[CertificateAuthority]]:
    from ocpp201.certificates import CertificateStore
    from ocpp201.enums import (
        CertificateSigningUseEnumType,
        InstallCertificateUseEnumType,
    )

    store = CertificateStore(tmp_path)
    root = CertificateAuthority.create_root("V2G Root")
    store.install(InstallCertificateUseEnumType.V2G_ROOT_CERTIFICATE, root.pem)
    subs = [root.issue_sub_ca("Sub-CA 1")]
    for n in range(2, depth + 1):
        subs.append(subs[-1].issue_sub_ca(f"Sub-CA {n}"))
    use = CertificateSigningUseEnumType.V2G_CERTIFICATE
    key = store.new_key(use)
    leaf = subs[-1].sign_csr(
        build_csr(key, CsrSubject(common_name="SECC1", organization="CPO"))
    )
    above = [s.certificate for s in reversed(subs)]
    if with_root:
        above.append(root.certificate)
    chain = verify_certificate_chain(
        certificate_pem([leaf, *above]), trusted_roots=[root.certificate], key=key
    )
    store.store_signed(use, chain)
    return store, root, list(reversed(subs))


def test_v2g_listing_does_not_list_the_root_as_a_child(tmp_path: Path) -> None:
    from ocpp201.certificates import certificate_hash_data
    from ocpp201.enums import GetCertificateIdUseEnumType

    store, root, subs = _v2g_store(tmp_path, 2, with_root=True)
    (entry,) = store.installed(  # type: ignore[attr-defined]
        [GetCertificateIdUseEnumType.V2G_CERTIFICATE_CHAIN]
    )
    assert entry.child_certificate_hash_data == [
        certificate_hash_data(subs[0].certificate, subs[1].certificate),
        certificate_hash_data(subs[1].certificate, root.certificate),
    ]


def test_v2g_listing_of_a_long_chain_keeps_four_children(tmp_path: Path) -> None:
    from ocpp201.certificates import certificate_hash_data
    from ocpp201.enums import GetCertificateIdUseEnumType

    store, _, subs = _v2g_store(tmp_path, 5, with_root=False)
    (entry,) = store.installed(  # type: ignore[attr-defined]
        [GetCertificateIdUseEnumType.V2G_CERTIFICATE_CHAIN]
    )
    assert entry.child_certificate_hash_data == [
        certificate_hash_data(subs[i].certificate, subs[i + 1].certificate)
        for i in range(4)
    ]


# --------------------------------------------------------------------------------
# Defect 4: with AdditionalRootCertificateCheck the new CSMS root is signed by the
# old one (M05.FR.10); once the fallback was removed (M05.FR.13) the store could
# no longer compute the new root's issuerKeyHash, so the only installed CSMS root
# vanished from GetInstalledCertificateIds (M03.FR.04) and could not be deleted.


def test_replaced_csms_root_stays_listed_after_the_fallback_goes(
    tmp_path: Path,
) -> None:
    from ocpp201.certificates import CertificateStore, certificate_hash_data
    from ocpp201.enums import (
        DeleteCertificateStatusEnumType,
        GetCertificateIdUseEnumType,
        InstallCertificateStatusEnumType,
        InstallCertificateUseEnumType,
    )

    csms_root = InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE
    store = CertificateStore(tmp_path, additional_root_certificate_check=True)
    old = CertificateAuthority.create_root("CSO Root 1")
    new = old.issue_sub_ca("CSO Root 2")
    accepted = InstallCertificateStatusEnumType.ACCEPTED
    assert store.install(csms_root, old.pem).status is accepted
    assert store.install(csms_root, new.pem).status is accepted
    assert store.drop_fallback_root() is True
    assert store.roots(csms_root) == [new.certificate]

    reopened = CertificateStore(tmp_path, additional_root_certificate_check=True)
    (entry,) = reopened.installed([GetCertificateIdUseEnumType.CSMS_ROOT_CERTIFICATE])
    expected = certificate_hash_data(new.certificate, old.certificate)
    assert entry.certificate_hash_data == expected
    assert reopened.delete(expected) is DeleteCertificateStatusEnumType.ACCEPTED
    assert reopened.roots(csms_root) == []
    assert list((tmp_path / csms_root.value).iterdir()) == []


# --------------------------------------------------------------------------------
# Defect 5: a certificate with a critical extension the check does not process was
# accepted (RFC 5280 4.2 and 6.1.4 (o) / 6.1.5 (f): a certificate with an
# unrecognised critical extension MUST be rejected); openssl refuses such chains.

_UNKNOWN = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1")


@needs_openssl
@pytest.mark.parametrize("where", ["leaf", "sub"])
def test_unhandled_critical_extension_is_refused(tmp_path: Path, where: str) -> None:
    root = CertificateAuthority.create_root("Root")
    sub = root.issue_sub_ca("Sub-CA")
    if where == "sub":
        builder = (
            x509.CertificateBuilder()
            .subject_name(sub.certificate.subject)
            .issuer_name(root.certificate.subject)
            .public_key(sub.certificate.public_key())  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(sub.certificate.not_valid_before_utc)
            .not_valid_after(sub.certificate.not_valid_after_utc)
        )
        for extension in sub.certificate.extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        builder = builder.add_extension(
            x509.UnrecognizedExtension(_UNKNOWN, b"\x05\x00"), critical=True
        )
        sub = CertificateAuthority(
            certificate=builder.sign(root.private_key, hashes.SHA256()),
            private_key=sub.private_key,
        )
    key = generate_private_key()
    leaf = sub.sign_csr(build_csr(key, SUBJECT))
    if where == "leaf":
        builder = (
            x509.CertificateBuilder()
            .subject_name(leaf.subject)
            .issuer_name(leaf.issuer)
            .public_key(key.public_key())
            .serial_number(leaf.serial_number)
            .not_valid_before(leaf.not_valid_before_utc)
            .not_valid_after(leaf.not_valid_after_utc)
        )
        for extension in leaf.extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        leaf = builder.add_extension(
            x509.UnrecognizedExtension(_UNKNOWN, b"\x05\x00"), critical=True
        ).sign(sub.private_key, hashes.SHA256())
    chain = [leaf, sub.certificate]
    assert not _openssl_accepts(tmp_path, root.certificate, chain)
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(
            certificate_pem(chain), trusted_roots=[root.certificate], key=key
        )
    assert info.value.index == (0 if where == "leaf" else 1)


# --------------------------------------------------------------------------------
# Defect 6: by default the store accepted any number of InstallCertificateRequests,
# so a CSMS could fill the station's disk (and make every listing slower); the
# project's rule is hostile-by-default bounds, and Part 2 has CertificateEntries
# with a maxLimit for exactly this (M05.FR.06).


def test_the_store_is_bounded_by_default(tmp_path: Path) -> None:
    from ocpp201.certificates import CertificateStore
    from ocpp201.certificates._store import MAX_CERTIFICATE_ENTRIES
    from ocpp201.enums import (
        InstallCertificateStatusEnumType,
        InstallCertificateUseEnumType,
    )

    store = CertificateStore(tmp_path)
    assert store.max_entries == MAX_CERTIFICATE_ENTRIES
    use = InstallCertificateUseEnumType.MO_ROOT_CERTIFICATE
    root = CertificateAuthority.create_root("MO Root")
    folder = tmp_path / use.value
    folder.mkdir()
    for n in range(MAX_CERTIFICATE_ENTRIES):  # as if installed one by one
        (folder / f"{n:04d}.pem").write_text(root.pem)
    result = store.install(use, CertificateAuthority.create_root("One more").pem)
    assert result.status is InstallCertificateStatusEnumType.REJECTED
    assert result.reason_code == "OutOfStorage"
    assert CertificateStore(tmp_path / "free", max_entries=None).max_entries is None


# --------------------------------------------------------------------------------
# Defect 7: load_certificates (the PEM parser under verify_certificate_chain and the
# store) used a lazy regular expression with a back-reference that backtracks
# quadratically: 200 000 characters of BEGIN lines without END took seconds of CPU
# (7 s measured), although MAX_PEM_LENGTH is documented as its bound.


def test_pem_parsing_is_linear_in_hostile_input() -> None:
    import time

    from ocpp201.certificates import load_certificates

    begin = "-----BEGIN CERTIFICATE-----\n"
    text = begin * (199_000 // len(begin))
    started = time.perf_counter()
    with pytest.raises(ValueError, match="END"):
        load_certificates(text)
    assert time.perf_counter() - started < 1.0


# --------------------------------------------------------------------------------
# Defect 8: A02.FR.06 asks the station to check "the properties in Certificate
# Properties"; A00.FR.501/502 apply to all certificates (keys of at least 112-bit
# security: RSA >= 2048).  Only the leaf's key was checked: a 1024-bit sub-CA
# passed.  (SHA-1 signatures are already refused: cryptography does not verify
# them, which gives BROKEN_LINK.)


def _resigned(
    certificate: x509.Certificate,
    signer: PrivateKey,
    algorithm: hashes.HashAlgorithm,
    public_key: object | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(certificate.subject)
        .issuer_name(certificate.issuer)
        .public_key(public_key or certificate.public_key())  # type: ignore[arg-type]
        .serial_number(certificate.serial_number)
        .not_valid_before(certificate.not_valid_before_utc)
        .not_valid_after(certificate.not_valid_after_utc)
    )
    for extension in certificate.extensions:
        if not isinstance(
            extension.value,
            (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier),
        ):
            builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(signer, algorithm)  # type: ignore[arg-type]


def test_weak_sub_ca_key_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    root = CertificateAuthority.create_root("Root")
    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    sub_certificate = _resigned(
        root.issue_sub_ca("Sub-CA").certificate,
        root.private_key,
        hashes.SHA256(),
        public_key=weak_key.public_key(),
    )
    sub = CertificateAuthority(certificate=sub_certificate, private_key=weak_key)
    key = generate_private_key()
    leaf = sub.sign_csr(build_csr(key, SUBJECT))
    with pytest.raises(CertificateChainError) as info:
        verify_certificate_chain(
            certificate_pem([leaf, sub.certificate]),
            trusted_roots=[root.certificate],
            key=key,
        )
    assert info.value.problem is ChainProblem.PROPERTIES
    assert info.value.index == 1


def test_install_refuses_a_weak_ca_key(tmp_path: Path) -> None:
    """Defect 8 on the InstallCertificate side (M05.FR.07, A00.FR.501/502)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from ocpp201.certificates import CertificateStore
    from ocpp201.enums import (
        InstallCertificateStatusEnumType,
        InstallCertificateUseEnumType,
    )

    weak_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    template = CertificateAuthority.create_root("Weak Root").certificate
    weak_root = _resigned(
        template, weak_key, hashes.SHA256(), public_key=weak_key.public_key()
    )
    store = CertificateStore(tmp_path)
    result = store.install(
        InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE, certificate_pem(weak_root)
    )
    assert result.status is InstallCertificateStatusEnumType.REJECTED
    assert result.reason_code == "InvalidCertificate"


# --------------------------------------------------------------------------------
# Defect 9: DeleteCertificate answered Failed for any certificate of the charging
# station certificate's chain, not only for the charging station certificate
# itself (M04.FR.06): an installed CSMS root that the CertificateSigned chain
# happened to include could not be deleted (M04.FR.02).


def test_only_the_station_certificate_itself_is_protected(tmp_path: Path) -> None:
    from ocpp201.certificates import CertificateStore, certificate_hash_data
    from ocpp201.enums import (
        CertificateSigningUseEnumType,
        DeleteCertificateStatusEnumType,
        InstallCertificateUseEnumType,
    )

    csms_root = InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE
    store = CertificateStore(tmp_path)
    root = CertificateAuthority.create_root("CSO Root")
    other = CertificateAuthority.create_root("CSO Root 2")
    store.install(csms_root, root.pem)
    store.install(csms_root, other.pem)
    use = CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
    key = store.new_key(use)
    leaf = root.sign_csr(build_csr(key, SUBJECT))
    chain = verify_certificate_chain(
        certificate_pem([leaf, root.certificate]),
        trusted_roots=[root.certificate],
        key=key,
    )
    store.store_signed(use, chain)

    assert store.delete(certificate_hash_data(leaf, root.certificate)) is (
        DeleteCertificateStatusEnumType.FAILED
    )
    assert store.delete(certificate_hash_data(root.certificate, root.certificate)) is (
        DeleteCertificateStatusEnumType.ACCEPTED
    )
    assert store.roots(csms_root) == [other.certificate]
    assert store.station_certificate() is not None
