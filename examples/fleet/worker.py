"""One CSMS worker of the fleet example: serves stations and joins the fleet.

Several workers share one port on one host (``SO_REUSEPORT``: the kernel spreads
the incoming connections over them); any of them, or the web API, can reach any
station through Redis.  Normally started by ``run.py``; on its own::

    python examples/fleet/worker.py --redis redis://127.0.0.1:6379/0 --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from datetime import datetime, timezone

from ocpp201 import CSMS, Action, on
from ocpp201 import messages as m
from ocpp201.enums import RegistrationStatusEnumType
from ocpp201.fleet import Fleet

log = logging.getLogger("fleet-example.worker")


class FleetCSMS(CSMS):
    """Accepts every station; answers Heartbeat, StatusNotification, NotifyEvent."""

    @on(Action.BOOT_NOTIFICATION)
    def boot(self, request: m.BootNotificationRequest) -> m.BootNotificationResponse:
        log.info("%s booted (%s)", self.identity, request.reason.value)
        return m.BootNotificationResponse(
            current_time=datetime.now(timezone.utc),
            interval=300,
            status=RegistrationStatusEnumType.ACCEPTED,
        )

    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return m.HeartbeatResponse(current_time=datetime.now(timezone.utc))

    @on(Action.NOTIFY_EVENT)
    def notify_event(self, request: m.NotifyEventRequest) -> m.NotifyEventResponse:
        return m.NotifyEventResponse()

    @on(Action.STATUS_NOTIFICATION)
    def status(
        self, request: m.StatusNotificationRequest
    ) -> m.StatusNotificationResponse:
        return m.StatusNotificationResponse()


async def serve_worker(redis_url: str, host: str, port: int, node: str | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with Fleet(redis_url, node_id=node, events_stream="ocpp201:events") as fleet:
        await fleet.start_node()
        async with fleet.serve(
            FleetCSMS, host, port, path="/ocpp", reuse_port=True
        ) as server:
            log.info("node %s serving %s", fleet.node_id, server.url)
            await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--node", default=None, help="node id (default: host-pid)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    asyncio.run(serve_worker(args.redis, args.host, args.port, args.node))


if __name__ == "__main__":
    main()
