"""Second review of the registration gate and the inline handler path.

Each test here failed before the fix of the commit that added it.
"""

from __future__ import annotations

from rpc_helpers import boot, refused

from ocpp201 import (
    RegistrationGate,
    RpcConnection,
    Sender,
)
from ocpp201 import enums as e

Status = e.RegistrationStatusEnumType
HANDLERS = {"BootNotification": "boot", "Heartbeat": "heartbeat"}


def test_a_shared_gate_forgets_the_least_recently_booted_station_first() -> None:
    # RegistrationGate documents "the least recently booted are forgotten first";
    # a boot answered on a connection (not through gate.booted) must count too,
    # else a station that just booted Rejected is forgotten, and its next
    # connection passes the gate (B03.FR.07).
    gate = RegistrationGate(max_stations=2)
    a = RpcConnection(Sender.CSMS, handlers=HANDLERS, registration=gate.station("A"))
    gate.station("B")
    boot(a, Status.REJECTED)  # A booted after B appeared
    gate.station("C")  # a third station: B, never booted, is the one to forget
    assert gate.status("A") is Status.REJECTED
    again = RpcConnection(
        Sender.CSMS, handlers=HANDLERS, registration=gate.station("A")
    )
    refused(again.receive('[2,"h","Heartbeat",{}]'))
