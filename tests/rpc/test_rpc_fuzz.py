"""Property tests: whatever arrives, the loop survives and answers per the table.

The oracle :func:`expected` is the bad-input table of docs/rpc.md written out
independently of ``ocpp201._framing``; every message is followed by a probe CALL so
that "nothing is sent" can be checked without waiting.  Hypothesis settings come from
the profile loaded by tests/conftest.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from rpc_helpers import BootHeartbeatCsms, connected, run

from ocpp201 import Action, Sender, ValidationError, from_payload

HANDLED = {"BootNotification", "Heartbeat"}

# ------------------------------------------------------------------ the oracle


def _strict_loads(text: str) -> Any:
    def reject(name: str) -> Any:
        raise ValueError(name)

    def finite(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise OverflowError  # never generated below: only finite floats
        return value

    return json.loads(text, parse_constant=reject, parse_float=finite)


def _readable_id(frame: list[Any]) -> str | None:
    if len(frame) < 2 or not isinstance(frame[1], str):
        return None
    value = frame[1]
    if not 1 <= len(value) <= 36:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def expected(message: str | bytes) -> tuple[str, str, str] | None:
    """``(kind, message id, code-or-action)`` of the answer, ``None`` for silence."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            return ("error", "-1", "RpcFrameworkError")
    try:
        frame = _strict_loads(message)
    except (ValueError, RecursionError):
        return ("error", "-1", "RpcFrameworkError")
    if not isinstance(frame, list) or not frame:
        return ("error", "-1", "RpcFrameworkError")
    kind, message_id = frame[0], _readable_id(frame)
    if isinstance(kind, bool) or not isinstance(kind, int | float):
        return ("error", message_id or "-1", "RpcFrameworkError")
    if kind not in (2, 3, 4):
        return ("error", message_id or "-1", "MessageTypeNotSupported")
    if kind != 2:
        return None
    if message_id is None:
        return ("error", "-1", "RpcFrameworkError")
    if len(frame) != 4 or not isinstance(frame[2], str):
        return ("error", message_id, "RpcFrameworkError")
    action = frame[2]
    if action not in Action._value2member_map_:
        return ("error", message_id, "NotImplemented")
    member = Action(action)
    if member.sender is Sender.CSMS or action not in HANDLED:
        return ("error", message_id, "NotSupported")
    try:
        from_payload(member.request, frame[3])
    except ValidationError as exc:
        return ("error", message_id, exc.code.value)
    return ("result", message_id, action)


# ------------------------------------------------------------------ strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
message_ids = (
    st.text(min_size=1, max_size=36)
    | st.text(min_size=37, max_size=40)
    | st.just("")
    | json_scalars
)
actions = (
    st.sampled_from([a.value for a in Action]) | st.text(max_size=30) | json_scalars
)
payloads: st.SearchStrategy[Any] = (
    json_values
    | st.just(
        {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"}
    )
    | st.fixed_dictionaries(
        {
            "chargingStation": st.fixed_dictionaries({"model": json_scalars}),
            "reason": json_scalars,
        }
    )
    | st.just({})
)
frames = st.builds(
    lambda kind, mid, action, payload, size: [kind, mid, action, payload][:size],
    st.sampled_from([2, 3, 4, 2.0, 5, -1, 2.5, "2", None, True]) | json_scalars,
    message_ids,
    actions,
    payloads,
    st.integers(0, 5),
) | st.builds(
    lambda mid, code, desc, details: [4, mid, code, desc, details],
    message_ids,
    json_values,
    json_values,
    json_values,
)
calls = st.builds(
    lambda mid, action, payload: [2, mid, action, payload],
    st.text(min_size=1, max_size=36),
    st.sampled_from(["BootNotification", "Heartbeat", "Reset", "StatusNotification"])
    | actions,
    payloads,
)
messages = (
    calls.map(json.dumps)
    | st.binary(max_size=60)
    | st.text(max_size=60)
    | json_values.map(json.dumps)
    | frames.map(json.dumps)
    | frames.map(lambda f: json.dumps(f, ensure_ascii=False).encode("utf-8"))
)


async def _check_all(batch: Sequence[str | bytes]) -> None:
    async with connected(BootHeartbeatCsms) as (csms, peer):
        for index, message in enumerate(batch):
            await peer.send(message)
            probe = f"probe-{index}"
            await peer.send_json([2, probe, "NoSuchAction", {}])
            want = expected(message)
            # Replies to different CALLs are matched by id, not order: a handler's
            # reply may come after the probe's immediate NotImplemented.
            answers: list[Any] = []
            probed = False
            while not probed or len(answers) < (want is not None):
                frame = await peer.recv()
                if frame[1] == probe:
                    assert frame[:3] == [4, probe, "NotImplemented"]
                    probed = True
                else:
                    answers.append(frame)
            if want is None:
                assert answers == [], (message, answers)
                continue
            assert len(answers) == 1, (message, answers)
            (got,) = answers
            kind, message_id, what = want
            if kind == "error":
                assert len(got) == 5 and got[0] == 4, (message, got)
                assert got[1:3] == [message_id, what], (message, got)
                assert isinstance(got[3], str) and len(got[3]) <= 255
                assert isinstance(got[4], dict)
            else:
                assert got[0] == 3 and got[1] == message_id, (message, got)
        assert not csms.closed
        assert csms._run_task is not None and not csms._run_task.done()


@given(st.lists(messages, min_size=1, max_size=8))
def test_any_input_gets_the_prescribed_answer_and_the_loop_survives(
    batch: list[str | bytes],
) -> None:
    run(_check_all(batch))


@given(st.binary(max_size=200))
def test_arbitrary_bytes(data: bytes) -> None:
    run(_check_all([data]))


@given(json_values)
def test_arbitrary_json_values(value: Any) -> None:
    run(_check_all([json.dumps(value), json.dumps(value, ensure_ascii=False)]))


@given(st.lists(calls.map(json.dumps), min_size=1, max_size=6))
def test_arbitrary_calls(batch: list[str]) -> None:
    run(_check_all(batch))
