"""Start the whole fleet example with one command::

    python examples/fleet/run.py

It starts (and stops on Ctrl-C):

1. a private ``redis-server`` on a free port of 127.0.0.1 (no persistence), unless
   ``--redis URL`` names one to use;
2. two CSMS worker processes (``worker.py``) sharing port 9000 with SO_REUSEPORT;
3. the web API (``api.py``, FastAPI under uvicorn) on port 8000.

Then connect stations and use the API::

    python -m ocpp201.examples.charging_station ws://127.0.0.1:9000/ocpp CS001
    curl http://127.0.0.1:8000/stations
    curl -X POST http://127.0.0.1:8000/stations/CS001/reset

Needs ``pip install 'ocpp201[redis,websockets]' fastapi uvicorn`` and, without
``--redis``, the ``redis-server`` program.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the children too, like Ctrl-C


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", help="use this Redis instead of a private one")
    parser.add_argument("--port", type=int, default=9000, help="OCPP port")
    parser.add_argument("--http", type=int, default=8000, help="web API port")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), env.get("PYTHONPATH")])
    )
    children: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            url = args.redis
            if url is None:
                server = shutil.which("redis-server")
                if server is None:
                    sys.exit("redis-server not found: install it or pass --redis URL")
                redis_port = _free_port()
                children.append(
                    subprocess.Popen(
                        [
                            *(server, "--port", str(redis_port)),
                            *("--bind", "127.0.0.1", "--save", "", "--appendonly"),
                            *("no", "--dir", tmp),
                        ],
                        stdout=subprocess.DEVNULL,
                    )
                )
                _wait_for_port(redis_port)
                url = f"redis://127.0.0.1:{redis_port}/0"
            for i in range(args.workers):
                worker = [sys.executable, str(HERE / "worker.py"), "--redis", url]
                worker += ["--port", str(args.port), "--node", f"worker-{i + 1}"]
                children.append(subprocess.Popen(worker, env=env))
            _wait_for_port(args.port)
            api = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "api:app"]
            api += ["--host", "127.0.0.1", "--port", str(args.http)]
            children.append(subprocess.Popen(api, env=dict(env, REDIS_URL=url)))
            _wait_for_port(args.http)
            print(
                f"fleet ready: stations -> ws://127.0.0.1:{args.port}/ocpp/<id>,"
                f" API -> http://127.0.0.1:{args.http}/stations (Ctrl-C stops)",
                flush=True,
            )
            while all(child.poll() is None for child in children):
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            for child in reversed(children):
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in reversed(children):
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()


if __name__ == "__main__":
    main()
