"""Shared pytest configuration: Hypothesis profiles.

Two profiles are registered:

* ``ci`` (the default): derandomized, no example database, a bounded number of
  examples, so that every run on every machine tests the same inputs and the whole
  suite stays fast.
* ``dev``: random seeds and more examples, for hunting bugs locally
  (``HYPOTHESIS_PROFILE=dev python -m pytest``).

The profile is chosen by the ``HYPOTHESIS_PROFILE`` environment variable.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
