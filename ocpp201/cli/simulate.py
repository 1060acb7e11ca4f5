"""``ocpp201 simulate URL --stations N``: simulated charging stations against a CSMS.

N stations (:mod:`ocpp201.tools.simulator`) boot, report their connector, send
heartbeats, run transactions with meter values, answer the CSMS's requests and
reconnect with the back-off, for ``--duration`` seconds; then it prints the counts
and the latency percentiles (``--json``: as one JSON object).  The exit status is 1
when any CALL failed (CALLERROR or timeout) or a station never connected (the
summary says why: ``never connected: HTTP 401``), so it doubles as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import ssl
import sys
from typing import Any

from . import missing_websockets

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``simulate`` with the command line's sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="run simulated charging stations against a CSMS",
        description=(
            "Run N simulated OCPP 2.0.1 charging stations against the CSMS at URL"
            " (its OCPP-J endpoint, e.g. ws://127.0.0.1:9000/ocpp) and print counts"
            " and latency percentiles."
        ),
    )
    add = parser.add_argument
    add("url", help="the CSMS's OCPP-J endpoint URL (the identity is appended)")
    add("--stations", type=int, default=1, metavar="N", help="(1)")
    add("--duration", type=float, default=30.0, metavar="S", help="(30 s)")
    add("--prefix", default="SIM", help="identities are PREFIX00001, ... (SIM)")
    add("--heartbeat", type=float, metavar="S", help="(the CSMS's interval)")
    add("--meter-interval", type=float, default=10.0, metavar="S", help="(10 s)")
    add("--transaction", type=float, default=30.0, metavar="S", help="(30 s)")
    add("--idle", type=float, default=10.0, metavar="S", help="between transactions")
    add("--card", default="SIMCARD01", help="the idToken presented (SIMCARD01)")
    add("--ramp", type=float, metavar="S", help="spread the connections over S s")
    add("--password", help="HTTP Basic password of every station (profiles 1, 2)")
    add("--ca", metavar="PEM", help="trust this CA for wss:// (default: the system's)")
    add("--cert", metavar="PEM", help="client certificate (profile 3)")
    add("--key", metavar="PEM", help="the private key of --cert")
    add("--json", action="store_true", help="print the figures as one JSON object")
    add(
        "--verbose",
        action="store_true",
        help="log every station's connection failures (default with one station)",
    )
    parser.set_defaults(func=run)


def _tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.url.startswith("wss://"):
        if args.ca or args.cert:
            raise ValueError("--ca and --cert need a wss:// URL")
        return None
    context = ssl.create_default_context(cafile=args.ca)
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    return context


def _print_text(summary: dict[str, Any], args: argparse.Namespace) -> None:
    latency = summary["latency_ms"]
    print(
        f"{args.stations} stations, {args.duration:g} s: {summary['calls']} calls,"
        f" {summary['errors']} errors, {summary['connections']} connections,"
        f" {summary['transactions']} transactions"
    )
    if latency:
        print(
            "latency ms: "
            + ", ".join(f"{name} {value:g}" for name, value in latency.items())
        )
    print("boots: " + json.dumps(summary["boots"]))
    print("sent: " + json.dumps(summary["sent"]))
    if summary["answered"]:
        print("answered: " + json.dumps(summary["answered"]))
    if summary["error_kinds"]:
        print("errors: " + json.dumps(summary["error_kinds"]))


def run(args: argparse.Namespace) -> int:
    """``ocpp201 simulate``; 0 without errors, 1 with, 2 for a usage error."""
    if missing_websockets("simulate"):
        return 2
    from ..tools.simulator import SimulationConfig, simulate  # noqa: PLC0415

    logging.basicConfig(
        level=logging.ERROR if args.json else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.stations > 1 and not args.verbose:
        # N stations failing alike would say it N times: the summary counts them.
        logging.getLogger("ocpp201.websocket").setLevel(logging.ERROR)
    if args.stations < 1 or args.duration <= 0:
        print("simulate: --stations >= 1 and --duration > 0", file=sys.stderr)
        return 2
    config = SimulationConfig(
        heartbeat_interval=args.heartbeat,
        meter_interval=args.meter_interval,
        transaction_duration=args.transaction,
        idle=args.idle,
        card=args.card,
    )
    try:
        stats = asyncio.run(
            simulate(
                args.url,
                args.stations,
                args.duration,
                config=config,
                prefix=args.prefix,
                ramp=args.ramp,
                password=args.password,
                ssl=_tls(args),
            )
        )
    except (ValueError, TypeError, OSError) as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    summary = stats.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        _print_text(summary, args)
    return 1 if summary["errors"] or not summary["connections"] else 0
