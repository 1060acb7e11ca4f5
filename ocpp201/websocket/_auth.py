"""HTTP Basic authentication of charging stations (security profiles 1 and 2).

:func:`basic_auth` builds the check the server runs on each opening handshake: the
user name must be the station identity (Part 2 A00.FR.204) and the password must
equal ``password_for(identity)``, compared in constant time.  The check only reads
the request's ``Authorization`` headers and returns a :class:`Refusal` or ``None``;
the server turns a refusal into the HTTP answer.
"""

from __future__ import annotations

import hmac
import http
import logging
from collections.abc import Sequence

import attrs
from websockets.exceptions import InvalidHeader
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic

from ._connection import PasswordLookup
from ._supervise import maybe_await

__all__ = ["BasicAuth", "Refusal", "basic_auth", "internal_error"]

logger = logging.getLogger("ocpp201.websocket")


@attrs.frozen(kw_only=True)
class Refusal:
    """Why an opening handshake is refused, and the HTTP answer to give."""

    status: http.HTTPStatus
    reason: str
    """Sent to the station as the body of the answer."""
    detail: str = ""
    """Logged by the CSMS only (it may tell more than the station should learn)."""
    headers: tuple[tuple[str, str], ...] = ()


def internal_error(detail: str) -> Refusal:
    """HTTP 500: a callback of the application failed (logged by the caller)."""
    return Refusal(
        status=http.HTTPStatus.INTERNAL_SERVER_ERROR,
        reason="internal error",
        detail=detail,
    )


@attrs.frozen(kw_only=True)
class BasicAuth:
    """The HTTP Basic check of a CSMS; build it with :func:`basic_auth`."""

    password_for: PasswordLookup
    realm: str = "OCPP"

    def _refuse(self, reason: str, detail: str = "") -> Refusal:
        challenge = build_www_authenticate_basic(self.realm)
        return Refusal(
            status=http.HTTPStatus.UNAUTHORIZED,
            reason=reason,
            detail=detail,
            headers=(("WWW-Authenticate", challenge),),
        )

    async def check(
        self, identity: str, authorization: Sequence[str]
    ) -> Refusal | None:
        """``None`` when ``authorization`` (the header values) admits ``identity``.

        Otherwise the refusal: 401 for missing, repeated, malformed or wrong
        credentials; 500 when ``password_for`` fails or returns something other
        than ``str``, ``bytes`` or ``None`` (the CSMS's fault, logged here).
        """
        if not authorization:
            return self._refuse("missing credentials")
        if len(authorization) > 1:
            return self._refuse("more than one Authorization header")
        try:
            username, password = parse_authorization_basic(authorization[0])
        except (InvalidHeader, ValueError):
            return self._refuse("unsupported credentials")
        try:
            expected = await maybe_await(self.password_for(identity))
        except Exception:
            logger.exception("%s: password_for() failed", identity)
            return internal_error("password_for() failed")
        if expected is not None and not isinstance(expected, (str, bytes)):
            logger.error(
                "%s: password_for() returned %s; expected str, bytes or None",
                identity,
                type(expected).__name__,
            )
            return internal_error("password_for() returned a wrong type")
        # Compare even when the station is unknown or the user name is wrong, so
        # that the timing does not tell which part failed.
        if isinstance(expected, str):
            expected_bytes = expected.encode("utf-8")
        elif expected is None:
            expected_bytes = b"\x00" * max(len(password), 16)
        else:
            expected_bytes = expected
        same_password = hmac.compare_digest(
            expected_bytes, password.encode("utf-8", "surrogateescape")
        )
        same_user = hmac.compare_digest(
            username.encode("utf-8", "surrogateescape"), identity.encode("utf-8")
        )
        if expected is None:
            return self._refuse("invalid credentials", "no password for this station")
        if not same_user:
            return self._refuse(
                "invalid credentials", f"the user name {username!r} is not the identity"
            )
        if not same_password:
            return self._refuse("invalid credentials", "wrong password")
        return None


def basic_auth(password_for: PasswordLookup, *, realm: str = "OCPP") -> BasicAuth:
    """HTTP Basic authentication for :func:`serve` (``auth=basic_auth(...)``).

    Args:
        password_for: ``identity -> password``, sync or async; ``None`` for an
            unknown station.  A ``str`` is compared as UTF-8.
        realm: the realm of the ``WWW-Authenticate`` challenge of a 401
            (printable ASCII, no ``"`` or ``\\``).

    Raises:
        TypeError: ``password_for`` is not callable, or ``realm`` not a str.
        ValueError: a realm that cannot be sent as a quoted string.
    """
    if not callable(password_for):
        raise TypeError("password_for must be callable")
    if not isinstance(realm, str):
        raise TypeError(f"realm must be a str, not {type(realm).__name__}")
    if not (realm.isascii() and realm.isprintable()) or '"' in realm or "\\" in realm:
        # RFC 7235 section 2.2: a quoted string; non-ASCII has no defined encoding.
        raise ValueError(f"realm must be printable ASCII without quotes: {realm!r}")
    return BasicAuth(password_for=password_for, realm=realm)
