"""The CSMS's check of a station's TLS client certificate (security profile 3).

A00.FR.403 (the certification path) is what the server's ``ssl.SSLContext`` checks
with ``verify_mode = CERT_REQUIRED``.  What TLS does not know is whose certificate it
is: A00.FR.404 -- the O of the subject contains the CSO's name -- and A00.FR.405 --
the CN is the station's unique serial number.  This works on the dictionary that
``connection.peer_certificate`` holds (``ssl.SSLSocket.getpeercert()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["check_client_certificate", "peer_subject"]


def peer_subject(peer_certificate: Mapping[str, Any]) -> dict[str, list[str]]:
    """The subject of a ``getpeercert()`` dictionary: attribute name -> values,
    e.g. ``{"commonName": ["CS-0001"], "organizationName": ["Example CSO"]}``."""
    subject: dict[str, list[str]] = {}
    for rdn in peer_certificate.get("subject", ()):
        for name, value in rdn:
            subject.setdefault(str(name), []).append(str(value))
    return subject


def check_client_certificate(
    peer_certificate: Mapping[str, Any] | None,
    *,
    common_name: str,
    organization: str | None = None,
) -> None:
    """Raise ``ValueError`` unless the verified client certificate is the station's.

    ``common_name`` is the station's serial number (A00.FR.405; often also its
    identity in the URL); ``organization``, when given, must be contained in the O
    (A00.FR.404).  A connection without a client certificate fails too.
    """
    if not peer_certificate:
        raise ValueError("no verified client certificate (security profile 3)")
    subject = peer_subject(peer_certificate)
    if subject.get("commonName") != [common_name]:
        raise ValueError(
            f"the certificate's CN is {subject.get('commonName')!r}, "
            f"not {common_name!r} (A00.FR.405)"
        )
    if organization is not None and not any(
        organization in o for o in subject.get("organizationName", [])
    ):
        raise ValueError(
            f"the certificate's O {subject.get('organizationName')!r} does not "
            f"contain {organization!r} (A00.FR.404)"
        )
