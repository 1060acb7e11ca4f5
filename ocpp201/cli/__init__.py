"""The ``ocpp201`` command line (``python -m ocpp201 ...``): one module per command.

Each command lives in its own module of this package, named in :data:`COMMANDS`, and
exposes ``add_parser(subparsers)``, which registers its sub-parser and sets
``func=run`` on it, where ``run(args) -> int`` returns the exit status. Importing a
command module must stay cheap: optional extras (``websockets`` ...) are imported
inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__

__all__ = ["COMMANDS", "main", "missing_websockets"]

#: Command name -> module that implements it, in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "demo": "ocpp201.cli.demo",
    "serve": "ocpp201.cli.serve",
    "simulate": "ocpp201.cli.simulate",
    "validate": "ocpp201.cli.validate",
    "example": "ocpp201.cli.example",
}


def missing_websockets(what: str) -> bool:
    """Tell on stderr that ``what`` needs the ``websockets`` extra, when it cannot be
    imported; True then (the command returns 2)."""
    try:
        import websockets  # noqa: F401, PLC0415 - optional extra
    except ImportError as exc:
        print(
            f"{what} needs the websockets package, which cannot be imported ({exc}):"
            " pip install 'ocpp201[websockets]'",
            file=sys.stderr,
        )
        return True
    return False


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, for ``main`` and for tests."""
    parser = argparse.ArgumentParser(
        prog="ocpp201",
        description="OCPP 2.0.1 tools: " + ", ".join(COMMANDS) + ".",
    )
    parser.add_argument("--version", action="version", version=f"ocpp201 {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module in COMMANDS.values():
        importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status (2 for a usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
