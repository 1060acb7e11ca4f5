"""Shared pytest configuration: Hypothesis profiles and the JSON backend fixture.

Two profiles are registered:

* ``ci`` (the default): derandomized, no example database, a bounded number of
  examples, so that every run on every machine tests the same inputs and the whole
  suite stays fast.
* ``dev``: random seeds and more examples, for hunting bugs locally
  (``HYPOTHESIS_PROFILE=dev python -m pytest``).

The profile is chosen by the ``HYPOTHESIS_PROFILE`` environment variable.

``json_backend`` is parametrized with ``stdlib`` and ``orjson`` (when installed), so
one ``pytest`` command checks both parsers (tests/codec, and the bad-input rows of
tests/rpc); ``OCPP201_JSON=stdlib`` (or ``orjson``) in the environment limits it to
that one.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from ocpp201 import _json

_SUPPRESSED = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
]

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=25,
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_CHOICE = os.environ.get("OCPP201_JSON", "").strip().lower()
BACKENDS = [
    name
    for name in ("stdlib", "orjson")
    if (not _CHOICE or name == _CHOICE)
    and (name == "stdlib" or importlib.util.find_spec("orjson") is not None)
]


@pytest.fixture(params=BACKENDS)
def json_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The JSON parser the test runs under (each test runs under each)."""
    before = _json.backend()
    _json.use_backend(request.param)
    try:
        yield request.param
    finally:
        _json.use_backend(before)
