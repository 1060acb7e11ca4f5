"""The site builds with ``mkdocs build --strict``; the guides' code runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GUIDES = sorted((ROOT / "docs" / "guides").glob("*.md"))
PYTHON = re.compile(r"```python\n(.*?)```", re.S)


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    """The reference drift check, then mkdocs build --strict (conftest.py)."""
    return built_site


def test_strict_build_has_every_page(site: Path) -> None:
    for page in (
        "index.html",
        "validator/index.html",
        "cli/index.html",
        "api/index.html",
        "reference/actions/index.html",
        "reference/actions/BootNotification/index.html",
        "reference/datatypes/ChargingStationType/index.html",
        "reference/enums/BootReasonEnumType/index.html",
        "guides/csms/index.html",
    ):
        assert (site / page).is_file(), page
    assert len(list((site / "reference" / "actions").glob("*/index.html"))) == 64
    assert (site / "assets" / "validator" / "validator.js").is_file()
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "from_payload" in api and "RemoteValidationError" in api


def test_every_guide_is_in_the_navigation(site: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for guide in GUIDES:
        assert f"guides/{guide.name}" in config


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.stem)
def test_guide_code_runs(guide: Path, tmp_path: Path) -> None:
    """Every python block of a guide, in order, as one program (in its own process;
    servers and clients stay behind ``if __name__ == "__main__"``)."""
    code = "\n".join(PYTHON.findall(guide.read_text(encoding="utf-8")))
    if guide.stem == "architecture":
        assert not code, "architecture.md has code now: drop this exception"
        return
    assert code.strip(), f"{guide.name} has no python block"
    if "from fastapi" in code:
        pytest.importorskip("fastapi")
    script = tmp_path / f"guide_{guide.stem}.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import runpy, sys; runpy.run_path(sys.argv[1], run_name='guide')",
            str(script),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
