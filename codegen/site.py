"""Build the documentation site: ``python -m codegen.site [--out DIR]``.

1. checks that the reference pages are up to date (``python -m codegen.docs --check``);
2. runs ``mkdocs build --strict`` into ``--out``;
3. unless ``--no-validator``, assembles what the validator page runs in the browser
   into ``DIR/assets``: Pyodide from the npm registry (``npm pack pyodide@VERSION``,
   cached under ``build/site-cache``) and the pure-Python wheels of ocpp201 (built
   with ``python -m build``) and of its dependencies (``pip download``, the
   versions installed here), listed in ``wheels/wheels.json``.

Nothing of 3. is committed; the built site needs no network at run time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYODIDE_VERSION = "314.0.8"
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
)
DEPENDENCIES = ("attrs", "typing_extensions")
"""The runtime dependencies of ocpp201 that the browser needs (pure Python)."""


class SiteError(RuntimeError):
    """A step of the build failed; the message says which and why."""


def _run(command: list[str], cwd: Path, what: str, timeout: float = 600) -> None:
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(f"{what}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise SiteError(f"{what} failed ({done.returncode}):\n" + "\n".join(tail))


def build_pages(out: Path) -> None:
    """The reference drift check, then ``mkdocs build --strict`` into ``out``."""
    from .docs import main as docs_main  # noqa: PLC0415

    if docs_main(["--check"]) != 0:
        raise SiteError("the reference pages are out of date: python -m codegen.docs")
    _run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        ROOT,
        "mkdocs build --strict",
    )


def fetch_pyodide(cache: Path, version: str = PYODIDE_VERSION) -> Path:
    """The directory of the unpacked npm package ``pyodide@version`` (cached)."""
    target = cache / f"pyodide-{version}"
    if all((target / name).is_file() for name in PYODIDE_FILES):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if npm is None:
        raise SiteError(
            "npm is not installed: it fetches Pyodide from the npm registry"
        )
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            [npm, "pack", f"pyodide@{version}", "--pack-destination", tmp],
            Path(tmp),
            "npm pack pyodide",
            timeout=300,
        )
        (tarball,) = Path(tmp).glob("pyodide-*.tgz")
        with tarfile.open(tarball) as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(tmp, filter="data")
            else:  # pragma: no cover - Python before 3.10.12
                archive.extractall(tmp)
        staging = cache / f"pyodide-{version}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in PYODIDE_FILES:
            shutil.copy2(Path(tmp) / "package" / name, staging / name)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def build_wheels(dest: Path) -> list[str]:
    """The wheels of ocpp201 and its dependencies in ``dest``; their file names."""
    dest.mkdir(parents=True, exist_ok=True)
    # sdist first, then the wheel from it (the default of `build`): nothing stale
    # of an earlier build/ directory can end up in the wheel.
    _run(
        [sys.executable, "-m", "build", "--outdir", str(dest), str(ROOT)],
        ROOT,
        "python -m build",
    )
    for sdist in dest.glob("*.tar.gz"):
        sdist.unlink()
    pins = [f"{name}=={metadata.version(name)}" for name in DEPENDENCIES]
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(dest),
            *pins,
        ],
        ROOT,
        "pip download",
        timeout=300,
    )
    names = sorted(p.name for p in dest.glob("*.whl"))
    if not any(n.startswith("ocpp201-") for n in names):  # pragma: no cover
        raise SiteError("no ocpp201 wheel was built")
    return names


def assemble_validator(out: Path, cache: Path) -> None:
    """Copy Pyodide and the wheels into the built site ``out``."""
    assets = out / "assets"
    pyodide = fetch_pyodide(cache)
    shutil.copytree(pyodide, assets / "pyodide", dirs_exist_ok=True)
    wheels = assets / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    names = build_wheels(wheels)
    (wheels / "wheels.json").write_text(json.dumps(names), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen.site",
        description="Build the documentation site, with the in-browser validator.",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument(
        "--no-validator",
        action="store_true",
        help="build the pages only (no Pyodide, no wheels: no network needed)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=ROOT / "build" / "site-cache",
        help="where the Pyodide download is kept between builds",
    )
    args = parser.parse_args(argv)
    try:
        build_pages(args.out.resolve())
        if not args.no_validator:
            assemble_validator(args.out.resolve(), args.cache.resolve())
    except SiteError as exc:
        print(f"codegen.site: error: {exc}", file=sys.stderr)
        return 1
    print(f"codegen.site: built {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
