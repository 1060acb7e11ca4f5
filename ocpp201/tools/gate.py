"""The registration gate of a CSMS (Part 2 B01.FR.10, B02.FR.09, B03.FR.07).

Until the CSMS has answered a station's BootNotification with Accepted, the station
may send nothing but BootNotification -- while Pending, also what the CSMS asked
for with TriggerMessage, GetBaseReport or GetReport.  Any other CALL is answered
with CALLERROR SecurityError.  :class:`RegistrationGate` keeps the last boot answer
of each identity (across reconnections) and says whether a CALL may pass.  A
station the CSMS has not seen boot (for example after a CSMS restart) is let
through: the rules apply once a BootNotification was answered.
"""

from __future__ import annotations

import collections
import threading

from .. import ErrorCode, HandlerError
from ..actions import Action
from ..enums import MessageTriggerEnumType, RegistrationStatusEnumType

__all__ = ["TRIGGERED_ACTIONS", "RegistrationGate"]

#: The CALL a TriggerMessage makes a station send (Part 2 F06).
TRIGGERED_ACTIONS: dict[MessageTriggerEnumType, Action] = {
    MessageTriggerEnumType.BOOT_NOTIFICATION: Action.BOOT_NOTIFICATION,
    MessageTriggerEnumType.LOG_STATUS_NOTIFICATION: Action.LOG_STATUS_NOTIFICATION,
    MessageTriggerEnumType.FIRMWARE_STATUS_NOTIFICATION: (
        Action.FIRMWARE_STATUS_NOTIFICATION
    ),
    MessageTriggerEnumType.HEARTBEAT: Action.HEARTBEAT,
    MessageTriggerEnumType.METER_VALUES: Action.METER_VALUES,
    MessageTriggerEnumType.SIGN_CHARGING_STATION_CERTIFICATE: Action.SIGN_CERTIFICATE,
    MessageTriggerEnumType.SIGN_V2G_CERTIFICATE: Action.SIGN_CERTIFICATE,
    MessageTriggerEnumType.STATUS_NOTIFICATION: Action.STATUS_NOTIFICATION,
    MessageTriggerEnumType.TRANSACTION_EVENT: Action.TRANSACTION_EVENT,
    MessageTriggerEnumType.SIGN_COMBINED_CERTIFICATE: Action.SIGN_CERTIFICATE,
    MessageTriggerEnumType.PUBLISH_FIRMWARE_STATUS_NOTIFICATION: (
        Action.PUBLISH_FIRMWARE_STATUS_NOTIFICATION
    ),
}


class RegistrationGate:
    """Which CALLs of which station may pass, from the boot answers given.

    Shared by every connection of a CSMS.  It remembers at most ``max_stations``
    identities (the oldest are forgotten first), so a flood of identities cannot
    exhaust memory.
    """

    def __init__(self, *, max_stations: int = 100_000) -> None:
        self.max_stations = max_stations
        self._status: collections.OrderedDict[str, RegistrationStatusEnumType] = (
            collections.OrderedDict()
        )
        self._allowed: dict[str, set[Action]] = {}
        self._lock = threading.Lock()

    def status(self, identity: str) -> RegistrationStatusEnumType | None:
        """The last boot answer to ``identity``, or ``None`` if none was given."""
        return self._status.get(identity)

    def booted(self, identity: str, status: RegistrationStatusEnumType) -> None:
        """Record the BootNotification answer given to ``identity``."""
        with self._lock:
            previous = self._status.get(identity)
            self._status[identity] = status
            self._status.move_to_end(identity)
            if status != previous:  # a Pending station booting again keeps them
                self._allowed.pop(identity, None)
            while len(self._status) > self.max_stations:
                oldest, _ = self._status.popitem(last=False)
                self._allowed.pop(oldest, None)

    def asked_for(self, identity: str, action: Action) -> None:
        """The CSMS asked a Pending station for ``action`` (B02.FR.02): let it pass.

        Call it for NotifyReport when sending GetBaseReport or GetReport, and for
        the triggered action (:data:`TRIGGERED_ACTIONS`) when sending
        TriggerMessage.
        """
        with self._lock:
            self._allowed.setdefault(identity, set()).add(action)

    def refusal(self, identity: str, action: Action | str) -> str | None:
        """Why a CALL of ``action`` from ``identity`` must be refused, or ``None``."""
        name = action.value if isinstance(action, Action) else action
        if name == Action.BOOT_NOTIFICATION.value:
            return None
        status = self._status.get(identity)
        if status is None or status == RegistrationStatusEnumType.ACCEPTED:
            return None
        if status == RegistrationStatusEnumType.PENDING:
            if any(a.value == name for a in self._allowed.get(identity, ())):
                return None
            return (
                f"{name} before the BootNotification was Accepted: while Pending"
                " only what the CSMS asked for may be sent (B02.FR.09)"
            )
        return (
            f"{name} after the BootNotification was Rejected: only"
            " BootNotification may be sent (B01.FR.10, B03.FR.07)"
        )

    def admit(self, identity: str, action: Action | str) -> None:
        """Raise the SecurityError a refused CALL is answered with.

        Raises:
            HandlerError: ``ErrorCode.SECURITY_ERROR``, with the reason.
        """
        reason = self.refusal(identity, action)
        if reason is not None:
            raise HandlerError(ErrorCode.SECURITY_ERROR, reason)
