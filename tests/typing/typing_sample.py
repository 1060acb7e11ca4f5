"""Checked by ``mypy --strict`` in test_typing_rpc.py; never imported or run.

A line ending in ``# [marker]`` must get exactly the mypy messages that
``EXPECTED[marker]`` in test_typing_rpc.py lists; no other line may get an error.
"""

from __future__ import annotations

from datetime import datetime, timezone

from typing_extensions import assert_type, reveal_type

from ocpp201 import CSMS, ChargePoint, after, on
from ocpp201 import datatypes as d
from ocpp201 import enums as e
from ocpp201.actions import Action
from ocpp201.messages import (
    BootNotificationRequest,
    BootNotificationResponse,
    HeartbeatRequest,
    HeartbeatResponse,
    ResetRequest,
    ResetResponse,
)

NOW = datetime.now(timezone.utc)


async def station(cp: ChargePoint) -> None:
    request = BootNotificationRequest(
        charging_station=d.ChargingStationType(model="M", vendor_name="V"),
        reason=e.BootReasonEnumType.POWER_UP,
    )
    response = await cp.call(request, timeout=10)
    reveal_type(response)  # [reveal-call]
    assert_type(response, BootNotificationResponse)
    assert_type(response.status, e.RegistrationStatusEnumType)
    assert_type(await cp.call(HeartbeatRequest()), HeartbeatResponse)
    _wrong: HeartbeatResponse = await cp.call(request)  # [wrong-call-type]


class GoodCsms(CSMS):
    @on(Action.BOOT_NOTIFICATION)
    async def boot(self, request: BootNotificationRequest) -> BootNotificationResponse:
        return BootNotificationResponse(
            current_time=NOW, interval=300, status=e.RegistrationStatusEnumType.ACCEPTED
        )

    @on(Action.HEARTBEAT)
    def heartbeat(self, request: HeartbeatRequest) -> HeartbeatResponse:
        return HeartbeatResponse(current_time=NOW)

    @after(Action.BOOT_NOTIFICATION)
    async def booted(
        self, request: BootNotificationRequest, response: BootNotificationResponse
    ) -> None:
        reset = ResetRequest(type=e.ResetEnumType.ON_IDLE)
        assert_type(await self.call(reset), ResetResponse)

    @after(Action.HEARTBEAT)
    def beat(self, request: HeartbeatRequest) -> None:
        pass


async def handlers_keep_their_type(
    csms: GoodCsms, request: BootNotificationRequest
) -> None:
    assert_type(await csms.boot(request), BootNotificationResponse)
    assert_type(csms.heartbeat(HeartbeatRequest()), HeartbeatResponse)


class BadCsms(CSMS):
    @on(Action.BOOT_NOTIFICATION)  # [wrong-response]
    async def wrong_response(
        self, request: BootNotificationRequest
    ) -> HeartbeatResponse:
        return HeartbeatResponse(current_time=NOW)

    @on(Action.HEARTBEAT)  # [wrong-request]
    def wrong_request(self, request: BootNotificationRequest) -> HeartbeatResponse:
        return HeartbeatResponse(current_time=NOW)

    @after(Action.HEARTBEAT)  # [wrong-after]
    def wrong_after(self, request: ResetRequest) -> None:
        pass
