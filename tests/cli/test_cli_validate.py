"""``ocpp201 validate``: valid frames, each error class, logs, traces, stdin, --json."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ocpp201.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent

BOOT = (
    '[2,"1","BootNotification",{"reason":"PowerUp",'
    '"chargingStation":{"model":"M","vendorName":"V"}}]'
)
BOOT_RESULT = (
    '[3,"1",{"currentTime":"2025-01-01T00:00:00Z","interval":300,"status":"Accepted"}]'
)


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    stdin: str | bytes | None = None,
) -> tuple[int, str, str]:
    if stdin is not None:
        raw = io.BytesIO(stdin.encode("utf-8") if isinstance(stdin, str) else stdin)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw))
    try:
        status = main(["validate", *args])
    except SystemExit as exc:  # argparse usage errors
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def check_json(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    *args: str,
) -> tuple[int, dict[str, Any]]:
    status, out, _ = run(capsys, monkeypatch, ["--json", *args, "-"], stdin=text)
    return status, json.loads(out)


def test_a_valid_call_and_its_result(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = run(capsys, monkeypatch, [], stdin=BOOT + "\n" + BOOT_RESULT)
    assert status == 0
    assert "line 1: CALL BootNotification id=1: valid" in out
    assert "line 2: CALLRESULT BootNotification id=1: valid" in out
    assert out.rstrip().endswith("2 message(s): 2 valid, 0 invalid, 0 unchecked")


@pytest.mark.parametrize(
    ("frame", "path", "code"),
    [
        ('[2,"9","Heartbeat",{"x":1}]', "$.x", "ProtocolError"),
        ('[2,"9","Authorize",{}]', "$.idToken", "OccurrenceConstraintViolation"),
        (
            '[2,"9","BootNotification",{"reason":"Foo",'
            '"chargingStation":{"model":"M","vendorName":"V"}}]',
            "$.reason",
            "PropertyConstraintViolation",
        ),
        (
            '[2,"9","Heartbeat",{"a":1,"a":2}]',
            "$",
            "FormatViolation",
        ),
        ('[2,"9","Heartbeat",[]]', "$", "FormatViolation"),
        (
            '[2,"9","StatusNotification",{"timestamp":"yesterday",'
            '"connectorStatus":"Available","evseId":1,"connectorId":1}]',
            "$.timestamp",
            "TypeConstraintViolation",
        ),
        (
            '[2,"9","SetChargingProfile",{"evseId":-1,"chargingProfile":{}}]',
            "$.chargingProfile.id",
            "OccurrenceConstraintViolation",
        ),
        ('[2,"9","NoSuchAction",{}]', "frame", "NotImplemented"),
        ('[7,"9"]', "frame", "MessageTypeNotSupported"),
        ('[2,"9","Heartbeat"]', "frame", "RpcFrameworkError"),
        ("not json", "frame", "RpcFrameworkError"),
    ],
)
def test_every_error_class_with_path_code_and_answer(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    frame: str,
    path: str,
    code: str,
) -> None:
    status, report = check_json(capsys, monkeypatch, frame)
    assert status == 1
    (result,) = report["results"]
    assert result["status"] == "invalid"
    assert {"path": path, "code": code} in [
        {"path": p["path"], "code": p["code"]} for p in result["problems"]
    ]
    answer = json.loads(result["answer"])
    assert answer[0] == 4
    assert answer[2] == result["problems"][0]["code"]


def test_every_problem_is_listed_and_the_first_is_answered(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = (
        '[2,"7","BootNotification",{"reason":"Foo",'
        '"chargingStation":{"model":"' + "M" * 21 + '"},"x":1}]'
    )
    status, out, _ = run(capsys, monkeypatch, [], stdin=frame)
    assert status == 1
    assert "$.reason  PropertyConstraintViolation" in out
    assert "$.chargingStation.vendorName  OccurrenceConstraintViolation" in out
    assert "$.chargingStation.model  TypeConstraintViolation" in out
    assert "$.x  ProtocolError" in out
    assert 'a receiver answers: [4,"7","PropertyConstraintViolation"' in out


def test_responses_and_errors_are_never_answered(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "\n".join(
        [
            '[2,"1","Heartbeat",{}]',
            '[3,"1",{"currentTime":"soon"}]',
            '[3,"2"]',
            '[4,"3","NoSuchCode","oops",{}]',
            '[4,"4","NotSupported","fine",{}]',
        ]
    )
    status, report = check_json(capsys, monkeypatch, text)
    assert status == 1
    call, result, broken, bad_error, good_error = report["results"]
    assert call["status"] == "valid"
    assert result["problems"][0]["path"] == "$.currentTime"
    assert result["answer"] is None
    assert "RemoteValidationError" in result["note"]
    assert broken["status"] == "invalid"
    assert broken["answer"] is None
    assert broken["problems"][0]["code"] is None
    assert bad_error["status"] == "invalid"
    assert "NoSuchCode" in bad_error["problems"][0]["message"]
    assert good_error["status"] == "valid"
    assert report["summary"] == {
        "messages": 5,
        "valid": 2,
        "invalid": 3,
        "unchecked": 0,
    }


def test_a_multi_line_log_file_with_trace_objects(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trace = [
        {"time": "t1", "identity": "CS1", "direction": "in", "frame": BOOT},
        {"time": "t2", "identity": "CS1", "direction": "out", "frame": BOOT_RESULT},
        {
            "time": "t3",
            "identity": "CS2",
            "direction": "out",
            "frame": json.loads(BOOT_RESULT),  # a frame held as JSON, not text
        },
        {"time": "t4", "identity": "CS1", "direction": "in"},
    ]
    log = tmp_path / "trace.jsonl"
    log.write_text(
        "\n".join(json.dumps(line) for line in trace) + "\n\n" + BOOT + "\n",
        encoding="utf-8",
    )
    status, out, _ = run(capsys, monkeypatch, ["--json", str(log)])
    report = json.loads(out)
    assert status == 1
    first, second, third, fourth, fifth = report["results"]
    assert (first["identity"], first["direction"]) == ("CS1", "in")
    assert second["status"] == "valid" and second["action"] == "BootNotification"
    # CS2 sent no CALL with id 1: the result cannot be matched to an action.
    assert third["status"] == "unchecked"
    assert (
        fourth["status"] == "invalid" and "no frame" in fourth["problems"][0]["message"]
    )
    assert fifth["line"] == 6 and fifth["status"] == "valid"


def test_one_frame_over_several_lines_is_one_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pretty = json.dumps(json.loads(BOOT), indent=2)
    status, report = check_json(capsys, monkeypatch, pretty)
    assert status == 0
    assert report["summary"]["messages"] == 1


def test_bare_payloads_with_action(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, report = check_json(
        capsys, monkeypatch, '{"idToken":{"idToken":"A","type":"ISO14443"}}',
        "--action", "Authorize",
    )  # fmt: skip
    assert status == 0 and report["results"][0]["kind"] == "payload"
    status, report = check_json(
        capsys, monkeypatch, '{"idTokenInfo":{"status":"Maybe"}}',
        "--action", "Authorize", "--response",
    )  # fmt: skip
    assert status == 1
    assert report["results"][0]["problems"][0]["path"] == "$.idTokenInfo.status"
    # A CALLRESULT frame without its CALL is checked as the --action response.
    status, report = check_json(
        capsys, monkeypatch, '[3,"5",{"idTokenInfo":{"status":"Accepted"}}]',
        "--action", "Authorize", "--response",
    )  # fmt: skip
    assert status == 0 and report["results"][0]["action"] == "Authorize"


@pytest.mark.parametrize(
    "args",
    [
        ["--response", "-"],
        ["--action", "Bogus", "-"],
        ["--request", "--response", "--action", "Heartbeat", "-"],
        ["/nonexistent/file.log"],
        ["--no-such-option"],
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
) -> None:
    status, _, err = run(capsys, monkeypatch, args, stdin=BOOT)
    assert status == 2
    assert err


def test_empty_input_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(capsys, monkeypatch, [], stdin="\n \n")[0] == 2


def test_quiet_prints_only_what_is_wrong(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = BOOT + '\n[2,"2","Heartbeat",{"x":1}]\n'
    status, out, _ = run(capsys, monkeypatch, ["-q"], stdin=text)
    assert status == 1
    assert "line 1" not in out and "line 2" in out


def test_the_console_command_reads_stdin_and_sets_the_exit_status() -> None:
    """The real process: ``python -m ocpp201 validate -`` on standard input."""
    for text, expected in ((BOOT, 0), ('[2,"1","Heartbeat",{"x":1}]', 1)):
        done = subprocess.run(
            [sys.executable, "-m", "ocpp201", "validate", "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        assert done.returncode == expected, done.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "ocpp201", "validate", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    ).stdout
    assert "--action" in help_text and "Exit status" in help_text


def test_log_lines_with_a_prefix_and_log_mode(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = "\n".join(
        [
            '2026-01-01 10:00:00 DEBUG ocpp201.rpc.CS1: > [2,"a","Heartbeat",{}]',
            '2026-01-01 10:00:01 DEBUG ocpp201.rpc.CS1: < [3,"a",{"currentTime":"x"}]',
            "2026-01-01 10:00:02 INFO ocpp201.rpc.CS1: connection closed",
        ]
    )
    status, report = check_json(capsys, monkeypatch, log, "--log")
    assert status == 1
    call, result = report["results"]
    assert (call["kind"], call["direction"], call["status"]) == ("CALL", "out", "valid")
    assert (result["direction"], result["action"]) == ("in", "Heartbeat")
    assert result["problems"][0]["path"] == "$.currentTime"
    # Without --log the line without a frame is reported, not skipped.
    status, report = check_json(capsys, monkeypatch, log)
    assert report["summary"]["messages"] == 3
    assert report["results"][2]["problems"][0]["code"] == "RpcFrameworkError"


def test_bytes_that_are_not_utf8_get_the_receivers_answer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b'[2,"1","Heartbeat",{}]\n[2,"2","DataTransfer",{"vendorId":"\xff"}]\n'
    status, out, _ = run(capsys, monkeypatch, ["--json", "-"], stdin=data)
    report = json.loads(out)
    assert status == 1
    good, bad = report["results"]
    assert good["status"] == "valid" and bad["line"] == 2
    assert bad["problems"][0]["code"] == "RpcFrameworkError"
    assert "UTF-8" in bad["problems"][0]["message"]


def test_large_inputs_are_read_line_by_line_in_bounded_memory(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ocpp201.cli import validate

    monkeypatch.setattr(validate, "WHOLE_INPUT", 1000)
    monkeypatch.setattr(validate, "MAX_LINE", 200)
    monkeypatch.setattr(validate, "MAX_PENDING", 3)
    lines = [f'[2,"{n}","Heartbeat",{{}}]' for n in range(60)]
    lines.insert(10, '[2,"long","DataTransfer",{"vendorId":"' + "v" * 300 + '"}]')
    lines.append('[3,"59",{"currentTime":"2025-01-01T00:00:00Z"}]')  # remembered
    lines.append('[3,"0",{"currentTime":"2025-01-01T00:00:00Z"}]')  # forgotten
    log = tmp_path / "big.log"
    log.write_text("\n".join(lines), encoding="utf-8")  # no final newline
    status, out, _ = run(capsys, monkeypatch, ["-q", str(log)])
    assert status == 1
    assert "line 11: unreadable: invalid" in out
    assert "line longer than 200 bytes" in out
    assert "line 63: CALLRESULT id=0: unchecked" in out
    assert out.endswith("63 message(s): 61 valid, 1 invalid, 1 unchecked\n")
