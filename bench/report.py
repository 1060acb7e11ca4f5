"""The report of bench/compare.py: the issue 9 targets, the text tables, Markdown.

Everything here works on the JSON-ready dict :func:`compare.collect` returns (or a
report saved with ``--save``), so a saved run can be printed again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from payloads import REQUESTS

ACTIONS = tuple(REQUESTS)
PATHS = ("server", "client")
OURS = "ocpp201 (stdlib json)"
MSGSPEC = "floor: msgspec structs"
STDLIB = "floor: stdlib json + dicts"


def ratio(paths: dict[str, Any], path: str, row: str, ours: str, action: str) -> Any:
    table = paths[path]
    if row not in table or ours not in table:
        return None
    return table[row][action]["median"] / table[ours][action]["median"]


def targets(
    paths: dict[str, Any],
    imports: dict[str, dict[str, float]],
    memory: dict[str, float],
) -> list[dict[str, Any]]:
    """The issue's targets with the ratios of this run (reported, never asserted)."""
    found: list[dict[str, Any]] = []

    def add(text: str, value: Any, goal: float, higher: bool) -> None:
        if value is None:
            return
        met = value >= goal if higher else value <= goal
        shown = round(value, 2) if value >= 0.1 else round(value, 4)
        found.append({"target": text, "value": shown, "met": met})

    for ours in [r for r in paths["server"] if r.startswith("ocpp201")]:
        te = "TransactionEvent"
        add(
            f"{ours}: TransactionEvent server, ocpp defaults / ours >= 40",
            ratio(paths, "server", "ocpp 2.1.0 (defaults)", ours, te),
            40,
            True,
        )
        add(
            f"{ours}: TransactionEvent server, ocpp validation off / ours >= 5",
            ratio(paths, "server", "ocpp 2.1.0 (validation off)", ours, te),
            5,
            True,
        )
        floor = ratio(paths, "server", MSGSPEC, ours, te)
        add(
            f"{ours}: TransactionEvent server, ours / msgspec floor <= 2.5",
            None if floor is None else 1 / floor,
            2.5,
            False,
        )
        for path in PATHS:
            for action in ("Heartbeat", "BootNotification"):
                add(
                    f"{ours}: {action} {path}, ocpp validation off / ours > 1",
                    ratio(paths, path, "ocpp 2.1.0 (validation off)", ours, action),
                    1.0,
                    True,
                )
    add(
        "import ocpp201 / import ocpp.v201 <= 0.33 (medians; its names load on "
        "first use, see the first-use rows)",
        imports["ocpp201"]["median"] / imports["ocpp.v201"]["median"],
        1 / 3,
        False,
    )
    add(
        "idle endpoint memory, ocpp201 / ocpp <= 0.5",
        memory["ocpp201"] / memory["ocpp 2.1.0"],
        0.5,
        False,
    )
    return found


_TITLES = {
    "server": "Server path: CALL text in -> typed handler -> CALLRESULT text out",
    "client": "Client path: await call(request), a full round trip",
}


def lines(report: dict[str, Any]) -> Iterator[str]:
    machine = report["machine"]
    yield (
        f"machine: {machine['nproc']} CPUs, {machine['cpu']}; "
        f"{machine['implementation']} {machine['python']}; "
        f"load average {report['load_average']['before']} -> "
        f"{report['load_average']['after']}; {report['seconds']} s"
    )
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    yield f"versions: {versions}"
    for note in report["notes"]:
        yield f"note: {note}"
    yield ""
    for path in PATHS:
        table = report["paths"][path]
        ours = table[OURS]
        yield f"{_TITLES[path]}"
        yield "median us [p10-p90], x = median / ocpp201 (stdlib json) median"
        header = f"{'':30}" + "".join(f"{a:>28}" for a in ACTIONS)
        yield header
        for row, cells in table.items():
            text = f"{row:30}"
            for action in ACTIONS:
                cell = cells[action]
                times = cell["median"] / ours[action]["median"]
                spread = f"[{cell['p10']:.0f}-{cell['p90']:.0f}]"
                text += f"{cell['median']:>9.1f} {spread:>11} {times:6.2f}x"
            yield text
        yield ""
    runs = report["settings"]["import_runs"]
    yield f"import time, {runs} fresh interpreters each, ms: median (least)"
    for label, imports in _import_tables(report):
        for module, value in imports.items():
            name = f"{label} {module}"
            yield f"  {name:22} {value['median']:8.1f} ({value['min']:.1f})"
        ours, theirs = imports["ocpp201"], imports["ocpp.v201"]
        median, least = ours["median"] / theirs["median"], ours["min"] / theirs["min"]
        yield f"  {'ratio ocpp201 / ocpp.v201':22} {median:8.2f} ({least:.2f})"
    yield ""
    memory = report["idle_endpoint_bytes"]
    yield (
        "memory per idle CSMS endpoint on an in-memory pair (tracemalloc, "
        f"{report['settings']['endpoints']} endpoints, pair included), bytes"
    )
    pair = memory["memory pair alone"]
    yield f"  {'':20} {'with pair':>10} {'without':>10}"
    for name, value in memory.items():
        yield f"  {name:20} {value:10.0f} {value - pair:10.0f}"
    ours, theirs = memory["ocpp201"], memory["ocpp 2.1.0"]
    yield (
        f"  ratio ocpp201 / ocpp {ours / theirs:10.2f} "
        f"{(ours - pair) / (theirs - pair):10.2f}"
    )
    yield ""
    yield "targets of issue 9 (reported, not asserted)"
    for target in _targets(report):
        mark = "met" if target["met"] else "NOT met"
        yield f"  {target['target']}: {target['value']} ({mark})"


def _targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets, computed again from the report's figures (a report saved by an
    earlier version of the command may word or round them otherwise)."""
    return targets(report["paths"], report["import_ms"], report["idle_endpoint_bytes"])


def _import_tables(
    report: dict[str, Any],
) -> Iterator[tuple[str, dict[str, dict[str, float]]]]:
    """("import", times) and, in reports that have it, ("first use of", times)."""
    yield "import", report["import_ms"]
    if "first_use_ms" in report:  # not in reports saved by earlier versions
        yield "first use of", report["first_use_ms"]


def markdown(report: dict[str, Any]) -> Iterator[str]:
    """The tables of bench/README.md."""
    for path in PATHS:
        table = report["paths"][path]
        ours = table[OURS]
        yield f"**{_TITLES[path]}**: median us [p10-p90] and median / ocpp201's"
        yield ""
        yield "| | " + " | ".join(ACTIONS) + " |"
        yield "| --- |" + " ---: |" * len(ACTIONS)
        for row, cells in table.items():
            text = f"| {row} |"
            for action in ACTIONS:
                cell = cells[action]
                times = cell["median"] / ours[action]["median"]
                text += (
                    f" {cell['median']:.1f} [{cell['p10']:.0f}-{cell['p90']:.0f}]"
                    f" **{times:.2f}x** |"
                )
            yield text
        yield ""
    memory = report["idle_endpoint_bytes"]
    pair = memory["memory pair alone"]
    yield "| fresh interpreters | median ms | least ms |"
    yield "| --- | ---: | ---: |"
    for label, imports in _import_tables(report):
        for module, value in imports.items():
            yield (
                f"| {label} `{module}` | {value['median']:.1f} | {value['min']:.1f} |"
            )
    yield ""
    yield "| idle CSMS endpoint | bytes with its pair | without |"
    yield "| --- | ---: | ---: |"
    for name, value in memory.items():
        yield f"| {name} | {value:.0f} | {value - pair:.0f} |"
    yield ""
    yield "| target of issue 9 | this run | |"
    yield "| --- | ---: | --- |"
    for target in _targets(report):
        mark = "met" if target["met"] else "not met"
        yield f"| {target['target']} | {target['value']} | {mark} |"
