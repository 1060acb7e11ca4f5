"""A small certificate authority: for tests, labs and the examples -- not production.

A02.FR.04 says the CSMS SHOULD NOT sign certificates itself but forward CSRs to a
dedicated CA.  ``CertificateAuthority`` is that CA in a box for test set-ups: a root
(or sub-CA) key and certificate that issues charging station certificates from CSRs,
CSMS server certificates and sub-CAs, with the properties of Part 2 1.4.1 (serial
numbers, O and CN, Key Usage, no Extended Key Usage).  A production CA keeps its key
in an HSM and has its own policy; nothing here tries to be that.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime, timedelta, timezone

from attrs import define
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ._csr import check_csr, leaf_key_usage
from ._hashdata import certificate_pem
from ._keys import KeyType, PrivateKey, PublicKey, generate_private_key, private_key_pem

__all__ = ["CertificateAuthority"]

_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def _name(organization: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _serial() -> int:
    # A00.FR.508: a serial number; 159 random bits keep it positive and within the
    # 20 octets of RFC 5280.
    return secrets.randbits(159) | 1


@define(kw_only=True)
class CertificateAuthority:
    """A CA: its certificate and private key (see the module docs: for tests)."""

    certificate: x509.Certificate
    private_key: PrivateKey

    @classmethod
    def create_root(
        cls,
        common_name: str,
        *,
        organization: str = "Test CSO",
        key_type: KeyType = KeyType.EC_P256,
        not_before: datetime | None = None,
        valid_for: timedelta = timedelta(days=365),
    ) -> CertificateAuthority:
        """A new self-signed root CA."""
        key = generate_private_key(key_type)
        start = not_before or datetime.now(timezone.utc) - timedelta(minutes=5)
        name = _name(organization, common_name)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(_serial())
            .not_valid_before(start)
            .not_valid_after(start + valid_for)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(_CA_USAGE, critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(certificate=certificate, private_key=key)

    @property
    def pem(self) -> str:
        """The CA certificate as PEM."""
        return certificate_pem(self.certificate)

    @property
    def key_pem(self) -> bytes:
        """The CA's private key as unencrypted PKCS#8 PEM."""
        return private_key_pem(self.private_key)

    def _builder(
        self,
        subject: x509.Name,
        public_key: PublicKey,
        not_before: datetime | None,
        valid_for: timedelta,
    ) -> x509.CertificateBuilder:
        start = not_before or datetime.now(timezone.utc) - timedelta(minutes=5)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(_serial())
            .not_valid_before(start)
            .not_valid_after(start + valid_for)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.certificate.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )

    def _sign(self, builder: x509.CertificateBuilder) -> x509.Certificate:
        return builder.sign(self.private_key, hashes.SHA256())

    def issue_sub_ca(
        self,
        common_name: str,
        *,
        organization: str = "Test CSO",
        key_type: KeyType = KeyType.EC_P256,
        not_before: datetime | None = None,
        valid_for: timedelta = timedelta(days=180),
    ) -> CertificateAuthority:
        """A new intermediate CA signed by this one."""
        key = generate_private_key(key_type)
        builder = (
            self._builder(
                _name(organization, common_name),
                key.public_key(),
                not_before,
                valid_for,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(_CA_USAGE, critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
            )
        )
        return CertificateAuthority(certificate=self._sign(builder), private_key=key)

    def sign_csr(
        self,
        csr: x509.CertificateSigningRequest | str | bytes,
        *,
        organization: str | None = None,
        common_name: str | None = None,
        not_before: datetime | None = None,
        valid_for: timedelta = timedelta(days=90),
        ocsp_url: str | None = None,
    ) -> x509.Certificate:
        """Issue a leaf certificate for a checked CSR (:func:`check_csr`).

        The certificate gets the CSR's subject and key, Key Usage and
        ``CA:FALSE``, and the OCSP URL in Authority Information Access if given.

        Raises:
            CSRError: the CSR fails :func:`check_csr`.
        """
        request = check_csr(csr, organization=organization, common_name=common_name)
        public_key = request.public_key()
        if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
            raise TypeError("check_csr lets only RSA and EC keys through")
        builder = (
            self._builder(request.subject, public_key, not_before, valid_for)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(leaf_key_usage(public_key), critical=True)
        )
        if ocsp_url is not None:
            builder = builder.add_extension(
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            x509.oid.AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(ocsp_url),
                        )
                    ]
                ),
                critical=False,
            )
        return self._sign(builder)

    def issue_server_certificate(
        self,
        host: str,
        *,
        organization: str = "Test CSO",
        key_type: KeyType = KeyType.EC_P256,
        valid_for: timedelta = timedelta(days=30),
    ) -> tuple[x509.Certificate, PrivateKey]:
        """A CSMS server certificate and its new key: CN = ``host`` (A00.FR.510).

        ``host`` also goes into subjectAltName (as an IP address or a DNS name),
        which TLS clients such as Python's ``ssl`` check.
        """
        key = generate_private_key(key_type)
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        builder = (
            self._builder(_name(organization, host), key.public_key(), None, valid_for)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(leaf_key_usage(key.public_key()), critical=True)
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        )
        return self._sign(builder), key
