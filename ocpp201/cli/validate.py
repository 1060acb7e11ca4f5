"""``ocpp201 validate``: check OCPP-J frames or bare payloads with the library itself.

Every message is checked exactly as an ``ocpp201`` endpoint checks what it receives:
the frame by :func:`ocpp201._framing.decode`, the action against the 64 of OCPP 2.0.1,
the payload by :func:`ocpp201.from_payload`.  Each problem is reported with its JSON
path and the Part 4 error code, and for a CALL with the CALLERROR frame a receiver
answers.  CALLRESULTs and CALLERRORs are never answered; a CALLRESULT is checked
against the response of the CALL with the same message id read before it (or of
``--action``).

Input is one frame, or one frame per line (log files); a line may also be a JSON
object holding the frame under ``"frame"`` (``"message"`` and ``"data"`` are accepted
too), as in JSONL traces ``{"time", "identity", "direction", "frame"}``, or a log
line with the frame after a prefix (ocpp201's DEBUG lines ``... < [3, ...]``).

:func:`check_text` is the whole validator as a pure function; the web validator page
of the documentation runs it in the browser.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, Protocol

from .. import _framing
from .._codec import from_payload
from .._errors import ErrorCode, LocalProtocolError, Problem, ValidationError

__all__ = [
    "FRAME_KEYS",
    "Finding",
    "Report",
    "Result",
    "add_parser",
    "check_text",
    "format_result",
    "format_summary",
    "format_text",
    "iter_results",
    "stream_lines",
    "run",
]

FRAME_KEYS = ("frame", "message", "data")
"""Keys under which a JSON object (a trace line) may hold its OCPP-J frame."""

_CALL_START = re.compile(r"\s*\[\s*2\s*,")

_LOGGED_FRAME = re.compile(r"\[\s*[234]\s*,\s*\"")
"""Where a frame starts in a log line with a prefix (time, logger, ``<`` / ``>``)."""

FRAME_PATH = "frame"

MAX_PENDING = 10_000
"""CALLs remembered to check their CALLRESULTs (the oldest are forgotten first)."""

MAX_LINE = 1 << 20
"""Longest line checked, in bytes (the WebSocket transport's default max_size)."""

WHOLE_INPUT = 1 << 20
"""Inputs up to this many bytes are read at once (so that one frame may span several
lines); larger ones are read line by line, in bounded memory."""
"""The path of problems with the frame itself rather than with its payload."""

Status = Literal["valid", "invalid", "unchecked"]


@dataclass
class Finding:
    """One problem: its JSON path (``$`` is the payload; ``frame`` the frame itself),
    the Part 4 error code it maps to (``None`` where none is sent) and what is wrong."""

    path: str
    code: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The JSON form of ``--json``."""
        return {"path": self.path, "code": self.code, "message": self.message}


@dataclass
class Result:
    """The verdict on one message (one line of a log file)."""

    line: int
    kind: str
    """``CALL``, ``CALLRESULT``, ``CALLERROR``, ``payload`` or ``unreadable``."""
    status: Status
    action: str | None = None
    message_id: str | None = None
    identity: str | None = None
    direction: str | None = None
    problems: list[Finding] = field(default_factory=list)
    answer: str | None = None
    """The CALLERROR frame a receiver sends back (only ever for a CALL)."""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON form of ``--json``."""
        return {
            "line": self.line,
            "kind": self.kind,
            "status": self.status,
            "valid": self.status == "valid",
            "action": self.action,
            "messageId": self.message_id,
            "identity": self.identity,
            "direction": self.direction,
            "problems": [p.to_json() for p in self.problems],
            "answer": self.answer,
            "note": self.note,
        }


@dataclass
class Report:
    """The verdicts on every message of one input."""

    results: list[Result] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when no message is invalid (unchecked ones do not count)."""
        return all(r.status != "invalid" for r in self.results)

    def summary(self) -> dict[str, int]:
        """How many messages there were, and how many were of each status."""
        counts = {"messages": len(self.results), "valid": 0, "invalid": 0}
        counts["unchecked"] = 0
        for result in self.results:
            counts[result.status] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """The JSON document ``--json`` prints."""
        return {
            "valid": self.valid,
            "summary": self.summary(),
            "results": [r.to_json() for r in self.results],
        }


def _findings(problems: tuple[Problem, ...]) -> list[Finding]:
    return [Finding(p.path, p.code.value, p.message) for p in problems]


def _answer(message_id: str, code: ErrorCode, description: str, details: Any) -> str:
    """The CALLERROR an ocpp201 endpoint sends (details dropped if unencodable)."""
    try:
        return _framing.encode_call_error(message_id, code, description, details)
    except LocalProtocolError:  # pragma: no cover - details are always JSON here
        return _framing.encode_call_error(message_id, code, description)


class _Checker:
    """Checks messages one after the other, remembering the actions of CALLs."""

    def __init__(
        self,
        action: str | None,
        kind: Literal["request", "response"],
        log: bool = False,
    ) -> None:
        self.action = action
        self.kind = kind
        self.log = log
        self.pending: dict[tuple[str | None, str], str] = {}

    def remember(self, key: tuple[str | None, str], action: str) -> None:
        """Note the action of a CALL, keeping at most MAX_PENDING (oldest go)."""
        self.pending.pop(key, None)
        self.pending[key] = action
        while len(self.pending) > MAX_PENDING:
            del self.pending[next(iter(self.pending))]

    def frame(self, text: str | bytes, result: Result) -> Result:
        from ..actions import Action  # noqa: PLC0415 - the generated registry

        incoming = _framing.decode(text)
        if isinstance(incoming, _framing.Reply):
            looks_like_call = isinstance(text, str) and _CALL_START.match(text)
            result.kind = "CALL" if looks_like_call else "unreadable"
            result.status = "invalid"
            result.message_id = incoming.message_id
            result.problems.append(
                Finding(FRAME_PATH, incoming.code.value, incoming.reason)
            )
            result.answer = incoming.frame
            return result
        if isinstance(incoming, _framing.Ignore):
            result.kind = "unreadable"
            result.status = "invalid"
            result.message_id = incoming.message_id
            result.problems.append(Finding(FRAME_PATH, None, incoming.reason))
            result.note = "a broken CALLRESULT or CALLERROR is never answered"
            return result
        result.message_id = incoming.message_id
        key = (result.identity, incoming.message_id)
        if isinstance(incoming, _framing.Call):
            result.kind = "CALL"
            result.action = incoming.action
            try:
                info = Action(incoming.action)
            except ValueError:
                reason = (
                    f"{_framing.truncate_description(incoming.action)!r} "
                    "is not a known action"
                )
                result.status = "invalid"
                result.problems.append(
                    Finding(FRAME_PATH, ErrorCode.NOT_IMPLEMENTED.value, reason)
                )
                result.answer = _answer(
                    incoming.message_id, ErrorCode.NOT_IMPLEMENTED, reason, None
                )
                return result
            self.remember(key, info.value)
            cls: type[Any] = info.request
            syntax = incoming.syntax_problems
        elif isinstance(incoming, _framing.CallResult):
            result.kind = "CALLRESULT"
            action = self.pending.pop(key, None) or self.action
            result.action = action
            if action is None:
                result.status = "unchecked"
                result.note = (
                    "no CALL with this message id before it: give --action to check"
                    " the payload"
                )
                return result
            try:
                cls = Action(action).response
            except ValueError:
                result.status = "unchecked"
                result.note = f"{action!r} is not a known action"
                return result
            syntax = incoming.syntax_problems
        else:
            result.kind = "CALLERROR"
            result.action = self.pending.pop(key, None)
            codes = {c.value for c in ErrorCode}
            if incoming.code not in codes:
                result.problems.append(
                    Finding(
                        FRAME_PATH,
                        None,
                        f"error code {incoming.code!r} is not one of the twelve of"
                        " Part 4 section 4.3",
                    )
                )
            if len(incoming.description) > _framing.MAX_DESCRIPTION_LENGTH:
                result.problems.append(
                    Finding(
                        FRAME_PATH,
                        None,
                        f"the error description is {len(incoming.description)}"
                        " characters long; at most 255 are allowed",
                    )
                )
            result.status = "invalid" if result.problems else "valid"
            return result
        return self._payload(result, cls, incoming.payload, syntax)

    def _payload(
        self, result: Result, cls: type[Any], payload: Any, syntax: tuple[Problem, ...]
    ) -> Result:
        try:
            if syntax:
                raise ValidationError(syntax, type_name=cls.__name__)
            from_payload(cls, payload)
        except ValidationError as exc:
            result.status = "invalid"
            result.problems.extend(_findings(exc.problems))
            if result.kind == "CALL" and result.message_id is not None:
                result.answer = _answer(
                    result.message_id, exc.code, exc.description, exc.details()
                )
            elif result.kind == "CALLRESULT":
                result.note = (
                    "never answered: the pending call() raises RemoteValidationError"
                )
            return result
        result.status = "valid"
        return result

    def bare(self, text: str, result: Result) -> Result:
        """A bare payload of ``self.action``: checked as the payload of a frame."""
        assert self.action is not None
        if self.kind == "request":
            wrapped = f'[2,"1",{json.dumps(self.action)},{text}]'
        else:
            self.remember((result.identity, "1"), self.action)
            wrapped = f'[3,"1",{text}]'
        checked = self.frame(wrapped, result)
        checked.kind = "payload"
        checked.message_id = None
        for finding in checked.problems:
            if finding.path == FRAME_PATH and "JSON" in finding.message:
                finding.message = finding.message.replace("message", "payload", 1)
        return checked

    def line(self, text: str | bytes, number: int) -> Result | None:
        """One message (a frame, a trace object or a bare payload); ``None`` for a
        line of a log (``log=True``) that holds no frame.  ``bytes`` are a line that
        is not UTF-8 (or too long): the frame decoder says what a receiver answers."""
        result = Result(line=number, kind="unreadable", status="invalid")
        if isinstance(text, bytes):
            if text is _TOO_LONG:
                result.problems.append(
                    Finding(
                        FRAME_PATH,
                        None,
                        f"line longer than {MAX_LINE} bytes: not checked (a WebSocket"
                        " receiver with the default max_size closes the connection,"
                        " code 1009)",
                    )
                )
                return result
            return self.frame(text, result)
        stripped = text.strip()
        holder = None
        if stripped.startswith("{"):
            try:
                holder = json.loads(stripped)
            except ValueError:
                holder = None
        # No OCPP payload has a "frame" property: such an object is a trace line.
        is_trace = isinstance(holder, dict) and "frame" in holder
        if self.action is not None and not stripped.startswith("[") and not is_trace:
            return self.bare(text, result)
        if isinstance(holder, dict):
            return self._trace(holder, result)
        if not stripped.startswith(("[", "{")):
            found = _LOGGED_FRAME.search(stripped)
            if found is not None:  # a log line: "... < [3,...]" as ocpp201 logs
                prefix = stripped[: found.start()].rstrip()
                result.direction = {"<": "in", ">": "out"}.get(prefix[-1:])
                return self.frame(stripped[found.start() :], result)
            if self.log:
                return None
        return self.frame(text, result)

    def _trace(self, holder: dict[str, Any], result: Result) -> Result:
        for key in ("identity", "direction"):
            value = holder.get(key)
            if isinstance(value, str):
                setattr(result, key, value)
        frame = next((holder[k] for k in FRAME_KEYS if k in holder), None)
        if isinstance(frame, list):
            frame = json.dumps(frame, ensure_ascii=False)
        if not isinstance(frame, str):
            result.problems.append(
                Finding(
                    FRAME_PATH,
                    None,
                    "a JSON object that holds no frame (under "
                    + ", ".join(FRAME_KEYS)
                    + "); for a bare payload give --action",
                )
            )
            return result
        return self.frame(frame, result)


def _decoded(number: int, raw: bytes) -> Iterator[tuple[int, str | bytes]]:
    """One line: text when it is UTF-8, else the bytes; nothing when blank."""
    if not raw.strip():
        return
    try:
        yield number, raw.decode("utf-8")
    except UnicodeDecodeError:
        yield number, raw


def _messages(data: str | bytes) -> Iterator[tuple[int, str | bytes]]:
    """The messages of an input: the whole text when it is one JSON value (a frame
    spread over several lines included), otherwise every non-blank line."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            for number, raw in enumerate(data.splitlines(), 1):
                yield from _decoded(number, raw)
            return
    else:
        text = data
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(lines) > 1:
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            yield lines[0][0], text
            return
    yield from lines


class Reader(Protocol):
    """What :func:`stream_lines` reads from: ``read(size) -> bytes``."""

    def read(self, size: int = -1, /) -> bytes:
        """At most ``size`` bytes; ``b""`` at the end."""
        ...


_TOO_LONG = b"\0 line too long \0"
"""Stands for a line longer than :data:`MAX_LINE` (compared by identity)."""


def stream_lines(source: Reader) -> Iterator[tuple[int, str | bytes]]:
    """The non-blank lines of a (large) binary stream, read in chunks.

    Memory stays bounded: a line longer than :data:`MAX_LINE` bytes is not kept; it
    is reported as too long (its first bytes stand for it).
    """
    number = 0
    buffer = b""
    overflow = False
    while True:
        chunk = source.read(1 << 16)
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            number += 1
            if overflow or len(raw) > MAX_LINE:
                overflow = False
                yield number, _TOO_LONG
                continue
            yield from _decoded(number, raw)
        if len(buffer) > MAX_LINE:
            overflow, buffer = True, b""
    if overflow or len(buffer) > MAX_LINE:
        yield number + 1, _TOO_LONG
    elif buffer:
        yield from _decoded(number + 1, buffer)


def iter_results(
    messages: Iterable[tuple[int, str | bytes]],
    *,
    action: str | None = None,
    kind: Literal["request", "response"] = "request",
    log: bool = False,
) -> Iterator[Result]:
    """Check ``(line number, message)`` pairs one by one (see :func:`check_text`)."""
    checker = _Checker(action, kind, log)
    for number, message in messages:
        result = checker.line(message, number)
        if result is not None:
            yield result


def check_text(
    text: str | bytes,
    *,
    action: str | None = None,
    kind: Literal["request", "response"] = "request",
    log: bool = False,
) -> Report:
    """Check every message of ``text`` (see the module docstring); never raises.

    With ``action`` the messages that are not arrays are bare payloads of that
    action's request (or, with ``kind="response"``, response), and a CALLRESULT
    without its CALL is checked as the response of ``action``.  With ``log``, lines
    that hold no frame (the other lines of a log file) are skipped.  ``bytes`` that
    are not UTF-8 are reported as a receiver answers them.
    """
    results = iter_results(_messages(text), action=action, kind=kind, log=log)
    return Report(list(results))


def format_result(r: Result) -> str:
    """One message's block of the human-readable report."""
    what = " ".join(
        x
        for x in (
            r.kind,
            r.action or "",
            f"id={r.message_id}" if r.message_id is not None else "",
            f"[{r.identity}]" if r.identity else "",
            r.direction or "",
        )
        if x
    )
    out = [f"line {r.line}: {what}: {r.status}"]
    for finding in r.problems:
        code = finding.code or "(no answer)"
        out.append(f"  {finding.path}  {code}  {finding.message}")
    if r.answer is not None:
        out.append(f"  a receiver answers: {r.answer}")
    if r.note:
        out.append(f"  note: {r.note}")
    return "\n".join(out) + "\n"


def format_summary(counts: dict[str, int]) -> str:
    """The last line of the human-readable report."""
    return (
        f"{counts['messages']} message(s): {counts['valid']} valid, "
        f"{counts['invalid']} invalid, {counts['unchecked']} unchecked\n"
    )


def format_text(report: Report, *, quiet: bool = False) -> str:
    """The human-readable report: one block per message and a summary line."""
    blocks = [
        format_result(r) for r in report.results if not quiet or r.status != "valid"
    ]
    return "".join(blocks) + format_summary(report.summary())


# ---------------------------------------------------------------------------- CLI


def add_parser(subparsers: Any) -> None:
    """Register ``validate`` with the command line's sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "validate",
        help="check OCPP-J frames or payloads; every problem with its path and code",
        description=(
            "Check OCPP-J frames (or, with --action, bare payloads) exactly as an"
            " ocpp201 endpoint checks what it receives. Input: one frame, or one per"
            " line (log files; a line may be a JSON object holding the frame under"
            ' "frame", as in JSONL traces). Every problem is printed with its JSON'
            " path and the Part 4 error code, a CALL's with the CALLERROR a receiver"
            " answers. Exit status: 0 all valid, 1 something invalid, 2 usage error."
        ),
    )
    parser.add_argument(
        "file",
        nargs="?",
        default="-",
        metavar="FILE",
        help="the file to check; - or nothing reads standard input",
    )
    parser.add_argument(
        "--action",
        metavar="NAME",
        help="the input holds bare payloads of this action (e.g. BootNotification)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--request",
        dest="kind",
        action="store_const",
        const="request",
        help="with --action: the payloads are requests (the default)",
    )
    which.add_argument(
        "--response",
        dest="kind",
        action="store_const",
        const="response",
        help="with --action: the payloads are responses (a CALLRESULT frame without"
        " its CALL is checked as a response of --action too)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the report as one JSON document"
    )
    parser.add_argument(
        "--log",
        action="store_true",
        help="the input is a log file: skip the lines that hold no frame",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only what is not valid"
    )
    parser.set_defaults(func=run, kind=None)


def run(args: argparse.Namespace) -> int:
    """Check the input; 0 valid, 1 invalid, 2 usage error."""
    from ..actions import Action  # noqa: PLC0415

    def usage(message: str) -> int:
        print(f"ocpp201 validate: error: {message}", file=sys.stderr)
        return 2

    if args.kind is not None and args.action is None:
        return usage(f"--{args.kind} needs --action NAME")
    if args.action is not None and args.action not in {a.value for a in Action}:
        return usage(f"{args.action!r} is not an OCPP 2.0.1 action")
    kind: Literal["request", "response"] = (
        "response" if args.kind == "response" else "request"
    )
    try:
        if args.file == "-":
            return _check_stream(sys.stdin.buffer, args, kind)
        with open(args.file, "rb") as source:
            return _check_stream(source, args, kind)
    except OSError as exc:
        return usage(f"cannot read {args.file}: {exc.strerror or exc}")


def _check_stream(
    source: BinaryIO, args: argparse.Namespace, kind: Literal["request", "response"]
) -> int:
    """Check an input: at once up to WHOLE_INPUT bytes, else line by line (the text
    report is then printed as it goes, so memory stays bounded)."""
    head = source.read(WHOLE_INPUT + 1)
    if not head.strip():
        print("ocpp201 validate: error: the input is empty", file=sys.stderr)
        return 2
    if len(head) <= WHOLE_INPUT:
        messages: Iterable[tuple[int, str | bytes]] = _messages(head)
    else:
        messages = stream_lines(_Prepended(head, source))
    results = iter_results(messages, action=args.action, kind=kind, log=args.log)
    if args.json:
        report = Report(list(results))
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return 0 if report.valid else 1
    counts = {"messages": 0, "valid": 0, "invalid": 0, "unchecked": 0}
    for result in results:
        counts["messages"] += 1
        counts[result.status] += 1
        if not args.quiet or result.status != "valid":
            sys.stdout.write(format_result(result))
    sys.stdout.write(format_summary(counts))
    return 1 if counts["invalid"] else 0


class _Prepended:
    """A binary stream whose first bytes were already read."""

    def __init__(self, head: bytes, rest: Reader) -> None:
        self.head = head
        self.rest = rest

    def read(self, size: int = -1, /) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            return data
        return self.rest.read(size)
