"""Key pairs: the key types Part 2 allows, generating them and checking their size.

A00.FR.501-503: keys must give at least 112 bits of security -- RSA (or DSA) keys of
at least 2048 bits, elliptic-curve keys of at least 224 bits.  Only RSA and EC keys
are supported here (the cipher suites of A00.FR.318/319 use no other).
"""

from __future__ import annotations

import enum
from typing import Final, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = [
    "KeyType",
    "PrivateKey",
    "PublicKey",
    "check_key_strength",
    "generate_private_key",
    "load_private_key",
    "private_key_pem",
    "same_public_key",
]

PrivateKey: TypeAlias = "rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey"
"""The private keys a charging station may hold: RSA or elliptic curve."""

PublicKey: TypeAlias = "rsa.RSAPublicKey | ec.EllipticCurvePublicKey"
"""The public keys of certificates handled here: RSA or elliptic curve."""

MIN_RSA_BITS: Final = 2048  # A00.FR.502
MIN_EC_BITS: Final = 224  # A00.FR.503


class KeyType(enum.Enum):
    """Key pairs :func:`generate_private_key` makes."""

    EC_P256 = "ec-p256"
    """ECDSA on NIST P-256 (secp256r1): the ISO 15118-2 curve; the default."""
    EC_P384 = "ec-p384"
    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"
    RSA_4096 = "rsa-4096"


def generate_private_key(key_type: KeyType = KeyType.EC_P256) -> PrivateKey:
    """A new private key, from the operating system's random number generator."""
    key_type = KeyType(key_type)
    if key_type is KeyType.EC_P256:
        return ec.generate_private_key(ec.SECP256R1())
    if key_type is KeyType.EC_P384:
        return ec.generate_private_key(ec.SECP384R1())
    bits = int(key_type.value.split("-")[1])
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def check_key_strength(key: PrivateKey | PublicKey) -> None:
    """Raise ``ValueError`` unless the key meets A00.FR.501-503.

    Raises:
        ValueError: an RSA key under 2048 bits, an EC key under 224 bits, or a key
            of another kind.
    """
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(
                f"an RSA key of {key.key_size} bits: at least {MIN_RSA_BITS} "
                "are required (A00.FR.502)"
            )
    elif isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        if key.curve.key_size < MIN_EC_BITS:
            raise ValueError(
                f"an EC key of {key.curve.key_size} bits: at least {MIN_EC_BITS} "
                "are required (A00.FR.503)"
            )
    else:
        raise ValueError(f"unsupported key type {type(key).__name__}: use RSA or EC")


def private_key_pem(key: PrivateKey, password: bytes | None = None) -> bytes:
    """The key as PKCS#8 PEM, encrypted with ``password`` when given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key(pem: bytes, password: bytes | None = None) -> PrivateKey:
    """Load an RSA or EC private key from PEM.

    Raises:
        ValueError: not a PEM private key, a wrong password, or another key type.
    """
    key = serialization.load_pem_private_key(pem, password)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ValueError(f"unsupported key type {type(key).__name__}: use RSA or EC")
    return key


def _spki(key: PrivateKey | PublicKey) -> bytes:
    public = (
        key.public_key()
        if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey))
        else key
    )
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def same_public_key(a: PrivateKey | PublicKey, b: PrivateKey | PublicKey) -> bool:
    """Whether two keys (private or public) have the same public key."""
    return _spki(a) == _spki(b)
