"""``websockets`` is optional: the core works without it (checked in a subprocess
where importing ``websockets`` fails)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_WEBSOCKETS = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "websockets" or name.startswith("websockets."):
                raise ImportError(f"No module named {name!r} (blocked by the test)")
            return None

    sys.meta_path.insert(0, Block())
    """
)


def run_without_websockets(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_WEBSOCKETS + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_core_imports_without_websockets() -> None:
    result = run_without_websockets(
        """
        import ocpp201
        from ocpp201 import messages
        assert "websockets" not in sys.modules
        assert "ocpp201.websocket" not in sys.modules
        payload = ocpp201.to_payload(messages.HeartbeatRequest())
        assert payload == {}, payload
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_transport_explains_the_missing_extra() -> None:
    result = run_without_websockets(
        """
        try:
            import ocpp201.websocket
        except ImportError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'ocpp201[websockets]'" in result.stdout


def test_demo_explains_the_missing_extra() -> None:
    result = run_without_websockets(
        """
        from ocpp201.__main__ import main
        sys.exit(main(["demo"]))
        """
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pip install 'ocpp201[websockets]'" in result.stderr
