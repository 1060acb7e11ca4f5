"""The registration gate of a CSMS (Part 2 B01.FR.10, B02.FR.09, B03.FR.07).

The library's own, re-exported: :class:`ocpp201.RegistrationGate`.  The RPC core
applies it (``CSMS(..., registration_gate=gate)``): until a station's
BootNotification was answered Accepted, its other CALLs are answered SecurityError;
while Pending, what the CSMS asked for passes (NotifyReport after GetBaseReport or
GetReport, the requested message after TriggerMessage).  One gate shared by every
connection keeps each identity's state across reconnections.  See docs/rpc.md,
"The registration gate".
"""

from __future__ import annotations

from .._registration import TRIGGERED_ACTIONS, RegistrationGate

__all__ = ["TRIGGERED_ACTIONS", "RegistrationGate"]
