"""Tolerant decoding of the peer's payloads, behind one function.

One job: :func:`from_payload_tolerant`, the only thing the RPC core calls for a
payload it decodes tolerantly (``validate_incoming=False``, or an action named in
``tolerant_actions``).  It is the codec's tolerant mode
(``decode_payload(cls, data, tolerant=True)``): an over-long string is kept, an
enumeration value the schema does not list is kept as an
:class:`~ocpp201.UnknownEnumValue`, a property the schema does not know is dropped;
each deviation comes back once, with its JSON path.  Every other problem (a wrong
JSON type, a missing required property, ...) still raises
:class:`~ocpp201.ValidationError`: a typed object cannot hold it.
"""

from __future__ import annotations

from typing import Any

from ._codec import decode_payload
from ._errors import Problem

__all__ = ["from_payload_tolerant"]


def from_payload_tolerant(
    cls: type[Any], payload: Any
) -> tuple[Any, tuple[Problem, ...]]:
    """Structure ``payload`` as ``cls``, tolerating what a typed object can hold.

    Returns ``(object, one problem per tolerated deviation)``.  Raises
    :class:`ValidationError` for everything else.
    """
    return decode_payload(cls, payload, tolerant=True)
