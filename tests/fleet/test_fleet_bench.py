"""bench/bench_fleet.py runs end to end, small (a smoke test: no speed asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

from fleet_helpers import ROOT


def test_bench_fleet_runs_and_reports_both_paths() -> None:
    command = [
        *(sys.executable, "bench/bench_fleet.py", "--json"),
        *("--stations", "20", "--calls", "20", "--seconds", "0.3"),
        *("--concurrency", "5"),
    ]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    fleet, local = report["cross_process"], report["in_process_on_worker_a"]
    assert fleet["stations"] == 20
    assert sum(fleet["per_node"].values()) == 20
    for part in (fleet, local):
        assert part["latency"]["n"] == 20
        assert 0 < part["latency"]["median_us"] <= part["latency"]["p99_us"]
        assert part["throughput"]["calls"] > 0
        assert part["throughput"]["errors"] == 0
