"""A fleet of CSMS workers behind one port, plus a web API reaching any station.

Start everything with one command (see ``run.py``)::

    python examples/fleet/run.py

Not installed with the package (it needs ``ocpp201[redis,websockets]``, fastapi and
uvicorn).
"""
