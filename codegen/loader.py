"""Load the OCPP JSON schemas (draft-06) into the intermediate model.

The loader is strict: any keyword it does not understand, any keyword in a place where
it has no meaning, and any two copies of a shared definition that differ in more than
their description stop generation with a :class:`SchemaError` naming the file and the
JSON path.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any, cast

from .model import (
    ActionDef,
    Array,
    EnumDef,
    Field,
    Model,
    ObjectDef,
    Primitive,
    Ref,
    TypeExpr,
)
from .naming import assign, snake_case, upper_snake

ROOT_KEYWORDS = frozenset(
    {"$schema", "$id", "comment", "definitions", "description", "type",
     "additionalProperties", "properties", "required", "javaType"}
)  # fmt: skip
ENUM_KEYWORDS = frozenset(
    {"description", "javaType", "type", "additionalProperties", "enum", "default"}
)
OBJECT_KEYWORDS = frozenset(
    {
        "description",
        "javaType",
        "type",
        "additionalProperties",
        "properties",
        "required",
    }
)
PROPERTY_KEYWORDS = frozenset(
    {"description", "type", "maxLength", "format", "$ref", "items", "minItems",
     "maxItems", "additionalItems", "minimum", "maximum", "default"}
)  # fmt: skip
ITEM_KEYWORDS = PROPERTY_KEYWORDS - {"items", "additionalItems", "minItems", "maxItems"}
PRIMITIVE_TYPES = frozenset({"string", "integer", "number", "boolean"})
SENDERS = frozenset({"ChargingStation", "CSMS", "Both"})
RESERVED_ATTRIBUTES = frozenset({"ACTION"})
"""Class attributes of the message base classes (attributes are lower case, so
the upper-case ACTION can never collide with a property)."""


class SchemaError(ValueError):
    """The schemas hold something the generator does not understand."""


def load(schema_dir: Path, actions: Path | None = None) -> Model:
    """Read every ``*.json`` schema in ``schema_dir`` and the actions table.

    ``actions`` defaults to ``schema_dir / "actions.csv"`` (columns ``action`` and
    ``sender``).  Every ``<Action>Request`` / ``<Action>Response`` schema must belong
    to a listed action; a schema with neither suffix is a one-way message (OCPP 2.1
    has one, ``NotifyPeriodicEventStream``).
    """
    loader = _Loader()
    files = sorted(schema_dir.glob("*.json"))
    if not files:
        raise SchemaError(f"no *.json schema in {schema_dir}")
    for path in files:
        loader.load_file(path)
    loader.load_actions(actions or schema_dir / "actions.csv")
    return loader.model


def _normalize_description(text: object, where: str) -> str:
    """Normalize line ends, drop trailing blanks, decode HTML entities (``&gt;``)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise SchemaError(f"{where}: description is not a string")
    text = html.unescape(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def _structure_of(definition: dict[str, Any]) -> Any:
    """A definition without its descriptions, to compare shared copies."""
    if isinstance(definition, dict):
        return {
            k: _structure_of(v) for k, v in definition.items() if k != "description"
        }
    if isinstance(definition, list):
        return [_structure_of(v) for v in definition]
    return definition


class _Loader:
    def __init__(self) -> None:
        self.model = Model()
        self._seen: dict[str, tuple[Any, str]] = {}
        self._kinds: dict[str, str] = {}
        self._local: dict[str, Any] = {}  # the definitions of the file being read

    def load_file(self, path: Path) -> None:
        where = path.name
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaError(f"{where}: cannot read JSON: {exc}") from exc
        if not isinstance(schema, dict):
            raise SchemaError(f"{where}: the schema is not an object")
        self._keywords(schema, ROOT_KEYWORDS, where)
        if schema.get("$schema") != "http://json-schema.org/draft-06/schema#":
            raise SchemaError(f"{where}: only JSON schema draft-06 is supported")
        name = path.stem  # <Action>Request, <Action>Response, or a one-way message
        definitions = schema.get("definitions", {})
        if not isinstance(definitions, dict):
            raise SchemaError(f"{where}: definitions is not an object")
        for def_name, definition in definitions.items():
            if isinstance(definition, dict):
                kind = "enum" if "enum" in definition else "object"
                if self._kinds.setdefault(def_name, kind) != kind:
                    raise SchemaError(f"{where}: {def_name} changes kind")
        self._local = definitions
        for def_name, definition in definitions.items():
            self._definition(def_name, definition, where)
        message = self._object(name, schema, f"{where}#", root=True)
        if name in self.model.messages or name in self._kinds:
            raise SchemaError(f"{where}: {name} is defined twice")
        clash = {f.name for f in message.fields} & RESERVED_ATTRIBUTES
        if clash:
            raise SchemaError(f"{where}: property name(s) {sorted(clash)} are reserved")
        self.model.messages[name] = message

    def _keywords(
        self, node: dict[str, Any], allowed: frozenset[str], where: str
    ) -> None:
        unknown = sorted(set(node) - allowed)
        if unknown:
            raise SchemaError(f"{where}: keyword(s) not understood here: {unknown}")

    def _definition(self, name: str, definition: Any, where_file: str) -> None:
        where = f"{where_file}#/definitions/{name}"
        if not isinstance(definition, dict):
            raise SchemaError(f"{where}: not an object")
        structure = _structure_of(definition)
        if name in self._seen:
            first, first_where = self._seen[name]
            if first != structure:
                raise SchemaError(
                    f"{where}: differs from the copy in {first_where} "
                    "(shared definitions must be identical apart from descriptions)"
                )
            return
        self._seen[name] = (structure, where_file)
        if "enum" in definition:
            self._keywords(definition, ENUM_KEYWORDS, where)
            if definition.get("type") != "string":
                raise SchemaError(f"{where}: only string enumerations are supported")
            values = definition["enum"]
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) for v in values)
                or len(set(values)) != len(values)
            ):
                raise SchemaError(f"{where}: enum must be a list of distinct strings")
            names = assign(values, upper_snake, where)
            self.model.enums[name] = EnumDef(
                name,
                _normalize_description(definition.get("description"), where),
                tuple((names[v], v) for v in values),
            )
        else:
            self.model.datatypes[name] = self._object(name, definition, where)

    def _object(
        self,
        name: str,
        node: dict[str, Any],
        where: str,
        *,
        root: bool = False,
    ) -> ObjectDef:
        if not root:  # the root's keywords were checked by load_file
            self._keywords(node, OBJECT_KEYWORDS, where)
        if node.get("type") != "object":
            raise SchemaError(f"{where}: expected type object")
        extra = node.get("additionalProperties", True)
        if extra not in (True, False):
            raise SchemaError(f"{where}: additionalProperties must be a boolean")
        properties = node.get("properties", {})
        required = node.get("required", [])
        if not isinstance(properties, dict) or not isinstance(required, list):
            raise SchemaError(f"{where}: properties/required malformed")
        missing = sorted(set(required) - set(properties))
        if missing:
            raise SchemaError(f"{where}: required names unknown properties {missing}")
        names = assign(properties, snake_case, where)
        fields = []
        for wire, prop in properties.items():
            prop_where = f"{where}/properties/{wire}"
            if not isinstance(prop, dict):
                raise SchemaError(f"{prop_where}: not an object")
            self._keywords(prop, PROPERTY_KEYWORDS, prop_where)
            type_expr = self._type(prop, prop_where, top=True)
            description = prop.get("description")
            if description is None and isinstance(type_expr, Ref):
                # A shared definition's description describes the field using it,
                # and differs from file to file: take this file's.
                description = self._local.get(type_expr.name, {}).get("description")
            fields.append(
                Field(
                    wire=wire,
                    name=names[wire],
                    type=type_expr,
                    required=wire in required,
                    description=_normalize_description(description, prop_where),
                    default=prop.get("default"),
                )
            )
        return ObjectDef(
            name,
            _normalize_description(node.get("description"), where),
            tuple(fields),
            extensible=bool(extra),
        )

    def _type(self, prop: dict[str, Any], where: str, *, top: bool) -> TypeExpr:
        if "$ref" in prop:
            ref = prop["$ref"]
            others = sorted(set(prop) - {"$ref", "description"})
            if others:
                raise SchemaError(f"{where}: keywords beside $ref: {others}")
            prefix = "#/definitions/"
            if not isinstance(ref, str) or not ref.startswith(prefix):
                raise SchemaError(
                    f"{where}: only local #/definitions/ refs are supported"
                )
            target = ref[len(prefix) :]
            if target not in self._kinds:
                raise SchemaError(f"{where}: $ref to unknown definition {target!r}")
            return Ref(target)
        kind = prop.get("type")
        if kind is None:
            others = sorted(set(prop) - {"description"})
            if others:
                raise SchemaError(f"{where}: keywords without a type: {others}")
            return Primitive("any")
        if kind == "array":
            if not top:
                raise SchemaError(f"{where}: arrays of arrays are not supported")
            items = prop.get("items")
            if not isinstance(items, dict):
                raise SchemaError(f"{where}: items must be one schema object")
            if prop.get("additionalItems", False) is not False:
                raise SchemaError(f"{where}: additionalItems other than false")
            self._keywords(items, ITEM_KEYWORDS, f"{where}/items")
            for key in ("minimum", "maximum", "maxLength", "format", "default"):
                if key in prop:
                    raise SchemaError(f"{where}: {key} on an array")
            return Array(
                self._type(items, f"{where}/items", top=False),
                self._count(prop, "minItems", where),
                self._count(prop, "maxItems", where),
            )
        for key in ("items", "additionalItems", "minItems", "maxItems"):
            if key in prop:
                raise SchemaError(f"{where}: {key} on a non-array")
        if kind not in PRIMITIVE_TYPES:
            raise SchemaError(f"{where}: type {kind!r} is not supported here")
        fmt = prop.get("format")
        if fmt is not None and (fmt != "date-time" or kind != "string"):
            raise SchemaError(f"{where}: format {fmt!r} is not supported")
        if "maxLength" in prop and kind != "string":
            raise SchemaError(f"{where}: maxLength on a non-string")
        if ("minimum" in prop or "maximum" in prop) and kind not in (
            "integer",
            "number",
        ):
            raise SchemaError(f"{where}: minimum/maximum on a non-number")
        if fmt == "date-time":
            if "maxLength" in prop:
                raise SchemaError(f"{where}: maxLength on a date-time")
            return Primitive("date-time")
        return Primitive(
            cast("Any", kind),
            max_length=self._count(prop, "maxLength", where),
            minimum=self._bound(prop, "minimum", where),
            maximum=self._bound(prop, "maximum", where),
        )

    @staticmethod
    def _count(prop: dict[str, Any], key: str, where: str) -> int | None:
        value = prop.get(key)
        if value is None:
            return None
        if type(value) is not int or value < 0:
            raise SchemaError(f"{where}: {key} must be a non-negative integer")
        return value

    @staticmethod
    def _bound(prop: dict[str, Any], key: str, where: str) -> float | None:
        value = prop.get(key)
        if value is None:
            return None
        if type(value) not in (int, float):
            raise SchemaError(f"{where}: {key} must be a number")
        return cast("float", value)

    def load_actions(self, path: Path) -> None:
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise SchemaError(f"cannot read {path.name}: {exc}") from exc
        names = [row.get("action", "") for row in rows]
        members = assign(names, upper_snake, path.name)
        for row in rows:
            action, sender = row.get("action", ""), row.get("sender", "")
            if sender not in SENDERS:
                raise SchemaError(f"{path.name}: {action}: unknown sender {sender!r}")
            request, response = f"{action}Request", f"{action}Response"
            for message in (request, response):
                if message not in self.model.messages:
                    raise SchemaError(f"{path.name}: no schema for {message}")
            self.model.actions.append(
                ActionDef(
                    action, members[action], cast("Any", sender), request, response
                )
            )
        listed = {n for a in self.model.actions for n in (a.request, a.response)}
        unlisted = sorted(
            name
            for name in set(self.model.messages) - listed
            if name.endswith(("Request", "Response"))
        )
        if unlisted:
            raise SchemaError(f"{path.name}: schemas with no action: {unlisted}")
