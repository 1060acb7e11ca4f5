"""Command line: ``python -m codegen [--check] [--schemas DIR] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .emit import EmitError
from .loader import SchemaError, load
from .modules import emit_all
from .naming import NamingError

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen",
        description="Generate the typed OCPP modules of ocpp201 from the JSON schemas.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and name the files that differ from a fresh run",
    )
    parser.add_argument("--schemas", type=Path, default=ROOT / "schemas")
    parser.add_argument("--out", type=Path, default=ROOT / "ocpp201")
    parser.add_argument(
        "--actions",
        type=Path,
        default=None,
        help="the actions table (default: actions.csv beside the schemas)",
    )
    args = parser.parse_args(argv)
    try:
        files = emit_all(load(args.schemas, args.actions))
    except (SchemaError, NamingError, EmitError) as exc:
        print(f"codegen: error: {exc}", file=sys.stderr)
        return 2
    drift = []
    packages = {name.split("/")[0] for name in files if "/" in name}
    for package in sorted(packages):  # a module the schemas no longer give
        for stale in sorted((args.out / package).glob("*.py")):
            if f"{package}/{stale.name}" not in files:
                if args.check:
                    drift.append(stale)
                else:
                    stale.unlink()
                    print(f"codegen: removed {stale}")
    for name, text in files.items():
        target = args.out / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        drift.append(target)
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
    if args.check:
        for target in drift:
            print(f"codegen: out of date: {target}", file=sys.stderr)
        if drift:
            print("codegen: run `python -m codegen` to regenerate", file=sys.stderr)
        return 1 if drift else 0
    for target in drift:
        print(f"codegen: wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
