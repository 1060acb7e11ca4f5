"""Certificate management for security profile 3 and ISO 15118 (optional extra).

``pip install 'ocpp201[crypto]'`` -- it needs the ``cryptography`` package, which
``import ocpp201`` never imports.  What is here:

* identifiers (Part 2 2.6, 2.36): :func:`certificate_hash_data`,
  :func:`certificate_hash_data_chain`, :func:`ocsp_request_data`,
  :func:`hash_data_matches`, :func:`load_certificates`;
* keys and CSRs (A02/A03): :func:`generate_private_key`, :class:`CsrSubject`,
  :func:`build_csr`, :func:`sign_certificate_request`; on the CSMS side
  :func:`load_csr`, :func:`check_csr`, :func:`check_client_certificate`;
* CertificateSigned chains: :func:`verify_certificate_chain`,
  :class:`CertificateChainError`, :class:`ChainProblem`;
* the station's store and handlers: :class:`CertificateStore`,
  :class:`StationCertificates`, :class:`CertificateHandlers`;
* a test CA: :class:`CertificateAuthority`.

See docs/certificates.md.
"""

try:
    import cryptography  # noqa: F401
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "ocpp201.certificates needs the 'cryptography' package: "
        "pip install 'ocpp201[crypto]'"
    ) from _exc

from ._authority import CertificateAuthority
from ._chain import (
    INVALID_CHARGING_STATION_CERTIFICATE,
    MAX_CERTIFICATE_CHAIN_SIZE,
    CertificateChainError,
    ChainProblem,
    verify_certificate_chain,
)
from ._csr import (
    CSRError,
    CsrSubject,
    build_csr,
    check_csr,
    load_csr,
    sign_certificate_request,
)
from ._hashdata import (
    certificate_hash_data,
    certificate_hash_data_chain,
    certificate_pem,
    fingerprint,
    hash_data_matches,
    load_certificates,
    ocsp_request_data,
    serial_number_hex,
)
from ._keys import (
    KeyType,
    PrivateKey,
    PublicKey,
    check_key_strength,
    generate_private_key,
    load_private_key,
    private_key_pem,
)
from ._peer import check_client_certificate, peer_subject
from ._station import CertificateHandlers, StationCertificates
from ._store import LIST_USE, CertificateStore, InstallResult, StationCertificate

__all__ = [
    "INVALID_CHARGING_STATION_CERTIFICATE",
    "LIST_USE",
    "MAX_CERTIFICATE_CHAIN_SIZE",
    "CSRError",
    "CertificateAuthority",
    "CertificateChainError",
    "CertificateHandlers",
    "CertificateStore",
    "ChainProblem",
    "CsrSubject",
    "InstallResult",
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "StationCertificate",
    "StationCertificates",
    "build_csr",
    "certificate_hash_data",
    "certificate_hash_data_chain",
    "certificate_pem",
    "check_client_certificate",
    "check_csr",
    "check_key_strength",
    "fingerprint",
    "generate_private_key",
    "hash_data_matches",
    "load_certificates",
    "load_csr",
    "load_private_key",
    "ocsp_request_data",
    "peer_subject",
    "private_key_pem",
    "serial_number_hex",
    "sign_certificate_request",
    "verify_certificate_chain",
]
