"""Tolerant decoding (``validate_incoming=False``) for the RPC core, in one place.

One job, behind one function: :func:`from_payload_tolerant`, the single boundary
between the RPC core and the codec's tolerant mode
(:func:`ocpp201.decode_payload` with ``tolerant=True``).
"""

from __future__ import annotations

from typing import Any

from ._codec import decode_payload
from ._errors import Problem

__all__ = ["from_payload_tolerant"]


def from_payload_tolerant(
    cls: type[Any], payload: Any
) -> tuple[Any, tuple[Problem, ...]]:
    """Structure ``payload`` as ``cls`` tolerantly: ``(object, what was tolerated)``.

    Raises :class:`ocpp201.ValidationError` for what even tolerant decoding refuses.
    """
    return decode_payload(cls, payload, tolerant=True)
