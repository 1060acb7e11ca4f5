"""The README's code runs as written."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def block(marker: str) -> str:
    return next(b for b in BLOCKS if marker in b)


def test_readme_commands_match_ci() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert 'pip install -e ".[test]" && python -m pytest' in README
    assert 'pip install -e ".[test]" && python -m pytest' in ci
    assert 'python -m pip install ".[websockets]" && python -m ocpp201 demo' in README


def test_messages_without_a_connection() -> None:
    exec(block("from_payload(BootNotificationRequest"), {})


def test_csms_in_a_few_lines_serves_a_station() -> None:
    source = block("class MyCSMS")
    namespace: dict[str, Any] = {}
    exec(source.replace("asyncio.run(main())", ""), namespace)

    from ocpp201 import ChargePoint
    from ocpp201.datatypes import ChargingStationType
    from ocpp201.enums import BootReasonEnumType, RegistrationStatusEnumType
    from ocpp201.messages import BootNotificationRequest, HeartbeatRequest
    from ocpp201.websocket import connect, serve

    async def scenario() -> None:
        async with serve(namespace["MyCSMS"], "127.0.0.1", 0, path="/ocpp") as server:
            connection = await connect(server.url, "CS001")
            async with ChargePoint("CS001", connection) as station:
                boot = await station.call(
                    BootNotificationRequest(
                        reason=BootReasonEnumType.POWER_UP,
                        charging_station=ChargingStationType(
                            model="M", vendor_name="V"
                        ),
                    ),
                    timeout=5,
                )
                assert boot.status is RegistrationStatusEnumType.ACCEPTED
                await station.call(HeartbeatRequest(), timeout=5)

    asyncio.run(asyncio.wait_for(scenario(), 20))
