"""The web API of the fleet example (FastAPI): list stations, reset one.

It serves no station itself: it reaches them through Redis, wherever they are
connected.

* ``GET /stations`` -> ``{"CS001": {"node": "...", "epoch": 7}, ...}``
* ``POST /stations/{identity}/reset`` (optional ``?type=OnIdle``) ->
  ``{"status": "Accepted"}``; 404 when the station is not connected, 502 when it
  answered a CALLERROR, 503 when its node is gone or busy or Redis is down, 504 on
  timeout.

Normally started by ``run.py``; on its own::

    REDIS_URL=redis://127.0.0.1:6379/0 uvicorn --app-dir examples/fleet api:app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException

from ocpp201 import CallError, CallTimeoutError, ConnectionClosedError
from ocpp201 import messages as m
from ocpp201.enums import ResetEnumType
from ocpp201.fleet import Fleet, FleetError, StationOfflineError

fleet = Fleet(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    async with fleet:
        yield


app = FastAPI(title="ocpp201 fleet example", lifespan=lifespan)


@app.get("/stations")
async def stations() -> dict[str, dict[str, Any]]:
    """Every connected station and the node holding it."""
    found = await fleet.stations()
    return {
        identity: {"node": where.node, "epoch": where.epoch}
        for identity, where in sorted(found.items())
    }


@app.post("/stations/{identity}/reset")
async def reset(
    identity: str, type: ResetEnumType = ResetEnumType.IMMEDIATE
) -> dict[str, str]:
    """Send a Reset to the station, wherever it is connected."""
    try:
        response = await fleet.call(identity, m.ResetRequest(type=type), timeout=10)
    except StationOfflineError as exc:
        raise HTTPException(404, str(exc)) from exc
    except CallError as exc:
        raise HTTPException(502, str(exc)) from exc
    except CallTimeoutError as exc:
        raise HTTPException(504, str(exc)) from exc
    except (FleetError, ConnectionClosedError) as exc:
        raise HTTPException(503, str(exc)) from exc
    return {"status": response.status.value}
