"""``python -m build`` gives an sdist and a wheel that work once installed.

The wheel is installed into a fresh virtual environment in a temporary directory
(``pip install --no-index --no-deps``: no network). The runtime dependencies are not
downloaded: a ``.pth`` file points the new environment at the directories where this
environment has attrs and typing-extensions. The smoke test then runs from a
directory that is not the source tree and checks that ``ocpp201`` really comes from
the installed wheel.

The build itself runs in an isolated environment, so it needs the build backend
(setuptools) from the package index or pip's cache; when that cannot be had the test
is skipped and says so.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
NETWORK_HINTS = (
    "Could not find a version",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "No matching distribution",
    "ProxyError",
)

SMOKE = r"""
import importlib.resources, json, pathlib, subprocess, sys
import ocpp201
from ocpp201 import Action, from_payload, to_payload
from ocpp201.messages import BootNotificationRequest

where = pathlib.Path(ocpp201.__file__).resolve()
assert pathlib.Path(sys.prefix).resolve() in where.parents, where
assert not (pathlib.Path.cwd() / "ocpp201").exists()
assert len(list(Action)) == 64
boot = from_payload(BootNotificationRequest, {
    "reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}})
assert to_payload(boot)["reason"] == "PowerUp"
schemas = importlib.resources.files("ocpp201.schemas")
names = [p.name for p in schemas.iterdir() if p.name.endswith(".json")]
assert len(names) == 128, len(names)
schema = json.loads((schemas / "BootNotificationRequest.json").read_text("utf-8"))
assert schema["$id"] == "urn:OCPP:Cp:2:2020:3:BootNotificationRequest"
assert (importlib.resources.files("ocpp201") / "py.typed").is_file()
import ocpp201.examples, ocpp201.cli.validate, ocpp201.cli.example
print("smoke ok", ocpp201.__version__, where.parent)
"""


def _site_dirs() -> list[str]:
    """The directories this environment imports the runtime dependencies from."""
    dirs = []
    for module in ("attrs", "attr", "typing_extensions"):
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        top = origin.parent.parent if origin.name == "__init__.py" else origin.parent
        if str(top) not in dirs:
            dirs.append(str(top))
    return dirs


def _run(args: list[str], cwd: Path, timeout: float = 300) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, (
        f"{args}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        if any(hint in output for hint in NETWORK_HINTS):
            pytest.skip(
                "python -m build could not get the build backend (setuptools) from"
                " the package index: " + output.strip().splitlines()[-1]
            )
        pytest.fail(f"python -m build failed:\n{output[-4000:]}")
    return out


def test_sdist_and_wheel_hold_generated_modules_schemas_and_py_typed(
    dist: Path,
) -> None:
    (wheel,) = dist.glob("ocpp201-*.whl")
    (sdist,) = dist.glob("ocpp201-*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("messages", "datatypes", "enums", "actions", "_decorators"):
        assert f"ocpp201/{module}.py" in names
    assert "ocpp201/_decorators.pyi" in names
    assert "ocpp201/py.typed" in names
    assert "ocpp201/cli/validate.py" in names and "ocpp201/cli/example.py" in names
    assert len([n for n in names if n.startswith("ocpp201/schemas/")]) >= 129
    assert "ocpp201/schemas/actions.csv" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "ocpp201 = ocpp201.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    root = members[0].split("/")[0]
    assert f"{root}/schemas/BootNotificationRequest.json" in members
    assert f"{root}/ocpp201/messages.py" in members


def test_installed_wheel_works_outside_the_source_tree(
    dist: Path, tmp_path: Path
) -> None:
    (wheel,) = dist.glob("ocpp201-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
         str(wheel)],
        tmp_path,
    )  # fmt: skip
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        tmp_path,
    ).strip()
    (Path(site) / "ocpp201_test_deps.pth").write_text(
        "\n".join(_site_dirs()) + "\n", encoding="utf-8"
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = _run([str(python), "-c", SMOKE], work)
    assert "smoke ok" in out
    # The console script of the wheel.
    script = venv / "bin" / "ocpp201"
    assert _run([str(script), "--version"], work).startswith("ocpp201 ")
    frame = work / "frame.json"
    frame.write_text('[2,"1","Heartbeat",{}]\n', encoding="utf-8")
    assert "1 valid" in _run([str(script), "validate", str(frame)], work)
