"""Where a TransactionEvent's server-path time goes, stage by stage.

Run from the repository root::

    python bench/stages.py                      # about 10 seconds
    OCPP201_JSON=stdlib python bench/stages.py  # the standard library's parser
    python bench/stages.py --json

``bench/compare.py`` times whole paths on the asyncio harness.  This command takes
the same TransactionEvent CALL (:mod:`payloads`) through ocpp201's layers one at a
time, each in a tight loop (``timeit``, best of several), and then on the harness:

* ``json``: ``ocpp201._json.loads`` of the frame (the parse and its verdict on
  duplicate keys and too large numbers);
* ``framing``: ``ocpp201._framing.decode`` (the JSON and the frame's shape);
* ``typed decode``: the generated decoder of ``TransactionEventRequest``, on the
  parsed payload;
* ``construction only``: the same objects built from values already decoded (each
  field stored, nothing looked up or checked): what no faster decoder written in
  Python can avoid while the message classes are attrs classes;
* ``handler``: the benchmark's handler, building its response;
* ``core receive + handler + respond``: ``RpcConnection.receive`` (framing,
  routing, the gate, ids, the typed decode), the handler, and
  ``RpcConnection.respond``; ``respond`` alone (check, encode, frame);
* ``endpoint receive``: ``RpcEndpoint._receive``, all of it in one call, as the
  receive loop makes it;
* ``harness path``: the server path on ``compare.py``'s harness (send the CALL on
  an in-memory pair, receive the CALLRESULT; the mean per message of each round,
  the median of the rounds, where ``compare.py`` takes the median of single
  messages), and the harness alone (an echo); the path less the echo is what
  ``endpoint receive`` costs in the receive loop, among the event loop's and the
  client's code, with the garbage collector on (``timeit`` switches it off; with
  it on, the tight loop costs the same);
* two references: ``msgspec`` decoding the payload into the validated structs of
  the msgspec floor (parse, validation and construction in C), and the standard
  library's parser without hooks.

Private names of ocpp201 are used on purpose: this is a probe of its layers.
Nothing asserts a speed (``tests/test_bench.py`` only runs ``--quick``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import attrs
import contenders
import floors  # needs msgspec, like contenders (the bench extra)
import msgspec
from payloads import TRANSACTION_EVENT

import ocpp201
from ocpp201 import _codec, _framing, _json, messages

ACTION = "TransactionEvent"
PAYLOAD = json.dumps(TRANSACTION_EVENT, separators=(",", ":"))


def _frame(message_id: str) -> str:
    return f'[2,"{message_id}","{ACTION}",{PAYLOAD}]'


def best_us(op: Callable[[], object], number: int, repeat: int) -> float:
    """Least time of one call, in microseconds (timeit: the GC off)."""
    return min(timeit.repeat(op, number=number, repeat=repeat)) / number * 1e6


def constructor_of(obj: Any) -> Callable[[], Any]:
    """A function building a copy of the attrs object tree ``obj`` from its values,
    as the generated decoders build objects (the twin class of each, every field
    stored, then the real class), with nothing looked up or checked."""
    lines = ["def build():"]
    names: dict[str, Any] = {}

    def emit(node: Any) -> str:
        cls = node.__class__
        module = sys.modules[cls.__module__]
        me = f"x{len(names)}"
        names[f"U_{me}"] = getattr(module, f"_U_{cls.__name__}")
        names[f"C_{me}"] = cls
        lines.append(f"    {me} = U_{me}()")
        for attribute in attrs.fields(cls):
            value = getattr(node, attribute.name)
            if isinstance(value, list) and value and attrs.has(value[0].__class__):
                text = "[" + ", ".join(emit(item) for item in value) + "]"
            elif attrs.has(value.__class__):
                text = emit(value)
            else:
                names[f"v_{me}_{attribute.name}"] = value
                text = f"v_{me}_{attribute.name}"
            lines.append(f"    {me}.{attribute.name} = {text}")
        lines.append(f"    {me}.__class__ = C_{me}")
        return me

    root = emit(obj)
    lines.append(f"    return {root}")
    exec("\n".join(lines), names)
    build: Callable[[], Any] = names["build"]
    if build() != obj:
        raise AssertionError("the construction-only copy differs")
    return build


async def _harness(rounds: int, n: int) -> dict[str, float]:
    """Per message on the harness of ``compare.py`` (its echo and its ocpp201
    server, from :mod:`contenders`): the mean of each round, the median of the
    rounds."""
    frames = [_frame(f"m{i}") for i in range(1024)]

    async def per_message(client: Any) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            for i in range(n):
                await client.send(frames[i & 1023])
                await client.recv()
            times.append((time.perf_counter() - started) / n * 1e6)
        return statistics.median(times)

    found: dict[str, float] = {}
    for name, start in (
        ("harness alone (echo)", contenders.start_echo_server),
        ("harness path", functools.partial(contenders.start_ocpp201_server, ocpp201)),
    ):
        client, server = ocpp201.memory_pair()
        async with contextlib.AsyncExitStack() as stack:
            await start(server, stack)
            await client.send(frames[0])
            reply = str(await client.recv())
            if name == "harness path" and not reply.startswith('[3,"m0",'):
                raise AssertionError(f"the endpoint answered {reply!r}")
            await per_message(client)
            found[name] = await per_message(client)
    return found


def measure(quick: bool) -> dict[str, Any]:
    number, repeat = (300, 3) if quick else (20000, 7)
    backend = _json.backend()
    frame = _frame("abc-1")
    endpoint = contenders.ocpp201_csms(ocpp201)("CS001", ocpp201.memory_pair()[1])
    protocol = endpoint.protocol
    codecs = _codec._generated(messages.TransactionEventRequest)
    assert codecs is not None
    decode = codecs[0]  # the generated decoder
    request = decode(TRANSACTION_EVENT)
    build = constructor_of(request)
    handler = endpoint.on_transaction
    response = handler(request)

    def core() -> Any:
        event = protocol.receive(frame, 0.0)
        return protocol.respond(event, handler(event.request))

    event = protocol.receive(frame, 0.0)
    protocol.respond(event, response)
    stages: dict[str, float] = {
        "json": best_us(lambda: _json.loads(frame), number, repeat),
        "framing (json included)": best_us(
            lambda: _framing.decode(frame), number, repeat
        ),
        "typed decode": best_us(lambda: decode(TRANSACTION_EVENT), number, repeat),
        "construction only": best_us(build, number, repeat),
        "handler": best_us(lambda: handler(request), number, repeat),
        "core receive + handler + respond": best_us(core, number, repeat),
        "respond (check, encode, frame)": best_us(
            lambda: protocol.respond(event, response), number, repeat
        ),
        "endpoint receive (all of it)": best_us(
            lambda: endpoint._receive(frame), number, repeat
        ),
    }
    references: dict[str, float] = {}
    stdlib = json.JSONDecoder()
    references["stdlib json.loads, no hooks"] = best_us(
        lambda: stdlib.decode(frame), number, repeat
    )
    typed = msgspec.json.Decoder(floors.TransactionEventRequest)
    raw = PAYLOAD.encode()
    references["msgspec: payload -> validated structs"] = best_us(
        lambda: typed.decode(raw), number, repeat
    )
    rounds, n = (2, 200) if quick else (7, 5000)
    harness = asyncio.run(_harness(rounds, n))
    return {
        "backend": backend,
        "python": sys.version.split()[0],
        "tight_loop_us": stages,
        "references_us": references,
        "harness_us": harness,
    }


def lines(report: dict[str, Any]) -> list[str]:
    out = [
        f"TransactionEvent CALL, ocpp201 with the {report['backend']} JSON backend, "
        f"CPython {report['python']}",
        "",
        "tight loop (timeit, best), us",
    ]
    out += [f"  {k:40} {v:7.2f}" for k, v in report["tight_loop_us"].items()]
    out += ["", "references, tight loop, us"]
    out += [f"  {k:40} {v:7.2f}" for k, v in report["references_us"].items()]
    out += ["", "on the asyncio harness (median of rounds), us per message"]
    harness = report["harness_us"]
    out += [f"  {k:40} {v:7.2f}" for k, v in harness.items()]
    path = harness["harness path"] - harness["harness alone (echo)"]
    tight = report["tight_loop_us"]["endpoint receive (all of it)"]
    out += [
        f"  {'the path (less the echo)':40} {path:7.2f}",
        f"  {'  against the tight loop':40} {path / tight:7.2f}x",
    ]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few runs (seconds)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    report = measure(args.quick)
    print(json.dumps(report, indent=2) if args.json else "\n".join(lines(report)))


if __name__ == "__main__":
    main()
