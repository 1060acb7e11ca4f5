"""The JSON backend fixture: tests that read JSON text run under both parsers.

``json_backend`` is parametrized with ``stdlib`` and ``orjson`` (when installed), so
one ``pytest`` command checks both; ``OCPP201_JSON=stdlib`` (or ``orjson``) in the
environment limits it to that one.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest

from ocpp201 import _json

_CHOICE = os.environ.get("OCPP201_JSON", "").strip().lower()
BACKENDS = [
    name
    for name in ("stdlib", "orjson")
    if (not _CHOICE or name == _CHOICE)
    and (name == "stdlib" or importlib.util.find_spec("orjson") is not None)
]


@pytest.fixture(params=BACKENDS)
def json_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    before = _json.backend()
    _json.use_backend(request.param)
    try:
        yield request.param
    finally:
        _json.use_backend(before)
