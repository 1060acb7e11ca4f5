"""bench/compare.py runs end to end (a smoke test: it never asserts a speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ("Heartbeat", "BootNotification", "TransactionEvent")


def test_compare_quick_runs_and_reports_every_contender() -> None:
    pytest.importorskip("msgspec")
    pytest.importorskip("ocpp.v201")
    command = [
        sys.executable,
        "bench/compare.py",
        "--quick",
        "--json",
        "--rounds=1",
        "--samples=3",
        "--import-runs=1",
        "--endpoints=3",
    ]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)

    expected = {
        "ocpp201 (stdlib json)",
        "ocpp 2.1.0 (defaults)",
        "ocpp 2.1.0 (sync validation)",
        "ocpp 2.1.0 (validation off)",
        "floor: stdlib json + dicts",
        "floor: msgspec structs",
    }
    for path in ("server", "client"):
        table = report["paths"][path]
        assert expected <= set(table), sorted(table)
        for cells in table.values():
            assert set(cells) == set(ACTIONS)
            for cell in cells.values():
                assert cell["n"] >= 1
                assert 0 < cell["p10"] <= cell["median"] <= cell["p90"]
    assert "harness only (echo)" in report["paths"]["server"]
    for key in ("import_ms", "first_use_ms"):
        assert set(report[key]) == {"ocpp201", "ocpp.v201"}
        for value in report[key].values():
            assert 0 < value["min"] <= value["median"]
    assert report["idle_endpoint_bytes"]["ocpp201"] > 0
    assert report["idle_endpoint_bytes"]["ocpp 2.1.0"] > 0
    assert report["targets"], "the issue's targets are reported"
    assert report["machine"]["nproc"] >= 1


def test_stages_quick_reports_every_stage() -> None:
    pytest.importorskip("msgspec")
    result = subprocess.run(
        [sys.executable, "bench/stages.py", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    stages = report["tight_loop_us"]
    assert set(stages) >= {
        "json",
        "typed decode",
        "construction only",
        "endpoint receive (all of it)",
    }
    assert all(value > 0 for value in stages.values())
    assert set(report["harness_us"]) == {"harness alone (echo)", "harness path"}
    assert report["backend"] in ("stdlib", "orjson")
