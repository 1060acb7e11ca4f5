"""A CSMS worker process of a fleet, for the fleet tests (run as a subprocess).

    python tests/fleet/fleet_worker.py REDIS_URL NODE_ID [--port P] [--reuse-port]
        [--ttl SECONDS] [--events STREAM]

It serves stations on 127.0.0.1, prints ``READY <port>`` once listening, and runs
until SIGTERM (a clean stop: the stations' presence is withdrawn) or SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import datetime, timezone
from typing import Any

from ocpp201 import CSMS, Action, on
from ocpp201 import messages as m
from ocpp201.fleet import Fleet


class WorkerCSMS(CSMS):
    @on(Action.HEARTBEAT)
    def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
        return m.HeartbeatResponse(current_time=datetime.now(timezone.utc))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("redis")
    parser.add_argument("node")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reuse-port", action="store_true")
    parser.add_argument("--ttl", type=float, default=2.0)
    parser.add_argument("--events", default=None)
    args = parser.parse_args()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    fleet = Fleet(
        args.redis, node_id=args.node, presence_ttl=args.ttl, events_stream=args.events
    )
    async with fleet:
        await fleet.start_node()
        options: dict[str, Any] = {"reuse_port": True} if args.reuse_port else {}
        async with fleet.serve(
            WorkerCSMS, "127.0.0.1", args.port, path="/ocpp", **options
        ) as server:
            print(f"READY {server.port}", flush=True)
            await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
