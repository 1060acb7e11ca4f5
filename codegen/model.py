"""The small intermediate model between the JSON schemas and the Python emitter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

PrimitiveKind = Literal["string", "integer", "number", "boolean", "date-time", "any"]


@dataclass(frozen=True)
class Primitive:
    """A JSON primitive (or, for ``any``, a property with no type at all)."""

    kind: PrimitiveKind
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Ref:
    """A reference to a named enumeration or object definition."""

    name: str


@dataclass(frozen=True)
class Array:
    """A JSON array of one item type."""

    item: TypeExpr
    min_items: int | None = None
    max_items: int | None = None


TypeExpr = Union[Primitive, Ref, Array]  # noqa: UP007 -- a runtime alias on 3.10


@dataclass(frozen=True)
class Field:
    """One property of an object."""

    wire: str
    name: str
    type: TypeExpr
    required: bool
    description: str
    default: object = None


@dataclass(frozen=True)
class EnumDef:
    """An enumeration: ``members`` maps Python member names to wire values."""

    name: str
    description: str
    members: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ObjectDef:
    """An object: a datatype definition or the root of a message schema."""

    name: str
    description: str
    fields: tuple[Field, ...]
    extensible: bool = False
    """True where the schema allows extra properties (only ``CustomDataType``)."""


@dataclass(frozen=True)
class ActionDef:
    """One action: its wire name, Python member name and sender."""

    name: str
    member: str
    sender: Literal["ChargingStation", "CSMS", "Both"]
    request: str
    response: str


@dataclass
class Model:
    """Everything the emitter needs, in a deterministic order."""

    enums: dict[str, EnumDef] = field(default_factory=dict)
    datatypes: dict[str, ObjectDef] = field(default_factory=dict)
    messages: dict[str, ObjectDef] = field(default_factory=dict)
    actions: list[ActionDef] = field(default_factory=list)
