"""``python -m ocpp201 COMMAND``: the command line of :mod:`ocpp201.cli`."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
