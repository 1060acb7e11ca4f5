"""``ocpp201 example``: valid examples of every action, --set, --frame, --python."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocpp201 import Action, from_payload, to_payload
from ocpp201.cli import main
from ocpp201.cli.example import example_payload, python_source, set_path
from ocpp201.cli.validate import check_text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        status = main(["example", *args])
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_every_example_is_valid_and_its_python_builds_it(action: Action) -> None:
    for cls in (action.request, action.response):
        payload = example_payload(cls)
        obj = from_payload(cls, payload)
        namespace: dict[str, Any] = {}
        exec(python_source(obj, "built"), namespace)
        assert to_payload(namespace["built"]) == payload


def test_example_prints_a_payload_and_a_frame(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "BootNotification")
    assert status == 0
    payload = json.loads(out)
    assert set(payload) == {"chargingStation", "reason"}
    status, out, _ = run(capsys, "BootNotification", "--frame", "--id", "abc")
    assert status == 0
    frame = json.loads(out)
    assert frame[:3] == [2, "abc", "BootNotification"]
    assert check_text(out).valid
    status, out, _ = run(capsys, "Heartbeat", "--response", "--frame")
    assert json.loads(out)[0] == 3
    status, out, _ = run(capsys, "Heartbeat", "--python")
    assert "HeartbeatRequest()" in out


def test_set_changes_fields_and_validates(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys,
        "BootNotification",
        "--set", "reason=PowerUp",
        "--set", "$.chargingStation.serialNumber=SN-9",
        "--set", 'chargingStation.modem={"iccid": "8931"}',
    )  # fmt: skip
    assert status == 0
    payload = json.loads(out)
    assert payload["reason"] == "PowerUp"
    assert payload["chargingStation"]["serialNumber"] == "SN-9"
    assert payload["chargingStation"]["modem"] == {"iccid": "8931"}
    status, out, err = run(capsys, "BootNotification", "--set", "reason=Sometimes")
    assert status == 1
    assert "$.reason: PropertyConstraintViolation" in err
    status, out, _ = run(
        capsys, "MeterValues", "--set", "meterValue[0].sampledValue[1].value=3"
    )
    assert status == 0
    assert json.loads(out)["meterValue"][0]["sampledValue"][1] == {"value": 3}


def test_set_path_values_are_json_or_strings() -> None:
    payload: dict[str, Any] = {}
    set_path(payload, "a=60")
    set_path(payload, 'b="60"')
    set_path(payload, "c.d[0]=true")
    set_path(payload, "e=PowerUp")
    assert payload == {"a": 60, "b": "60", "c": {"d": [True]}, "e": "PowerUp"}
    for bad in ("no-equals", "a[5]=1", "=1", "a..b=1"):
        with pytest.raises(ValueError):
            set_path({"a": []}, bad)


@pytest.mark.parametrize(
    "args", [["NoSuchAction"], ["Heartbeat", "--set", "novalue"], []]
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    status, _, err = run(capsys, *args)
    assert status == 2 and err
