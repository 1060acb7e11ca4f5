"""Lay out Python expressions the way ``ruff format`` does (for the emitters)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LINE", "Call", "layout"]

LINE = 88


@dataclass(frozen=True)
class Call:
    """An expression ``func(args)`` to be laid out the way ``ruff format`` does.

    ``func == ""`` with ``collection=True`` is a tuple literal.  An argument is either
    plain text or a ``(prefix, Call)`` pair such as ``("validator=", Call(...))``.
    """

    func: str
    args: tuple[str | tuple[str, Call], ...]
    collection: bool = False

    def flat(self) -> str:
        return f"{self.func}({', '.join(_flat(a) for a in self.args)})"


def _flat(arg: str | tuple[str, Call]) -> str:
    return arg if isinstance(arg, str) else arg[0] + arg[1].flat()


def layout(prefix: str, node: Call, suffix: str, indent: str) -> list[str]:
    """Lines of ``prefix + node + suffix`` at ``indent``, split like ruff format.

    The line is first split after the opening bracket; the arguments stay together on
    one line when they fit (never for a collection), otherwise they go one per line
    with a trailing comma, each split again the same way when still too long.
    """
    one = f"{indent}{prefix}{node.flat()}{suffix}"
    if len(one) <= LINE:
        return [one]
    head = f"{indent}{prefix}{node.func}("
    tail = f"{indent}){suffix}"
    inner = indent + "    "
    body = ", ".join(_flat(a) for a in node.args)
    if not node.collection and len(inner) + len(body) <= LINE:
        return [head, inner + body, tail]
    if (
        len(node.args) == 1
        and not node.collection
        and not isinstance(node.args[0], str)
    ):
        sub_prefix, sub = node.args[0]
        return [head, *layout(sub_prefix, sub, "", inner), tail]
    lines = [head]
    for arg in node.args:
        if isinstance(arg, str):
            lines.append(f"{inner}{arg},")
        else:
            lines.extend(layout(arg[0], arg[1], ",", inner))
    lines.append(tail)
    return lines
