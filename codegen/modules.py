"""Split the generated classes into one module per class (per action for messages).

``import ocpp201`` must not pay for building 183 attrs classes and 88 enumerations
it may never use.  So each enumeration, each datatype and each action's pair of
message classes (with their generated decoder and encoder) lives in its own module
under ``ocpp201/_enums/``, ``ocpp201/_datatypes/`` and ``ocpp201/_messages/``, and
``enums.py``, ``datatypes.py`` and ``messages.py`` are facades that load a module
the first time one of its names is used (PEP 562 ``__getattr__``).  Type checkers
and IDEs see every name through the facades' ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

from collections.abc import Iterable

from .emit import (
    _FUNCTION,
    HEADER,
    SENDER_WORDS,
    _enum_lines,
    _std_imports,
    _topological,
    _used,
    class_lines,
    emit_actions,
    emit_decorator_stub,
    emit_decorators,
    isort_key,
)
from .emit_codec import codec_blocks
from .emit_init import init_helpers, init_lines
from .layout import LINE
from .model import Model, ObjectDef
from .naming import snake_case

__all__ = ["emit_all", "emit_split"]


def emit_all(model: Model) -> dict[str, str]:
    """All generated modules: file name (inside ``ocpp201/``) -> source text."""
    return {
        **emit_split(model),
        "actions.py": emit_actions(model),
        "_decorators.py": emit_decorators(model),
        "_decorators.pyi": emit_decorator_stub(model),
    }


def _from(module: str, names: Iterable[str], indent: str = "") -> list[str]:
    """``from module import names`` laid out as ruff's isort does (at ``indent``)."""
    ordered = sorted(set(names), key=isort_key)
    if not ordered:
        return []
    one = f"from {module} import {', '.join(ordered)}"
    if len(indent + one) <= LINE:
        return [one]
    return [f"from {module} import (", *[f"    {n}," for n in ordered], ")"]


def _source(docline: str, imports: list[str], blocks: list[list[str]]) -> str:
    lines = [*HEADER.splitlines(), f'"""{docline}"""']
    if imports:
        lines += ["", *imports]
    for block in blocks:
        lines.extend(["", "", *block])
    return "\n".join(lines) + "\n"


def _all(names: Iterable[str]) -> list[str]:
    return ["__all__ = [", *[f'    "{n}",' for n in sorted(names)], "]"]


def _object_module(
    objects: list[tuple[ObjectDef, str, str]],
    model: Model,
    where: dict[str, str],
    docline: str,
    *,
    messages: bool,
) -> str:
    """One module holding ``objects`` (class, base, fallback docstring) and their
    codec functions.  ``where`` maps each datatype to its module name."""
    defs = [o for o, _, _ in objects]
    enums, datatypes, specs = _used(defs, model)
    codec, helpers, _ = codec_blocks(defs, model)
    inits = {o.name: init_lines(o, model) for o in defs}
    helpers |= init_helpers(inits.values())
    own = {o.name for o in defs}
    needed: dict[str, set[str]] = {}
    for name in datatypes - own:
        needed.setdefault(name, set()).add(name)
    for block in codec:
        for line in block:
            for kind, name in _FUNCTION.findall(line):
                if name not in own:
                    needed.setdefault(name, set()).add(f"_{kind}_{name}")
    typing_names = ("Any", "ClassVar") if messages else ("Any",)
    imports = [*_std_imports(defs, typing_names), ""]
    if messages:
        bases = {b.split("[")[0] for _, b, _ in objects}
        imports += _from(".._base", bases)
    # ruff's isort: the farther relative imports first, then by module name.
    relative: list[tuple[str, Iterable[str]]] = []
    for name in sorted(enums):
        relative.append((f".._enums.{_enum_module(name)}", [name]))
    relative.append((".._fastpath", helpers))
    relative.append((".._schema", specs))
    for name, names in needed.items():
        module = where[name]
        if messages:
            relative.append((f".._datatypes.{module}", names))
        else:
            relative.append((f".{module}", names))
    relative.sort(key=lambda item: (-_level(item[0]), item[0]))
    for module, imported in relative:
        imports += _from(module, imported)
    action_of = {name: name for name in model.messages}
    action_of |= {a.request: a.name for a in model.actions}
    action_of |= {a.response: a.name for a in model.actions}
    blocks = []
    for obj, base, fallback in objects:
        extra = (
            [f'    ACTION: ClassVar[str] = "{action_of[obj.name]}"'] if messages else []
        )
        init = inits[obj.name]
        blocks.append(class_lines(obj, model, base, fallback, extra, init=init))
    blocks.extend(block for block in codec if block)
    blocks.append(_all(own))
    return _source(docline, imports, blocks)


def _enum_module(name: str) -> str:
    """``registration_status`` for ``RegistrationStatusEnumType``."""
    return snake_case(name).removesuffix("_enum_type")


def _level(module: str) -> int:
    return len(module) - len(module.lstrip("."))


def _facade(docline: str, package: str, where: dict[str, str], names: list[str]) -> str:
    """A module re-exporting ``names`` from ``package``'s modules, loaded lazily."""
    by_module: dict[str, list[str]] = {}
    for name in names:
        by_module.setdefault(where[name], []).append(name)
    checking = []
    for module in sorted(by_module):
        checking += [
            f"    {line}"
            for line in _from(f".{package}.{module}", by_module[module], "    ")
        ]
    table = ["_WHERE: dict[str, str] = {"]
    table += [f'    "{name}": "{where[name]}",' for name in sorted(names)]
    table.append("}")
    imports = [
        "from typing import TYPE_CHECKING",
        "",
        "from ._lazy import lazy_attributes",
        "",
        "if TYPE_CHECKING:",
        *checking,
    ]
    args = f'__name__, f"{{__package__}}.{package}", _WHERE'
    hook = [f"__getattr__, __dir__ = lazy_attributes({args})"]
    if len(hook[0]) > LINE:
        hook = ["__getattr__, __dir__ = lazy_attributes(", f"    {args}", ")"]
    return _source(docline, imports, [table, hook, _all(names)])


def emit_split(model: Model) -> dict[str, str]:
    """The per-class modules and the three facades: file name -> source text."""
    _topological(model.datatypes)  # refuses recursive definitions
    files: dict[str, str] = {}
    enum_where = {name: _enum_module(name) for name in model.enums}
    for name, enum_def in model.enums.items():
        files[f"_enums/{enum_where[name]}.py"] = _source(
            f"The ``{name}`` enumeration.",
            ["from .._base import WireEnum"],
            [_enum_lines(enum_def), _all([name])],
        )
    files["enums.py"] = _facade(
        "The enumerations of OCPP 2.0.1 (one ``str`` enum per schema enumeration).",
        "_enums",
        enum_where,
        sorted(model.enums),
    )
    data_where = {name: snake_case(name) for name in model.datatypes}
    for name, obj in model.datatypes.items():
        fallback = f"The ``{name}`` datatype."
        files[f"_datatypes/{data_where[name]}.py"] = _object_module(
            [(obj, "", fallback)], model, data_where, fallback, messages=False
        )
    files["datatypes.py"] = _facade(
        "The datatypes (objects) of OCPP 2.0.1, shared by the message classes.",
        "_datatypes",
        data_where,
        sorted(model.datatypes),
    )
    message_where: dict[str, str] = {}
    for action in sorted(model.actions, key=lambda a: a.name):
        who = SENDER_WORDS[action.sender]
        module = snake_case(action.name)
        pair = [
            (
                model.messages[action.response],
                "Response",
                f"Payload of the ``{action.name}`` response (the answer to "
                f"{who}'s request).",
            ),
            (
                model.messages[action.request],
                f"Request[{action.response}]",
                f"Payload of the ``{action.name}`` request, sent by {who}.",
            ),
        ]
        message_where |= {action.request: module, action.response: module}
        files[f"_messages/{module}.py"] = _object_module(
            pair,
            model,
            data_where,
            f"The ``{action.name}`` request and response payloads.",
            messages=True,
        )
    for name in sorted(set(model.messages) - set(message_where)):
        module = snake_case(name)
        message_where[name] = module
        files[f"_messages/{module}.py"] = _object_module(
            [(model.messages[name], "Message", f"The one-way ``{name}`` message.")],
            model,
            data_where,
            f"The one-way ``{name}`` message.",
            messages=True,
        )
    files["messages.py"] = _facade(
        "The 128 message payloads of OCPP 2.0.1: a request and a response per action.",
        "_messages",
        message_where,
        sorted(model.messages),
    )
    for package in ("_enums", "_datatypes", "_messages"):
        files[f"{package}/__init__.py"] = _source(
            f"Generated modules behind ``{package[1:]}.py``, one per class.", [], []
        )
    return files
