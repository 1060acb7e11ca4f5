"""Field specs, for payload classes of your own (custom actions).

The generated classes declare every field with one of these specs as its attrs
validator and its wire name in the field metadata under :data:`WIRE`.  Classes of your
own built the same way get the same checks when they are built and the same strict
codec (:func:`ocpp201.from_payload` / :func:`ocpp201.to_payload`)::

    from typing import ClassVar

    from attrs import define, field
    from ocpp201 import Response
    from ocpp201.schema import WIRE, Opt, String, Integer

    @define(kw_only=True)
    class PingResponse(Response):
        ACTION: ClassVar[str] = "com.example.Ping"
        echo: str = field(validator=String(50), metadata={WIRE: "echo"})
        hops: int | None = field(
            default=None, validator=Opt(Integer(minimum=0)), metadata={WIRE: "hops"}
        )

=====================  ======================  ===================================
spec                   Python value            JSON
=====================  ======================  ===================================
``String(n)``          ``str``                 string, at most ``n`` characters
``Integer(...)``       ``int``                 integer (``minimum`` / ``maximum``)
``Number(...)``        ``float`` or ``int``    number (``minimum`` / ``maximum``)
``Boolean()``          ``bool``                boolean
``DateTime()``         aware ``datetime``      RFC 3339 date-time string
``EnumOf(E)``          member of ``E``         one of the values of ``E``
``ObjectOf(C)``        instance of ``C``       object (``C`` built the same way)
``ArrayOf(s, ...)``    ``list``                array (``min_items`` / ``max_items``)
``AnyJson()``          any JSON value          anything (``JSON_NULL`` for null)
``Opt(s)``             ``None`` or as ``s``    the property may be absent
=====================  ======================  ===================================
"""

from ._schema import (
    WIRE,
    AnyJson,
    ArrayOf,
    Boolean,
    DateTime,
    EnumOf,
    FieldSpec,
    Integer,
    Number,
    ObjectOf,
    Opt,
    String,
)

__all__ = [
    "WIRE",
    "AnyJson",
    "ArrayOf",
    "Boolean",
    "DateTime",
    "EnumOf",
    "FieldSpec",
    "Integer",
    "Number",
    "ObjectOf",
    "Opt",
    "String",
]
