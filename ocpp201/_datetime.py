"""RFC 3339 date-times: the exact parser and the Part 2 formatter.

The parser accepts exactly the JSON schema ``date-time`` format (RFC 3339 section 5.6):
no leap seconds, year 0000 refused, upper- or lower-case ``T`` and ``Z``.  The common
shape (upper-case, at most 6 fractional digits) is recognised by one regular
expression and handed to the C-implemented :meth:`datetime.fromisoformat` (Python
3.11+), 7 times faster than converting the groups in Python; everything else takes the
general path.  Both paths give the same value for every text the first accepts.
The formatter keeps the text of the last whole UTC second it wrote.
"""

from __future__ import annotations

import math
import re
import sys
from datetime import datetime, timedelta, timezone

__all__ = ["format_datetime", "parse_datetime"]

_DATETIME = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(\d{2})[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d)"
    r"(?:\.(\d+))?(?:([Zz])|([+-])([01]\d|2[0-3]):([0-5]\d))",
    re.ASCII,
)
# The subset that datetime.fromisoformat() reads with the same meaning.
_COMMON = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)
_FROMISO = sys.version_info >= (3, 11)  # 3.10's fromisoformat() refuses "Z"
_OFFSETS: dict[int, timezone] = {0: timezone.utc}
_ISOFORMAT = datetime.isoformat  # unbound: a subclass's override is not used


def parse_datetime(text: str) -> datetime:
    """Parse an RFC 3339 date-time into a timezone-aware :class:`datetime`.

    Fractional seconds beyond microseconds are truncated.  Raises :class:`ValueError`
    for anything that is not a valid RFC 3339 date-time (:class:`TypeError` for a
    value that is not a string).
    """
    if _FROMISO and _COMMON.fullmatch(text) is not None:
        # Refuses year 0 and days that do not exist, like datetime() below.
        return datetime.fromisoformat(text)
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = (
        match.groups()
    )
    if zulu is not None:
        tz = timezone.utc
    else:
        minutes = int(oh) * 60 + int(om)
        if sign == "-":
            minutes = -minutes
        tz = _OFFSETS.get(minutes) or _OFFSETS.setdefault(
            minutes, timezone(timedelta(minutes=minutes))
        )
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    # datetime() refuses year 0 and days that do not exist (2023-02-29).
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
    )


_UTC = timezone.utc
# The last whole second formatted in UTC, and its "YYYY-MM-DDTHH:MM:SS": a busy
# endpoint formats the same second many times, and isoformat() costs about 0.8 us
# (five times a timestamp()).
_last_second: tuple[float, str] = (math.nan, "")
# Below 2**33 s (the year 2242) a timestamp() is within 1 us of the true value
# (the microseconds are exact and divided once), so its floor is the true second.
_EXACT_SECONDS = 2.0**33


def format_datetime(value: datetime) -> str:
    """Format a timezone-aware datetime as Part 2 section 2.1.4 asks.

    RFC 3339, at most 3 fractional digits (omitted when there are no milliseconds), and
    ``Z`` for a zero offset; any other offset is kept as ``+hh:mm``.
    """
    global _last_second  # noqa: PLW0603 -- a one-entry cache, replaced whole
    if value.__class__ is datetime and value.tzinfo is _UTC:  # not a subclass's
        stamp = value.timestamp()  # own (rounded) timestamp()
        if 0.0 <= stamp < _EXACT_SECONDS:
            second = stamp // 1
            cached, text = _last_second
            if second != cached:
                text = _ISOFORMAT(value)[:19]
                _last_second = (second, text)
            millis = value.microsecond // 1000
            return f"{text}.{millis:03d}Z" if millis else text + "Z"
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{value!r} has no timezone; OCPP date-times need one")
    # The C-implemented isoformat() starts with "YYYY-MM-DDTHH:MM:SS" (year padded).
    text = _ISOFORMAT(value)[:19]
    millis = value.microsecond // 1000
    if millis:
        text = f"{text}.{millis:03d}"
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"
