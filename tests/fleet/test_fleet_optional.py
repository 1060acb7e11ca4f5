"""``redis`` is optional: ``import ocpp201`` never imports it, and ``ocpp201.fleet``
names the extra to install when it is missing (checked in subprocesses)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCK_REDIS = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "redis" or name.startswith("redis."):
                raise ImportError(f"No module named {name!r} (blocked by the test)")
            return None

    sys.meta_path.insert(0, Block())
    """
)


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_import_ocpp201_does_not_import_redis() -> None:
    result = python(
        """
        import sys
        import ocpp201, ocpp201.websocket
        assert "redis" not in sys.modules, "redis imported"
        assert "ocpp201.fleet" not in sys.modules
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_fleet_without_redis_names_the_extra() -> None:
    result = python(
        BLOCK_REDIS
        + textwrap.dedent(
            """
        import ocpp201
        try:
            import ocpp201.fleet
        except ImportError as exc:
            print(exc)
        """
        )
    )
    assert result.returncode == 0, result.stderr
    assert "ocpp201[redis]" in result.stdout
