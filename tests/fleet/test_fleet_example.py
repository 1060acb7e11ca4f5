"""The fleet example runs with its one documented command: a private Redis, two
workers on one port (SO_REUSEPORT) and the FastAPI application."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import time

import httpx
import pytest
from fleet_helpers import ROOT, Station, free_port, run, station


def test_the_example_fleet_lists_and_resets_stations() -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    ocpp_port, http_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "examples/fleet/run.py"),
            *("--port", str(ocpp_port), "--http", str(http_port)),
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 40
        line = b""
        while b"fleet ready" not in line and time.monotonic() < deadline:
            if select.select([process.stdout], [], [], 1)[0]:
                line = process.stdout.readline()
        assert b"fleet ready" in line

        async def main() -> None:
            api = f"http://127.0.0.1:{http_port}"
            url = f"ws://127.0.0.1:{ocpp_port}/ocpp"
            async with (
                httpx.AsyncClient(base_url=api, timeout=10) as http,
                station(url, "EX-1", Station),
                station(url, "EX-2", Station),
            ):
                for _ in range(100):
                    listed = (await http.get("/stations")).json()
                    if {"EX-1", "EX-2"} <= set(listed):
                        break
                    await asyncio.sleep(0.1)
                assert {"EX-1", "EX-2"} <= set(listed)
                assert {listed["EX-1"]["node"], listed["EX-2"]["node"]} <= {
                    "worker-1",
                    "worker-2",
                }
                answer = await http.post("/stations/EX-2/reset")
                assert answer.status_code == 200
                assert answer.json() == {"status": "Accepted"}
                missing = await http.post("/stations/NOPE/reset")
                assert missing.status_code == 404

        run(main(), timeout=40)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(20) is not None
        finally:
            if process.poll() is None:
                process.kill()
            if process.stdout is not None:
                process.stdout.close()
