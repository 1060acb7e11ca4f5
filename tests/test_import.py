"""Importing the package: cheap, and free of optional dependencies."""

from __future__ import annotations

import subprocess
import sys


def test_import_ocpp201_does_not_import_websockets() -> None:
    code = "import sys, ocpp201; print('websockets' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"
