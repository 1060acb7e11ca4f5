"""Command line: ``python -m ocpp201 demo [--full]``.

``demo`` runs the example CSMS and two example charging stations (the programs of
``examples/``, installed as ``ocpp201.examples``) over a real WebSocket on 127.0.0.1,
prints the exchange and exits after a few seconds (it needs the ``websockets``
package: ``pip install 'ocpp201[websockets]'``).
"""

from __future__ import annotations

import argparse
import sys

USAGE = """\
python -m ocpp201 demo [--full]

  demo     run the example CSMS and two example charging stations over a
           WebSocket on 127.0.0.1 and print the OCPP 2.0.1 exchange (a few seconds)
  --full   print every payload as sent instead of a summary
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocpp201", usage=USAGE)
    parser.add_argument("command", choices=["demo"])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "demo":
        try:
            from ._ws_demo import main as demo_main  # noqa: PLC0415 - optional extra
        except ImportError as exc:
            print(f"the demo needs websockets: {exc}", file=sys.stderr)
            return 2
        return demo_main(["--full"] if args.full else [])
    return 2  # pragma: no cover - argparse refuses other commands


if __name__ == "__main__":
    sys.exit(main())
