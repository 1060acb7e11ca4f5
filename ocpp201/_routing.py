"""Handler registration: the ``@on`` / ``@after`` decorators and custom actions.

The decorators only *mark* a method; :func:`collect_routes` turns the marks of a class
and its bases into a routing table when an endpoint class is created.  The typed
``on`` / ``after`` functions users import live in the generated module
``ocpp201/_decorators.py``: one overload per action, each returning a
:class:`HandlerDecorator` / :class:`AfterDecorator` parametrised with that action's
request and response classes, so that mypy checks every handler's signature.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, Generic, TypeVar, overload

import attrs

from ._base import Request, Response, Sender
from ._errors import LocalProtocolError
from .actions import Action

__all__ = [
    "AfterDecorator",
    "CustomAction",
    "HandlerDecorator",
    "Routes",
    "collect_routes",
    "make_after",
    "make_on",
    "normalize_action",
]

_Rq = TypeVar("_Rq")
_Rs = TypeVar("_Rs")
_S = TypeVar("_S")
_T = TypeVar("_T")

_MARK: Final = "__ocpp201_routes__"


@attrs.frozen(slots=True)
class _Mark:
    kind: str  # "on" or "after"
    action: str
    with_response: bool = False  # after-handlers only: takes (request, response)


def normalize_action(action: object) -> str:
    """The wire name of ``action`` (an :class:`Action` or a string)."""
    if isinstance(action, Action):
        return action.value
    if not isinstance(action, str):
        raise TypeError(f"an action is an Action or a str, not {type(action).__name__}")
    if not action:
        raise ValueError("an action name cannot be empty")
    return str(action)


def _add_mark(function: Any, mark: _Mark) -> None:
    if not callable(function):
        raise TypeError(f"@{mark.kind}({mark.action!r}) decorates a function or method")
    marks: tuple[_Mark, ...] = getattr(function, _MARK, ())
    try:
        setattr(function, _MARK, (*marks, mark))
    except AttributeError:  # pragma: no cover - e.g. builtins
        raise TypeError(
            f"@{mark.kind}({mark.action!r}) cannot decorate {function!r}"
        ) from None


class HandlerDecorator(Generic[_Rq, _Rs]):
    """What ``on(action)`` returns: marks a method as the handler of ``action``.

    The handler is ``async def f(self, request: XRequest) -> XResponse`` (a plain
    ``def`` works too).  The type parameters are the action's request and response
    classes, so mypy rejects a handler that takes or returns the wrong type.
    """

    __slots__ = ("action",)

    def __init__(self, action: str) -> None:
        self.action = action

    @overload
    def __call__(
        self, handler: Callable[[_S, _Rq], Coroutine[Any, Any, _Rs]]
    ) -> Callable[[_S, _Rq], Coroutine[Any, Any, _Rs]]: ...

    @overload
    def __call__(
        self, handler: Callable[[_S, _Rq], _Rs]
    ) -> Callable[[_S, _Rq], _Rs]: ...

    def __call__(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        _add_mark(handler, _Mark("on", self.action))
        return handler

    def __repr__(self) -> str:
        return f"on({self.action!r})"


class AfterDecorator(Generic[_Rq, _Rs]):
    """What ``after(action)`` returns: marks a method to run after the response to
    ``action`` has been sent.

    The method takes ``(self, request)`` or ``(self, request, response)``; its return
    value is ignored; it may be ``async``.  An exception it raises is logged.
    """

    __slots__ = ("action",)

    def __init__(self, action: str) -> None:
        self.action = action

    @overload
    def __call__(self, handler: Callable[[_S, _Rq], _T]) -> Callable[[_S, _Rq], _T]: ...

    @overload
    def __call__(
        self, handler: Callable[[_S, _Rq, _Rs], _T]
    ) -> Callable[[_S, _Rq, _Rs], _T]: ...

    def __call__(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        _add_mark(handler, _Mark("after", self.action, _takes_response(handler)))
        return handler

    def __repr__(self) -> str:
        return f"after({self.action!r})"


def _takes_response(function: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False
    try:
        signature.bind(None, None, None)
    except TypeError:
        pass
    else:
        return True
    try:
        signature.bind(None, None)
    except TypeError:
        raise TypeError(
            f"{getattr(function, '__qualname__', function)!r} must take "
            "(self, request) or (self, request, response)"
        ) from None
    return False


def make_on(action: Action | str) -> HandlerDecorator[Any, Any]:
    """Mark a method as the handler of ``action``'s requests.

    The method takes the typed request and returns the typed response (it may be
    ``async``)::

        @on(Action.HEARTBEAT)
        async def heartbeat(self, request: HeartbeatRequest) -> HeartbeatResponse:
            return HeartbeatResponse(current_time=datetime.now(timezone.utc))

    (This is the untyped implementation behind the generated, typed ``on``.)
    """
    return HandlerDecorator(normalize_action(action))


def make_after(action: Action | str) -> AfterDecorator[Any, Any]:
    """Mark a method to run after the response to ``action`` has been sent.

    The method takes ``(self, request)`` or ``(self, request, response)``; it may
    be ``async``; its return value is ignored.

    (This is the untyped implementation behind the generated, typed ``after``.)
    """
    return AfterDecorator(normalize_action(action))


# --------------------------------------------------------------------------- custom


@attrs.frozen(kw_only=True)
class CustomAction:
    """A vendor action outside the 64 of OCPP 2.0.1, enabled per endpoint.

    ``request`` and ``response`` are attrs classes built like the generated message
    classes (subclasses of :class:`ocpp201.Request` / :class:`ocpp201.Response`
    whose fields carry the codec's field specs); ``request.ACTION`` must equal
    ``name``.  ``sender`` says which side sends the request.

    Pass the custom actions an endpoint understands as
    ``ChargePoint(..., custom_actions=[CustomAction(...)])``; only then may it call
    them and handle them.  Any other unknown action is answered ``NotImplemented``.
    """

    name: str
    request: type[Request[Any]]
    response: type[Response]
    sender: Sender = Sender.BOTH

    def __attrs_post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError("a custom action needs a non-empty name")
        if self.name in Action._value2member_map_:
            raise ValueError(f"{self.name!r} is a standard OCPP 2.0.1 action")
        if getattr(self.request, "ACTION", None) != self.name:
            raise ValueError(
                f"{self.request.__name__}.ACTION must be {self.name!r} "
                "for a custom action"
            )


# --------------------------------------------------------------------------- routes


@attrs.frozen(slots=True)
class AfterRoute:
    """One after-handler: method name and whether it takes the response too."""

    method: str
    with_response: bool


@attrs.frozen(slots=True)
class Routes:
    """The routing table of an endpoint class.

    ``on`` maps an action's wire name to the name of its handler method; ``after``
    maps it to its after-handlers, in definition order.
    """

    on: Mapping[str, str]
    after: Mapping[str, tuple[AfterRoute, ...]]


def collect_routes(cls: type, role: Sender | None) -> Routes:
    """Build the routing table of ``cls`` from the marks on its (inherited) methods.

    A subclass that redefines a method (decorated or not) replaces the routes of the
    method of the same name; a subclass handler for an action replaces a base class's
    handler for it.  Two handlers for one action in the same class are an error, and
    so is a handler for a standard action the ``role`` itself sends.
    """
    on_routes: dict[str, str] = {}
    after_routes: dict[str, list[AfterRoute]] = {}
    for klass in reversed(cls.__mro__):
        own = vars(klass)
        # Names redefined here drop the routes they had in the bases.
        for action, method in list(on_routes.items()):
            if method in own:
                del on_routes[action]
        for routes in after_routes.values():
            routes[:] = [r for r in routes if r.method not in own]
        seen_here: dict[str, str] = {}
        for name, value in own.items():
            for mark in _marks_of(value):
                _check_role(klass, name, mark, role)
                if mark.kind == "on":
                    if mark.action in seen_here:
                        raise LocalProtocolError(
                            f"{klass.__qualname__}: both "
                            f"{seen_here[mark.action]}() and {name}() are "
                            f"@on({mark.action!r}) handlers"
                        )
                    seen_here[mark.action] = name
                    on_routes[mark.action] = name
                else:
                    after_routes.setdefault(mark.action, []).append(
                        AfterRoute(name, mark.with_response)
                    )
    return Routes(
        on=MappingProxyType(on_routes),  # shared, never copied, by every endpoint
        after={action: tuple(r) for action, r in after_routes.items() if r},
    )


def _marks_of(value: object) -> Iterable[_Mark]:
    marks = getattr(value, _MARK, ())
    return marks if isinstance(marks, tuple) else ()


def _check_role(klass: type, name: str, mark: _Mark, role: Sender | None) -> None:
    if role is None:
        return
    action = Action._value2member_map_.get(mark.action)
    if isinstance(action, Action) and action.sender == role:
        raise LocalProtocolError(
            f"{klass.__qualname__}.{name}: a {_ROLE_NAMES[role]} cannot handle "
            f"{mark.action} requests: the {_ROLE_NAMES[role]} is the one that "
            "sends them"
        )


_ROLE_NAMES: Final = {
    Sender.CHARGING_STATION: "charging station",
    Sender.CSMS: "CSMS",
    Sender.BOTH: "peer",
}
