"""Second review of the registration gate and the inline handler path.

Each test here failed before the fix of the commit that added it.
"""

from __future__ import annotations

import json

from rpc_helpers import BOOT_PAYLOAD, NOW

from ocpp201 import (
    CallReceived,
    RegistrationGate,
    RpcConnection,
    Sender,
    SendReply,
)
from ocpp201 import enums as e
from ocpp201 import messages as m

Status = e.RegistrationStatusEnumType
HANDLERS = {"BootNotification": "boot", "Heartbeat": "heartbeat"}


def boot_through_a_connection(conn: RpcConnection, status: Status) -> None:
    event = conn.receive(json.dumps([2, "boot", "BootNotification", BOOT_PAYLOAD]))
    assert isinstance(event, CallReceived)
    answer = m.BootNotificationResponse(current_time=NOW, interval=10, status=status)
    assert conn.respond(event, answer).code is None


def test_a_shared_gate_forgets_the_least_recently_booted_station_first() -> None:
    # RegistrationGate documents "the least recently booted are forgotten first";
    # a boot answered on a connection (not through gate.booted) must count too,
    # else a station that just booted Rejected is forgotten, and its next
    # connection passes the gate (B03.FR.07).
    gate = RegistrationGate(max_stations=2)
    a = RpcConnection(Sender.CSMS, handlers=HANDLERS, registration=gate.station("A"))
    gate.station("B")
    boot_through_a_connection(a, Status.REJECTED)  # A booted after B appeared
    gate.station("C")  # a third station: B, never booted, is the one to forget
    assert gate.status("A") is Status.REJECTED
    again = RpcConnection(
        Sender.CSMS, handlers=HANDLERS, registration=gate.station("A")
    )
    event = again.receive('[2,"h","Heartbeat",{}]')
    assert isinstance(event, SendReply)
    assert json.loads(event.frame)[2] == "SecurityError"
