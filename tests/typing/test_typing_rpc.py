"""``mypy --strict`` on typing_sample.py: call() infers the response type from the
request, and a handler with the wrong request or response type is rejected."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).with_name("typing_sample.py")
ROOT = Path(__file__).resolve().parents[2]

EXPECTED: dict[str, list[tuple[str, str]]] = {
    "reveal-call": [
        (
            "note",
            "Revealed type is "
            '"ocpp201._messages.boot_notification.BootNotificationResponse"',
        ),
    ],
    "wrong-call-type": [
        (
            "error",
            'Argument 1 to "call" of "RpcEndpoint" has incompatible type '
            '"BootNotificationRequest"; expected "Request[HeartbeatResponse]"',
        ),
    ],
    "wrong-response": [
        (
            "error",
            '"Callable[[BadCsms, BootNotificationRequest], '
            'Coroutine[Any, Any, HeartbeatResponse]]"; expected '
            '"Callable[[BadCsms, BootNotificationRequest], '
            'Coroutine[Any, Any, BootNotificationResponse]]"',
        ),
    ],
    "wrong-request": [
        ("error", 'expected "Callable[[BadCsms, HeartbeatRequest]'),
    ],
    "wrong-after": [
        ("error", 'expected "Callable[[BadCsms, HeartbeatRequest], None]"'),
    ],
}

_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): (?P<severity>error|note): (?P<text>.*)$"
)


def _markers() -> dict[int, str]:
    found = {}
    for number, line in enumerate(SAMPLE.read_text().splitlines(), start=1):
        match = re.search(r"# \[([a-z-]+)\]$", line)
        if match:
            found[number] = match.group(1)
    return found


def test_mypy_strict_infers_call_results_and_rejects_wrong_handlers() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--hide-error-context",
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "rpc-typing-test"),
            str(SAMPLE.relative_to(ROOT)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    reported: dict[int, list[tuple[str, str]]] = {}
    for line in result.stdout.splitlines():
        match = _LINE.match(line)
        if match is None or Path(match["file"]).name != SAMPLE.name:
            continue  # messages about other files are not this test's business
        reported.setdefault(int(match["line"]), []).append(
            (match["severity"], match["text"])
        )
    markers = _markers()
    assert sorted(markers.values()) == sorted(EXPECTED), "markers and EXPECTED differ"
    for number, messages in reported.items():
        if number not in markers:
            assert all(sev == "note" for sev, _ in messages), (number, messages)
    for number, marker in markers.items():
        got = reported.get(number, [])
        for severity, text in EXPECTED[marker]:
            assert any(s == severity and text in t for s, t in got), (marker, got)
        errors = [t for s, t in got if s == "error"]
        wanted = [t for s, t in EXPECTED[marker] if s == "error"]
        assert len(errors) == len(wanted), (marker, errors)
