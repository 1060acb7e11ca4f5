"""The registration gate (Part 2 B01.FR.10, B02.FR.09, B03.FR.07, B03.FR.08), pure.

One job: decide, from the BootNotification answers a CSMS gave a station and the
requests it sent it since, whether a CALL of that station may be handled or must
be answered CALLERROR SecurityError.  No I/O and no clock: the RPC core
(:class:`ocpp201.RpcConnection`) feeds it and asks it.

The rules, from Part 2 (edition 3, with the 2025 errata):

* until the CSMS answers a BootNotification with Accepted, the station may send
  only BootNotification (B01.FR.08, B02.FR.02), "unless it has been instructed by
  the CSMS to do so, using one of the following messages: TriggerMessageRequest,
  GetBaseReportRequest, GetReportRequest";
* **Pending** (B02.FR.09, B01.FR.10): any other CALL -- a Heartbeat, a
  StatusNotification included (certification test TC_B_30_CSMS sends exactly
  those) -- is answered SecurityError, except what the CSMS asked for since:
  NotifyReport after a GetBaseReport or GetReport, the requested message after a
  TriggerMessage (a TriggerMessage for Heartbeat lets Heartbeats through);
* **Rejected** (B03.FR.07): every CALL but BootNotification is answered
  SecurityError (the CSMS "SHALL NOT initiate any messages", B03.FR.03, so
  nothing was asked for);
* a station whose BootNotification this CSMS has not answered -- one that
  reconnected without rebooting, or any station after a CSMS restart -- passes:
  the preconditions of B01.FR.10 and B02.FR.09 start with "the Charging Station
  has received a BootNotificationResponse".

What the CSMS asked for stays allowed until the status changes (a Pending
station booting again and answered Pending again keeps it).

The charging station's side (B03.FR.08, opt-in): once its BootNotification was
answered Rejected, it answers every CALL of the CSMS SecurityError (the CSMS "SHALL
NOT initiate any messages", B03.FR.03; certification test TC_B_30_CS).  While
Pending the CSMS may send anything (B02.FR.01).
"""

from __future__ import annotations

import collections
import functools
import threading
from collections.abc import Callable
from typing import Final

from ._enums.registration_status import RegistrationStatusEnumType
from ._errors import ErrorCode, HandlerError

__all__ = [
    "REPORTING_ACTIONS",
    "registration_for",
    "TRIGGERED_ACTIONS",
    "RegistrationGate",
    "StationRegistration",
]

BOOT_NOTIFICATION: Final = "BootNotification"

TRIGGERED_ACTIONS: Final[dict[str, str]] = {
    "BootNotification": "BootNotification",
    "LogStatusNotification": "LogStatusNotification",
    "FirmwareStatusNotification": "FirmwareStatusNotification",
    "Heartbeat": "Heartbeat",
    "MeterValues": "MeterValues",
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "StatusNotification": "StatusNotification",
    "TransactionEvent": "TransactionEvent",
    "SignCombinedCertificate": "SignCertificate",
    "PublishFirmwareStatusNotification": "PublishFirmwareStatusNotification",
}
"""The CALL a TriggerMessage makes the station send (Part 2 F06), by the
``requestedMessage`` value (``MessageTriggerEnumType``)."""

REPORTING_ACTIONS: Final[dict[str, str]] = {
    "GetBaseReport": "NotifyReport",
    "GetReport": "NotifyReport",
}
"""The CALL a request of the CSMS makes the station send, as B02.FR.02 lists
them (TriggerMessage is in :data:`TRIGGERED_ACTIONS`)."""

_ACCEPTED: Final = RegistrationStatusEnumType.ACCEPTED
_PENDING: Final = RegistrationStatusEnumType.PENDING
_REJECTED: Final = RegistrationStatusEnumType.REJECTED


def _name(action: object) -> str:
    """An action's name: an ``Action`` member's value, or the string itself."""
    return str(getattr(action, "value", action))


class StationRegistration:
    """The registration state of one station, as its CSMS sees it.

    ``status`` is the last BootNotification answer (``None``: none given yet);
    ``allowed`` what the station may send while Pending because the CSMS asked;
    ``refused`` counts the CALLs refused, by action (``refused`` given: that
    counter, e.g. one shared by every station of a :class:`RegistrationGate`).
    """

    # The set and the counter are made on first use: every CSMS endpoint has one
    # of these, and most stations are Accepted at once.
    __slots__ = ("_allowed", "_refused", "_status", "_touch", "gated")

    def __init__(
        self,
        refused: collections.Counter[str] | None = None,
        touch: Callable[[], None] | None = None,
    ) -> None:
        self._status: RegistrationStatusEnumType | None = None
        self._touch = touch  # a RegistrationGate's: this station just booted
        self._allowed: set[str] | None = None
        self.gated = False
        """Whether the gate is shut (a BootNotification answered, not Accepted)."""
        self._refused = refused

    @property
    def refused(self) -> collections.Counter[str]:
        """How many CALLs :meth:`refuse` refused, by action."""
        if self._refused is None:
            self._refused = collections.Counter()
        return self._refused

    @property
    def status(self) -> RegistrationStatusEnumType | None:
        """The last BootNotification answer given, or ``None``."""
        return self._status

    @property
    def allowed(self) -> frozenset[str]:
        """The actions the CSMS asked for while the station is not Accepted."""
        return frozenset(self._allowed or ())

    def booted(self, status: RegistrationStatusEnumType) -> None:
        """Record the status a BootNotification was answered with."""
        if status != self._status:
            self._allowed = None
        self._status = status
        self.gated = status != _ACCEPTED
        if self._touch is not None:
            self._touch()

    def sent(self, action: str, requested_message: object = None) -> None:
        """The CSMS sent ``action`` (with ``requestedMessage`` for a
        TriggerMessage): let what it asks for pass while Pending (B02.FR.02)."""
        if not self.gated:
            return
        if action == "TriggerMessage":
            triggered = TRIGGERED_ACTIONS.get(_name(requested_message))
        else:
            triggered = REPORTING_ACTIONS.get(action)
        if triggered is not None:
            self.asked_for(triggered)

    def asked_for(self, action: object) -> None:
        """Let ``action`` pass while the station is Pending."""
        if self._allowed is None:
            self._allowed = set()
        self._allowed.add(_name(action))

    def refuse(self, action: object, *, csms: bool = True) -> str | None:
        """:meth:`refusal` (or, ``csms=False``, :meth:`refusal_of_csms`), counted
        in :attr:`refused` when it refuses: what the RPC core calls."""
        reason = self.refusal(action) if csms else self.refusal_of_csms(action)
        if reason is not None:
            self.refused[_name(action)] += 1
        return reason

    def refusal_of_csms(self, action: object) -> str | None:
        """The station's side: why a CALL of the CSMS must be answered
        SecurityError (B03.FR.08), or ``None``."""
        if self._status != _REJECTED:
            return None
        return (
            f"{_name(action)} after our BootNotification was Rejected: the CSMS "
            "may not initiate messages (Part 2 B03.FR.03, B03.FR.08)"
        )

    def refusal(self, action: object) -> str | None:
        """Why a CALL of ``action`` from the station must be answered
        SecurityError, or ``None`` when it may be handled (the CSMS's side)."""
        if not self.gated:
            return None
        name = _name(action)
        if name == BOOT_NOTIFICATION:
            return None
        if self._status == _PENDING:
            if self._allowed is not None and name in self._allowed:
                return None
            return (
                f"{name} before the BootNotification was Accepted: while Pending "
                "only what the CSMS asked for may be sent (Part 2 B02.FR.09)"
            )
        return (
            f"{name} after the BootNotification was Rejected: only "
            "BootNotification may be sent (Part 2 B01.FR.10, B03.FR.07)"
        )


class RegistrationGate:
    """The registration state of every station of a CSMS, by identity.

    Give one to every :class:`~ocpp201.CSMS` of a server
    (``CSMS(identity, connection, registration_gate=gate)``) and a station's
    state survives its reconnections.  It remembers at most ``max_stations``
    identities (the least recently booted are forgotten first), so a flood of
    identities cannot exhaust memory.  :attr:`refused` counts the CALLs its
    stations' connections refused, by action.  The methods may also be used by
    hand (``booted``, ``asked_for``, ``refusal``, ``admit``).
    """

    def __init__(self, *, max_stations: int = 100_000) -> None:
        if max_stations < 1:
            raise ValueError("max_stations must be at least 1")
        self.max_stations = max_stations
        self._stations: collections.OrderedDict[str, StationRegistration] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()
        self.refused: collections.Counter[str] = collections.Counter()
        """The CALLs refused on the connections of its stations, by action."""

    def __len__(self) -> int:
        return len(self._stations)

    def station(self, identity: str) -> StationRegistration:
        """The state of ``identity`` (created on first use)."""
        with self._lock:
            state = self._stations.get(identity)
            if state is None:
                touch = functools.partial(self._touch, identity)
                state = StationRegistration(self.refused, touch)
                self._stations[identity] = state
                while len(self._stations) > self.max_stations:
                    self._stations.popitem(last=False)
            return state

    def status(self, identity: str) -> RegistrationStatusEnumType | None:
        """The last BootNotification answer given to ``identity``, or ``None``."""
        state = self._stations.get(identity)
        return None if state is None else state.status

    def booted(self, identity: str, status: RegistrationStatusEnumType) -> None:
        """Record the BootNotification answer given to ``identity``."""
        self.station(identity).booted(status)

    def _touch(self, identity: str) -> None:
        """``identity`` booted (on any connection): the last to be forgotten."""
        with self._lock:
            if identity in self._stations:
                self._stations.move_to_end(identity)

    def asked_for(self, identity: str, action: object) -> None:
        """Let ``action`` of ``identity`` pass while it is Pending."""
        self.station(identity).asked_for(action)

    def refusal(self, identity: str, action: object) -> str | None:
        """Why a CALL of ``action`` from ``identity`` must be refused, or ``None``."""
        state = self._stations.get(identity)
        return None if state is None else state.refusal(action)

    def admit(self, identity: str, action: object) -> None:
        """Raise the SecurityError a refused CALL is answered with.

        Raises:
            HandlerError: ``ErrorCode.SECURITY_ERROR``, with the reason.
        """
        reason = self.refusal(identity, action)
        if reason is not None:
            raise HandlerError(ErrorCode.SECURITY_ERROR, reason)


def registration_for(
    gate: bool | RegistrationGate | None, identity: str, *, csms: bool
) -> StationRegistration | None:
    """The state an endpoint's core gets for its ``registration_gate`` option.

    ``None`` (the default): on for a CSMS, off for a charging station; ``True``:
    this connection's own state; a :class:`RegistrationGate`: the state of
    ``identity`` in it (shared with the station's other connections);
    ``False``: no gate.
    """
    if gate is None:
        gate = csms
    if gate is False:
        return None
    if gate is True:
        return StationRegistration()
    if isinstance(gate, RegistrationGate):
        return gate.station(identity)
    raise TypeError(
        f"registration_gate takes a bool or a RegistrationGate, not {gate!r}"
    )
