"""Identity and URL rules of OCPP-J (Part 4 section 3.1.1): pure string functions.

What a charging station identity may be, how it is read from the path of a
connection request, and how a station builds its connection URL.  Nothing here does
I/O; ``websockets`` is used only to check a URL the way it will be checked when
connecting.
"""

from __future__ import annotations

import re
import urllib.parse

from websockets.exceptions import InvalidURI
from websockets.uri import parse_uri

__all__ = [
    "MAX_IDENTITY_LENGTH",
    "OCPP_SUBPROTOCOL",
    "InvalidIdentityError",
    "connection_url",
    "endpoint_path",
    "identity_from_path",
    "validate_identity",
]

OCPP_SUBPROTOCOL = "ocpp2.0.1"
"""The WebSocket subprotocol name of OCPP 2.0.1 (Part 4, section 3.1.2)."""

MAX_IDENTITY_LENGTH = 48
"""Maximum length of a charging station identity (Part 4, section 3.1.1)."""


class InvalidIdentityError(ValueError):
    """A string cannot be a charging station identity."""


def validate_identity(identity: str) -> str:
    """Return ``identity`` if it can be a charging station identity, else raise.

    Part 4 section 3.1.1: at most 48 characters and no ``:`` (the identity is also
    the HTTP Basic user name).  Empty identities, non-printable characters and the
    dot-segments ``.`` and ``..`` (which URL normalisation removes from a path,
    RFC 3986 section 5.2.4) are refused as well.  The spec's own example
    ``"RDAM 123"`` shows that spaces occur, so the character set is not restricted
    further.

    Raises:
        InvalidIdentityError: with the reason in words.
    """
    if not identity:
        raise InvalidIdentityError("the charging station identity is empty")
    if len(identity) > MAX_IDENTITY_LENGTH:
        raise InvalidIdentityError(
            f"the charging station identity has {len(identity)} characters;"
            f" at most {MAX_IDENTITY_LENGTH} are allowed"
        )
    if ":" in identity:
        raise InvalidIdentityError("the charging station identity contains ':'")
    if "/" in identity:
        raise InvalidIdentityError("the charging station identity contains '/'")
    if identity in (".", ".."):
        raise InvalidIdentityError(
            f"the charging station identity cannot be {identity!r}"
            " (a dot-segment of a URL path)"
        )
    if not identity.isprintable():
        raise InvalidIdentityError(
            "the charging station identity contains a non-printable character"
        )
    return identity


_INVALID_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _decode_segment(segment: str, what: str) -> str:
    """Percent-decode one path segment strictly (UTF-8, well-formed escapes)."""
    if _INVALID_ESCAPE.search(segment):
        raise InvalidIdentityError(f"{what} contains an invalid percent-escape")
    try:
        return urllib.parse.unquote(segment, errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidIdentityError(
            f"{what} is not valid UTF-8 once percent-decoded"
        ) from exc


def endpoint_path(path: str) -> str:
    """The canonical form of an OCPP-J endpoint path: ``/ocpp``, or ``""`` for ``/``.

    A missing leading ``/`` is added and a trailing ``/`` removed (``"ocpp/"`` gives
    ``"/ocpp"``).  Raises ``ValueError`` for a query, a fragment, an empty segment
    (``"/a//b"``) or an invalid percent-escape.
    """
    if "?" in path or "#" in path:
        raise ValueError(f"the endpoint path must not contain '?' or '#': {path!r}")
    inner = path.removeprefix("/").removesuffix("/")
    if not inner:
        return ""
    for segment in inner.split("/"):
        if not segment:
            raise ValueError(f"the endpoint path has an empty segment: {path!r}")
        try:
            _decode_segment(segment, "the endpoint path")
        except InvalidIdentityError as exc:
            raise ValueError(f"{exc}: {path!r}") from None
    return "/" + inner


def split_target(path: str) -> tuple[tuple[str, ...], str]:
    """The segments of a request target before the identity (percent-decoded),
    and the identity's segment as sent: the checks of :func:`identity_from_path`
    that do not depend on a prefix.

    Raises:
        InvalidIdentityError: when the target holds no identity segment.
    """
    target = path.partition("?")[0]
    if not target.startswith("/") or "#" in target:
        raise InvalidIdentityError("the request target is not an absolute path")
    *head, segment = target[1:].split("/")
    if not segment and head and all(head):
        # /ocpp/CS1/: a station configured with a slash after its identity.
        raise InvalidIdentityError(
            "the path ends with '/', so the identity after it is empty"
            f" (a trailing slash after {head[-1]!r}?)"
        )
    if "" in head:
        raise InvalidIdentityError("the path has an empty segment before the identity")
    return tuple(_decode_segment(part, "the path") for part in head), segment


def prefix_segments(expected: str) -> tuple[str, ...]:
    """The percent-decoded segments of an endpoint path :func:`endpoint_path`
    returned (``()`` for ``""``), as :func:`split_target` gives a target's."""
    return tuple(
        _decode_segment(part, "the endpoint path") for part in expected.split("/")[1:]
    )


def decode_identity(segment: str) -> str:
    """The identity in its path segment as sent: percent-decoded and validated."""
    return validate_identity(_decode_segment(segment, "the percent-encoded identity"))


def identity_from_path(path: str, prefix: str | None = None) -> str:
    """The charging station identity in the path of a connection request.

    ``path`` is the request target (``/ocpp/RDAM%20123``, possibly with a query),
    read as a path -- never as a URL, so ``//host/...`` is just a path with an empty
    first segment.  The identity is its last segment, percent-decoded (``RDAM
    123``).  Empty segments before the identity (``/ocpp//CS1``), invalid
    percent-escapes (``%zz``) and targets that do not start with ``/`` are refused.
    A trailing ``/`` (``/ocpp/CS1/``) is refused with that reason: the identity
    after it would be empty.
    When ``prefix`` is given (``/ocpp``; normalised as by :func:`serve`), the
    segments before the identity must be those of ``prefix`` (compared once
    percent-decoded).

    Raises:
        InvalidIdentityError: when the path holds no valid identity.
        ValueError: when ``prefix`` itself is not a valid endpoint path.
    """
    expected = None if prefix is None else endpoint_path(prefix)
    head, segment = split_target(path)
    if expected is not None and head != prefix_segments(expected):
        raise InvalidIdentityError(f"the path is not under {prefix!r}")
    return decode_identity(segment)


def connection_url(endpoint_url: str, identity: str) -> str:
    """The connection URL of a station: ``endpoint_url + "/" + identity``.

    The identity is percent-encoded as RFC 3986 requires for a path segment
    (``wss://csms.example.com/ocppj`` and ``RDAM 123`` give
    ``wss://csms.example.com/ocppj/RDAM%20123``).  A trailing ``/`` of the endpoint
    URL is not doubled.
    """
    validate_identity(identity)
    try:
        parts = urllib.parse.urlsplit(endpoint_url)
        scheme = parts.scheme
    except ValueError as exc:
        raise ValueError(f"invalid endpoint URL {endpoint_url!r}: {exc}") from None
    if scheme not in ("ws", "wss"):
        raise ValueError(f"the endpoint URL must be ws:// or wss://: {endpoint_url!r}")
    if any(c.isspace() or not c.isprintable() for c in endpoint_url):
        raise ValueError(
            f"the endpoint URL contains whitespace or a control character:"
            f" {endpoint_url!r}"
        )
    # Keep the sub-delimiters that are valid in a path segment; encode the rest.
    segment = urllib.parse.quote(identity, safe="*=@!$'(),;")
    path = parts.path.rstrip("/") + "/" + segment
    url = urllib.parse.urlunsplit(parts._replace(path=path))
    try:  # what websockets will check when connecting: host, port, no fragment
        parse_uri(url)
    except (InvalidURI, ValueError) as exc:
        raise ValueError(f"invalid endpoint URL {endpoint_url!r}: {exc}") from None
    return url
