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


def test_import_ocpp201_loads_its_names_on_first_use() -> None:
    code = (
        "import sys, ocpp201\n"
        "heavy = ('asyncio', 'attr', 'ocpp201._endpoint', 'ocpp201.messages')\n"
        "print([name for name in heavy if name in sys.modules])\n"
        "ocpp201.CSMS, ocpp201.messages.HeartbeatRequest\n"
        "print([name for name in heavy if name not in sys.modules])\n"
        "print(sorted(set(ocpp201.__all__) - set(dir(ocpp201))))\n"
        "from ocpp201 import *\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split("\n")[:3] == ["[]", "[]", "[]"], result.stdout
