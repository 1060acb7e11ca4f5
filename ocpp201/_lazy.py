"""Lazy attributes of the facade modules ``enums``, ``datatypes`` and ``messages``.

Each generated class lives in a small module of its own; a facade lists where each
name lives and loads that module the first time the name is used (PEP 562), so that
``import ocpp201`` does not build classes nobody uses.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    module: str, package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of facade ``module``: name ``N`` is
    ``package.<where[N]>.N``, imported on first use and then cached on the facade."""

    def __getattr__(name: str) -> Any:  # noqa: N807 -- the PEP 562 hook
        home = where.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[module], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*vars(sys.modules[module]), *where})

    return __getattr__, __dir__
