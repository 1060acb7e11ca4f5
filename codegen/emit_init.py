"""Emit the ``__init__`` of each generated class, ahead of time.

attrs' own ``__init__`` stores every field through ``object.__setattr__`` and then
calls every field's validator, present or not: about 1.3 us for a response of five
optional fields.  The generated one, in the class body, checks each field inline
where a check is one comparison (the class of an object or an enumeration member, a
string's length, a finite float, an aware UTC datetime) and hands everything else
(lists, untyped values, subclasses, anything wrong) to the field's own validator
(``check_field``), which accepts or raises exactly as before.  As attrs does, it
stores the fields first and then checks each as read back, in order; it stores
them through the class's twin (``ocpp201._construct``), as the decoders do, or,
for an instance of a subclass (another layout), one ``object.__setattr__`` at a
time.
An extensible object (``customData``: its extra keys) keeps attrs' ``__init__``, and
so does a class with a parameter too long for a line (none in OCPP 2.0.1).
"""

from __future__ import annotations

from collections.abc import Iterable

from .emit import annotation
from .emit_codec import out_of_range
from .layout import LINE, Call, layout
from .model import Array, Field, Model, ObjectDef, Ref, TypeExpr

__all__ = ["init_helpers", "init_lines"]

_INDENT = "        "


def _unusual(type_expr: TypeExpr) -> str | None:
    """The condition under which ``v`` needs its validator (the inline check does
    not accept it), or None when every value does (lists, untyped values)."""
    if isinstance(type_expr, Ref):
        return f"v.__class__ is not {type_expr.name}"
    if isinstance(type_expr, Array):
        return None
    kind = type_expr.kind
    if kind == "string":
        length = type_expr.max_length
        tail = "" if length is None else f" or len(v) > {length}"
        return f"v.__class__ is not str{tail}"
    low, high = type_expr.minimum, type_expr.maximum
    if kind == "integer":
        bounded = low is not None or high is not None
        tail = f" or {out_of_range('v', low, high, False)}" if bounded else ""
        return f"v.__class__ is not int{tail}"
    if kind == "number":  # an int is checked by the validator
        return f"v.__class__ is not float or {out_of_range('v', low, high, True)}"
    if kind == "boolean":
        return "v.__class__ is not bool"
    if kind == "date-time":
        return "v.__class__ is not datetime or v.tzinfo is not UTC"
    return None  # any


def _call(func: str, args: tuple[str, ...], depth: int) -> list[str]:
    """``func(args)`` at ``depth`` indents, split as ``ruff format`` does."""
    return layout("", Call(func, args), "", "    " * depth)


def _check(obj: ObjectDef, field: Field) -> list[str]:
    """``v = <field>`` and the lines that run its validator unless the inline
    check accepts it."""
    unusual = _unusual(field.type)
    lines = [f"{_INDENT}v = self.{field.name}"]  # what attrs validates: read back
    args = ("self", f'"{field.name}"', "v", obj.name)
    if field.required and unusual is None:
        return [*lines, *_call("check_field", args, 2)]
    if field.required:
        condition = unusual
    elif unusual is None:
        condition = "v is not None"
    elif " or " in unusual:
        condition = f"v is not None and ({unusual})"
    else:
        condition = f"v is not None and {unusual}"
    head = f"{_INDENT}if {condition}:"
    if len(head) > LINE:  # too long for a line: the validator decides
        if field.required:
            return [*lines, *_call("check_field", args, 2)]
        head = f"{_INDENT}if v is not None:"
    return [*lines, head, *_call("check_field", args, 3)]


def _parameter(field: Field) -> str:
    annot = annotation(field.type)
    if field.required:
        return f"{_INDENT}{field.name}: {annot},"
    return f"{_INDENT}{field.name}: {annot} | None = None,"


# Names the body of a generated __init__ uses: a field (a parameter) named so would
# shadow them, and its class keeps attrs' __init__ (OCPP 2.1 has a field "v").
_BODY_NAMES = frozenset(
    {"self", "v", "object", "len", "locals", "check_field", "store_fields"}
    | {"datetime", "str", "int", "float", "bool"}
)


def init_lines(obj: ObjectDef, model: Model) -> list[str]:
    """The ``__init__`` method of ``obj``'s class (empty for an extensible one, or
    one with a field named like a name its body uses)."""
    # (Class names cannot collide: fields are snake_case, classes CamelCase.)
    if obj.extensible or any(f.name in _BODY_NAMES for f in obj.fields):
        return []
    lines = ["    def __init__(", f"{_INDENT}self,", f"{_INDENT}*,"]
    lines += [_parameter(f) for f in obj.fields]
    lines += ["    ) -> None:", f"{_INDENT}if self.__class__ is {obj.name}:"]
    lines += _call("object.__setattr__", ("self", '"__class__"', f"_U_{obj.name}"), 3)
    lines += [f"{_INDENT}    self.{f.name} = {f.name}" for f in obj.fields]
    lines += [
        f"{_INDENT}    self.__class__ = {obj.name}",
        f"{_INDENT}else:  # a subclass: its own layout",
        *_call("store_fields", ("self", obj.name, "locals()"), 3),
        f"{_INDENT}v: Any",
    ]
    for field in obj.fields:
        lines += _check(obj, field)
    if any(len(line) > LINE for line in lines):
        return []  # a parameter too long for a line (not in 2.0.1): attrs' __init__
    return lines


def init_helpers(inits: Iterable[list[str]]) -> set[str]:
    """The names the ``__init__`` methods ``inits`` import from
    ``ocpp201._fastpath``."""
    text = "\n".join(line for lines in inits for line in lines)
    names = {"check_field", "store_fields"} if text else set()
    names |= {name for name in ("INF", "UTC") if name in text}
    return names
