"""Tolerant decoding (``validate_incoming=False``): drop properties a schema lacks.

One job, behind one function: :func:`from_payload_tolerant`.  The RPC core calls
nothing else of this module.  The codec now has a tolerant mode of its own
(``decode_payload(cls, data, tolerant=True)``), which also keeps over-long strings
and unknown enumeration values; switching to it is a change of this one function
(and of the documented meaning of ``validate_incoming=False``).
"""

from __future__ import annotations

from typing import Any

from ._codec import from_payload
from ._errors import ErrorCode, Problem, ValidationError
from ._schema import ArrayOf, ObjectOf, properties

__all__ = ["from_payload_tolerant"]


def from_payload_tolerant(
    cls: type[Any], payload: Any
) -> tuple[Any, tuple[Problem, ...]]:
    """Structure ``payload`` as ``cls``, dropping the properties its schema does not
    know (outside ``customData``).

    Returns ``(object, one problem per dropped property)``.  Raises the strict
    :class:`ValidationError` when dropping properties does not help.
    """
    try:
        return from_payload(cls, payload), ()
    except ValidationError:
        removed: list[str] = []
        stripped = _strip_unknown(cls, payload, "$", removed)
        if not removed:
            raise
    dropped = tuple(
        Problem(path, ErrorCode.PROTOCOL_ERROR, "property not in the schema; dropped")
        for path in removed
    )
    return from_payload(cls, stripped), dropped


def _strip_unknown(cls: type, data: Any, path: str, removed: list[str]) -> Any:
    """``data`` without the properties ``cls``'s schema does not know (recursively)."""
    if type(data) is not dict:
        return data
    try:
        props, extra = properties(cls)
    except (TypeError, AttributeError):  # not a generated class: leave it alone
        return data
    if extra is not None:
        return data
    specs = {p.wire: p.spec for p in props}
    result: dict[str, Any] = {}
    for key, value in data.items():
        spec = specs.get(key)
        if spec is None:
            removed.append(f"{path}.{key}")
        else:
            result[key] = _strip_value(spec, value, f"{path}.{key}", removed)
    return result


def _strip_value(spec: Any, value: Any, path: str, removed: list[str]) -> Any:
    if isinstance(spec, ObjectOf):
        return _strip_unknown(spec.cls, value, path, removed)
    if isinstance(spec, ArrayOf) and type(value) is list:
        return [
            _strip_value(spec.item, item, f"{path}[{index}]", removed)
            for index, item in enumerate(value)
        ]
    return value
