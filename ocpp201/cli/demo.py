"""``ocpp201 demo``: the example CSMS and two example stations over a real WebSocket."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register ``demo`` with the command line's sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run the example CSMS and two example charging stations",
        description=(
            "Run the example CSMS and two example charging stations over a WebSocket"
            " on 127.0.0.1 and print the OCPP 2.0.1 exchange (a few seconds)."
        ),
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="print every payload as sent instead of a summary",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; 2 when the ``websockets`` extra is missing."""
    try:
        import websockets  # noqa: F401, PLC0415 - optional extra
    except ImportError:
        print(
            "the demo needs the websockets package: pip install 'ocpp201[websockets]'",
            file=sys.stderr,
        )
        return 2
    from .._ws_demo import main as demo_main  # noqa: PLC0415 - optional extra

    return demo_main(["--full"] if args.full else [])
