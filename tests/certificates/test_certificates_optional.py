"""``cryptography`` is optional: ``import ocpp201`` never needs it, and
``ocpp201.certificates`` says which extra to install (checked in a subprocess where
importing ``cryptography`` fails)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_CRYPTOGRAPHY = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "cryptography" or name.startswith("cryptography."):
                raise ImportError(f"No module named {name!r} (blocked by the test)")
            return None

    sys.meta_path.insert(0, Block())
    """
)


def run_without_cryptography(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_CRYPTOGRAPHY + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_import_ocpp201_does_not_import_cryptography() -> None:
    code = "import sys, ocpp201; print('cryptography' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_core_works_without_cryptography() -> None:
    result = run_without_cryptography(
        """
        import ocpp201
        from ocpp201 import messages
        assert "cryptography" not in sys.modules
        print(ocpp201.to_payload(messages.HeartbeatRequest()))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{}"


def test_certificates_without_cryptography_names_the_extra() -> None:
    result = run_without_cryptography(
        """
        try:
            import ocpp201.certificates
        except ImportError as exc:
            print(exc)
        else:
            print("imported")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'ocpp201[crypto]'" in result.stdout
    assert "cryptography" in result.stdout
