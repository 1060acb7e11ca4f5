"""A small run of ``bench/load.py``: a CSMS process and a load generator over real
WebSockets on 127.0.0.1, with and without a flooding station.

The full-size runs (2,000 stations for 60 s, floods of 100,000 CALLs) are
documented in docs/rpc.md and are not part of the test suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("websockets")

ROOT = Path(__file__).resolve().parents[2]


def load(*options: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--json", *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_well_behaved_stations_get_every_call_answered_once() -> None:
    result = load("--stations", "20", "--seconds", "3")
    assert result["errors"] == 0
    assert result["every_call_answered_once"] is True
    assert result["calls_answered"] >= 20 * 3
    assert result["csms"]["handled"] >= result["calls_answered"]
    assert result["csms"]["max_concurrency"] == 1
    assert result["csms"]["log_lines"] == 0


@pytest.mark.parametrize("kind", ["fast", "garbage"])
def test_a_flooding_station_does_not_hurt_the_others(kind: str) -> None:
    result = load(
        "--stations", "10", "--seconds", "3", "--flood", kind, "--flood-count", "3000"
    )
    assert result["errors"] == 0
    assert result["every_call_answered_once"] is True
    assert result["csms"]["max_concurrency"] == 1  # the flood is handled in order
    assert result["flood"]["sent"] > 0
    assert result["csms"]["log_lines"] <= 12  # rate-limited


def test_compressed_900_kb_calls_do_not_blow_up_memory() -> None:
    result = load(
        "--stations", "5", "--seconds", "3", "--flood", "compressed",
        "--flood-count", "40",
    )  # fmt: skip
    assert result["errors"] == 0
    assert result["every_call_answered_once"] is True
    assert result["csms"]["max_concurrency"] == 1
    growth = result["peak_rss_mb_sampled"] - result["steady_rss_mb"]
    assert growth < 50, growth
