"""Feeding the core from another transport: two RpcConnections over plain queues.

This is the example of docs/architecture.md ("Driving the core yourself"): a
charging station and a CSMS, each an :class:`ocpp201.RpcConnection`, exchange
frames through two ``queue.Queue`` objects -- no asyncio, no WebSocket.  Any
transport (an ASGI server, trio, a message broker) drives the core the same way:
frames in with ``receive()``, frames out from the events and replies.
"""

from __future__ import annotations

import queue
import sys
from datetime import datetime, timezone

from ocpp201 import (
    CallReceived,
    CallSucceeded,
    RpcConnection,
    Sender,
    SendReply,
)
from ocpp201 import datatypes as d
from ocpp201 import enums as e
from ocpp201 import messages as m


def boot(request: m.BootNotificationRequest) -> m.BootNotificationResponse:
    return m.BootNotificationResponse(
        current_time=datetime(2025, 1, 1, tzinfo=timezone.utc),
        interval=300,
        status=e.RegistrationStatusEnumType.ACCEPTED,
    )


HANDLERS = {"boot": boot}


def pump(
    conn: RpcConnection, inbox: queue.Queue[str], outbox: queue.Queue[str]
) -> list[object]:
    """Feed every frame waiting in ``inbox`` to ``conn``; put what it answers in
    ``outbox``; return the other events."""
    events: list[object] = []
    while True:
        try:
            frame = inbox.get_nowait()
        except queue.Empty:
            return events
        event = conn.receive(frame)
        if isinstance(event, CallReceived):
            response = HANDLERS[event.handler](event.request)
            outbox.put(conn.respond(event, response).frame)
        elif isinstance(event, SendReply):
            outbox.put(event.frame)
        else:
            events.append(event)


def test_a_boot_notification_over_two_queues() -> None:
    to_csms: queue.Queue[str] = queue.Queue()
    to_station: queue.Queue[str] = queue.Queue()
    station = RpcConnection(Sender.CHARGING_STATION)
    csms = RpcConnection(Sender.CSMS, handlers={"BootNotification": "boot"})

    request = m.BootNotificationRequest(
        charging_station=d.ChargingStationType(model="M1", vendor_name="ACME"),
        reason=e.BootReasonEnumType.POWER_UP,
    )
    started = station.start_call(station.prepare_call(request))
    to_csms.put(started.frame)

    assert pump(csms, to_csms, to_station) == []
    (event,) = pump(station, to_station, to_csms)
    assert isinstance(event, CallSucceeded)
    assert event.message_id == started.message_id
    assert event.response.status is e.RegistrationStatusEnumType.ACCEPTED

    # A broken frame is answered by the core itself, without any handler.
    to_csms.put('[2,"x","NoSuchAction",{}]')
    pump(csms, to_csms, to_station)
    assert to_station.get_nowait().startswith('[4,"x","NotImplemented"')
    assert "asyncio" not in type(csms).__module__
    assert sys.modules[type(csms).__module__].__name__ == "ocpp201._protocol"
