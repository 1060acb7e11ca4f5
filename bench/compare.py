"""One command, one run: ocpp201 against the ``ocpp`` package and two floors.

Run from the repository root::

    python bench/compare.py            # about a minute; --quick: seconds
    python bench/compare.py --json     # the same figures as JSON

For Heartbeat, BootNotification and a TransactionEvent with 4 sampled values
(:mod:`payloads`) it measures two paths:

* server path: a CALL frame (text) is sent to a CSMS, which decodes it, runs a typed
  handler and answers; the time until the CALLRESULT text is received;
* client path: ``await call(request)`` on a charging station connected to a CSMS of
  the same kind (encode, send, the server path, match the response, decode).

Contenders (see :mod:`contenders`): ocpp201 with each JSON backend (validation on,
its defaults), the PyPI ``ocpp`` 2.1.0 package with its defaults, with the same
validation run synchronously and with validation off; two floors (:mod:`floors`):
stdlib json + dict handlers, and validated msgspec structs; and the bare harness (an
echo server).  All run in the same process, on the same asyncio loop, over the same
in-memory connection pair; the measurement interleaves them (rounds of short runs of
each) so that load from other processes spreads over all of them alike.  Reported:
the median in microseconds, p10-p90, and the ratio ``median / ocpp201's median``.

ocpp201's JSON backend is chosen at import time from the ``OCPP201_JSON``
environment variable (``stdlib`` or ``orjson``).  To run both backends in one loop,
the package is imported a second time under the other value; a backend counts as
measured only if the import honoured it (orjson is loaded afterwards and was not
before).  Where the switch does not exist yet, only the stdlib backend is measured
and the table says so.

Also reported: ``import ocpp201`` against ``import ocpp.v201``, and what each takes
until it can serve the three actions (its first use; fresh interpreters reading
compiled bytecode, median of several, ``OCPP201_JSON`` unset: the package's own
choice), and the memory of one idle CSMS endpoint on an in-memory connection
(tracemalloc: the growth for N started endpoints divided by N, the connection pair
included; the pair alone is reported too).  Nothing asserts a speed: absolute
times vary by 2x on a loaded machine; compare the ratios of one run.
:mod:`report` prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

BACKEND_ENV = "OCPP201_JSON"

# The first import of ocpp201 is the stdlib backend's.  Nothing else here loads
# orjson, so whether it is loaded tells which backend an import of ocpp201 chose.
os.environ[BACKEND_ENV] = "stdlib"
import contenders
import report
from payloads import REQUESTS

import ocpp201

ACTIONS = report.ACTIONS
PATHS = report.PATHS
Op = Callable[[], Awaitable[Any]]


@dataclass
class Settings:
    rounds: int = 10
    samples: int = 300  # per action, contender and round at most ...
    chunk_seconds: float = 0.25  # ... or this long, whichever ends first
    warmup: int = 30
    import_runs: int = 7
    endpoints: int = 500

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            rounds=3,
            samples=40,
            chunk_seconds=0.03,
            warmup=5,
            import_runs=3,
            endpoints=50,
        )


@dataclass
class Contender:
    """One row of a table: an action -> operation map on a started implementation."""

    name: str
    path: str
    ops: dict[str, Op]
    before: Callable[[], None] = lambda: None
    samples: dict[str, list[float]] = field(default_factory=dict)


def _server_op(connection: Any, action: str, *, check: bool) -> Op:
    """Send one CALL frame, receive the answer; every id is new."""
    payload = json.dumps(REQUESTS[action], separators=(",", ":"))
    head, tail = "[2,", f',"{action}",{payload}]'
    counter = iter(range(1 << 62))

    async def op() -> str:
        message_id = f'"s{next(counter)}"'
        await connection.send(head + message_id + tail)
        reply = await connection.recv()
        if check and not reply.startswith("[3," + message_id):
            raise RuntimeError(f"{action}: not the CALLRESULT expected: {reply[:300]}")
        return str(reply)

    return op


class Run:
    """Starts every contender on its own in-memory pair in one loop, one exit stack."""

    def __init__(self, stack: contextlib.AsyncExitStack) -> None:
        self.stack = stack
        self.contenders: list[Contender] = []
        self.notes: list[str] = []
        self.backends: dict[str, ModuleType] = {}

    def pair(self) -> tuple[Any, Any]:
        pair = ocpp201.memory_pair()
        return pair

    async def add_server(
        self,
        name: str,
        start: Callable[[Any], Awaitable[Any]],
        *,
        check: bool = True,
        before: Callable[[], None] = lambda: None,
        pair: Callable[[], tuple[Any, Any]] | None = None,
    ) -> None:
        ours, theirs = (pair or self.pair)()
        before()
        await start(theirs)
        ops = {a: _server_op(ours, a, check=check) for a in ACTIONS}
        self.contenders.append(Contender(name, "server", ops, before))

    async def add_client(
        self,
        name: str,
        start: Callable[[tuple[Any, Any]], Awaitable[contenders.Call]],
        *,
        before: Callable[[], None] = lambda: None,
        pair: Callable[[], tuple[Any, Any]] | None = None,
    ) -> None:
        before()
        call = await start((pair or self.pair)())
        ops: dict[str, Op] = {a: functools.partial(call, a) for a in ACTIONS}
        self.contenders.append(Contender(name, "client", ops, before))

    async def add_ocpp201(self, backend: str, package: ModuleType) -> None:
        name = (
            "ocpp201 (stdlib json)" if backend == "stdlib" else f"ocpp201 ({backend})"
        )
        stack = self.stack
        await self.add_server(
            name,
            functools.partial(contenders.start_ocpp201_server, package, stack=stack),
            pair=package.memory_pair,
        )
        await self.add_client(
            name,
            functools.partial(contenders.start_ocpp201_client, package, stack=stack),
            pair=package.memory_pair,
        )
        self.backends[backend] = package

    async def add_all(self, settings: Settings) -> None:
        stack = self.stack
        await self.add_ocpp201("stdlib", ocpp201)
        # Everything of the first import is warmed before the second import exists.
        await self.warm(settings)
        if _orjson_loaded():
            self.notes.append(
                f"orjson was loaded although {BACKEND_ENV}=stdlib: the 'stdlib "
                "json' row may not be; no second backend measured"
            )
        else:
            package = _import_backend("orjson")
            if package is None:
                self.notes.append(f"ocpp201 failed to import with {BACKEND_ENV}=orjson")
            else:
                await self.add_ocpp201("orjson", package)
        for mode in contenders.OCPP_MODES:
            name = f"ocpp 2.1.0 ({_MODE_NAMES[mode]})"

            before = functools.partial(contenders.set_ocpp_mode, mode)
            await self.add_server(
                name,
                functools.partial(contenders.start_ocpp_server, mode, stack=stack),
                before=before,
            )
            await self.add_client(
                name,
                functools.partial(contenders.start_ocpp_client, mode, stack=stack),
                before=before,
            )
        for kind, label in (
            ("stdlib", "floor: stdlib json + dicts"),
            ("msgspec", report.MSGSPEC),
        ):
            await self.add_server(
                label,
                functools.partial(contenders.start_floor_server, kind, stack=stack),
            )
            await self.add_client(
                label,
                functools.partial(contenders.start_floor_client, kind, stack=stack),
            )
        await self.add_server(
            "harness only (echo)",
            functools.partial(contenders.start_echo_server, stack=stack),
            check=False,
        )
        await self.warm(settings)

    async def warm(self, settings: Settings) -> None:
        for contender in self.contenders:
            if contender.samples:
                continue
            contender.before()
            for action, op in contender.ops.items():
                for _ in range(settings.warmup):
                    await op()
                contender.samples[action] = []

    async def measure(self, settings: Settings) -> None:
        perf = time.perf_counter
        for round_ in range(settings.rounds):
            # Rotate the order so that no contender always follows the same one.
            shift = round_ % len(self.contenders)
            for contender in self.contenders[shift:] + self.contenders[:shift]:
                contender.before()
                for action, op in contender.ops.items():
                    samples = contender.samples[action]
                    gc.collect()
                    deadline = perf() + settings.chunk_seconds
                    for _ in range(settings.samples):
                        t0 = perf()
                        await op()
                        t1 = perf()
                        samples.append((t1 - t0) * 1e6)
                        if t1 > deadline:
                            break


_MODE_NAMES = {
    "defaults": "defaults",
    "sync": "sync validation",
    "off": "validation off",
}


def _import_backend(backend: str) -> ModuleType | None:
    """Import ocpp201 once more with ``OCPP201_JSON=backend``; None if that fails.

    The modules of the first import stay alive (its endpoints hold them); the new
    import takes their place in ``sys.modules``.
    """
    _load_all(sys.modules["ocpp201"])  # the first import's names, before the swap
    first = {
        name: module
        for name, module in sys.modules.items()
        if name == "ocpp201" or name.startswith("ocpp201.")
    }
    for name in first:
        del sys.modules[name]
    os.environ[BACKEND_ENV] = backend
    try:
        package = importlib.import_module("ocpp201")
        _load_all(package)  # its lazy names, while the variable is set
    except ImportError:
        sys.modules.update(first)
        return None
    finally:
        os.environ[BACKEND_ENV] = "stdlib"
    # A backend loaded lazily shows once messages went through: the caller checks
    # after the warm-up.
    return package


def _load_all(package: ModuleType) -> None:
    """Resolve every public name of ``package`` (ocpp201 loads them lazily), so that
    each import keeps its own modules and reads ``OCPP201_JSON`` while it is set."""
    for name in getattr(package, "__all__", ()):
        getattr(package, name)
    importlib.import_module(f"{package.__name__}._json")


def _orjson_loaded() -> bool:
    return "orjson" in sys.modules


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    n = len(ordered)

    def pct(q: float) -> float:
        return ordered[min(n - 1, max(0, round(q * (n - 1))))]

    return {
        "median": statistics.median(ordered),
        "p10": pct(0.10),
        "p90": pct(0.90),
        "n": n,
    }


async def _measure_paths(settings: Settings) -> tuple[dict[str, Any], list[str]]:
    async with contextlib.AsyncExitStack() as stack:
        run = Run(stack)
        await run.add_all(settings)
        if "orjson" in run.backends and not _orjson_loaded():
            # The import did not load orjson, not even after a round trip.
            run.contenders = [c for c in run.contenders if "orjson" not in c.name]
            del run.backends["orjson"]
            run.notes.append(
                "ocpp201's orjson backend not measured: this tree has no "
                f"{BACKEND_ENV} switch (orjson stays unloaded), only stdlib json"
            )
        await run.measure(settings)
        contenders.set_ocpp_mode("defaults")
        results: dict[str, Any] = {path: {} for path in PATHS}
        for contender in run.contenders:
            results[contender.path][contender.name] = {
                action: _summary(samples)
                for action, samples in contender.samples.items()
            }
        return results, run.notes


async def _idle_memory(start: Callable[[Any], Awaitable[Any]], n: int) -> float:
    """Bytes traced per started endpoint (with its connection pair), over ``n``."""
    async with contextlib.AsyncExitStack() as stack:
        pairs = [ocpp201.memory_pair()]
        await start((pairs[0], stack))  # lazily built class-level data is not counted
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            for _ in range(n):
                pairs.append(ocpp201.memory_pair())
                await start((pairs[-1], stack))
            for _ in range(3):
                await asyncio.sleep(0)  # every receive loop now waits in recv()
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
    return grown / n


async def _memory(settings: Settings) -> dict[str, float]:
    n = settings.endpoints

    async def pair_only(arg: Any) -> None:
        return None

    async def ours(arg: Any) -> None:
        (_, theirs), stack = arg
        await contenders.start_ocpp201_server(ocpp201, theirs, stack)

    async def incumbent(arg: Any) -> None:
        (_, theirs), stack = arg
        await contenders.start_ocpp_server("defaults", theirs, stack)

    return {
        "memory pair alone": await _idle_memory(pair_only, n),
        "ocpp201": await _idle_memory(ours, n),
        "ocpp 2.1.0": await _idle_memory(incumbent, n),
    }


# What each package needs before it can serve the benchmark's three actions, after
# its import: ocpp201 loads its names on first use; ``import ocpp.v201`` has
# loaded everything already.
FIRST_USE = {
    "ocpp201": (
        "import ocpp201; from ocpp201 import CSMS, ChargingStation, messages; "
        "messages.HeartbeatRequest, messages.BootNotificationRequest, "
        "messages.TransactionEventRequest"
    ),
    "ocpp.v201": (
        "import ocpp.v201; from ocpp.v201 import ChargePoint, call, call_result"
    ),
}


def _import_times(runs: int) -> dict[str, dict[str, dict[str, float]]]:
    """Median and least ms, in fresh interpreters (in turns), of ``import
    module`` and of its first use (:data:`FIRST_USE`).

    Every interpreter reads compiled bytecode, as from an installed package: a
    private ``PYTHONPYCACHEPREFIX`` is filled by one run of each statement first
    (``PYTHONDONTWRITEBYTECODE`` would otherwise add compiling to ocpp201's times,
    and not to the installed ``ocpp``'s).
    """
    with tempfile.TemporaryDirectory(prefix="ocpp201-bench-pyc-") as cache:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in (BACKEND_ENV, "PYTHONDONTWRITEBYTECODE")
        }
        env["PYTHONPYCACHEPREFIX"] = cache
        statements = {
            (kind, module): statement
            for module in FIRST_USE
            for kind, statement in (
                ("import", f"import {module}"),
                ("first_use", FIRST_USE[module]),
            )
        }
        found: dict[tuple[str, str], list[float]] = {key: [] for key in statements}
        for turn in range(runs + 1):  # turn 0 compiles
            for key, statement in statements.items():
                code = (
                    "import time; t = time.perf_counter(); "
                    f"{statement}; print((time.perf_counter() - t) * 1000)"
                )
                result = subprocess.run(
                    [sys.executable, "-c", code],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=True,
                )
                if turn:
                    found[key].append(float(result.stdout.strip()))
    report: dict[str, dict[str, dict[str, float]]] = {"import": {}, "first_use": {}}
    for (kind, module), times in found.items():
        report[kind][module] = {
            "median": statistics.median(times),
            "min": min(times),
        }
    return report


def _machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions: dict[str, str] = {}
    for dist in ("ocpp", "msgspec", "orjson", "attrs", "cattrs", "jsonschema"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[dist] = version(dist)
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _load() -> list[float]:
    with contextlib.suppress(OSError, AttributeError):
        return [round(x, 2) for x in os.getloadavg()]
    return []


def collect(settings: Settings) -> dict[str, Any]:
    """Every figure of one run, as a JSON-ready dict."""
    load_before = _load()
    started = time.time()
    paths, notes = asyncio.run(_measure_paths(settings))
    memory = asyncio.run(_memory(settings))
    imports = _import_times(settings.import_runs)
    return {
        "command": " ".join(["python", "bench/compare.py", *sys.argv[1:]]),
        "machine": _machine(),
        "load_average": {"before": load_before, "after": _load()},
        "seconds": round(time.time() - started, 1),
        "settings": settings.__dict__,
        "notes": notes,
        "paths": paths,
        "import_ms": imports["import"],
        "first_use_ms": imports["first_use"],
        "idle_endpoint_bytes": memory,
        "targets": report.targets(paths, imports["import"], memory),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few samples (seconds)")
    parser.add_argument("--json", action="store_true", help="print JSON, no table")
    parser.add_argument("--save", metavar="FILE", help="also write the JSON there")
    parser.add_argument(
        "--markdown",
        metavar="JSON",
        help="print the Markdown tables of a report saved with --save, measure nothing",
    )
    parser.add_argument("--rounds", type=int, help="interleaved rounds")
    parser.add_argument("--samples", type=int, help="samples per cell and round")
    parser.add_argument("--import-runs", type=int, help="fresh interpreters each")
    parser.add_argument("--endpoints", type=int, help="endpoints for the memory")
    args = parser.parse_args(argv)
    if args.markdown:
        for line in report.markdown(json.loads(Path(args.markdown).read_text())):
            print(line)
        return
    settings = Settings.quick() if args.quick else Settings()
    for name in ("rounds", "samples", "import_runs", "endpoints"):
        value = getattr(args, name)
        if value is not None:
            if value < 1:
                parser.error(f"--{name.replace('_', '-')} must be at least 1")
            setattr(settings, name, value)
    figures = collect(settings)
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=2) + "\n")
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for line in report.lines(figures):
            print(line)


if __name__ == "__main__":
    main()
