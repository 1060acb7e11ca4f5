"""A ready CSMS for testing charging stations and simulators (``ocpp201 serve``).

:class:`ReadyCSMS` accepts a station's BootNotification (or a configured status),
answers every station-to-CSMS action of OCPP 2.0.1 with a valid response, applies
the registration gate (:mod:`ocpp201.tools.gate`), and after an Accepted boot sends
the scripted requests of :class:`ServeConfig` one after the other.  It counts what
it received.  :func:`parse_script` reads a script (``[["Reset", {"type":
"OnIdle"}], ...]``).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from .. import (
    CSMS,
    Action,
    CallError,
    CallTimeoutError,
    Connection,
    ConnectionClosedError,
    Request,
    Response,
    Sender,
    after,
    from_payload,
    on,
)
from .. import messages as m
from ..enums import RegistrationStatusEnumType
from .gate import RegistrationGate

__all__ = ["ReadyCSMS", "ScriptStep", "ServeConfig", "parse_script"]

logger = logging.getLogger("ocpp201.serve")

#: Every action a charging station may send (DataTransfer goes both ways).
STATION_ACTIONS: tuple[Action, ...] = tuple(
    a for a in Action if a.sender in (Sender.CHARGING_STATION, Sender.BOTH)
)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@attrs.frozen(kw_only=True)
class ScriptStep:
    """One scripted request: sent ``delay`` seconds after the previous step."""

    request: Request[Any]
    delay: float = 0.0


def parse_script(text: str) -> tuple[ScriptStep, ...]:
    """Read a script: a JSON array of ``[action, payload]`` or ``[action, payload,
    delay]`` (seconds before sending it).

    Raises:
        ValueError: with the step that is wrong (JSON, action, payload).
    """
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the script is not JSON: {exc}") from None
    if not isinstance(items, list):
        raise ValueError("the script is a JSON array of [action, payload] steps")
    steps = []
    for number, item in enumerate(items, 1):
        if not (isinstance(item, list) and len(item) in (2, 3)):
            raise ValueError(f"step {number}: expected [action, payload(, delay)]")
        try:
            action = Action(item[0])
        except ValueError:
            raise ValueError(f"step {number}: unknown action {item[0]!r}") from None
        if action.sender == Sender.CHARGING_STATION:
            raise ValueError(f"step {number}: a CSMS does not send {action.value}")
        delay = item[2] if len(item) == 3 else 0.0
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError(f"step {number}: the delay is a non-negative number")
        try:
            request = from_payload(action.request, item[1])
        except Exception as exc:
            raise ValueError(f"step {number} ({action.value}): {exc}") from None
        steps.append(ScriptStep(request=request, delay=float(delay)))
    return tuple(steps)


@attrs.define(kw_only=True)
class ServeConfig:
    """What a :class:`ReadyCSMS` answers and does; shared by every connection.

    Attributes:
        boot_status: the answer to every BootNotification.
        heartbeat_interval: the ``interval`` of an Accepted BootNotification.
        retry_interval: the ``interval`` of a Pending or Rejected one.
        cards: the idTokens answered Accepted (``None``: all of them); others
            are Invalid.
        script: requests sent after each Accepted BootNotification.
        call_timeout: seconds to wait for the answer to a scripted request.
        gate: the registration gate (B01.FR.10, B02.FR.09, B03.FR.07).
        received: how many CALLs of each action were answered (a counter).
    """

    boot_status: RegistrationStatusEnumType = RegistrationStatusEnumType.ACCEPTED
    heartbeat_interval: int = 300
    retry_interval: int = 30
    cards: frozenset[str] | None = None
    script: tuple[ScriptStep, ...] = ()
    call_timeout: float = 30.0
    gate: RegistrationGate = attrs.Factory(RegistrationGate)
    received: collections.Counter[str] = attrs.Factory(collections.Counter)

    @property
    def refused(self) -> collections.Counter[str]:
        """How many CALLs of each action the gate refused (its own counter)."""
        return self.gate.refused


_Answer = Callable[["ReadyCSMS", Any], Mapping[str, Any]]


def _boot(csms: ReadyCSMS, request: m.BootNotificationRequest) -> Mapping[str, Any]:
    status = csms.config.boot_status
    accepted = status == RegistrationStatusEnumType.ACCEPTED
    interval = (
        csms.config.heartbeat_interval if accepted else csms.config.retry_interval
    )
    return {"currentTime": _now(), "interval": interval, "status": status.value}


def _token(csms: ReadyCSMS, token: Any) -> Mapping[str, Any]:
    cards = csms.config.cards
    accepted = cards is None or token.id_token in cards
    return {"status": "Accepted" if accepted else "Invalid"}


def _transaction(csms: ReadyCSMS, request: m.TransactionEventRequest) -> Any:
    if request.id_token is None:
        return {}
    return {"idTokenInfo": _token(csms, request.id_token)}


# The answer to each station-to-CSMS action; an empty object where the response has
# no required field.
ANSWERS: dict[Action, _Answer] = {
    Action.BOOT_NOTIFICATION: _boot,
    Action.HEARTBEAT: lambda csms, request: {"currentTime": _now()},
    Action.AUTHORIZE: lambda csms, r: {"idTokenInfo": _token(csms, r.id_token)},
    Action.TRANSACTION_EVENT: _transaction,
    Action.DATA_TRANSFER: lambda csms, request: {"status": "UnknownVendorId"},
    Action.GET15118_EV_CERTIFICATE: lambda c, r: {
        "status": "Failed",
        "exiResponse": "",
    },
    Action.GET_CERTIFICATE_STATUS: lambda csms, request: {"status": "Failed"},
    Action.SIGN_CERTIFICATE: lambda csms, request: {"status": "Rejected"},
    Action.NOTIFY_EV_CHARGING_NEEDS: lambda csms, request: {"status": "Rejected"},
    Action.NOTIFY_EV_CHARGING_SCHEDULE: lambda csms, request: {"status": "Accepted"},
}


class ReadyCSMS(CSMS):
    """A CSMS endpoint that answers every station-to-CSMS action validly.

    ``factory`` for :func:`ocpp201.websocket.serve`:
    ``functools.partial(ReadyCSMS, config=config, hooks=...)``.
    """

    def __init__(
        self, identity: str, connection: Connection, *, config: ServeConfig, **kw: Any
    ) -> None:
        kw.setdefault("registration_gate", config.gate)
        super().__init__(identity, connection, **kw)
        self.config = config
        self.script_due = asyncio.Event()

    async def run(self) -> None:
        """The receive loop, with the script runner beside it (cancelled and
        awaited when the connection ends)."""
        runner = asyncio.ensure_future(self.run_scripts())
        try:
            await super().run()
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)

    async def answer(self, request: Request[Any]) -> Response:
        """The response to any station-to-CSMS request (after the gate)."""
        action = Action(request.ACTION)
        self.config.received[action.value] += 1
        make = ANSWERS.get(action)
        payload = make(self, request) if make is not None else {}
        response: Response = from_payload(action.response, payload)
        return response

    for _action in STATION_ACTIONS:
        answer = on(_action.value)(answer)
    del _action

    @after(Action.BOOT_NOTIFICATION)
    def after_boot(
        self, request: m.BootNotificationRequest, response: m.BootNotificationResponse
    ) -> None:
        """After an Accepted boot, the script is due (sent by :meth:`run_scripts`,
        not here: a long after-handler would hold up the station's next CALLs)."""
        if (
            response.status == RegistrationStatusEnumType.ACCEPTED
            and self.config.script
        ):
            self.script_due.set()

    async def run_scripts(self) -> None:
        """Send the scripted requests, one after another, after each Accepted boot."""
        while True:
            await self.script_due.wait()
            self.script_due.clear()
            for step in self.config.script:
                if step.delay:
                    await asyncio.sleep(step.delay)
                await self.send_logged(step.request)

    async def send_logged(self, request: Request[Any]) -> Response | None:
        """Send one request; log its outcome; ``None`` when it failed."""
        action = Action(request.ACTION)
        try:
            response: Response = await self.call(
                request, timeout=self.config.call_timeout
            )
        except (CallError, CallTimeoutError, ConnectionClosedError) as exc:
            logger.warning("%s: %s failed: %s", self.identity, action.value, exc)
            return None
        logger.info("%s: %s answered", self.identity, action.value)
        return response


def accept_identities(identities: Iterable[str] | None) -> Callable[[str], bool] | None:
    """``accept_identity`` for a list of identities (``None``: any identity)."""
    if identities is None:
        return None
    known = frozenset(identities)
    return known.__contains__
