"""The charging station's certificate store, persisted to a directory.

What it keeps, one sub-directory per use:

* the CA certificates installed with InstallCertificateRequest (M05), by
  ``InstallCertificateUseEnumType``: ``CSMSRootCertificate``,
  ``ManufacturerRootCertificate``, ``V2GRootCertificate``, ``MORootCertificate``;
* the station's own certificates from CertificateSignedRequest (A02/A03), by
  ``CertificateSigningUseEnumType``: ``ChargingStationCertificate`` and
  ``V2GCertificate`` -- each the chain as received plus its private key;
* ``pending/``: the private key of each CSR sent and not yet answered.

Listing (M03) maps the uses as Part 2 does: the four root uses are reported under the
``GetCertificateIdUseEnumType`` of the same name; the V2G certificates as
``V2GCertificateChain``, the sub-CAs as ``childCertificateHashData`` (M03.FR.05);
the charging station certificate has no GetCertificateIdUse in OCPP 2.0.1 and is not
listed, and deleting it is refused (M04.FR.06).

A CA certificate that is not self-signed (a new CSMS root signed by the old one,
M05.FR.10) gets its issuer's certificate kept next to it (``<name>.issuer``), so
that its hash data can still be computed once the issuer is gone (M05.FR.13).

Files are written atomically (a temporary file, then ``os.replace``); keys are
created with mode 0600.  The store is meant for one process; it holds no locks.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..datatypes import CertificateHashDataChainType, CertificateHashDataType
from ..enums import (
    CertificateSigningUseEnumType,
    DeleteCertificateStatusEnumType,
    GetCertificateIdUseEnumType,
    HashAlgorithmEnumType,
    InstallCertificateStatusEnumType,
    InstallCertificateUseEnumType,
)
from ._chain import _is_ca, _signed_by
from ._hashdata import (
    certificate_hash_data,
    certificate_hash_data_chain,
    certificate_pem,
    fingerprint,
    hash_data_matches,
    load_certificates,
    serial_number_hex,
)
from ._keys import (
    KeyType,
    PrivateKey,
    check_key_strength,
    generate_private_key,
    load_private_key,
    private_key_pem,
    same_public_key,
)

__all__ = ["LIST_USE", "CertificateStore", "InstallResult", "StationCertificate"]

LIST_USE: Final[dict[InstallCertificateUseEnumType, GetCertificateIdUseEnumType]] = {
    InstallCertificateUseEnumType.V2G_ROOT_CERTIFICATE: (
        GetCertificateIdUseEnumType.V2G_ROOT_CERTIFICATE
    ),
    InstallCertificateUseEnumType.MO_ROOT_CERTIFICATE: (
        GetCertificateIdUseEnumType.MO_ROOT_CERTIFICATE
    ),
    InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE: (
        GetCertificateIdUseEnumType.CSMS_ROOT_CERTIFICATE
    ),
    InstallCertificateUseEnumType.MANUFACTURER_ROOT_CERTIFICATE: (
        GetCertificateIdUseEnumType.MANUFACTURER_ROOT_CERTIFICATE
    ),
}
"""InstallCertificateUse -> the GetCertificateIdUse it is listed under (M03/M05).

The station's V2G certificates (CertificateSigningUse ``V2GCertificate``) are listed
as ``V2GCertificateChain``; the ``ChargingStationCertificate`` is never listed."""

MAX_CERTIFICATE_ENTRIES: Final = 100
"""The default bound on the certificates a store holds (CertificateEntries
maxLimit): InstallCertificateRequests beyond it are Rejected (M05.FR.06)."""

_PENDING: Final = "pending"
_CSMS_ROOT: Final = InstallCertificateUseEnumType.CSMS_ROOT_CERTIFICATE


@dataclass(frozen=True)
class InstallResult:
    """The outcome of :meth:`CertificateStore.install`: the status and, unless
    Accepted, a reason code (Part 2 appendix 5) and a sentence."""

    status: InstallCertificateStatusEnumType
    reason_code: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class StationCertificate:
    """One of the station's own certificates: its chain (leaf first) and the files
    of the chain and of the key (for ``ssl.SSLContext.load_cert_chain``)."""

    use: CertificateSigningUseEnumType
    chain: tuple[x509.Certificate, ...]
    chain_file: Path
    key_file: Path

    @property
    def certificate(self) -> x509.Certificate:
        """The leaf certificate."""
        return self.chain[0]


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        if private:
            os.chmod(temporary, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class CertificateStore:
    """The station's certificates in ``directory`` (see the module docs).

    Args:
        directory: where to keep them; created if missing.
        max_entries: the maxLimit of SecurityCtrlr.CertificateEntries: installing
            beyond it is Rejected (M05.FR.06); :data:`MAX_CERTIFICATE_ENTRIES`
            by default.  ``None``: no limit (the CSMS could fill the disk).
        additional_root_certificate_check: SecurityCtrlr.AdditionalRootCertificateCheck
            (M05.FR.09-13): a new CSMSRootCertificate must be signed by the
            installed one, replaces it and keeps it as the one fallback until
            :meth:`drop_fallback_root`.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_entries: int | None = MAX_CERTIFICATE_ENTRIES,
        additional_root_certificate_check: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_entries = max_entries
        self.additional_root_certificate_check = additional_root_certificate_check

    # ------------------------------------------------------------- CA certificates

    def _use_dir(
        self, use: InstallCertificateUseEnumType | CertificateSigningUseEnumType
    ) -> Path:
        return self.directory / str(use.value)

    def roots(self, use: InstallCertificateUseEnumType) -> list[x509.Certificate]:
        """The installed certificates of one InstallCertificateUse, oldest first."""
        folder = self._use_dir(InstallCertificateUseEnumType(use))
        found = []
        for path in sorted(folder.glob("*.pem")):
            with contextlib.suppress(ValueError, OSError):
                found.extend(load_certificates(path.read_bytes())[:1])
        return sorted(found, key=lambda c: c.not_valid_before_utc)

    def roots_pem(self, use: InstallCertificateUseEnumType) -> str:
        """The installed certificates of one use as one PEM text (for
        ``ssl.SSLContext.load_verify_locations(cadata=...)``)."""
        return certificate_pem(self.roots(use))

    @property
    def entries(self) -> int:
        """SecurityCtrlr.CertificateEntries: the certificates installed (the CA
        certificates and the station's own leaf certificates)."""
        uses: list[InstallCertificateUseEnumType | CertificateSigningUseEnumType] = [
            *InstallCertificateUseEnumType,
            *CertificateSigningUseEnumType,
        ]
        return sum(len(list(self._use_dir(use).glob("*.pem"))) for use in uses)

    def install(
        self,
        use: InstallCertificateUseEnumType,
        certificate: str,
        *,
        now: datetime | None = None,
    ) -> InstallResult:
        """Install a CA certificate (InstallCertificateRequest, M05).

        Rejected (reason ``InvalidCertificate``) when the text is not exactly one
        PEM certificate, is not a CA certificate, is outside its validity period
        (M05.FR.07), has a too weak key (A00.FR.501-503) or a serial number that
        ``CertificateHashDataType`` cannot carry (negative, over 20 octets);
        Rejected (``OutOfStorage``) beyond ``max_entries`` (M05.FR.06).  A
        certificate already present is replaced: Accepted (M05.FR.17).  A failure
        to write is Failed.
        """
        use = InstallCertificateUseEnumType(use)
        rejected = InstallCertificateStatusEnumType.REJECTED
        try:
            certificates = load_certificates(certificate)
        except ValueError as exc:
            return InstallResult(rejected, "InvalidCertificate", str(exc))
        if len(certificates) != 1:
            return InstallResult(
                rejected, "InvalidCertificate", "exactly one certificate expected"
            )
        (ca,) = certificates
        when = now or datetime.now(timezone.utc)
        if not ca.not_valid_before_utc <= when <= ca.not_valid_after_utc:
            return InstallResult(
                rejected, "InvalidCertificate", "outside its validity period"
            )
        if not _is_ca(ca):
            return InstallResult(
                rejected,
                "InvalidCertificate",
                "not a CA certificate (basicConstraints)",
            )
        try:
            serial_number_hex(ca)
        except ValueError as exc:  # it could never be listed nor deleted (M03/M04)
            return InstallResult(rejected, "InvalidCertificate", str(exc))
        key = ca.public_key()
        if isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            try:
                check_key_strength(key)  # A00.FR.501-503: all certificates
            except ValueError as exc:
                return InstallResult(rejected, "InvalidCertificate", str(exc))
        path = self._use_dir(use) / f"{fingerprint(ca)}.pem"
        replaced: x509.Certificate | None = None
        if (
            self.additional_root_certificate_check
            and use is _CSMS_ROOT
            and not path.exists()
        ):
            current = [c for c in self.roots(use) if fingerprint(c) != self._fallback()]
            if current:
                replaced = current[-1]
                if not _signed_by(ca, replaced):
                    return InstallResult(
                        rejected,
                        "InvalidCertificate",
                        "not signed by the installed CSMS root certificate "
                        "(AdditionalRootCertificateCheck, M05.FR.11)",
                    )
        freed = 1 if replaced is not None and self._fallback() else 0
        if (
            not path.exists()
            and self.max_entries is not None
            and self.entries - freed >= self.max_entries
        ):
            return InstallResult(
                rejected, "OutOfStorage", f"CertificateEntries is at {self.max_entries}"
            )
        issuer = self._issuer_of(ca, ())
        try:
            if issuer is not None and issuer is not ca:
                _write(path.with_suffix(".issuer"), certificate_pem(issuer).encode())
            _write(path, certificate_pem(ca).encode())
            if replaced is not None:  # M05.FR.12: the old one becomes the fallback
                self.drop_fallback_root()
                _write(self._fallback_marker(), fingerprint(replaced).encode())
        except OSError as exc:
            return InstallResult(
                InstallCertificateStatusEnumType.FAILED, "OutOfStorage", str(exc)
            )
        return InstallResult(InstallCertificateStatusEnumType.ACCEPTED)

    def _fallback_marker(self) -> Path:
        return self._use_dir(_CSMS_ROOT) / "fallback"

    def _fallback(self) -> str | None:
        try:
            return self._fallback_marker().read_text().strip() or None
        except OSError:
            return None

    def fallback_root(self) -> x509.Certificate | None:
        """The CSMS root kept as fallback after a replacement (M05.FR.12), if any."""
        name = self._fallback()
        for certificate in self.roots(_CSMS_ROOT) if name else []:
            if fingerprint(certificate) == name:
                return certificate
        return None

    def drop_fallback_root(self) -> bool:
        """Remove the fallback CSMS root: call it once connected to the CSMS with
        the new root (M05.FR.13).  Returns whether there was one."""
        name = self._fallback()
        with contextlib.suppress(FileNotFoundError):
            self._fallback_marker().unlink()
        if name is None:
            return False
        for suffix in (".pem", ".issuer"):
            with contextlib.suppress(FileNotFoundError):
                (self._use_dir(_CSMS_ROOT) / f"{name}{suffix}").unlink()
        return True

    # ------------------------------------------------------- the station's own ones

    def new_key(
        self,
        use: CertificateSigningUseEnumType,
        key_type: KeyType = KeyType.EC_P256,
    ) -> PrivateKey:
        """Generate the key pair for a new CSR of ``use`` and keep it as pending
        (replacing an older pending key of that use, A02.FR.17)."""
        key = generate_private_key(key_type)
        use = CertificateSigningUseEnumType(use)
        _write(
            self.directory / _PENDING / f"{use.value}.key",
            private_key_pem(key),
            private=True,
        )
        return key

    def pending_key(self, use: CertificateSigningUseEnumType) -> PrivateKey | None:
        """The key of the CSR of ``use`` awaiting its CertificateSigned, if any."""
        path = (
            self.directory
            / _PENDING
            / f"{CertificateSigningUseEnumType(use).value}.key"
        )
        try:
            return load_private_key(path.read_bytes())
        except (OSError, ValueError):
            return None

    def store_signed(
        self,
        use: CertificateSigningUseEnumType,
        chain: Iterable[x509.Certificate],
    ) -> StationCertificate:
        """Keep a verified chain for the pending key of ``use`` (which it consumes).

        Call it with the result of :func:`verify_certificate_chain`.

        Raises:
            LookupError: no key is pending for ``use``.
            ValueError: the leaf is not for the pending key.
        """
        use = CertificateSigningUseEnumType(use)
        certificates = tuple(chain)
        key = self.pending_key(use)
        if key is None:
            raise LookupError(f"no CSR of {use.value} is pending")
        if not same_public_key(certificates[0].public_key(), key):  # type: ignore[arg-type]
            raise ValueError("the leaf certificate is not for the pending key")
        folder = self._use_dir(use)
        name = fingerprint(certificates[0])
        key_file = folder / f"{name}.key"
        chain_file = folder / f"{name}.pem"
        _write(key_file, private_key_pem(key), private=True)
        _write(chain_file, certificate_pem(certificates).encode())
        with contextlib.suppress(OSError):
            (self.directory / _PENDING / f"{use.value}.key").unlink()
        return StationCertificate(use, certificates, chain_file, key_file)

    def station_certificates(
        self, use: CertificateSigningUseEnumType
    ) -> list[StationCertificate]:
        """The station's certificates of ``use``, newest (latest start of validity)
        first."""
        use = CertificateSigningUseEnumType(use)
        found = []
        for chain_file in self._use_dir(use).glob("*.pem"):
            key_file = chain_file.with_suffix(".key")
            try:
                chain = tuple(load_certificates(chain_file.read_bytes()))
            except (OSError, ValueError):
                continue
            if key_file.exists():
                found.append(StationCertificate(use, chain, chain_file, key_file))
        return sorted(
            found, key=lambda c: c.certificate.not_valid_before_utc, reverse=True
        )

    def station_certificate(
        self,
        use: CertificateSigningUseEnumType = (
            CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
        ),
        *,
        now: datetime | None = None,
    ) -> StationCertificate | None:
        """The newest certificate of ``use`` valid ``now``, if any."""
        when = now or datetime.now(timezone.utc)
        for candidate in self.station_certificates(use):
            leaf = candidate.certificate
            if leaf.not_valid_before_utc <= when <= leaf.not_valid_after_utc:
                return candidate
        return None

    def keep_only(self, keep: StationCertificate) -> int:
        """Discard the station's other certificates of ``keep.use`` (A02.FR.10 as
        amended by the errata: once connected, discard the certificate not in use).

        Returns how many were discarded.
        """
        removed = 0
        for other in self.station_certificates(keep.use):
            if other.chain_file != keep.chain_file:
                for path in (other.chain_file, other.key_file):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                removed += 1
        return removed

    # ------------------------------------------------------------ listing, deleting

    def _issuer_of(
        self,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        path: Path | None = None,
    ) -> x509.Certificate | None:
        if certificate.issuer == certificate.subject and _signed_by(
            certificate, certificate
        ):
            return certificate
        candidates = [*chain]
        for use in InstallCertificateUseEnumType:
            candidates.extend(self.roots(use))
        for candidate in candidates:
            if candidate.subject == certificate.issuer and _signed_by(
                certificate, candidate
            ):
                return candidate
        return self._kept_issuer(path)

    @staticmethod
    def _kept_issuer(path: Path | None) -> x509.Certificate | None:
        """The issuer certificate :meth:`install` kept next to ``path`` (after
        checking that it signed the certificate), if any.  The certificate, not
        just its key, so that issuerKeyHash hashes the key bits as encoded."""
        if path is None:
            return None
        try:
            return load_certificates(path.with_suffix(".issuer").read_bytes())[0]
        except (OSError, ValueError):
            return None

    def _listed(
        self,
    ) -> Iterable[
        tuple[GetCertificateIdUseEnumType, tuple[x509.Certificate, ...], Path]
    ]:
        for install_use, list_use in LIST_USE.items():
            for path in sorted(self._use_dir(install_use).glob("*.pem")):
                with contextlib.suppress(ValueError, OSError):
                    yield (
                        list_use,
                        tuple(load_certificates(path.read_bytes())[:1]),
                        path,
                    )
        for own in self.station_certificates(
            CertificateSigningUseEnumType.V2G_CERTIFICATE
        ):
            yield (
                GetCertificateIdUseEnumType.V2G_CERTIFICATE_CHAIN,
                own.chain,
                own.chain_file,
            )

    def installed(
        self,
        uses: Iterable[GetCertificateIdUseEnumType] | None = None,
        hash_algorithm: HashAlgorithmEnumType = HashAlgorithmEnumType.SHA256,
    ) -> list[CertificateHashDataChainType]:
        """The hash data of the installed certificates of ``uses`` (all when
        ``None`` or empty), for GetInstalledCertificateIdsResponse (M03).

        A certificate whose issuer is neither in its chain nor installed, and whose
        issuer was not kept at install time, cannot be hashed (its
        issuerKeyHash needs the issuer's key) and is left out.
        """
        wanted = set(uses or GetCertificateIdUseEnumType)
        result = []
        for list_use, chain, path in self._listed():
            if list_use not in wanted:
                continue
            # M03.FR.05: the leaf and its sub-CAs -- not a root the chain
            # includes -- and at most four children.
            listed = chain
            while len(listed) > 1 and listed[-1].issuer == listed[-1].subject:
                listed = listed[:-1]
            issuer = (
                chain[5]
                if len(listed) > 5
                else self._issuer_of(listed[-1], chain, path)
            )
            if issuer is None:
                continue
            with contextlib.suppress(ValueError):  # e.g. an unusable serial number
                result.append(
                    certificate_hash_data_chain(
                        listed[:5],
                        list_use,
                        issuer=issuer,
                        hash_algorithm=hash_algorithm,
                    )
                )
        return result

    def _hashes(
        self,
        chain: tuple[x509.Certificate, ...],
        algorithm: HashAlgorithmEnumType,
        path: Path | None = None,
    ) -> list[CertificateHashDataType]:
        hashes = []
        for position, certificate in enumerate(chain):
            issuer = (
                chain[position + 1]
                if position + 1 < len(chain)
                else self._issuer_of(certificate, chain, path)
            )
            if issuer is not None:
                with contextlib.suppress(ValueError):  # e.g. an unusable serial
                    hashes.append(certificate_hash_data(certificate, issuer, algorithm))
        return hashes

    def delete(
        self, hash_data: CertificateHashDataType
    ) -> DeleteCertificateStatusEnumType:
        """Delete the certificate ``hash_data`` identifies (DeleteCertificate, M04).

        Accepted when found and deleted (a sub-CA of a V2G chain takes the chain
        with it, M04.FR.08); Failed for the charging station certificate
        (M04.FR.06) or when deleting fails; NotFound otherwise (M04.FR.04).
        """
        algorithm = hash_data.hash_algorithm
        for own in self.station_certificates(
            CertificateSigningUseEnumType.CHARGING_STATION_CERTIFICATE
        ):
            # M04.FR.06 protects the charging station certificate itself, not the
            # CA certificates its chain carries.
            leaf_issuer = (
                own.chain[1]
                if len(own.chain) > 1
                else self._issuer_of(own.certificate, own.chain)
            )
            if leaf_issuer is None:
                continue
            with contextlib.suppress(ValueError):
                own_hash = certificate_hash_data(
                    own.certificate, leaf_issuer, algorithm
                )
                if hash_data_matches(hash_data, own_hash):
                    return DeleteCertificateStatusEnumType.FAILED
        for _, chain, path in self._listed():
            if any(
                hash_data_matches(hash_data, h)
                for h in self._hashes(chain, algorithm, path)
            ):
                try:
                    path.unlink()
                    for suffix in (".key", ".issuer"):
                        with contextlib.suppress(FileNotFoundError):
                            path.with_suffix(suffix).unlink()
                except OSError:
                    return DeleteCertificateStatusEnumType.FAILED
                return DeleteCertificateStatusEnumType.ACCEPTED
        return DeleteCertificateStatusEnumType.NOT_FOUND
