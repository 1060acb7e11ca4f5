"""Load and flood command: one CSMS process, N stations over real WebSockets.

Run from the repository root::

    python bench/load.py --stations 2000 --seconds 60
    python bench/load.py --stations 200 --seconds 20 --flood slow --flood-count 100000

It starts a CSMS (``ocpp201.websocket.serve`` with a small ``ocpp201.CSMS``
subclass) in a child process on 127.0.0.1, then, in this process, opens
``--stations`` WebSocket connections to it.  Each well-behaved station sends a
BootNotification, then one TransactionEvent (``--action heartbeat``: a Heartbeat)
every second, each only after the previous one was answered (Part 4 section
4.1.1).  With ``--flood KIND`` one more station misbehaves at the same time:

* ``slow`` / ``fast``: ``--flood-count`` DataTransfer CALLs sent without waiting for
  the answers, handled by a handler that sleeps 50 ms / returns at once;
* ``heartbeat``: ``--flood-count`` Heartbeats sent as fast as possible;
* ``compressed``: ``--flood-count`` DataTransfer CALLs of about 900 KB each
  (compressed to about 1 KB on the wire by permessage-deflate);
* ``silent``: DataTransfer CALLs, and it never reads its answers;
* ``garbage``: ``--flood-count`` unparsable frames.

It prints the messages the CSMS handled, the errors the well-behaved stations saw,
whether every one of their CALLs was answered exactly once, the p50 / p99 / max
latency of their CALLs, the CSMS's CPU time and memory (steady state before the
flood, peak), its longest full garbage collection, the most handlers that ran at
once on one connection, and what became of the flooding station.  ``--json``
prints the same as one JSON object.  Nothing here is part of the test suite but
``tests/bench/test_load.py`` runs a small version of it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOODS = ("none", "slow", "fast", "heartbeat", "compressed", "silent", "garbage")
BOOT = {
    "reason": "PowerUp",
    "chargingStation": {"model": "LoadModel", "vendorName": "LoadVendor"},
}


def transaction_event(seq: int) -> dict[str, Any]:
    return {
        "eventType": "Updated",
        "timestamp": "2025-01-01T00:00:00Z",
        "triggerReason": "MeterValuePeriodic",
        "seqNo": seq,
        "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
        "meterValue": [
            {
                "timestamp": "2025-01-01T00:00:00Z",
                "sampledValue": [
                    {"value": 1234.5, "measurand": "Energy.Active.Import.Register"},
                    {"value": 7.2, "measurand": "Power.Active.Import"},
                ],
            }
        ],
    }


# --------------------------------------------------------------------------- CSMS


def csms_main(args: argparse.Namespace) -> None:
    """The CSMS child process: serve until stdin closes, then print statistics."""
    from ocpp201 import CSMS, Action, on
    from ocpp201 import enums as e
    from ocpp201 import messages as m
    from ocpp201.websocket import serve

    counts: dict[str, Any] = {"handled": 0, "max_concurrency": 0, "log_lines": 0}
    running: dict[str, int] = {}
    pauses: list[tuple[float, float]] = []
    started: list[float] = []

    def gc_callback(phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started.append(time.perf_counter())
        elif started and len(pauses) < 10_000:
            pauses.append((time.time(), time.perf_counter() - started.pop()))

    class Counting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            counts["log_lines"] += 1
            if counts["log_lines"] <= 20:
                sys.stderr.write(f"csms log: {self.format(record)[:300]}\n")

    logging.getLogger("ocpp201").addHandler(Counting(logging.WARNING))
    logging.getLogger("ocpp201").setLevel(logging.INFO)
    now = m.HeartbeatResponse(current_time=_now()).current_time

    class LoadCsms(CSMS):
        def _enter(self) -> None:
            count = running.get(self.identity, 0) + 1
            running[self.identity] = count
            counts["max_concurrency"] = max(counts["max_concurrency"], count)

        def _leave(self) -> None:
            running[self.identity] -= 1
            counts["handled"] += 1

        @on(Action.BOOT_NOTIFICATION)
        def boot(
            self, request: m.BootNotificationRequest
        ) -> m.BootNotificationResponse:
            self._enter()
            self._leave()
            return m.BootNotificationResponse(
                current_time=now,
                interval=300,
                status=e.RegistrationStatusEnumType.ACCEPTED,
            )

        @on(Action.HEARTBEAT)
        def heartbeat(self, request: m.HeartbeatRequest) -> m.HeartbeatResponse:
            self._enter()
            self._leave()
            return m.HeartbeatResponse(current_time=now)

        @on(Action.TRANSACTION_EVENT)
        def transaction(
            self, request: m.TransactionEventRequest
        ) -> m.TransactionEventResponse:
            self._enter()
            self._leave()
            return m.TransactionEventResponse(total_cost=1.25)

        @on(Action.DATA_TRANSFER)
        async def transfer(
            self, request: m.DataTransferRequest
        ) -> m.DataTransferResponse:
            self._enter()
            try:
                if request.vendor_id == "slow":
                    await asyncio.sleep(0.05)
            finally:
                self._leave()
            return m.DataTransferResponse(status=e.DataTransferStatusEnumType.ACCEPTED)

    options = json.loads(args.csms_options)

    def factory(identity: str, connection: Any) -> LoadCsms:
        return LoadCsms(identity, connection, **options)

    async def serve_until_stdin_closes() -> None:
        loop = asyncio.get_running_loop()
        closed = asyncio.Event()
        threading.Thread(
            target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(closed.set)),
            daemon=True,
        ).start()
        async with serve(factory, "127.0.0.1", 0, path="/ocpp") as server:
            if args.gc_threshold:
                gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
            if args.gc_freeze:
                gc.freeze()
                # Freeze again once the stations have connected (a server would
                # do this after its fleet came up, and now and then).
                loop.call_later(max(2.0, args.stations / 200) + 1, gc.freeze)
            gc.callbacks.append(gc_callback)
            print(json.dumps({"port": server.port}), flush=True)
            lags: list[tuple[float, float]] = []

            async def watch_the_loop() -> None:
                # How late a 10 ms sleep wakes up: the CSMS's own stalls.
                while len(lags) < 100_000:
                    before = loop.time()
                    await asyncio.sleep(0.01)
                    lags.append((time.time(), (loop.time() - before - 0.01) * 1000))

            watcher = asyncio.ensure_future(watch_the_loop())
            await closed.wait()
            watcher.cancel()
            counts["loop_lags"] = lags
            gc.callbacks.remove(gc_callback)
            counts["gc_tracked_objects"] = len(gc.get_objects())
            t0 = time.perf_counter()
            gc.collect()
            counts["gc_collect_ms"] = (time.perf_counter() - t0) * 1000
            usage = os.times()
            print(
                json.dumps(
                    {
                        **counts,
                        "cpu_seconds": usage.user + usage.system,
                        "gc_full_pauses": [(t, d * 1000) for t, d in pauses],
                        "peak_rss_mb": _peak_rss_mb(),
                    }
                ),
                flush=True,
            )
            server.close()

    asyncio.run(serve_until_stdin_closes())


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime(2025, 1, 1, tzinfo=timezone.utc)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --------------------------------------------------------------------------- stations


class Tally:
    """What the well-behaved stations saw."""

    def __init__(self) -> None:
        self.sent = 0
        self.answered = 0
        self.duplicates = 0
        self.unexpected = 0
        self.errors = 0
        self.timeouts = 0
        self.connect_failures = 0
        self.latencies: list[float] = []


class Station:
    """One well-behaved station: boot, then one CALL per second."""

    def __init__(self, url: str, tally: Tally, action: str) -> None:
        self.url = url
        self.tally = tally
        self.action = action
        self.pending: dict[str, tuple[float, asyncio.Future[None]]] = {}
        self.answered: set[str] = set()
        self.seq = 0

    async def run(self, stop: asyncio.Event, start_ticking: float) -> None:
        from websockets.asyncio.client import connect

        try:
            ws = await connect(self.url, subprotocols=["ocpp2.0.1"], open_timeout=60)  # type: ignore[list-item]
        except Exception:
            self.tally.connect_failures += 1
            return
        reader = asyncio.ensure_future(self.read(ws))
        try:
            await self.call(ws, "BootNotification", BOOT, timeout=60)
            loop = asyncio.get_running_loop()
            await asyncio.sleep(max(0.0, start_ticking - loop.time()) + random.random())
            while not stop.is_set():
                tick = loop.time()
                if self.action == "Heartbeat":
                    await self.call(ws, "Heartbeat", {}, timeout=30)
                else:
                    self.seq += 1
                    await self.call(
                        ws, "TransactionEvent", transaction_event(self.seq), timeout=30
                    )
                await asyncio.sleep(max(0.0, tick + 1 - loop.time()))

        except Exception:
            self.tally.errors += 1
        finally:
            reader.cancel()
            with contextlib.suppress(Exception):
                await ws.close()

    async def call(self, ws: Any, action: str, payload: Any, timeout: float) -> None:
        self.seq += 1
        message_id = f"{id(self):x}-{self.seq}"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending[message_id] = (time.perf_counter(), future)
        self.tally.sent += 1
        await ws.send(json.dumps([2, message_id, action, payload]))
        done, _ = await asyncio.wait({future}, timeout=timeout)
        if not done:
            self.tally.timeouts += 1
            self.pending.pop(message_id, None)

    async def read(self, ws: Any) -> None:
        async for message in ws:
            now = time.perf_counter()
            frame = json.loads(message)
            message_id = frame[1]
            entry = self.pending.pop(message_id, None)
            if entry is None:
                if message_id in self.answered:
                    self.tally.duplicates += 1
                else:
                    self.tally.unexpected += 1
                continue
            self.answered.add(message_id)
            self.tally.answered += 1
            if frame[0] != 3:
                self.tally.errors += 1
            self.tally.latencies.append(now - entry[0])
            entry[1].set_result(None)


async def flood(
    url: str, kind: str, count: int, stop: asyncio.Event, seen: dict[str, Any]
) -> None:
    """One misbehaving station; records what it saw in ``seen``."""
    from websockets.asyncio.client import connect

    seen.update(kind=kind, sent=0, answers=0, refused=0, closed="")
    ws = await connect(url, subprotocols=["ocpp2.0.1"], max_size=None)  # type: ignore[list-item]

    async def read() -> None:
        async for message in ws:
            frame = json.loads(message)
            seen["answers"] += 1
            if frame[0] == 4 and "4.1.1" in frame[3]:
                seen["refused"] += 1

    reader = None if kind == "silent" else asyncio.ensure_future(read())
    big = "a" * 900_000
    try:
        for i in range(count):
            if stop.is_set():
                break
            if kind == "garbage":
                text = "this is not JSON {" + str(i)
            elif kind == "heartbeat":
                text = f'[2,"f{i}","Heartbeat",{{}}]'
            else:
                vendor = "slow" if kind == "slow" else "fast"
                data = big if kind == "compressed" else i
                text = json.dumps(
                    [2, f"f{i}", "DataTransfer", {"vendorId": vendor, "data": data}]
                )
            await ws.send(text)
            seen["sent"] += 1
    except Exception as exc:
        seen["closed"] = f"{type(exc).__name__}: {exc}"[:200]
    if reader is not None:
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(asyncio.shield(reader), 2)
        reader.cancel()
    if not seen["closed"]:
        seen["closed"] = str(ws.close_code) if ws.close_code is not None else "open"
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), 2)


async def drive(args: argparse.Namespace, port: int, pid: int) -> dict[str, Any]:
    tally = Tally()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    base = f"ws://127.0.0.1:{port}/ocpp"
    stations = [
        Station(f"{base}/LOAD{i:05d}", tally, args.action) for i in range(args.stations)
    ]
    connect_time = max(2.0, args.stations / 200)
    start_ticking = loop.time() + connect_time
    tasks = []
    for index, station in enumerate(stations):
        tasks.append(asyncio.ensure_future(station.run(stop, start_ticking)))
        if index % 100 == 99:
            await asyncio.sleep(0.05)  # do not open every connection at once
    await asyncio.sleep(max(0.0, start_ticking - loop.time()) + 1.5)
    steady = _rss_mb(pid)
    rss_samples = [steady]
    flooder = None
    if args.flood != "none":  # in a process of its own, not to slow this one
        flooder = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "flood",
                "--url",
                f"{base}/FLOOD",
                "--flood",
                args.flood,
                "--flood-count",
                str(args.flood_count),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    ticks = tally.latencies
    measured_from = len(ticks)
    window_start = time.time()
    cpu_start = _cpu_seconds(pid)
    deadline = loop.time() + args.seconds
    while loop.time() < deadline:
        await asyncio.sleep(0.25)
        rss_samples.append(_rss_mb(pid))
    window_end = time.time()
    cpu_window = _cpu_seconds(pid) - cpu_start
    stop.set()
    flood_seen = None
    if flooder is not None:
        out, _ = await asyncio.to_thread(flooder.communicate, "", 30)
        lines = out.splitlines()
        flood_seen = json.loads(lines[-1]) if lines else {"error": "no report"}
    await asyncio.wait(tasks, timeout=30)
    latencies = sorted(ticks[measured_from:]) or [0.0]
    still_pending = sum(len(s.pending) for s in stations)
    return {
        "stations": args.stations,
        "seconds": args.seconds,
        "calls_sent": tally.sent,
        "calls_answered": tally.answered,
        "errors": tally.errors + tally.timeouts + tally.connect_failures,
        "connect_failures": tally.connect_failures,
        "timeouts": tally.timeouts,
        "duplicates": tally.duplicates,
        "unexpected": tally.unexpected,
        "every_call_answered_once": (
            tally.answered == tally.sent
            and tally.duplicates == 0
            and tally.unexpected == 0
            and still_pending == 0
        ),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1 if len(latencies) > 1 else 0]
        * 1000,
        "max_ms": latencies[-1] * 1000,
        "steady_rss_mb": steady,
        "peak_rss_mb_sampled": max(rss_samples),
        "flood": flood_seen,
        "window": (window_start, window_end),
        "csms_cpu_percent_in_window": 100 * cpu_window / (window_end - window_start),
    }


def flood_main(args: argparse.Namespace) -> None:
    """The flooding station's process: flood until done or stdin closes."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        threading.Thread(
            target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)),
            daemon=True,
        ).start()
        seen: dict[str, Any] = {}
        task = asyncio.ensure_future(
            flood(args.url, args.flood, args.flood_count, stop, seen)
        )
        await stop.wait()
        # A flooder blocked in send() by back-pressure is stopped after 5 s.
        await asyncio.wait({task}, timeout=5)
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        if not seen.get("closed"):
            seen["closed"] = "still blocked in send() at the end (back-pressure)"
        print(json.dumps(seen), flush=True)

    asyncio.run(main())


def run_load(args: argparse.Namespace) -> dict[str, Any]:
    # The generator measures latency: its own garbage collections would show up as
    # the CSMS's latency, so it runs without (its memory grows a little meanwhile).
    gc.disable()
    command = [
        sys.executable,
        __file__,
        "csms",
        "--csms-options",
        args.csms_options,
    ]
    if args.gc_freeze:
        command.append("--gc-freeze")
    command += ["--gc-threshold", str(args.gc_threshold)]
    command += ["--stations", str(args.stations)]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        port = json.loads(process.stdout.readline())["port"]
        result = asyncio.run(drive(args, port, process.pid))
        process.stdin.close()
        result["csms"] = json.loads(process.stdout.readline())
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    csms = result["csms"]
    usage = os.times()
    result["generator_cpu_seconds"] = usage.user + usage.system
    start, end = result.pop("window")
    pauses = [ms for t, ms in csms.pop("gc_full_pauses") if start <= t <= end]
    csms["gc_full_collections"] = len(pauses)
    csms["gc_full_max_ms"] = max(pauses, default=0.0)
    lags = sorted(ms for t, ms in csms.pop("loop_lags") if start <= t <= end) or [0.0]
    csms["loop_lag_p99_ms"] = lags[int(len(lags) * 0.99) - 1 if len(lags) > 1 else 0]
    csms["loop_lag_max_ms"] = lags[-1]
    return result


def report(result: dict[str, Any]) -> str:
    csms = result["csms"]
    lines = [
        f"stations {result['stations']} for {result['seconds']:g} s",
        f"messages handled by the CSMS   {csms['handled']}",
        f"errors (well-behaved stations)  {result['errors']}",
        "every CALL answered exactly once  "
        + ("yes" if result["every_call_answered_once"] else "NO"),
        f"latency p50 / p99 / max        {result['p50_ms']:.1f} / "
        f"{result['p99_ms']:.1f} / {result['max_ms']:.1f} ms",
        f"CSMS CPU in the measured window {result['csms_cpu_percent_in_window']:.0f} %"
        " of one core",
        f"CSMS CPU                       {csms['cpu_seconds']:.1f} s "
        f"(whole run incl. start-up; the load generator: "
        f"{result['generator_cpu_seconds']:.1f} s)",
        f"CSMS memory steady / peak      {result['steady_rss_mb']:.0f} / "
        f"{max(csms['peak_rss_mb'], result['peak_rss_mb_sampled']):.0f} MB",
        f"CSMS full GCs / longest (measured window)  {csms['gc_full_collections']} / "
        f"{csms['gc_full_max_ms']:.0f} ms",
        f"CSMS event loop lag p99 / max  {csms['loop_lag_p99_ms']:.1f} / "
        f"{csms['loop_lag_max_ms']:.1f} ms",
        f"most handlers at once on one connection  {csms['max_concurrency']}",
        f"CSMS objects tracked by the GC {csms['gc_tracked_objects']} "
        f"(a full collection at the end: {csms['gc_collect_ms']:.0f} ms)",
        f"CSMS log lines (WARNING+)      {csms['log_lines']}",
    ]
    if result["flood"] is not None:
        lines.append(f"flooding station               {result['flood']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "role", nargs="?", default="load", choices=["load", "csms", "flood"]
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--action", choices=["transaction", "heartbeat"], default="transaction"
    )
    parser.add_argument("--flood", choices=FLOODS, default="none")
    parser.add_argument("--flood-count", type=int, default=100_000)
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() in the CSMS after start-up",
    )
    parser.add_argument(
        "--gc-threshold",
        type=int,
        default=0,
        help="gc.set_threshold(N, ...) in the CSMS (the first generation)",
    )
    parser.add_argument(
        "--csms-options",
        default="{}",
        help="JSON keyword arguments of the CSMS endpoints",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    args.action = "Heartbeat" if args.action == "heartbeat" else "TransactionEvent"
    if args.role == "csms":
        csms_main(args)
        return
    if args.role == "flood":
        flood_main(args)
        return
    result = run_load(args)
    print(json.dumps(result) if args.json else report(result))


if __name__ == "__main__":
    main()
