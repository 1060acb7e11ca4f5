"""Building attrs instances without their ``__init__``: the hot path's constructors.

One job: make objects whose fields are known to be right (a generated decoder's,
after its checks; a generated ``__init__``'s; the RPC core's events and frames) at
the cost of plain attribute stores.  attrs' ``__init__`` stores each field through
``object.__setattr__`` (and a frozen class must), which costs about 70 ns a field;
a *twin* -- a subclass with the same slots and object's own ``__setattr__`` /
``__delattr__`` -- takes plain stores, after which ``__class__`` is set to the real
class, which the identical layout allows.  The result is an ordinary instance of the
class: equal, hashable and frozen exactly as one made by its ``__init__``.  Twins are
made once, at import, for the library's own classes, never for a user's subclass.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

__all__ = ["factory", "unchecked"]

T = TypeVar("T")


def unchecked(cls: type[T]) -> Callable[[], T]:
    """The twin of ``cls``: calling it makes an empty instance whose fields are set
    by plain assignments (validators and frozenness do not apply), about 3x faster
    than ``object.__setattr__`` calls; then set its ``__class__`` to ``cls``.
    Both ``__setattr__`` and ``__delattr__`` must be object's for CPython to store
    into the slots directly (a frozen attrs class overrides both)."""
    namespace = {
        "__slots__": (),
        "__init__": object.__init__,
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
    }
    return type(f"_Unchecked{cls.__name__}", (cls,), namespace)


def factory(cls: type[T]) -> Callable[..., T]:
    """A function taking the fields of the slotted attrs class ``cls`` as its
    ``__init__`` does (positionally, with the same defaults) and returning the
    instance, built through the twin of :func:`unchecked`: about a third of the
    cost of a frozen class's ``__init__``.  No validator or converter runs, so
    ``cls`` must have none.  Its source is registered in :mod:`linecache`, so that
    tracebacks show it."""
    fields = attrs.fields(cast(Any, cls))
    if any(
        f.validator is not None
        or f.converter is not None
        or isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]
        for f in fields
    ):
        raise TypeError(f"{cls.__name__} has validators, converters or factories")
    defaults = {
        f"_d_{f.name}": f.default for f in fields if f.default is not attrs.NOTHING
    }
    params = ", ".join(
        f"{f.name}=_d_{f.name}" if f"_d_{f.name}" in defaults else f.name
        for f in fields
    )
    stores = "".join(f"    self.{f.name} = {f.name}\n" for f in fields)
    source = (
        f"def new_{cls.__name__}({params}):\n"
        "    self = _twin()\n"
        f"{stores}"
        "    self.__class__ = _cls\n"
        "    return self\n"
    )
    filename = f"<ocpp201 factory of {cls.__module__}.{cls.__qualname__}>"
    namespace: dict[str, Any] = {"_twin": unchecked(cls), "_cls": cls, **defaults}
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    built: Callable[..., T] = namespace[f"new_{cls.__name__}"]
    return built
