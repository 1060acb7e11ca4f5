"""``ocpp201 serve``: a ready CSMS for testing charging stations and simulators.

It accepts any station identity (or the ``--identity`` ones) at
``ws://HOST:PORT/ocpp/<identity>`` and, for stations configured without a path, at
``ws://HOST:PORT/<identity>``; answers every station-to-CSMS action validly
(:class:`ocpp201.tools.csms.ReadyCSMS`), applies the registration gate, optionally
requires HTTP Basic auth and serves TLS, sends scripted requests after each
Accepted boot, prints every message as a one-line summary and writes a JSON-lines
trace that ``ocpp201 validate`` reads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import signal
import ssl
import sys
from typing import IO, Any

from . import missing_websockets

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``serve`` with the command line's sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="run a ready CSMS for testing charging stations",
        description=(
            "A CSMS that accepts charging stations at ws://HOST:PORT/ocpp/<identity>"
            " (and ws://HOST:PORT/<identity>), answers every OCPP 2.0.1 message"
            " from a station validly and prints each message."
        ),
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (127.0.0.1)")
    add("--port", type=int, default=9000, help="TCP port (9000; 0: any free port)")
    add("--path", default="/ocpp", help="the OCPP-J endpoint path (/ocpp)")
    add(
        "--identity",
        action="append",
        metavar="ID",
        help="accept only this station (repeat for more; default: any identity)",
    )
    add(
        "--password",
        action="append",
        default=[],
        metavar="ID=PASSWORD",
        help="require HTTP Basic auth (security profiles 1 and 2) with these",
    )
    add("--tls-cert", metavar="PEM", help="serve wss:// with this certificate chain")
    add("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    add(
        "--client-ca",
        metavar="PEM",
        help="require client certificates signed by this CA (security profile 3)",
    )
    add(
        "--boot-status",
        choices=["Accepted", "Pending", "Rejected"],
        default="Accepted",
        help="the answer to every BootNotification (Accepted)",
    )
    add("--heartbeat-interval", type=int, default=300, metavar="S", help="(300)")
    add(
        "--card",
        action="append",
        metavar="ID_TOKEN",
        help="accept only this idToken (repeat for more; default: every idToken)",
    )
    add(
        "--request",
        action="append",
        default=[],
        metavar="'ACTION JSON'",
        help="send this request after each Accepted boot, e.g."
        ' \'Reset {"type": "OnIdle"}\' (repeat for more, in order)',
    )
    add(
        "--script",
        metavar="FILE",
        help="a JSON array of [action, payload(, delay)] sent after each Accepted boot",
    )
    add("--trace", metavar="FILE", help="write every frame as JSON lines to FILE")
    add("--full", action="store_true", help="print the payloads as sent")
    add("--quiet", action="store_true", help="print no line per message")
    add("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.set_defaults(func=run)


def _tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.tls_cert is None:
        if args.tls_key or args.client_ca:
            raise ValueError("--tls-key and --client-ca need --tls-cert")
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.client_ca:
        context.load_verify_locations(args.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _script(args: argparse.Namespace) -> tuple[Any, ...]:
    from ..tools.csms import parse_script  # noqa: PLC0415 - cheap import

    steps: list[Any] = []
    for item in args.request:
        action, _, payload = item.strip().partition(" ")
        steps.append([action, json.loads(payload or "{}")])
    text = json.dumps(steps)
    script = parse_script(text)
    if args.script:
        with open(args.script, encoding="utf-8") as file:
            script += parse_script(file.read())
    return script


async def serve_main(args: argparse.Namespace, out: IO[str]) -> int:
    """Run the CSMS until ``--duration`` passes, or SIGINT/SIGTERM."""
    from ..enums import RegistrationStatusEnumType  # noqa: PLC0415
    from ..tools.csms import ReadyCSMS, ServeConfig, accept_identities  # noqa: PLC0415
    from ..trace import JsonLinesTrace, Trace, Tracer, trace_hooks  # noqa: PLC0415
    from ..websocket import serve  # noqa: PLC0415

    def write(line: str) -> None:
        print(line, file=out, flush=True)

    config = ServeConfig(
        boot_status=RegistrationStatusEnumType(args.boot_status),
        heartbeat_interval=args.heartbeat_interval,
        cards=frozenset(args.card) if args.card else None,
        script=_script(args),
    )
    passwords = dict(item.split("=", 1) for item in args.password)
    tracers: list[Tracer] = []
    if not args.quiet:
        tracers.append(Trace(write, full=args.full, side="csms"))
    trace_file = None
    if args.trace:
        trace_file = open(args.trace, "a", encoding="utf-8")  # noqa: SIM115
        tracers.append(JsonLinesTrace(trace_file))
    hooks = trace_hooks(*tracers) if tracers else None
    factory = functools.partial(ReadyCSMS, config=config, hooks=hooks)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        async with serve(
            factory,
            args.host,
            args.port,
            path=[args.path, "/"],
            accept_identity=accept_identities(args.identity),
            password_for=passwords.get if passwords else None,
            ssl=_tls(args),
        ) as server:
            write(f"ocpp201 serve: listening on {server.url}/<identity>")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), args.duration)
    finally:
        if trace_file is not None:
            trace_file.close()
    received = dict(sorted(config.received.items()))
    refused = dict(sorted(config.refused.items()))
    write("ocpp201 serve: received " + json.dumps(received))
    if refused:
        write("ocpp201 serve: refused (SecurityError) " + json.dumps(refused))
    return 0


def run(args: argparse.Namespace) -> int:
    """``ocpp201 serve``; 2 for a usage error or a missing extra."""
    if missing_websockets("serve"):
        return 2
    import logging  # noqa: PLC0415

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(serve_main(args, sys.stdout))
    except (ValueError, OSError) as exc:
        print(f"ocpp201 serve: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
