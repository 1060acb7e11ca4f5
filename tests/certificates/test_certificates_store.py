"""The station's certificate store: install by use, list by use, delete by hash."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ocpp201.certificates import (
    LIST_USE,
    CertificateAuthority,
    CertificateStore,
    CsrSubject,
    build_csr,
    certificate_hash_data,
    verify_certificate_chain,
)
from ocpp201.datatypes import CertificateHashDataType
from ocpp201.enums import (
    CertificateSigningUseEnumType,
    DeleteCertificateStatusEnumType,
    GetCertificateIdUseEnumType,
    HashAlgorithmEnumType,
    InstallCertificateStatusEnumType,
    InstallCertificateUseEnumType,
)

Install = InstallCertificateUseEnumType
ListUse = GetCertificateIdUseEnumType


def test_use_mapping_is_the_specs() -> None:
    assert {k.value: v.value for k, v in LIST_USE.items()} == {
        "V2GRootCertificate": "V2GRootCertificate",
        "MORootCertificate": "MORootCertificate",
        "CSMSRootCertificate": "CSMSRootCertificate",
        "ManufacturerRootCertificate": "ManufacturerRootCertificate",
    }
    # Every InstallCertificateUse is listed; the only GetCertificateIdUse without an
    # InstallCertificateUse is the V2G chain of CertificateSigned.
    assert set(LIST_USE) == set(Install)
    assert set(ListUse) - set(LIST_USE.values()) == {ListUse.V2G_CERTIFICATE_CHAIN}


def test_install_list_delete_and_persist(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path / "certs")
    roots = {
        use: CertificateAuthority.create_root(f"{use.value} CA") for use in Install
    }
    for use, ca in roots.items():
        result = store.install(use, ca.pem)
        assert result.status is InstallCertificateStatusEnumType.ACCEPTED, result
    assert store.entries == 4

    listed = store.installed()
    assert {entry.certificate_type for entry in listed} == set(LIST_USE.values())
    only = store.installed([ListUse.CSMS_ROOT_CERTIFICATE])
    assert len(only) == 1
    csms = roots[Install.CSMS_ROOT_CERTIFICATE].certificate
    assert only[0].certificate_hash_data == certificate_hash_data(csms, csms)
    assert store.installed([ListUse.V2G_CERTIFICATE_CHAIN]) == []

    # Installing the same certificate again replaces it (M05.FR.17).
    again = store.install(
        Install.CSMS_ROOT_CERTIFICATE, roots[Install.CSMS_ROOT_CERTIFICATE].pem
    )
    assert again.status is InstallCertificateStatusEnumType.ACCEPTED
    assert store.entries == 4

    # A second store on the same directory sees the same certificates.
    reopened = CertificateStore(tmp_path / "certs")
    assert reopened.installed() == listed

    # Delete by the hash data as the CSMS got it -- in another case and with the
    # leading zero a peer might add.
    target = only[0].certificate_hash_data
    shouted = CertificateHashDataType(
        hash_algorithm=target.hash_algorithm,
        issuer_name_hash=target.issuer_name_hash.upper(),
        issuer_key_hash=target.issuer_key_hash.upper(),
        serial_number=target.serial_number.upper().zfill(40),
    )
    assert reopened.delete(shouted) is DeleteCertificateStatusEnumType.ACCEPTED
    assert store.delete(target) is DeleteCertificateStatusEnumType.NOT_FOUND
    assert store.installed([ListUse.CSMS_ROOT_CERTIFICATE]) == []
    assert store.entries == 3


def test_hash_algorithm_of_the_listing_is_used_for_deleting(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path)
    ca = CertificateAuthority.create_root("MO Root")
    store.install(Install.MO_ROOT_CERTIFICATE, ca.pem)
    (entry,) = store.installed(hash_algorithm=HashAlgorithmEnumType.SHA512)
    assert entry.certificate_hash_data.hash_algorithm is HashAlgorithmEnumType.SHA512
    assert len(entry.certificate_hash_data.issuer_key_hash) == 128
    assert store.delete(entry.certificate_hash_data) is (
        DeleteCertificateStatusEnumType.ACCEPTED
    )


def test_invalid_installs_are_rejected(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path, max_entries=1)
    ca = CertificateAuthority.create_root("Root")
    leaf, _ = ca.issue_server_certificate("csms.example.com")
    from ocpp201.certificates import certificate_pem

    for text, reason in [
        ("garbage", "InvalidCertificate"),
        (certificate_pem(leaf), "InvalidCertificate"),  # not a CA
        (ca.pem + ca.pem, "InvalidCertificate"),  # two certificates
    ]:
        result = store.install(Install.CSMS_ROOT_CERTIFICATE, text)
        assert result.status is InstallCertificateStatusEnumType.REJECTED
        assert result.reason_code == reason
    expired = CertificateAuthority.create_root(
        "Old", not_before=datetime.now(timezone.utc) - timedelta(days=30),
        valid_for=timedelta(days=1),
    )  # fmt: skip
    result = store.install(Install.CSMS_ROOT_CERTIFICATE, expired.pem)
    assert result.status is InstallCertificateStatusEnumType.REJECTED
    assert store.install(Install.CSMS_ROOT_CERTIFICATE, ca.pem).status is (
        InstallCertificateStatusEnumType.ACCEPTED
    )
    other = CertificateAuthority.create_root("Second")
    full = store.install(Install.V2G_ROOT_CERTIFICATE, other.pem)  # M05.FR.06
    assert full.status is InstallCertificateStatusEnumType.REJECTED
    assert full.reason_code == "OutOfStorage"


def _own_certificate(
    store: CertificateStore,
    issuer: CertificateAuthority,
    roots: list[CertificateAuthority],
    use: CertificateSigningUseEnumType,
    chain_above: list[CertificateAuthority],
) -> None:
    key = store.new_key(use)
    assert store.pending_key(use) is not None
    leaf = issuer.sign_csr(
        build_csr(key, CsrSubject(common_name="CS1", organization="CSO"))
    )
    from ocpp201.certificates import certificate_pem

    pem = certificate_pem([leaf, *(ca.certificate for ca in chain_above)])
    chain = verify_certificate_chain(
        pem, trusted_roots=[r.certificate for r in roots], key=key
    )
    stored = store.store_signed(use, chain)
    assert store.pending_key(use) is None
    assert stat.S_IMODE(stored.key_file.stat().st_mode) == 0o600


def test_charging_station_certificate_is_neither_listed_nor_deletable(
    tmp_path: Path,
) -> None:
    store = CertificateStore(tmp_path)
    root = CertificateAuthority.create_root("CSO Root")
    store.install(Install.CSMS_ROOT_CERTIFICATE, root.pem)
    station = CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
    _own_certificate(store, root, [root], station, [])
    current = store.station_certificate()
    assert current is not None
    assert [e.certificate_type for e in store.installed()] == [
        ListUse.CSMS_ROOT_CERTIFICATE
    ]
    own_hash = certificate_hash_data(current.certificate, root.certificate)
    assert store.delete(own_hash) is DeleteCertificateStatusEnumType.FAILED  # M04.FR.06
    assert store.station_certificate() is not None
    with pytest.raises(LookupError):
        store.store_signed(station, current.chain)  # nothing pending any more


def test_v2g_chain_is_listed_with_its_sub_cas(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path)
    v2g_root = CertificateAuthority.create_root("V2G Root")
    sub1 = v2g_root.issue_sub_ca("CPO Sub-CA 1")
    sub2 = sub1.issue_sub_ca("CPO Sub-CA 2")
    store.install(Install.V2G_ROOT_CERTIFICATE, v2g_root.pem)
    v2g = CertificateSigningUseEnumType.V2G_CERTIFICATE
    _own_certificate(store, sub2, [v2g_root], v2g, [sub2, sub1])

    (entry,) = store.installed([ListUse.V2G_CERTIFICATE_CHAIN])
    assert entry.child_certificate_hash_data == [
        certificate_hash_data(sub2.certificate, sub1.certificate),
        certificate_hash_data(sub1.certificate, v2g_root.certificate),
    ]
    # Deleting a sub-CA takes the chain with it (M04.FR.08).
    child = entry.child_certificate_hash_data[1]
    assert store.delete(child) is DeleteCertificateStatusEnumType.ACCEPTED
    assert store.installed([ListUse.V2G_CERTIFICATE_CHAIN]) == []
    assert len(store.installed()) == 1  # the V2G root stays


def test_additional_root_certificate_check(tmp_path: Path) -> None:
    store = CertificateStore(tmp_path, additional_root_certificate_check=True)
    csms_root = Install.CSMS_ROOT_CERTIFICATE
    old = CertificateAuthority.create_root("CSO Root 1")
    accepted = InstallCertificateStatusEnumType.ACCEPTED
    assert store.install(csms_root, old.pem).status is accepted  # the first one
    assert store.install(csms_root, old.pem).status is accepted  # M05.FR.17

    # M05.FR.11: a new root not signed by the installed one is refused.
    stranger = CertificateAuthority.create_root("Somebody Else")
    refused = store.install(csms_root, stranger.pem)
    assert refused.status is InstallCertificateStatusEnumType.REJECTED
    assert "M05.FR.11" in (refused.detail or "")

    # M05.FR.12: signed by the old one -> installed, the old one kept as fallback.
    new = old.issue_sub_ca("CSO Root 2")
    assert store.install(csms_root, new.pem).status is accepted
    assert store.fallback_root() == old.certificate
    assert {c.subject for c in store.roots(csms_root)} == {
        old.certificate.subject,
        new.certificate.subject,
    }
    # The next replacement must be signed by the new one and drops the old fallback.
    newer = new.issue_sub_ca("CSO Root 3")
    assert store.install(csms_root, old.issue_sub_ca("CSO Root X").pem).status is (
        InstallCertificateStatusEnumType.REJECTED
    )
    assert store.install(csms_root, newer.pem).status is accepted
    assert store.fallback_root() == new.certificate
    assert len(store.roots(csms_root)) == 2
    # M05.FR.13: once connected with the new root, the fallback goes.
    assert store.drop_fallback_root() is True
    assert store.fallback_root() is None
    assert store.roots(csms_root) == [newer.certificate]
    assert store.drop_fallback_root() is False


def test_client_context_accepts_a_root_signed_by_its_predecessor(
    tmp_path: Path,
) -> None:
    import ssl

    from ocpp201.certificates import StationCertificates

    store = CertificateStore(tmp_path)
    with pytest.raises(ValueError, match="no CSMSRootCertificate"):
        StationCertificates(
            store=store, organization="CSO", serial_number="CS1"
        ).client_ssl_context()
    store.install(
        Install.CSMS_ROOT_CERTIFICATE, CertificateAuthority.create_root("R").pem
    )
    context = StationCertificates(
        store=store, organization="CSO", serial_number="CS1"
    ).client_ssl_context()
    assert context.verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert context.verify_mode is ssl.CERT_REQUIRED
