"""The security profile 3 example of docs/certificates.md runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "certificates.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE, flags=re.DOTALL)


def test_security_profile_3_example_runs() -> None:
    source = next(b for b in BLOCKS if "class ExampleCSMS" in b)
    result = subprocess.run(
        [sys.executable, "-c", source],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "CS-0001 connected, certificate issued by Maker CA",
        "CS-0001 connected, certificate issued by CSO Root CA",
    ], result.stdout + result.stderr
