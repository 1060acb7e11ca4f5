"""``python -m ocpp201 demo`` and the two example programs of ``ocpp201.examples``.

The demo runs the example programs themselves, a real subpackage of ``ocpp201``.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import oracle
from ws_helpers import run

import ocpp201
from ocpp201.cli.demo import run_demo

ROOT = Path(__file__).resolve().parents[2]
# The ocpp201 under test (the checkout, or where it is installed) for subprocesses.
PACKAGE_ENV = {
    **os.environ,
    "PYTHONPATH": str(Path(ocpp201.__file__).resolve().parents[1]),
}

# Part 0, table 4: the basic implementation, and the CSMS-initiated part of it.
STATION_SENDS = [
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "Authorize",
    "TransactionEvent",
    "NotifyEvent",
    "NotifyReport",
    "DataTransfer",
]
CSMS_SENDS = [
    "GetBaseReport",
    "GetVariables",
    "SetVariables",
    "ChangeAvailability",
    "Reset",
    "DataTransfer",
]


def test_examples_are_a_subpackage_of_ocpp201() -> None:
    """One copy of the example code, inside the package: no remapped directory."""
    from ocpp201.examples import charging_station, csms

    assert csms.__name__ == "ocpp201.examples.csms"
    package = Path(ocpp201.__file__).resolve().parent
    assert Path(csms.__file__).resolve() == package / "examples" / "csms.py"
    assert Path(charging_station.__file__).resolve().parent == package / "examples"


def test_python_m_ocpp201_demo_runs_and_exits(tmp_path: Path) -> None:
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "ocpp201", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,  # not the checkout: the package under test must do
        env=PACKAGE_ENV,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert elapsed < 30, elapsed
    for action in STATION_SENDS:
        assert f"-> CSMS  {action}Request" in out, action
    for action in CSMS_SENDS:
        assert f"<- CSMS  {action}Request" in out, action
    for status in ("Rejected", "Pending", "Accepted"):
        assert f"status={status}" in out, status
    for event in ("Started", "Updated", "Ended"):
        assert f"eventType={event}" in out
    assert "meter: 1837.5 Wh, 11040.0 W" in out
    assert "reason=RemoteReset" in out
    assert "status=UnknownVendorId" in out
    assert "CALLERROR" not in out
    # What the example programs print is part of the output.
    assert "[CSMS] CS001: its device model has 8 variables" in out
    assert "[CSMS] CS999: BootNotification from ocpp201 Example-22" in out
    assert "[CS001] back after the reset" in out
    assert out.rstrip().splitlines()[-1] == (
        "Done: CS001 booted 3 times (last reason RemoteReset, Accepted); "
        "CS999 was Rejected."
    )


def test_demo_frames_are_valid() -> None:
    """Every payload of the demo (printed in full) satisfies the official schemas."""
    lines: list[str] = []
    run(run_demo(lines.append, full=True), timeout=30)
    frame = re.compile(r"^  (\S+) +(->|<-) CSMS  (\w+?)(Request|Response) +(.*)$")
    checked = 0
    for line in lines:
        assert "CALLERROR" not in line, line
        match = frame.match(line)
        if match is None:
            continue
        schema = match.group(3) + match.group(4)
        payload = json.loads(match.group(5))
        errors = oracle.errors(schema, payload)
        assert not errors, f"{line}\n{oracle.describe(errors)}"
        checked += 1
    assert checked >= 50


def read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The next line of ``process``'s stdout, waiting at most ``timeout`` seconds."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "no output in time"
    return process.stdout.readline()


def run_station(url: str, identity: str, env: dict[str, str]) -> str:
    """Run the example charging station with ``--once``; its output."""
    station = subprocess.run(
        [
            sys.executable,
            "-m",
            "ocpp201.examples.charging_station",
            url,
            identity,
            "--once",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=ROOT,
    )
    assert station.returncode == 0, station.stdout + station.stderr
    return station.stdout


def test_example_programs_work_together() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    csms = subprocess.Popen(
        [sys.executable, "-m", "ocpp201.examples.csms", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        first = read_line(csms, 20)
        assert first.startswith("[CSMS] listening on ws://127.0.0.1:"), first
        url = first.split()[-1]

        out = run_station(url, "CS001", env)
        assert "BootNotification: Pending" in out
        assert "GetBaseReport FullInventory" in out
        assert "SetVariables OCPPCommCtrlr.HeartbeatInterval = 300: Accepted" in out
        assert "BootNotification: Accepted" in out
        assert "Authorize: Accepted" in out
        assert "DataTransfer to the CSMS: UnknownVendorId" in out
        assert "ChangeAvailability Inoperative" in out
        assert "Reset OnIdle" in out
        assert out.rstrip().endswith("back after the reset"), out

        assert "BootNotification: Rejected" in run_station(url, "CS777", env)
    finally:
        csms.terminate()
        try:
            output, _ = csms.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            csms.kill()
            output, _ = csms.communicate(timeout=10)
    for expected in [
        "CS001: BootNotification from ocpp201 Example-22 (PowerUp) -> Pending",
        "CS001: its device model has 8 variables",
        "CS001: event: ConnectorPlugRetentionLock.Problem = true (Delta)",
        "CS001: transaction TX-0001 Ended (EVDeparted), meter 4410.2 Wh",
        "CS001: EVSE 1 connector 1 is Unavailable",
        "CS001: DataTransfer to the station: UnknownVendorId",
        "CS001: BootNotification from ocpp201 Example-22 (RemoteReset) -> Accepted",
        "CS777: BootNotification from ocpp201 Example-22 (PowerUp) -> Rejected",
    ]:
        assert expected in output, output
    assert "Traceback" not in output, output


def test_every_subpackage_is_packaged() -> None:
    """pyproject.toml lists the packages: a new subpackage must not be left out."""
    import pytest

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "ocpp201").rglob("__init__.py")
        if "__pycache__" not in path.parts
    }
    assert found <= listed, sorted(found - listed)
