"""Emit the decode and encode functions of the generated classes, ahead of time.

For each object definition the generator writes, next to its class,

* ``_decode_X(o)``: straight-line Python with every schema check of ``X`` inlined; it
  builds the object without running the attrs validators (it has made their checks):
  plain attribute assignments on an instance of ``_U_X``, a subclass of ``X`` with
  the same slots and neither attrs' ``__init__`` nor its validating
  ``__setattr__``, made an ``X`` at the end by setting its ``__class__``; it raises
  ``Refused`` (or fails on the way) when anything is wrong, leaving the explanation
  to the interpretive path of ``ocpp201._schema``;
* ``_encode_X(obj)``: the JSON-ready dict of a valid object;
* the module table ``_CODECS`` the codec looks the functions up in.

The checks are written here once per kind of schema rule; the interpretive path
(``FieldSpec.check`` / ``decode``) is the reference the conformance tests hold both to.
"""

from __future__ import annotations

from .layout import LINE, Call, layout
from .model import Array, Model, ObjectDef, Primitive, Ref, TypeExpr


class _Out:
    """Lines of one module's codec section, and the helper names they use."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.lines: list[str] = []
        self.used: set[str] = set()
        self.enums: set[str] = set()
        self.shells: list[str] = []

    def add(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def assign(self, depth: int, target: str, expr: str) -> None:
        """``target = expr``, a list comprehension split as ``ruff format`` does."""
        indent = "    " * depth
        line = f"{indent}{target} = {expr}"
        if len(line) <= LINE or not expr.startswith("["):
            self.lines.append(line)
        else:
            self.lines += [
                f"{indent}{target} = [",
                f"{indent}    {expr[1:-1]}",
                f"{indent}]",
            ]

    def define(self, name: str, param: str, result: str) -> None:
        """A function's ``def`` line, split as ``ruff format`` does when too long."""
        line = f"def {name}({param}) -> {result}:"
        if len(line) <= LINE:
            self.lines.append(line)
        else:
            self.lines += [f"def {name}(", f"    {param},", f") -> {result}:"]

    def refuse_if(self, depth: int, condition: str) -> None:
        self.used.add("Refused")
        self.add(depth, f"if {condition}:")
        self.add(depth + 1, "raise Refused")

    def members(self, name: str) -> str:
        self.enums.add(name)
        return f"_M_{name}"


def out_of_range(var: str, low: float | None, high: float | None, strict: bool) -> str:
    """The condition under which ``var`` is out of range.  ``strict`` (numbers): the
    infinities are out of range too, and so is NaN, which fails every comparison."""
    if strict:
        left = f"{low!r} <=" if low is not None else "-INF <"
        right = f"<= {high!r}" if high is not None else "< INF"
        return f"not {left} {var} {right}"
    if low is not None and high is not None:
        return f"not {low!r} <= {var} <= {high!r}"
    if low is not None:
        return f"{var} < {low!r}"
    return f"{var} > {high!r}"


def _check_scalar(out: _Out, prim: Primitive, var: str, depth: int) -> None:
    """Lines checking (and converting in place) a primitive JSON value ``var``."""
    kind = prim.kind
    if kind == "string":
        condition = f"{var}.__class__ is not str"
        if prim.max_length is not None:
            condition += f" or len({var}) > {prim.max_length}"
        out.refuse_if(depth, condition)
    elif kind == "integer":
        out.used.add("integer")
        out.add(depth, f"if {var}.__class__ is not int:")
        out.add(depth + 1, f"{var} = integer({var})")
        if prim.minimum is not None or prim.maximum is not None:
            out.refuse_if(depth, out_of_range(var, prim.minimum, prim.maximum, False))
    elif kind == "number":
        out.refuse_if(
            depth, f"{var}.__class__ is not float and {var}.__class__ is not int"
        )
        out.used.add("INF")
        # Strict comparisons with the infinities refuse them; NaN fails any of them.
        out.refuse_if(depth, out_of_range(var, prim.minimum, prim.maximum, True))
    elif kind == "boolean":
        out.refuse_if(depth, f"{var}.__class__ is not bool")
    else:  # a date-time or an untyped value
        out.add(depth, f"{var} = {_converted(out, prim, var)}")


def _check(out: _Out, type_expr: TypeExpr, depth: int) -> None:
    """Lines checking ``v`` against ``type_expr`` and converting it in place."""
    if isinstance(type_expr, Primitive):
        _check_scalar(out, type_expr, "v", depth)
    elif isinstance(type_expr, Ref):
        out.add(depth, f"v = {_converted(out, type_expr, 'v')}")
    else:
        _check_array(out, type_expr, depth)


def _converted(out: _Out, type_expr: TypeExpr, src: str) -> str | None:
    """The expression converting ``src`` when ``type_expr`` needs no other check (an
    enumeration, an object, a date-time, an untyped value), else None."""
    if isinstance(type_expr, Ref):
        if type_expr.name in out.model.enums:
            return f"{out.members(type_expr.name)}[{src}]"
        return f"_decode_{type_expr.name}({src})"
    if isinstance(type_expr, Primitive) and type_expr.kind in ("date-time", "any"):
        helper = "parse_datetime" if type_expr.kind == "date-time" else "any_json"
        out.used.add(helper)
        return f"{helper}({src})"
    return None


def _check_array(out: _Out, array: Array, depth: int) -> None:
    condition = "v.__class__ is not list"
    if array.min_items is not None or array.max_items is not None:
        condition += " or " + out_of_range(
            "len(v)", array.min_items, array.max_items, False
        )
    out.refuse_if(depth, condition)
    item = array.item
    converted = _converted(out, item, "x")
    if converted is not None:
        out.add(depth, f"v = [{converted} for x in v]")
    elif isinstance(item, Primitive) and item.kind == "integer":
        out.used.add("integer")
        out.add(depth, "v = [x if x.__class__ is int else integer(x) for x in v]")
        if item.minimum is not None or item.maximum is not None:
            out.add(depth, "for x in v:")
            out.refuse_if(
                depth + 1, out_of_range("x", item.minimum, item.maximum, False)
            )
    elif isinstance(item, Primitive):
        out.add(depth, "for x in v:")
        _check_scalar(out, item, "x", depth + 1)
    else:  # arrays of arrays: the loader refuses them
        raise ValueError(f"no array item check for {item!r}")


def _decoder(out: _Out, obj: ObjectDef) -> None:
    out.used.update({"Refused", "unchecked"})
    out.shells.append(obj.name)
    out.define(f"_decode_{obj.name}", "o: Any", obj.name)
    out.refuse_if(1, "o.__class__ is not dict")
    out.add(1, f"self = _U_{obj.name}()")
    declared = len(out.lines)
    if not obj.extensible:
        out.add(1, f"n = {sum(f.required for f in obj.fields)}")
    temporary = False
    for field in obj.fields:
        depth = 1 if field.required else 2
        if not field.required:
            out.add(1, f'if "{field.wire}" in o:')
        converted = _converted(out, field.type, f'o["{field.wire}"]')
        direct = f"self.{field.name} = {converted}"
        if converted is not None and len(direct) + 4 * depth <= LINE:
            out.add(depth, direct)  # one conversion, no check of its own
        else:
            temporary = True
            out.add(depth, f'v = o["{field.wire}"]')
            _check(out, field.type, depth)
            out.add(depth, f"self.{field.name} = v")
        if not field.required:
            if not obj.extensible:
                out.add(2, "n += 1")
            out.add(1, "else:")
            out.add(2, f"self.{field.name} = None")
    if obj.extensible:
        out.used.add("json_problem")
        known = ", ".join(f'"{f.wire}"' for f in obj.fields)
        out.add(1, f"extra = {{k: x for k, x in o.items() if k not in ({known},)}}")
        out.refuse_if(1, "json_problem(extra) is not None")
        out.add(1, "self.extra = extra")
    else:
        out.refuse_if(1, "len(o) != n")  # a key the schema does not know
    out.add(1, f"self.__class__ = {obj.name}")
    out.add(1, "return self")
    if temporary:
        out.lines.insert(declared, "    v: Any")


def _encoded(out: _Out, type_expr: TypeExpr) -> str:
    """An expression giving the JSON form of ``v``, a valid value of ``type_expr``."""
    if isinstance(type_expr, Primitive):
        if type_expr.kind == "date-time":
            out.used.add("format_datetime")
            return "format_datetime(v)"
        if type_expr.kind == "any":
            out.used.add("JSON_NULL")
            return "None if v is JSON_NULL else v"
        return "v"
    if isinstance(type_expr, Ref):
        if type_expr.name in out.model.enums:
            return "v._value_"
        return f"_encode_{type_expr.name}(v)"
    item = type_expr.item
    if isinstance(item, Ref):
        if item.name in out.model.enums:
            return "[x._value_ for x in v]"
        return f"[_encode_{item.name}(x) for x in v]"
    if isinstance(item, Array):  # arrays of arrays: the loader refuses them
        raise ValueError(f"no array item encoding for {item!r}")
    if item.kind == "date-time":
        out.used.add("format_datetime")
        return "[format_datetime(x) for x in v]"
    if item.kind == "any":
        out.used.add("JSON_NULL")
        return "[None if x is JSON_NULL else x for x in v]"
    return "list(v)"


def _encoder(out: _Out, obj: ObjectDef) -> None:
    out.define(f"_encode_{obj.name}", f"obj: {obj.name}", "dict[str, Any]")
    out.add(1, "res: dict[str, Any] = {}")
    out.add(1, "v: Any")
    for field in obj.fields:
        out.add(1, f"v = obj.{field.name}")
        expr = _encoded(out, field.type)
        if field.required:
            out.assign(1, f'res["{field.wire}"]', expr)
        else:
            out.add(1, "if v is not None:")
            out.assign(2, f'res["{field.wire}"]', expr)
    if obj.extensible:
        out.add(1, "res.update(obj.extra)")
    out.add(1, "return res")


def codec_blocks(
    objects: list[ObjectDef], model: Model
) -> tuple[list[list[str]], set[str], set[str]]:
    """The codec section of a module holding ``objects``: its blocks, the helper
    names it imports from ``ocpp201._fastpath`` and the enumerations it uses."""
    out = _Out(model)
    blocks: list[list[str]] = []
    for obj in objects:
        for emit in (_decoder, _encoder):
            out.lines = []
            emit(out, obj)
            blocks.append(out.lines)
    out.used.add("Codecs")
    if out.enums:
        out.used.add("members")
    constants = []
    for name in sorted(out.enums):
        constants.extend(layout(f"_M_{name} = ", Call("members", (name,)), "", ""))
    for name in out.shells:
        constants.extend(layout(f"_U_{name} = ", Call("unchecked", (name,)), "", ""))
    table = ["_CODECS: Codecs = {"]
    for obj in objects:
        pair = Call("", (f"_decode_{obj.name}", f"_encode_{obj.name}"), collection=True)
        table.extend(layout(f"{obj.name}: ", pair, ",", "    "))
    table.append("}")
    return [constants, *blocks, table], out.used, out.enums
