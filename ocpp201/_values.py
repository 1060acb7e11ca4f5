"""The two values a payload can hold that Python has no type for.

* :data:`JSON_NULL`: an explicit JSON ``null`` where a field has no type at all
  (``None`` means "absent");
* :class:`UnknownEnumValue`: an enumeration value the schema does not list, kept by
  tolerant decoding.
"""

from __future__ import annotations

from enum import Enum
from typing import Final

__all__ = ["JSON_NULL", "JsonNull", "UnknownEnumValue"]


class JsonNull:
    """The type of :data:`JSON_NULL` (one instance; copies and pickles are it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonNull)

    def __hash__(self) -> int:
        return hash(JsonNull)

    def __reduce__(self) -> str:
        return "JSON_NULL"


JSON_NULL: Final = JsonNull()
"""An explicit JSON ``null`` where a field has no type at all.

Only ``DataTransferRequest.data`` and ``DataTransferResponse.data`` can hold it: their
schema accepts any JSON value, ``null`` included, while ``None`` means "absent".
"""


class UnknownEnumValue(str):
    """An enumeration value the schema does not list, kept by tolerant decoding.

    It is the string received (``reason == "VendorBoot"``) and knows the enumeration
    it stands in for (:attr:`enum`).  A handler tests for it with ``isinstance(value,
    UnknownEnumValue)``.  Objects holding one cannot be sent: our own messages are
    always strict.
    """

    enum: type[Enum]

    def __new__(cls, value: str, enum_type: type[Enum]) -> UnknownEnumValue:
        self = super().__new__(cls, value)
        self.enum = enum_type
        return self

    @property
    def _value_(self) -> str:  # encodes like a member
        return str.__str__(self)

    def __repr__(self) -> str:
        return f"UnknownEnumValue({str.__repr__(self)}, {self.enum.__name__})"
