"""The example programs: a CSMS (``csms.py``) and a charging station
(``charging_station.py``), each runnable on its own from a checkout::

    python examples/csms.py --port 9000
    python examples/charging_station.py ws://127.0.0.1:9000/ocpp CS001

This directory is installed as the package ``ocpp201.examples`` (see
``[tool.setuptools]`` in pyproject.toml), so that ``python -m ocpp201 demo`` can run
the two against each other from an installed package, and
``python -m ocpp201.examples.csms`` works there too.
"""
