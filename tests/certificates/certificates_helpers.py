"""Shared helpers of the certificate tests: the openssl command line as the oracle."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

OPENSSL = shutil.which("openssl")

needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="no openssl command")


def openssl(*args: str | Path, cwd: Path | None = None, check: bool = True) -> str:
    """Run ``openssl``; return stdout + stderr (bounded in time)."""
    assert OPENSSL is not None
    result = subprocess.run(
        [OPENSSL, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"openssl {args} failed: {result.stdout}{result.stderr}")
    return result.stdout + result.stderr


_OCTETS = re.compile(r"prim: OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)")
_INTEGER = re.compile(r"prim: INTEGER\s+:(-?[0-9A-F]+)")


def ocsp_cert_id(
    issuer: Path, certificate: Path, digest: str, workdir: Path
) -> tuple[str, str, str]:
    """(issuerNameHash, issuerKeyHash, serialNumber) of the CertID that
    ``openssl ocsp`` puts in a request for ``certificate`` -- lowercase hex, the
    serial as openssl writes it (whole octets)."""
    request = workdir / f"request-{digest}.der"
    openssl(
        "ocsp", "-issuer", issuer, f"-{digest}", "-cert", certificate,
        "-no_nonce", "-reqout", request,
    )  # fmt: skip
    dump = openssl("asn1parse", "-inform", "DER", "-in", request)
    name_hash, key_hash = _OCTETS.findall(dump)[:2]
    serial = _INTEGER.findall(dump)[0]
    return name_hash.lower(), key_hash.lower(), serial.lower()
