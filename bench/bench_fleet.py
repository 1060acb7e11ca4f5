"""Fleet benchmark: a call through Redis to a station on another process.

Run from the repository root (needs ``redis-server``, ``ocpp201[redis,websockets]``)::

    python bench/bench_fleet.py            # 2,000 stations, 2 workers

It starts a private ``redis-server`` (free port, no persistence), two CSMS worker
processes sharing one port (SO_REUSEPORT), and a process holding the stations
(``ChargingStationClient``; their Reset handler answers at once).  Then this, the
third process, which serves no station:

* **latency**: sequential ``fleet.call(identity, ResetRequest)`` to random stations
  (median and 99th percentile), against the same ``endpoint.call()`` made inside the
  worker that holds the station (in-process: no Redis);
* **throughput**: calls per second with ``--concurrency`` calls outstanding at
  once, for ``--seconds``, through the fleet and, for comparison, inside one worker
  (``--concurrency`` outstanding calls over the stations it holds).

Everything is bounded in count and time; nothing asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocpp201 import CSMS, ChargePoint, on
from ocpp201 import messages as m
from ocpp201.actions import Action
from ocpp201.enums import ResetEnumType, ResetStatusEnumType

RESET = m.ResetRequest(type=ResetEnumType.IMMEDIATE)


class BenchStation(ChargePoint):
    @on(Action.RESET)
    def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        return m.ResetResponse(status=ResetStatusEnumType.ACCEPTED)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": statistics.median(ordered) * 1e6,
        "p99_us": ordered[int(len(ordered) * 0.99) - 1] * 1e6,
        "n": len(ordered),
    }


async def latency(call: Any, identities: list[str], count: int) -> dict[str, float]:
    samples = []
    rng = random.Random(1)
    for _ in range(count):
        identity = rng.choice(identities)
        start = time.perf_counter()
        await call(identity)
        samples.append(time.perf_counter() - start)
    return summary(samples)


async def throughput(
    call: Any, identities: list[str], concurrency: int, seconds: float
) -> dict[str, float]:
    done = 0
    errors = 0
    stop = time.perf_counter() + seconds

    async def one(k: int) -> None:
        nonlocal done, errors
        rng = random.Random(k)
        while time.perf_counter() < stop:
            try:
                await call(rng.choice(identities))
                done += 1
            except Exception:
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(one(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {"calls_per_s": done / elapsed, "calls": done, "errors": errors}


# ------------------------------------------------------------------ worker process


async def worker(redis_url: str, node: str, port: int) -> None:
    from ocpp201.fleet import Fleet

    async with Fleet(redis_url, node_id=node) as fleet:
        await fleet.start_node()
        async with fleet.serve(
            CSMS, "127.0.0.1", port, path="/ocpp", reuse_port=True, ping_interval=None
        ) as server:
            print(f"READY {server.port}", flush=True)
            loop = asyncio.get_running_loop()
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    return
                count, concurrency, seconds = line.split()
                held = server.stations

                async def call(identity: str, held: Any = held) -> None:
                    await held[identity].call(RESET, timeout=10)

                names = sorted(held)
                result = {
                    "stations": len(names),
                    "latency": await latency(call, names, int(count)),
                    "throughput": await throughput(
                        call, names, int(concurrency), float(seconds)
                    ),
                }
                print(json.dumps(result), flush=True)


# ------------------------------------------------------------------ station process


async def stations(url: str, count: int) -> None:
    from ocpp201.websocket import BackOff, ChargingStationClient

    clients = [
        ChargingStationClient(
            url,
            f"B{i:05d}",
            BenchStation,
            back_off=BackOff(wait_minimum=0.5, random_range=1.0),
            ping_interval=None,
            compression=False,
        )
        for i in range(count)
    ]
    limit = asyncio.Semaphore(50)

    async def start(client: Any) -> None:
        async with limit:
            client.start()
            await client.wait_connected(60)

    await asyncio.gather(*(start(c) for c in clients))
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(c.close() for c in clients))


# ------------------------------------------------------------------ the bench


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    if not select.select([process.stdout], [], [], timeout)[0]:
        raise RuntimeError("a bench process did not answer in time")
    return process.stdout.readline().strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def measure(redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    from ocpp201.fleet import Fleet

    async with Fleet(redis_url) as fleet:
        located = await fleet.stations()
        names = sorted(located)

        async def call(identity: str) -> None:
            await fleet.call(identity, RESET, timeout=10)

        await latency(call, names, 50)  # warm up
        return {
            "stations": len(names),
            "per_node": {
                n: sum(1 for w in located.values() if w.node == n)
                for n in sorted({w.node for w in located.values()})
            },
            "latency": await latency(call, names, args.calls),
            "throughput": await throughput(call, names, args.concurrency, args.seconds),
        }


def bench(args: argparse.Namespace) -> None:
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is needed")
    children: list[subprocess.Popen[Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        redis_port = free_port()
        try:
            children.append(
                subprocess.Popen(
                    [
                        *(server, "--port", str(redis_port), "--bind", "127.0.0.1"),
                        *("--save", "", "--appendonly", "no", "--dir", tmp),
                    ],
                    stdout=subprocess.DEVNULL,
                )
            )
            time.sleep(0.3)
            url = f"redis://127.0.0.1:{redis_port}/0"
            a = spawn("--worker", url, "bench-a", "0")
            children.append(a)
            port = int(read_line(a, 30).split()[1])
            b = spawn("--worker", url, "bench-b", str(port))
            children.append(b)
            read_line(b, 30)
            started = time.perf_counter()
            holder = spawn(
                "--holder", f"ws://127.0.0.1:{port}/ocpp", str(args.stations)
            )
            children.append(holder)
            read_line(holder, 180)
            connect_s = time.perf_counter() - started
            time.sleep(1.0)
            fleet_result = asyncio.run(measure(url, args))
            assert a.stdin is not None
            a.stdin.write(f"{args.calls} {args.concurrency} {args.seconds}\n")
            a.stdin.flush()
            local = json.loads(read_line(a, 120 + args.seconds))
            report = {
                "stations_connected_in_s": round(connect_s, 1),
                "cross_process": fleet_result,
                "in_process_on_worker_a": local,
            }
            if args.json:
                print(json.dumps(report, indent=2))
                return
            print(json.dumps(report, indent=2))
            lat_f = fleet_result["latency"]["median_us"]
            lat_l = local["latency"]["median_us"]
            print(
                f"\nmedian call(): fleet {lat_f:.0f} us, in-process {lat_l:.0f} us"
                f" ({lat_f / lat_l:.1f}x); throughput: fleet"
                f" {fleet_result['throughput']['calls_per_s']:.0f}/s, in-process"
                f" {local['throughput']['calls_per_s']:.0f}/s"
            )
        finally:
            for child in reversed(children):  # stations, workers, then Redis
                if child.stdin is not None:
                    child.stdin.close()  # the Python children stop on EOF
                else:
                    child.terminate()
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(5)
                if child.stdout is not None:
                    child.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=1000, help="latency samples")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0, help="throughput run")
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    # The child processes of the bench:
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--holder", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        redis_url, node, port = args.worker
        asyncio.run(worker(redis_url, node, int(port)))
    elif args.holder:
        asyncio.run(stations(args.holder[0], int(args.holder[1])))
    else:
        bench(args)


if __name__ == "__main__":
    main()
